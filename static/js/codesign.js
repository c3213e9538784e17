/* codesign: small enhancements. Everything works without this file. */
(function () {
  "use strict";

  // "Leave this page": go to a neutral site and replace this page in history,
  // so Back does not return here.
  var leaving = false;
  function leave() {
    var exit = document.querySelector("[data-exit]");
    if (!exit || leaving) return;
    leaving = true;
    document.body.hidden = true;
    window.location.replace(exit.href);
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-exit]");
    if (link) {
      event.preventDefault();
      leave();
    }
  });
  // Shift pressed three times within five seconds also leaves (as GOV.UK's pattern).
  // Only Shift on its own counts: typing a capital letter (Shift+A) fires a keyup for
  // "A" with shiftKey set and then one for Shift, and that Shift is not a signal.
  var presses = 0, reset = null, lastKeyWasModified = false;
  document.addEventListener("keyup", function (event) {
    var alone = event.key === "Shift" && !lastKeyWasModified;
    lastKeyWasModified = event.shiftKey;
    if (!alone) { presses = 0; return; }
    presses += 1;
    clearTimeout(reset);
    reset = setTimeout(function () { presses = 0; }, 5000);
    if (presses >= 3) leave();
  });

  function numberText(n) {
    try { return new Intl.NumberFormat(document.documentElement.lang).format(n); }
    catch (e) { return String(n); }
  }

  // Character count for written answers: a count to see, one calm message past the limit.
  function updateCount(area) {
    var out = document.getElementById(area.id + "-count");
    if (!out) return;
    var limit = parseInt(area.getAttribute("data-limit"), 10);
    var length = area.value.length;
    if (length > limit) {
      out.textContent = area.getAttribute("data-over-text");
      out.classList.add("count--over");
    } else {
      // The limit as the server wrote it in the hint, so both read the same ("5.000").
      var limitText = area.getAttribute("data-limit-text") || numberText(limit);
      out.textContent = area.getAttribute("data-count-text")
        .replace("{count}", numberText(length)).replace("{limit}", limitText);
      out.classList.remove("count--over");
    }
  }
  var timers = {};
  document.addEventListener("input", function (event) {
    var area = event.target;
    if (!area.matches || !area.matches("textarea[data-limit]")) return;
    // Update after a short pause so screen readers are not flooded.
    clearTimeout(timers[area.id]);
    timers[area.id] = setTimeout(function () { updateCount(area); }, 400);
  });

  function copy(button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    var status = document.querySelector("[data-copy-status]");
    if (!target || !navigator.clipboard) return;
    navigator.clipboard.writeText(target.textContent.trim()).then(function () {
      if (status) status.textContent = button.getAttribute("data-copied-text");
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy],[data-print]");
    if (!button) return;
    if (button.hasAttribute("data-print")) window.print();
    else copy(button);
  });

  // Each autosave is its own save: give it a fresh idempotency key, so the
  // server can tell a retried request (same key) from a new one.
  function newKey() {
    var bytes = new Uint8Array(18);
    window.crypto.getRandomValues(bytes);
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += ("0" + bytes[i].toString(16)).slice(-2);
    return text;
  }
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.parameters && event.detail.parameters.has
        ? event.detail.parameters.has("save_key") : "save_key" in event.detail.parameters) {
      if (event.detail.parameters.set) event.detail.parameters.set("save_key", newKey());
      else event.detail.parameters.save_key = newKey();
    }
  });

  function enhance(root) {
    var hidden = root.querySelectorAll("[data-js-only]");
    for (var i = 0; i < hidden.length; i++) hidden[i].hidden = false;
    var areas = root.querySelectorAll("textarea[data-limit]");
    for (var j = 0; j < areas.length; j++) updateCount(areas[j]);
  }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSwap", function (event) { enhance(event.target); });
})();
