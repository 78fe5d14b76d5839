// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  function announce(text) {
    var region = document.getElementById("live-region");
    if (!region) return;
    region.textContent = "";
    // A fresh text node so screen readers announce the same message twice in a row.
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  // The async Clipboard API needs a secure context (HTTPS or localhost); a self-hosted
  // instance on plain HTTP falls back to selecting the text and execCommand("copy").
  function copyText(input) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(input.value).then(function () { return true; }, function () { return fallback(input); });
    }
    return Promise.resolve(fallback(input));
  }

  function fallback(input) {
    input.focus();
    input.select();
    input.setSelectionRange(0, input.value.length);
    try {
      return document.execCommand("copy");
    } catch (e) {
      return false;
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) return;
    var input = document.getElementById(button.getAttribute("data-copy-target"));
    if (!input) return;
    copyText(input).then(function (ok) {
      var label = button.textContent;
      button.textContent = ok ? "Copied" : "Press Ctrl+C";
      button.classList.toggle("is-copied", ok);
      if (!ok) { input.focus(); input.select(); }
      announce(ok ? "Copied to the clipboard." : "Copy failed: the text is selected, press Ctrl+C or Cmd+C.");
      window.setTimeout(function () { button.textContent = label; button.classList.remove("is-copied"); }, 2000);
    });
  });

  // Confirmation before a lifecycle action (rotate, revoke, disable). Without JavaScript the
  // action still needs a deliberate POST; deleting has its own confirmation page.
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter || event.target.querySelector("[data-confirm]");
    var message = submitter && submitter.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // Select the whole value when a read-only field is focused, ready for a manual copy.
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("input[readonly]")) event.target.select();
  });
})();
