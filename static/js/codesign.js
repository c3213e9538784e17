/* codesign: small enhancements. Everything works without this file. */
(function () {
  "use strict";

  // "Leave this page": the link goes through the round's /leave, which ends the visit
  // on this device; replacing this page in history means Back does not return here.
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
  // A page brought back from the back/forward cache would show what was on it when it
  // was left: ask the server again, which shows nothing once the visit has ended.
  window.addEventListener("pagehide", function (event) {
    if (event.persisted) document.body.hidden = true;
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) window.location.reload();
  });

  // Shift pressed three times within five seconds also leaves (as GOV.UK's pattern).
  // Only Shift on its own counts: typing a capital letter (Shift+A) fires a keyup for
  // "A" with shiftKey set and then one for Shift, and that Shift is not a signal.
  var presses = 0, reset = null, lastKeyWasModified = false;
  function progress(text) {
    var out = document.querySelector("[data-exit-progress]");
    if (out) out.textContent = text;
  }
  document.addEventListener("keyup", function (event) {
    var alone = event.key === "Shift" && !lastKeyWasModified;
    lastKeyWasModified = event.shiftKey;
    if (!alone) {
      if (presses) progress("");
      presses = 0;
      return;
    }
    presses += 1;
    clearTimeout(reset);
    reset = setTimeout(function () { presses = 0; progress(""); }, 5000);
    if (presses >= 3) { leave(); return; }
    var out = document.querySelector("[data-exit-progress]");
    if (out) progress(out.getAttribute(presses === 1 ? "data-two" : "data-one"));
  });

  function numberText(n) {
    try { return new Intl.NumberFormat(document.documentElement.lang).format(n); }
    catch (e) { return String(n); }
  }

  // Character count for written answers: a count to see; read out only near the limit.
  function updateCount(area, speak) {
    var out = document.getElementById(area.id + "-count");
    if (!out) return;
    var live = document.getElementById(area.id + "-count-live");
    var limit = parseInt(area.getAttribute("data-limit"), 10);
    var length = area.value.length;
    var text;
    if (length > limit) {
      text = area.getAttribute("data-over-text");
      out.classList.add("count--over");
    } else {
      // The limit as the server wrote it in the hint, so both read the same ("5.000").
      var limitText = area.getAttribute("data-limit-text") || numberText(limit);
      text = area.getAttribute("data-count-text")
        .replace("{count}", numberText(length)).replace("{limit}", limitText);
      out.classList.remove("count--over");
    }
    out.textContent = text;
    if (live && speak) live.textContent = length >= limit * 0.9 ? text : "";
  }
  var timers = {};
  document.addEventListener("input", function (event) {
    var area = event.target;
    if (!area.matches || !area.matches("textarea[data-limit]")) return;
    // Update after a short pause so screen readers are not flooded.
    clearTimeout(timers[area.id]);
    timers[area.id] = setTimeout(function () { updateCount(area, true); }, 700);
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

  // Each save has its own idempotency key; a retry of the same answers reuses it, so
  // the server can tell a retried request (same key) from a new one.
  function newKey() {
    var bytes = new Uint8Array(18);
    window.crypto.getRandomValues(bytes);
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += ("0" + bytes[i].toString(16)).slice(-2);
    return text;
  }

  // Autosave, and saving before every move. The words live only in this page's memory
  // until the server has them: never in localStorage or the like, which outlives the
  // tab and would show them to the next person on a shared phone.
  function autosave(form) {
    var status = document.getElementById("save-status");
    var saving = form.querySelector("[data-saving]");
    // Not form.action: the buttons named "action" shadow it.
    var url = form.getAttribute("action");
    var headers = {};
    try { headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}"); }
    catch (e) { headers = {}; }
    headers["HX-Request"] = "true";

    // The answers as the form holds them (names and values), for comparing only.
    function answers(asServed) {
      var parts = [];
      for (var i = 0; i < form.elements.length; i++) {
        var el = form.elements[i];
        if (!el.name || el.name === "save_key" || el.name === "_csrf_token" ||
            el.name === "support_shown" || el.type === "submit" || el.type === "button") continue;
        if (el.type === "radio" || el.type === "checkbox") {
          if (asServed ? el.defaultChecked : el.checked) parts.push([el.name, el.value]);
        } else {
          parts.push([el.name, asServed ? el.defaultValue : el.value]);
        }
      }
      return JSON.stringify(parts);
    }
    // What the server last confirmed: at first, what it put in the page.
    var confirmed = answers(true);
    var key = null, keyFor = null, shown = "", failing = false, backoff = 0;
    var queue = Promise.resolve(), pending = 0, timer = null, retry = null;
    var moving = false, going = false;

    function unsaved() { return answers(false) !== confirmed; }

    // A save may bring the support panel (one of their answers may show risk): it goes
    // to its own live region, once, and never into the status line.
    function takePanel(html) {
      var box = document.createElement("template");
      box.innerHTML = html;
      var brought = box.content.querySelector("#support-panel[hx-swap-oob]");
      if (!brought) return html;
      var region = document.getElementById("support-panel");
      if (region && !region.children.length) {
        region.innerHTML = brought.innerHTML;
        if (window.htmx) window.htmx.process(region);
      }
      brought.remove();
      return box.innerHTML;
    }

    function show(state, html) {
      saving.hidden = true;
      shown = state;
      status.innerHTML = html;
      if (window.htmx) window.htmx.process(status);
    }
    function failed(again) {
      // Said once, not at every retry; a person pressing a button again hears it again.
      saving.hidden = true;
      if (shown !== "failed" || again) {
        shown = "failed";
        status.textContent = "";
        setTimeout(function () {
          if (shown === "failed") status.textContent = status.getAttribute("data-failed-text");
        }, 100);
      }
      failing = true;
      backoff = Math.min(backoff ? backoff * 2 : 2000, 60000);
      clearTimeout(retry);
      retry = setTimeout(function () { save(null, false); }, backoff);
    }

    // One request at a time, in order; `move` is the button pressed (Save and continue,
    // a language…), or null for a save that stays on the page.
    function attempt(move, byPerson) {
      var sent = answers(false);
      if (!move && sent === confirmed) {
        // Back to what the server has (words typed, then removed): nothing to retry.
        if (failing) { failing = false; clearTimeout(retry); status.textContent = ""; shown = ""; }
        return Promise.resolve({ok: true});
      }
      if (keyFor !== sent) { key = newKey(); keyFor = sent; }
      var data = new FormData(form);
      data.set("save_key", key);
      if (move) data.append(move.name, move.value);
      if (!failing) { status.textContent = ""; shown = ""; saving.hidden = false; }
      var stop = new AbortController();
      var slow = setTimeout(function () { stop.abort(); }, 20000);
      return fetch(url, {
        method: "POST", body: new URLSearchParams(data), headers: headers,
        credentials: "same-origin", signal: stop.signal
      }).then(function (response) {
        return response.text().then(function (html) {
          clearTimeout(slow);
          var problem = parseInt(response.headers.get("x-error-status") || "0", 10) ||
            (response.ok ? 0 : response.status);
          var result = response.headers.get("x-save-result");
          var next = response.headers.get("hx-redirect");
          // Only our own answers count: a proxy's or a Wi-Fi login page's is a failure.
          var ours = result || next || response.headers.has("x-error-status");
          if (!ours || problem >= 500 || problem === 429 || problem === 408) {
            throw new Error("retry");
          }
          failing = false;
          backoff = 0;
          clearTimeout(retry);
          html = takePanel(html);
          if (next) { confirmed = sent; return {ok: true, next: next}; }
          if (result === "saved") {
            confirmed = sent;
            if (answers(false) === sent) show("saved", html);
            else { saving.hidden = true; status.textContent = ""; shown = ""; }
            return {ok: true};
          }
          // Stored except what must change (too long), or refused: say so, keep the words.
          show("problem", html);
          return {ok: false};
        });
      }).catch(function () {
        clearTimeout(slow);
        failed(byPerson);
        return {ok: false};
      });
    }
    function save(move, byPerson) {
      clearTimeout(timer);
      pending += 1;
      var run = queue.then(function () { return attempt(move, byPerson); });
      queue = run.then(function () { pending -= 1; });
      return run;
    }
    function go(url) {
      going = true;
      window.location.assign(url);
    }
    function later(ms) {
      clearTimeout(timer);
      if (shown === "saved" && unsaved()) { status.textContent = ""; shown = ""; }
      timer = setTimeout(function () { save(null, false); }, ms);
    }

    form.addEventListener("input", function () { later(1500); });
    // Choices: one save after the arrow keys come to rest, not one per key.
    form.addEventListener("change", function (event) {
      if (event.target.type === "radio" || event.target.type === "checkbox") later(1000);
    });
    window.addEventListener("online", function () { if (failing) save(null, false); });

    // Buttons of the form (Save and continue, Skip, Back, a language): save, then go.
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (moving || going) return;
      var button = event.submitter;
      var move = button && button.name ? {name: button.name, value: button.value}
        : {name: "action", value: "next"};
      moving = true;
      save(move, true).then(function (result) {
        moving = false;
        if (result.next) go(result.next);
      });
    });
    // Links away from the page wait until the answers are saved.
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[href]");
      if (!link || link.hasAttribute("data-exit") || event.defaultPrevented || link.target ||
          event.button || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      var url = new URL(link.href, window.location.href);
      if (!/^https?:$/.test(url.protocol)) return;
      if (url.pathname === window.location.pathname && url.search === window.location.search &&
          url.hash) return;
      if (!unsaved() && !pending) return;
      event.preventDefault();
      save(null, true).then(function (result) {
        if (result.ok && !unsaved()) go(link.href);
      });
    });
    // Leaving with unsaved words (a reload, closing the tab, Back): send them on the way
    // out, before the next page is asked for; the browser's "leave page?" question
    // appears only then.
    var lastWords = null;
    var MARK = "codesign-sent-on-leaving";
    function sendOnTheWayOut() {
      var sent = answers(false);
      if (leaving || going || sent === confirmed || sent === lastWords) return false;
      lastWords = sent;
      // Only a time, never the words: the next page of this tab looks again (below).
      try { sessionStorage.setItem(MARK, String(Date.now())); } catch (e) { /* private mode */ }
      if (keyFor !== sent) { key = newKey(); keyFor = sent; }
      var data = new FormData(form);
      data.set("save_key", key);
      fetch(url, {method: "POST", body: new URLSearchParams(data), headers: headers,
        credentials: "same-origin", keepalive: true}).then(function (response) {
        // Still here (the person chose to stay): the words may now be saved.
        if (response.headers.get("x-save-result") === "saved") confirmed = sent;
      }).catch(function () {});
      return true;
    }
    window.addEventListener("beforeunload", function (event) {
      if (leaving || going || !unsaved()) return;
      sendOnTheWayOut();
      event.preventDefault();
      event.returnValue = "";
    });
    // Phones often close a tab without "beforeunload".
    window.addEventListener("pagehide", sendOnTheWayOut);
    // The page before this one sent its last words on the way out, and this page may
    // have been read before they landed: read it again and take the server's answers,
    // unless the person has already changed something here.
    var sentAt = 0;
    try { sentAt = Number(sessionStorage.getItem(MARK)) || 0; sessionStorage.removeItem(MARK); }
    catch (e) { sentAt = 0; }
    function lookAgain(waits) {
      if (!waits.length || unsaved() || pending) return;
      setTimeout(function () {
        fetch(window.location.href, {credentials: "same-origin"}).then(function (response) {
          return response.text();
        }).then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html")
            .getElementById(form.id);
          if (!fresh || unsaved() || pending) return;
          var changed = false;
          for (var i = 0; i < form.elements.length; i++) {
            var el = form.elements[i], twin = fresh.elements[i];
            if (!twin || twin.name !== el.name || el.name === "save_key") continue;
            if (el.type === "radio" || el.type === "checkbox") {
              if (el.defaultChecked !== twin.defaultChecked) changed = true;
              el.defaultChecked = el.checked = twin.defaultChecked;
            } else if (el.tagName === "TEXTAREA" && el.defaultValue !== twin.defaultValue) {
              changed = true;
              el.defaultValue = el.value = twin.defaultValue;
              updateCount(el, false);
            }
          }
          if (!changed) { lookAgain(waits.slice(1)); return; }
          confirmed = answers(true);
          var status2 = fresh.querySelector("#save-status");
          if (status2) show("saved", status2.innerHTML);
        }).catch(function () { lookAgain(waits.slice(1)); });
      }, waits[0]);
    }
    if (sentAt && Date.now() - sentAt < 30000) lookAgain([300, 1000, 3000]);
    // Answers the browser filled back in (a reload) differ from the page: save them.
    else if (unsaved()) later(0);
  }

  // Staff forms holding much typed text (translations): the browser asks before the page
  // is left with text not saved yet, and text typed while a part was being saved stays.
  function changedFields(root) {
    var out = [];
    var fields = root.querySelectorAll("input[name], textarea[name]");
    for (var i = 0; i < fields.length; i++) {
      var el = fields[i];
      if (el.type === "hidden" || el.type === "submit") continue;
      if (el.value !== el.defaultValue) out.push(el);
    }
    return out;
  }
  var submittingAll = false;
  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches("[data-warn-unsaved]") &&
        !event.defaultPrevented) submittingAll = true;
  });
  window.addEventListener("beforeunload", function (event) {
    if (submittingAll || leaving) return;
    var forms = document.querySelectorAll("form[data-warn-unsaved]");
    for (var i = 0; i < forms.length; i++) {
      if (changedFields(forms[i]).length) {
        event.preventDefault();
        event.returnValue = "";
        return;
      }
    }
  });
  var sentValues = {}, typedMeanwhile = {};
  function inWarnedForm(target) {
    return target && target.id && target.closest && target.closest("form[data-warn-unsaved]");
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (!inWarnedForm(target)) return;
    var values = {}, fields = target.querySelectorAll("input[name], textarea[name]");
    for (var i = 0; i < fields.length; i++) values[fields[i].name] = fields[i].value;
    sentValues[target.id] = values;
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!inWarnedForm(target) || !sentValues[target.id]) return;
    var sent = sentValues[target.id], kept = {};
    var fields = target.querySelectorAll("input[name], textarea[name]");
    for (var i = 0; i < fields.length; i++) {
      var el = fields[i];
      if (el.name in sent && sent[el.name] !== el.value) kept[el.name] = el.value;
    }
    typedMeanwhile[target.id] = kept;
    delete sentValues[target.id];
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var id = event.detail.target && event.detail.target.id;
    var kept = id && typedMeanwhile[id];
    if (!kept) return;
    delete typedMeanwhile[id];
    var part = document.getElementById(id);
    if (!part) return;
    for (var name in kept) {
      var el = part.querySelector('[name="' + name.replace(/"/g, "") + '"]');
      if (el) el.value = kept[name];
    }
  });

  function enhance(root) {
    var hidden = root.querySelectorAll("[data-js-only]");
    for (var i = 0; i < hidden.length; i++) hidden[i].hidden = false;
    var areas = root.querySelectorAll("textarea[data-limit]");
    for (var j = 0; j < areas.length; j++) updateCount(areas[j], false);
  }
  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
    var form = document.querySelector("form[data-autosave]");
    if (form && window.fetch && window.AbortController) autosave(form);
  });
  document.addEventListener("htmx:afterSwap", function (event) { enhance(event.target); });
})();
