// The one small script: the PIN keypad, dialogs, and the counter's scan focus, shortcuts, quick cash and miss beep.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var key = event.target.closest("[data-key]");
    if (key) {
      var pad = key.closest("[data-keypad-for]");
      var input = document.getElementById(pad.getAttribute("data-keypad-for"));
      var value = key.getAttribute("data-key");
      if (value === "clear") {
        input.value = "";
      } else if (input.value.length < 6) {
        input.value += value;
      }
      input.focus();
      return;
    }
    var close = event.target.closest("[data-close-dialog]");
    if (close && close.closest("#dialog")) {
      event.preventDefault();
      document.getElementById("dialog").innerHTML = "";
    }
  });

  // A submit button marked hx-disable (the CSV export) submits natively: htmx would otherwise send it
  // with the form's own hx-get, using the button's formaction, and swap the file into the page.
  document.addEventListener(
    "submit",
    function (event) {
      if (event.submitter && event.submitter.closest("[hx-disable]")) event.stopPropagation();
    },
    true
  );

  // Fields inside [data-quiet-change] (a return panel's scan box and customer fields) send the panel on Enter or a
  // tap of their own button, not on every change: stop their change before it reaches the form's hx-trigger.
  document.addEventListener(
    "change",
    function (event) {
      if (event.target.closest && event.target.closest("[data-quiet-change]")) event.stopPropagation();
    },
    true
  );

  // An approved action answers into its own target; close the approval dialog it was sent from.
  // A refused PIN answers with another prompt (X-Approval-Required), which stays in the dialog.
  // A dialog's own updates (a form re-shown with its errors, the change due) answer inside it and keep it open.
  document.addEventListener("htmx:afterRequest", function (event) {
    var dialog = document.getElementById("dialog");
    var xhr = event.detail.xhr;
    if (!dialog || !xhr || !dialog.contains(event.detail.elt)) return;
    var target = event.detail.target;  // swapped out by now if it was replaced: find its successor by id
    var inside = target && (dialog.contains(target) || (target.id && dialog.querySelector("#" + CSS.escape(target.id))));
    // An answer that lands outside (the cart, even a refusal shown there) closes the dialog it came from.
    if (!inside && xhr.status > 0 && xhr.status < 500 && !xhr.getResponseHeader("X-Approval-Required")) dialog.innerHTML = "";
  });

  // The top bar's height (one row or two) for the layouts that fill the screen under it (the counter's cart).
  var topbar = document.querySelector(".topbar");
  if (topbar && window.ResizeObserver) {
    new ResizeObserver(function () {
      document.documentElement.style.setProperty("--topbar", topbar.offsetHeight + "px");
    }).observe(topbar);
  }

  // The counter: the scan field keeps the focus, so a keyboard-wedge scanner always types into it.
  function scanField() {
    var dialog = document.getElementById("dialog");
    return dialog && dialog.innerHTML.trim() ? null : document.querySelector("[data-scan]");
  }
  // A field marked [data-keep-focus] (a return panel's customer search) keeps it while its panel answers.
  document.addEventListener("htmx:afterSettle", function () {
    var scan = scanField();
    var active = document.activeElement;
    if (active && active.closest && active.closest("[data-keep-focus]")) return;
    if (scan && active !== scan) scan.focus();
  });
  // Enter in the scan field always adds, however fast the scanner and however slow the tablet. The code is taken
  // and the field emptied at once, so the next code can be typed while this one is on its way (htmx would read the
  // field only when a queued add goes out); the adds go out one after another, in order (hx-sync="this:queue all"
  // on the form), and the field's own search gives way to them (hx-sync="closest form:abort" on the field: one in
  // flight is aborted, one whose delay ends while an add is on its way is dropped, and a later one finds the field
  // empty). Nothing on the form is disabled while a request runs: Enter does nothing on a form whose button is.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!form.hasAttribute("data-scan-form") || !window.htmx) return;
      event.preventDefault();
      event.stopPropagation();
      var field = form.querySelector("[data-scan]");
      var code = field.value.trim();
      field.value = "";
      field.focus();
      if (code) htmx.ajax("POST", form.getAttribute("hx-post"), { source: form, values: { code: code } });
    },
    true
  );
  document.addEventListener("click", function (event) {
    var fill = event.target.closest("[data-fill]");
    if (!fill) return;
    var input = document.getElementById(fill.getAttribute("data-fill"));
    if (fill.hasAttribute("data-rest")) {
      var due = document.getElementById("due");
      var left = parseFloat((due && due.getAttribute("data-left")) || "0");
      input.value = ((parseFloat(input.value) || 0) + left).toFixed(2);
    } else {
      input.value = fill.getAttribute("data-value");
    }
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });

  // A scan that found nothing: a short low beep; an item added: a shorter high one, and its line flashes in view
  // (no sound file to download).
  function beep(type, frequency, seconds) {
    try {
      var Audio = window.AudioContext || window.webkitAudioContext;
      var ctx = new Audio(), tone = ctx.createOscillator(), gain = ctx.createGain();
      tone.type = type; tone.frequency.value = frequency; gain.gain.value = 0.08;
      tone.connect(gain); gain.connect(ctx.destination);
      tone.start(); tone.stop(ctx.currentTime + seconds);
      tone.onended = function () { ctx.close(); };
    } catch (e) { /* no audio: the screen still says it */ }
  }
  document.addEventListener("scan-miss", function () { beep("square", 220, 0.18); });
  document.addEventListener("item-added", function () { beep("sine", 1320, 0.06); });
  document.addEventListener("htmx:afterSettle", function () {
    var added = document.querySelector("#cart .is-added");
    if (added) added.scrollIntoView({ block: "nearest" });
  });

  // Keys: Escape closes a dialog; F2 or / goes to the scan field; a [data-shortcut] element answers its key.
  document.addEventListener("keydown", function (event) {
    var dialog = document.getElementById("dialog");
    if (event.key === "Escape") {
      var wasOpen = dialog && dialog.innerHTML.trim();
      if (dialog) dialog.innerHTML = "";
      // Nothing to close: a screen with a way out on Escape (Return mode's "Back to selling") takes it, unless
      // the field has text to clear first.
      var leave = !wasOpen && document.querySelector("[data-escape]");
      var typed = document.activeElement && document.activeElement.matches("[data-scan]") && document.activeElement.value;
      if (leave && !typed) { event.preventDefault(); leave.click(); return; }
      var back = scanField();
      if (back) back.focus();
      return;
    }
    if (event.key === "F2" || (event.key === "/" && !/INPUT|TEXTAREA|SELECT/.test(event.target.tagName))) {
      var scan = scanField();
      if (scan) { event.preventDefault(); scan.focus(); scan.select(); }
      return;
    }
    if (/^F\d+$/.test(event.key)) {
      var selector = '[data-shortcut="' + event.key + '"]';
      var target = (dialog && dialog.querySelector(selector)) || document.querySelector(selector);
      if (target) { event.preventDefault(); target.click(); }
    }
  });

  // The receipt page's Print button (a script, because the page's CSP allows no inline handler).
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });
})();
