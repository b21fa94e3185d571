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

// Behaviour that templates ask for with data- attributes: the Content-Security-Policy allows
// no inline event handlers (onclick=…), so they are attached here.
(function () {
  "use strict";

  // <select data-autosubmit>: choosing a value sends its form.
  document.addEventListener("change", function (event) {
    var field = event.target.closest && event.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.submit();
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : event.target.parentElement;
    if (!target) return;
    // <input data-select-on-click>: a click selects the whole value (to copy it).
    var selectable = target.closest("[data-select-on-click]");
    if (selectable) selectable.select();
    // <button data-print>: prints the page.
    if (target.closest("[data-print]")) window.print();
    // <button data-show-earlier="selector">: shows the hidden past days, then goes away.
    var showEarlier = target.closest("[data-show-earlier]");
    if (showEarlier) {
      var calendar = document.querySelector(showEarlier.getAttribute("data-show-earlier"));
      if (calendar) calendar.classList.remove("hide-past");
      showEarlier.remove();
    }
  });
})();

// <input data-filters-next>: typing hides the choices of the list right after it that do
// not contain the text (a long list of checkboxes).
(function () {
  "use strict";

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!field.matches || !field.matches("[data-filters-next]")) return;
    var query = field.value.trim().toLowerCase();
    var list = field.nextElementSibling;
    if (!list) return;
    list.querySelectorAll(".form-check").forEach(function (choice) {
      choice.hidden = query !== "" && choice.textContent.toLowerCase().indexOf(query) < 0;
    });
  });
})();
