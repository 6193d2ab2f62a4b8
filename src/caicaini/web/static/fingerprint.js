// Device fingerprint for the one-person-one-account rule (Terms §2): a SHA-256 of stable
// browser traits, written into the hidden "device_fingerprint" field of sign-up and login
// forms. Only this hash leaves the browser; the server stores a hash of it.
(function () {
  "use strict";

  function traits() {
    var s = window.screen || {};
    var tz = "";
    try { tz = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* old browser */ }
    return [
      navigator.userAgent || "",
      navigator.language || "",
      (navigator.languages || []).join(","),
      navigator.platform || "",
      [s.width, s.height, s.colorDepth].join("x"),
      tz,
      String(new Date().getTimezoneOffset()),
      String(navigator.hardwareConcurrency || ""),
      String(navigator.deviceMemory || ""),
      String(navigator.maxTouchPoints || 0)
    ].join("|");
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  // Outside a secure context crypto.subtle is missing: fall back to a 128-bit mix (cyrb128).
  function fallback(text) {
    var h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
    for (var i = 0, k; i < text.length; i++) {
      k = text.charCodeAt(i);
      h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
      h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
      h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
      h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
    }
    return [h1, h2, h3, h4].map(function (h) { return ("0000000" + (h >>> 0).toString(16)).slice(-8); }).join("");
  }

  function compute() {
    var text = traits();
    if (window.crypto && window.crypto.subtle && window.TextEncoder) {
      return window.crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(hex);
    }
    return Promise.resolve(fallback(text));
  }

  compute().then(function (value) {
    var fields = document.querySelectorAll("form[data-fingerprint] input[name=device_fingerprint]");
    for (var i = 0; i < fields.length; i++) { fields[i].value = value; }
  });
})();
