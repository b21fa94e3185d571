// Bar charts of the month's complaint statistics, one per table (data from #stats-data).
(function () {
  var data = JSON.parse(document.getElementById("stats-data").textContent);
  document.querySelectorAll("canvas.stats-chart").forEach(function (canvas) {
    var series = data[canvas.dataset.key];
    if (!series || !window.Chart) return;
    new window.Chart(canvas, {
      type: canvas.dataset.key === "cause_class" ? "pie" : "bar",
      data: { labels: series.labels, datasets: [{ data: series.counts, backgroundColor: ["#0d6efd", "#dc3545", "#198754", "#ffc107", "#6c757d", "#0dcaf0", "#6610f2", "#fd7e14", "#20c997", "#d63384"] }] },
      options: { plugins: { legend: { display: canvas.dataset.key === "cause_class" } }, responsive: true, maintainAspectRatio: true, aspectRatio: 2, animation: false },
    });
  });
})();
