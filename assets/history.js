/*
 * The browser's back and forward buttons over drill-downs.
 *
 * The selection callback (callbacks/selection.py) writes each drill-down into the address bar
 * through ``twinHistory.show``. Dash's router does not see those entries, so going back to one
 * changes only the query and nothing would follow: the page is then loaded again from that
 * address, and the server narrows it to the viewer's scope like any first load.
 */
(function () {
  "use strict";
  var shown = window.location.pathname + window.location.search;
  // Until someone touches the page, a new address is the server's narrowing of the one asked
  // for (a place outside the viewer's scope): it takes that entry's place, so that the back
  // button does not lead to it again.
  var touched = false;
  ["pointerdown", "keydown", "touchstart"].forEach(function (type) {
    window.addEventListener(type, function () { touched = true; }, {capture: true, once: true});
  });

  window.twinHistory = {
    /* Put ``url`` in the address bar: a new entry, or in place of this one (a rotating wall). */
    show: function (url, replace) {
      if (url === shown) return;
      if (replace || !touched) {
        window.history.replaceState(window.history.state, "", url);
      } else {
        window.history.pushState(window.history.state, "", url);
      }
      shown = url;
    }
  };

  window.addEventListener("popstate", function () {
    var now = window.location.pathname + window.location.search;
    var samePage = window.location.pathname === shown.split("?")[0];
    if (samePage && now !== shown) {
      shown = now;
      window.location.reload();
    }
  });
})();
