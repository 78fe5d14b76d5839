// The integration page: reload when the IdP's first request arrives, and count down the grace
// period of a rotated token. Without JavaScript the page still works (a <noscript> meta refresh
// takes over the waiting; the countdown shows the time left when the page was rendered).
(function () {
  "use strict";

  // --- Waiting for the identity provider -------------------------------------------------
  var POLL_MS = 4000;
  var panel = document.querySelector("[data-connection-url]");

  function poll() {
    if (document.hidden) return; // no requests from a background tab; resumes when shown
    fetch(panel.getAttribute("data-connection-url"), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state) return;
        var seen = panel.getAttribute("data-latest-id") || "";
        var latest = state.latest_request_id == null ? "" : String(state.latest_request_id);
        var onlySuccess = panel.getAttribute("data-reload-on") === "success";
        var changed = latest !== seen && (!onlySuccess || (state.last_status && state.last_status < 400));
        if (changed) window.location.reload();
      })
      .catch(function () { /* offline for a moment: the next tick tries again */ });
  }

  if (panel && window.fetch) {
    window.setInterval(poll, POLL_MS);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });
  }

  // --- Grace period countdown -------------------------------------------------------------
  var countdowns = document.querySelectorAll("[data-countdown-until]");

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function left(ms) {
    var s = Math.floor(ms / 1000);
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    if (h >= 1) return h + " h " + pad(m) + " min left";
    return m + " min " + pad(s % 60) + " s left";
  }

  function tick() {
    var now = Date.now();
    countdowns.forEach(function (el) {
      var until = Date.parse(el.getAttribute("data-countdown-until"));
      if (isNaN(until)) return;
      var remaining = until - now;
      el.textContent = remaining > 0 ? left(remaining) : "stopped working";
      el.classList.toggle("countdown-over", remaining <= 0);
    });
  }

  if (countdowns.length) {
    tick();
    window.setInterval(tick, 1000);
  }
})();
