// The Django admin's periodic task form (django-celery-beat): under the crontab field, the
// schedule in words, as the package's own inline script did.
(function () {
  "use strict";
  var script = document.currentScript;
  var $ = window.django && window.django.jQuery;
  var data = document.getElementById("readable-crontabs");
  if (!script || !$ || !data) return;
  var readable = JSON.parse(data.textContent);
  var help = script.getAttribute("data-crontab-help") || "";
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    $(".field-crontab .help").text(help + " — " + (readable[$("#id_crontab").val()] || ""));
  });
})();
