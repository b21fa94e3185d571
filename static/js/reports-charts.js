// Charts of the reports pages: data comes from a json_script block, no inline script.
(function () {
  "use strict";
  var source = document.getElementById("report-charts");
  if (!source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var colours = ["#0d6efd", "#198754", "#ffc107", "#dc3545", "#6f42c1", "#20c997", "#fd7e14", "#6c757d"];

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) new Chart(canvas, config);
  }

  if (data.trend) {
    draw("chart-trend", {
      type: "line",
      data: {
        labels: data.trend.labels,
        datasets: data.trend.series.map(function (s, n) {
          return { label: s.label, data: s.data, borderColor: colours[n], tension: 0.2 };
        }),
      },
      options: { responsive: true, animation: false },
    });
  }
  [["chart-tiers", data.tiers, "pie"], ["chart-stages", data.stages, "bar"],
   ["chart-channels", data.channels, "bar"]].forEach(function (item) {
    if (!item[1]) return;
    draw(item[0], {
      type: item[2],
      data: {
        labels: item[1].labels,
        datasets: [{ data: item[1].data, backgroundColor: colours }],
      },
      options: { responsive: true, animation: false,
                 plugins: { legend: { display: item[2] === "pie" } } },
    });
  });
})();
