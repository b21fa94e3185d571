// The pipeline review's charts: amount by open stage (a funnel read top to bottom) and the
// reasons of the week's losses. Amounts are in 元 and shown in 万元.
(function () {
  var data = JSON.parse(document.getElementById("review-data").textContent);
  function wan(yuan) {
    return (yuan / 10000).toLocaleString(undefined, { maximumFractionDigits: 2 });
  }
  var stage = document.getElementById("stage-chart");
  if (stage) {
    new Chart(stage, {
      type: "bar",
      data: { labels: data.stages, datasets: [{ data: data.amounts, backgroundColor: "#0d6efd" }] },
      options: {
        indexAxis: "y",
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: function (i) { return wan(i.raw); } } } },
        scales: { x: { beginAtZero: true, ticks: { callback: wan } } },
        animation: false,
      },
    });
  }
  var reasons = document.getElementById("reason-chart");
  if (reasons) {
    new Chart(reasons, {
      type: "bar",
      data: { labels: data.reasons, datasets: [{ data: data.reason_counts, backgroundColor: "#dc3545" }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }, animation: false },
    });
  }
})();
