/*
 * Time replay (issue 10): the replay bar of the desk and the wall (layouts/replay.py).
 *
 * - The bar's slider is minutes before now (0: live). Moving it, or each tick while playing,
 *   fetches one step, GET /api/v1/replay/delta?from=<shown>&to=<target> (empty: now), scoped
 *   like the page. The step is the same {states, alarms} a live event carries, plus
 *   alarms_gone; twin_map.js's applyDelta applies it to the map the page already has, so the
 *   device layer is never re-sent per frame.
 * - While replaying, live.js holds its map and feed updates (twin_live.hold); Back to live
 *   asks for the step from the shown moment to now, applies it, and lets live go on.
 * - ids.REPLAY_AT (set here: the ISO moment shown, or null when live) drives the KPI and
 *   chart callbacks; while playing it is set at most every FIGURES_MS.
 * - A wall with ?replay=24h in its URL loops the last 24 hours at the chosen speed.
 * - window.twinReplay (status(), seekTo(iso)) is for the browser tests only
 *   (ids.CLIENT_CONFIG.test_hooks).
 */
(function () {
  "use strict";

  var DELTA_URL = "/api/v1/replay/delta";
  var TICK_MS = 1000, FIGURES_MS = 3000, SKEW_MS = 3000;

  var state = {
    config: null, ids: {}, selection: {}, shown: null, playing: false, timer: null,
    speed: 1, busy: false, next: null, figuresAt: 0, loopHours: null, steps: 0, bytes: 0,
    error: null
  };

  function nu() { return window.dash_clientside.no_update; }

  function toDash(id, props) {
    if (id && window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props(id, props);
    }
  }

  function live() { return window.dash_clientside && window.dash_clientside.twin_live; }

  /** The server's now in ms (live.js knows the clock offset), a little behind for safety. */
  function serverNow() {
    var l = live();
    return Date.now() + (l && l.offset ? l.offset() : 0) - SKEW_MS;
  }

  function iso(ms) { return new Date(Math.floor(ms / 1000) * 1000).toISOString(); }

  function scopeQuery() {
    var s = state.selection || {};
    if (s.neighborhood) return "&neighborhood=" + encodeURIComponent(s.neighborhood);
    if (s.subdistrict) return "&subdistrict=" + encodeURIComponent(s.subdistrict);
    return "";
  }

  // --- steps ----------------------------------------------------------------------------------

  /** Go to ``target`` (ISO, or null for live): one delta from the shown moment. Steps never
   * overlap; a target asked for while one runs replaces any earlier waiting one. */
  function go(target) {
    if (state.busy) { state.next = {target: target}; return; }
    if (target === state.shown) return;
    state.busy = true;
    var url = DELTA_URL + "?from=" + encodeURIComponent(state.shown || "") + "&to=" +
      encodeURIComponent(target || "") + scopeQuery();
    if (target && live() && live().hold) live().hold(true);
    fetch(url, {credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (text) {
        state.bytes = text.length;
        apply(JSON.parse(text));
        state.shown = target;
        state.steps += 1;
        state.error = null;
        if (!target && live() && live().hold) live().hold(false);
        show(target);
      })
      .catch(function (error) {
        state.error = String(error);
        console.warn("replay:", error);
        if (state.playing) pause();
      })
      .finally(function () {
        state.busy = false;
        var next = state.next;
        state.next = null;
        if (next) go(next.target);
      });
  }

  function apply(delta) {
    var map = window.dash_clientside && window.dash_clientside.twin_map;
    if (map && map.applyDelta) map.applyDelta(delta);
  }

  /** The banner, the slider and ids.REPLAY_AT for the moment shown. */
  function show(target) {
    var bar = document.getElementById(state.ids.bar), text = state.config.text || {};
    if (bar) {
      bar.classList.toggle("is-replaying", Boolean(target));
      bar.classList.toggle("is-live", !target);
      var badge = bar.querySelector(".replay-badge");
      if (badge) badge.textContent = target ? text.banner : text.live_badge;
      var time = bar.querySelector(".replay-time");  // not a Dash prop: no round trip
      if (time) time.textContent = target ? local(new Date(target)) : "";
    }
    var now = Date.now();
    if (!target || !state.playing || now - state.figuresAt >= FIGURES_MS) {
      state.figuresAt = now;
      toDash(state.ids.at, {data: target});
    }
  }

  /** The moment as the district's clock shows it (Asia/Shanghai, no DST). */
  function local(date) {
    var shifted = new Date(date.getTime() + 8 * 3600 * 1000).toISOString();
    return shifted.slice(0, 10) + " " + shifted.slice(11, 16);
  }

  function minutesAgo(target) {
    return target ? Math.round((serverNow() - Date.parse(target)) / 60000) : 0;
  }

  // --- play -----------------------------------------------------------------------------------

  function play() {
    state.playing = true;
    label();
    if (!state.shown) go(iso(serverNow() - windowMs()));
    state.timer = setInterval(tick, TICK_MS);
  }

  function pause() {
    state.playing = false;
    clearInterval(state.timer);
    state.timer = null;
    label();
    if (state.shown) toDash(state.ids.at, {data: state.shown});
  }

  function windowMs() {
    return (state.loopHours || 24) * 3600 * 1000;
  }

  function tick() {
    if (state.busy || !state.shown) return;
    var step = state.config.step_minutes * state.speed * 60000;
    var next = Date.parse(state.shown) + step, end = serverNow();
    if (next >= end) {
      if (state.loopHours) next = end - windowMs();  // the wall's loop starts over
      else { pause(); next = end; }
    }
    var target = iso(next);
    toDash(state.ids.slider, {value: -minutesAgo(target)});
    go(target);
  }

  function label() {
    var text = state.config.text || {};
    toDash(state.ids.play, {children: state.playing ? text.pause : text.play});
  }

  // --- clientside callbacks -------------------------------------------------------------------

  /** The bar's config and the page's scope; a new scope shows live (its map is redrawn live). */
  function init(config, selection, client) {
    state.config = config || {};
    state.ids = state.config.ids || {};
    var changed = JSON.stringify(selection || {}) !== JSON.stringify(state.selection || {});
    state.selection = selection || {};
    if (changed && state.shown) {
      if (state.playing) pause();
      state.shown = null;
      if (live() && live().hold) live().hold(false);
      show(null);
      toDash(state.ids.slider, {value: 0});
    }
    var loop = new URLSearchParams(window.location.search).get("replay");
    var hours = loop && /^(\d+)h$/.exec(loop);
    if (hours && !state.loopHours) {
      state.loopHours = Math.min(Number(hours[1]), state.config.days * 24);
      setTimeout(play, 2000);  // after the map's first paint
    }
    if (client && client.test_hooks) installHooks();
    return JSON.stringify(state.selection);
  }

  /** The slider moved (by hand or by play): go to that many minutes before now. */
  function seek(value) {
    var minutes = Number(value) || 0;
    var target = minutes < 0 ? iso(serverNow() + minutes * 60000) : null;
    if (!target && state.playing) pause();
    if (!state.playing || !target) go(target);
    return "";
  }

  function toggle(clicks) {
    if (state.playing) pause(); else play();
    return clicks;
  }

  /** The speed chosen; the output (the radio group's class) is given back unchanged. */
  function speed(value, config) {
    state.speed = Number(value) || 1;
    return (config || state.config || {}).speed_class || "";
  }

  function backToLive(clicks) {
    if (state.playing) pause();
    toDash(state.ids.slider, {value: 0});
    go(null);
    return clicks;
  }

  // --- test hooks -----------------------------------------------------------------------------

  function installHooks() {
    if (window.twinReplay) return;
    window.twinReplay = {
      status: function () {
        return {shown: state.shown, playing: state.playing, steps: state.steps,
                bytes: state.bytes, error: state.error, busy: state.busy};
      },
      seekTo: function (target) {  // as the slider does (it is rounded to the minute)
        toDash(state.ids.slider, {value: -minutesAgo(target)});
      }
    };
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.twin_replay = {init: init, seek: seek, toggle: toggle, speed: speed,
                                        live: backToLive};
})();
