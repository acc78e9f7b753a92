// The simulator's result is swapped in place by htmx; move the focus to it so that screen
// readers announce it. The collectivité field's type-ahead is combobox.js.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function () {
    const result = document.getElementById("result");
    if (result) result.focus();
  });
})();
