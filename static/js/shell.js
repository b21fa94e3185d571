// Searches and filters send only the fields that hold a value, so the address that is
// pushed, bookmarked or shared reads ?q=zw rather than a dozen empty parameters.
(function () {
  "use strict";

  function isEmpty(values) {
    return values.every(function (value) { return value === ""; });
  }

  // htmx GETs (the search while typing): the pushed URL is built from these parameters.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb !== "get") return;
    var params = event.detail.parameters;
    Array.from(new Set(params.keys())).forEach(function (name) {
      if (isEmpty(params.getAll(name))) params.delete(name);
    });
  });

  // Plain GET forms (Apply): go to the same address without the empty fields.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || (form.getAttribute("method") || "get").toLowerCase() !== "get") return;
    var data = new FormData(form, event.submitter || undefined);
    var query = new URLSearchParams();
    Array.from(new Set(data.keys())).forEach(function (name) {
      var values = data.getAll(name);
      if (!isEmpty(values)) values.forEach(function (value) { query.append(name, value); });
    });
    event.preventDefault();
    var action = new URL(form.action || window.location.href, window.location.href);
    action.search = query.toString();
    window.location.assign(action.toString());
  });
})();
