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

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var dialog = document.getElementById("dialog");
      if (dialog) dialog.innerHTML = "";
    }
  });
})();
