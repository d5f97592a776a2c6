/*
 * The search box (layouts/components.py search_box): Esc clears the query — and with it the
 * results list, which the server's type-ahead callback empties for an empty box.
 */
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (event.key !== "Escape" || !input || !input.closest || !input.closest(".search") ||
        input.tagName !== "INPUT" || !input.id) return;
    event.preventDefault();
    input.value = "";
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props(input.id, {value: ""});
    }
  });
})();
