// The dashboard's chart: credits per UTC day by model over the last 30 days, stacked bars.
// The figures come from the canvas's data-chart attribute (JSON; the same figures are in the
// table under the chart, for readers without it). Chart.js is vendored
// under /static/vendor/chart.js/.
(function () {
  "use strict";
  var PALETTE = ["#3451c7", "#0f766e", "#b45309", "#9333ea", "#be123c", "#4d7c0f", "#0369a1",
    "#a16207"];

  function label(day) {
    var parts = day.split("-");
    var months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
      "Dec"];
    return parseInt(parts[2], 10) + " " + months[parseInt(parts[1], 10) - 1];
  }

  function draw() {
    var canvas = document.getElementById("usage-chart");
    if (!canvas || typeof window.Chart === "undefined") return;
    var data = JSON.parse(canvas.getAttribute("data-chart"));
    var chart = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.days.map(label),
        datasets: data.models.map(function (series, n) {
          return {
            label: series.model,
            data: series.credits,
            backgroundColor: PALETTE[n % PALETTE.length],
            borderWidth: 0
          };
        })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12, color: "#1d2330" } },
          tooltip: {
            callbacks: {
              label: function (item) {
                return item.dataset.label + ": " + item.parsed.y.toLocaleString() + " credits";
              }
            }
          }
        },
        scales: {
          x: { stacked: true, grid: { display: false }, ticks: { color: "#5d6679",
            maxRotation: 0, autoSkip: true, autoSkipPadding: 8 } },
          y: { stacked: true, beginAtZero: true, ticks: { color: "#5d6679", precision: 0 },
            title: { display: true, text: "credits", color: "#5d6679" } }
        }
      }
    });
    canvas.setAttribute("data-drawn", String(chart.data.datasets.length));
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
