// <button data-print hidden>: prints the page (shown only when JavaScript runs).
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
});
