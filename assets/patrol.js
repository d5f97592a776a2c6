/*
 * A road chief's patrol from the tablet (issue 9): 开始巡查 / 结束巡查.
 *
 * - Started, the track follows the browser's geolocation (watchPosition) when the person
 *   allows it; taps on the map (twin_map.js dispatches "twin-map-click" with the point) add
 *   points too, so a track can be drawn by hand where there is no GPS fix.
 * - Ended, the track is posted to /api/v1/patrols (zone from the button's data-zone, the
 *   session's CSRF token in X-CSRFToken); the server finds the roads it passed and coverage
 *   follows. What the server says (recorded, or why not) is shown on the button's line.
 * No network beyond our own server; no state outside this closure.
 */
(function () {
  "use strict";

  var MIN_STEP_M = 5;  // GPS jitter: a point closer than this to the last one is dropped
  var state = {button: null, points: [], startedAt: null, watch: null};

  function csrfToken() {
    var found = document.cookie.match(/(?:^|;\s*)_csrf_token=([^;]*)/);
    return found ? decodeURIComponent(found[1]) : "";
  }

  function metres(a, b) {
    var k = Math.PI / 180, x = (b[0] - a[0]) * k * Math.cos((a[1] + b[1]) / 2 * k);
    return 6371000 * Math.sqrt(x * x + Math.pow((b[1] - a[1]) * k, 2));
  }

  function add(lon, lat) {
    if (!state.startedAt || typeof lon !== "number" || typeof lat !== "number") return;
    var point = [lon, lat], last = state.points[state.points.length - 1];
    if (last && metres(last, point) < MIN_STEP_M) return;
    state.points.push(point);
    show("recording", {n: state.points.length});
  }

  function text(key, values) {
    var button = state.button, raw = button ? button.getAttribute("data-text-" + key) : "";
    return (raw || "").replace(/\{(\w+)\}/g, function (_m, name) {
      return values && values[name] !== undefined ? values[name] : "";
    });
  }

  function show(key, values) {
    var box = state.button && state.button.closest(".patrol");
    var line = box && box.querySelector(".patrol-status");
    if (line) line.textContent = text(key, values);
  }

  function start(button) {
    state.button = button;
    state.points = [];
    state.startedAt = new Date();
    button.textContent = text("end");
    button.classList.add("is-recording");
    show("recording", {n: 0});
    if (navigator.geolocation) {
      state.watch = navigator.geolocation.watchPosition(function (pos) {
        add(pos.coords.longitude, pos.coords.latitude);
      }, function () { show("no_gps"); }, {enableHighAccuracy: true, maximumAge: 5000});
    }
  }

  function end(button) {
    if (state.watch !== null && navigator.geolocation) navigator.geolocation.clearWatch(state.watch);
    state.watch = null;
    var body = {zone_id: button.getAttribute("data-zone"),
                started_at: state.startedAt.toISOString(), ended_at: new Date().toISOString(),
                track: {type: "LineString", coordinates: state.points}};
    state.startedAt = null;
    button.classList.remove("is-recording");
    button.textContent = text("start");
    if (state.points.length < 2) { show("too_short"); return; }
    button.disabled = true;
    fetch("/api/v1/patrols", {method: "POST", credentials: "same-origin",
                              headers: {"Content-Type": "application/json",
                                        "X-CSRFToken": csrfToken()},
                              body: JSON.stringify(body)})
      .then(function (response) {
        return response.json().then(function (answer) {
          // detail: a sentence, or (a body the schema refuses) FastAPI's list of field errors
          var why = Array.isArray(answer.detail)
            ? answer.detail.map(function (e) { return e.msg; }).join("; ") : answer.detail;
          if (!response.ok) throw new Error(why || String(response.status));
          show("recorded", {roads: (answer.road_ids || []).length,
                            km: ((answer.length_m || 0) / 1000).toFixed(2)});
        });
      })
      .catch(function (error) { show("refused", {why: error.message}); })
      .finally(function () { button.disabled = false; });
  }

  document.addEventListener("click", function (e) {
    var button = e.target && e.target.closest ? e.target.closest(".patrol-btn") : null;
    if (!button) return;
    e.preventDefault();
    if (state.startedAt) end(button); else start(button);
  });

  document.addEventListener("twin-map-click", function (e) {
    if (e.detail) add(e.detail.lon, e.detail.lat);
  });
})();
