// The 12-month chart of average assets on the customer page.
(function () {
  var data = JSON.parse(document.getElementById("assets-data").textContent);
  new Chart(document.getElementById("assets-chart"), {
    type: "bar",
    data: { labels: data.labels, datasets: [{ data: data.assets, backgroundColor: "#0d6efd" }] },
    options: {
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return v.toLocaleString(); } } } },
      animation: false,
    },
  });
})();
