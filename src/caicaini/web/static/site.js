// Small behaviours every page shares (loaded in <head>, no inline script anywhere):
//
// - the menu button at phone width (without JavaScript the navigation simply stays open);
// - <form data-confirm="Question?">: asks before submitting;
// - <button data-copy="#element-id" hidden>: copies that element's text (the buttons start
//   hidden, so a page without JavaScript shows no dead button);
// - <time data-local datetime="…">: adds the reader's local time as a tooltip;
// - a table (in its .table-wrap) or a code block that scrolls sideways can be scrolled from the
//   keyboard (it takes focus only while it overflows).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function menu() {
    var button = document.querySelector(".menu-toggle");
    var bar = document.querySelector(".topbar");
    if (!button || !bar) return;
    function set(open) {
      bar.classList.toggle("open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    button.addEventListener("click", function () {
      set(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && bar.classList.contains("open")) {
        set(false);
        button.focus();
      }
    });
  }

  function confirmations() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      var question = form && form.getAttribute && form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) event.preventDefault();
    });
  }

  function copyText(source) {
    var text = (source.value !== undefined ? source.value : source.textContent).trim();
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain-http deployments have no clipboard API: select the text and copy the selection.
    var range = document.createRange();
    range.selectNodeContents(source);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var copied = document.execCommand && document.execCommand("copy");
    return copied ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function copyButtons() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var label = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        var source = document.querySelector(button.getAttribute("data-copy"));
        if (!source) return;
        copyText(source).then(function () {
          button.textContent = "Copied";
          button.classList.add("done");
          setTimeout(function () {
            button.textContent = label;
            button.classList.remove("done");
          }, 2000);
        }, function () {
          button.textContent = "Select and copy by hand";
        });
      });
    });
  }

  function localTimes() {
    document.querySelectorAll("time[data-local]").forEach(function (node) {
      var when = new Date(node.getAttribute("datetime"));
      if (!isNaN(when)) node.title = when.toLocaleString();
    });
  }

  function scrollableTables() {
    document.querySelectorAll(".table-wrap, pre").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.setAttribute("tabindex", "0");
      } else {
        wrap.removeAttribute("tabindex");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    scrollableTables();
    window.addEventListener("resize", scrollableTables);
    menu();
    confirmations();
    copyButtons();
    localTimes();
  });
})();
