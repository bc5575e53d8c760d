// The one small script: the on-screen PIN keypad, closing dialogs, and flash fade-out.
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
  document.addEventListener("htmx:afterRequest", function (event) {
    var dialog = document.getElementById("dialog");
    var xhr = event.detail.xhr;
    if (dialog && dialog.contains(event.detail.elt) && xhr && !xhr.getResponseHeader("X-Approval-Required")) {
      dialog.innerHTML = "";
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var dialog = document.getElementById("dialog");
      if (dialog) dialog.innerHTML = "";
    }
  });
})();
