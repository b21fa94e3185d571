// The 12-month chart of average assets on the customer page. The data is in 元; the chart
// shows 万元 with two decimals, as the heading says, like every amount in the app.
(function () {
  var data = JSON.parse(document.getElementById("assets-data").textContent);
  function wan(yuan) {
    return (yuan / 10000).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  new Chart(document.getElementById("assets-chart"), {
    type: "bar",
    data: { labels: data.labels, datasets: [{ data: data.assets, backgroundColor: "#0d6efd" }] },
    options: {
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: function (item) { return wan(item.raw); } } },
      },
      scales: { y: { beginAtZero: true, ticks: { callback: wan } } },
      animation: false,
    },
  });
})();
