// The order page follows its payment: it asks the page's feed (data-feed on
// #order-status-panel) where the order stands and swaps in the parts that changed, until the
// order reaches a final state. No reload, no ?returned parameter: coming back from
// NOWPayments or not, the page shows what the payment callback has recorded so far.
(function () {
  "use strict";
  var FAST = 2000, SLOW = 10000, MAX = 30000, SLOW_AFTER = 5 * 60 * 1000;

  function follow(panel) {
    var feed = panel.getAttribute("data-feed");
    var started = Date.now();
    var delay = FAST;
    var shown = {};

    function schedule() {
      var wait = document.hidden ? Math.max(delay, SLOW) : delay;
      setTimeout(tick, wait);
    }

    function apply(panels) {
      Object.keys(panels).forEach(function (id) {
        var node = document.getElementById(id);
        if (node && shown[id] !== panels[id]) {
          node.innerHTML = panels[id];
          shown[id] = panels[id];
        }
      });
    }

    function tick() {
      fetch(feed, { headers: { accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          var type = response.headers.get("content-type") || "";
          if (!response.ok || type.indexOf("application/json") !== 0) throw new Error("feed");
          return response.json();
        })
        .then(function (data) {
          apply(data.panels || {});
          panel.setAttribute("data-final", data.final ? "true" : "false");
          if (data.final) return;
          delay = Date.now() - started > SLOW_AFTER ? SLOW : FAST;
          schedule();
        })
        .catch(function () {
          delay = Math.min(delay * 2, MAX);
          schedule();
        });
    }

    schedule();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.getElementById("order-status-panel");
    if (panel && panel.getAttribute("data-feed") && panel.getAttribute("data-final") !== "true") {
      follow(panel);
    }
  });
})();
