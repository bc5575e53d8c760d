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

  // The counter: the scan field keeps the focus, so a keyboard-wedge scanner always types into it.
  function scanField() {
    var dialog = document.getElementById("dialog");
    return dialog && dialog.innerHTML.trim() ? null : document.querySelector("[data-scan]");
  }
  document.addEventListener("htmx:afterSettle", function () {
    var scan = scanField();
    if (scan && document.activeElement !== scan) scan.focus();
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt.id === "scan-form") {
      var scan = document.getElementById("scan");
      if (scan) { scan.value = ""; scan.focus(); }
    }
  });
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

  // A scan that found nothing: a short low beep (no sound file to download).
  document.addEventListener("scan-miss", function () {
    try {
      var Audio = window.AudioContext || window.webkitAudioContext;
      var ctx = new Audio(), tone = ctx.createOscillator(), gain = ctx.createGain();
      tone.type = "square"; tone.frequency.value = 220; gain.gain.value = 0.08;
      tone.connect(gain); gain.connect(ctx.destination);
      tone.start(); tone.stop(ctx.currentTime + 0.18);
      tone.onended = function () { ctx.close(); };
    } catch (e) { /* no audio: the message on screen still says it */ }
  });

  // Keys: Escape closes a dialog; F2 or / goes to the scan field; a [data-shortcut] element answers its key.
  document.addEventListener("keydown", function (event) {
    var dialog = document.getElementById("dialog");
    if (event.key === "Escape") {
      if (dialog) dialog.innerHTML = "";
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
