// The console dashboard's chart: credits issued, spent and expired per UTC day (bars) and
// revenue in USD (a line on its own axis). The figures come from
// <script type="application/json" id="console-chart-data">; the same figures are in the
// table under the chart. Chart.js is vendored under /static/vendor/chart.js/.
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("console-chart-data");
    var canvas = document.getElementById("console-chart");
    if (!source || !canvas || typeof window.Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    var labels = data.days.map(function (day) { return day.slice(5); });
    var chart = new window.Chart(canvas, {
      data: {
        labels: labels,
        datasets: [
          { type: "bar", label: "issued", data: data.issued, backgroundColor: "#3451c7", yAxisID: "credits" },
          { type: "bar", label: "spent", data: data.spent, backgroundColor: "#0f766e", yAxisID: "credits" },
          { type: "bar", label: "expired", data: data.expired, backgroundColor: "#b45309", yAxisID: "credits" },
          { type: "line", label: "revenue (USD)", data: data.revenue.map(Number), borderColor: "#be123c",
            backgroundColor: "#be123c", pointRadius: 2, yAxisID: "usd" }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12, color: "#1d2330" } } },
        scales: {
          x: { grid: { display: false }, ticks: { color: "#5d6679", maxRotation: 0, autoSkip: true } },
          credits: { position: "left", beginAtZero: true, ticks: { color: "#5d6679", precision: 0 },
            title: { display: true, text: "credits", color: "#5d6679" } },
          usd: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
            ticks: { color: "#5d6679" }, title: { display: true, text: "USD", color: "#5d6679" } }
        }
      }
    });
    canvas.setAttribute("data-drawn", String(chart.data.datasets.length));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
