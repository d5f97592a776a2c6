/*
 * Live screens (issue 4): one EventSource per page on /api/v1/live, scoped like the page.
 *
 * - Device states go straight to the existing deck.gl layer (twin_map.js's
 *   dash_clientside.twin_map.applyDelta): the map is never re-sent and no dash.Patch touches a
 *   big list (docs/browser.md).
 * - Events that raise or change alarms, or move incidents (`incidents`: their id, status, level,
 *   action, actor, at), and `reset` go to Dash as ids.LIVE_EVENT, which the feed,
 *   KPI and inbox callbacks take as an input; `reset: true` (the server restarted, or too much was
 *   missed) re-sets ids.SELECTION to a copy of itself, so every view of the scope reloads.
 * - Per-source freshness is kept here from each event's `sources`, judged against the limits of
 *   domain/freshness.py (passed in ids.LIVE_CONFIG, never copied here), and reported in
 *   ids.LIVE_STATUS; the stale banner follows it. The stream being down for longer than a
 *   reconnect takes also counts as stale.
 * - The browser reconnects by itself (the server's `retry:`, Last-Event-ID); a stream the browser
 *   gave up on (an HTTP error while the server restarts) is reopened here, with a backoff.
 * - The tablet's 确认 / Acknowledge buttons (.ack-btn) post /api/v1/alarms/{id}/ack straight from
 *   here (no Dash round trip, and it works while the callbacks are busy); the server acts as the
 *   signed-in person of the session cookie, and the session's CSRF token goes in X-CSRFToken.
 * - While the replay bar shows the past (replay.js calls hold(true)), events keep freshness up
 *   to date but touch neither the map nor Dash; replay.js catches the map up on Back to live.
 * - Only when the page's ids.CLIENT_CONFIG asks for test hooks (the server's --test-hooks):
 *   window.twinLive (status(), pause(), resume()) and its .marks (alarm → pixels times, kept only
 *   then) for the browser tests and bench/bench_pixels.py.
 */
(function () {
  "use strict";

  var LIVE_URL = "/api/v1/live";
  // KPIs and charts follow alarm events once the alarms pause for FIGURES_QUIET_MS (at most
  // FIGURES_MAX_MS late): redrawing every chart per alarm kept the main thread busy and delayed
  // the paint of the next alarm (bench/bench_pixels.py). The feed and the map follow at once.
  var FIGURES_QUIET_MS = 2000, FIGURES_MAX_MS = 10000;
  var STALE_GRACE_MS = 4000;  // longer than a reconnect (server retry 2 s): no banner on a blip
  var CHECK_MS = 1000;  // how often freshness is judged (ages move in seconds)
  var REOPEN_MS = [1000, 2000, 4000, 8000];  // backoff when the browser gave the stream up
  var MAX_MARKS = 500;

  var state = {
    source: null, url: null, config: {}, ids: {}, selection: {}, open: false, downSince: null,
    sources: {}, offsetMs: 0, offsetFresh: true, events: 0, lastSeq: null, status: null,
    statusKey: "",
    timer: null, reopenTimer: null, reopenTry: 0, pending: new Map(), marks: [], observer: null,
    connects: 0, hooks: false
  };

  // --- the stream -----------------------------------------------------------------------------

  function urlFor(selection) {
    var q = [];
    if (selection && selection.neighborhood) {
      q.push("neighborhood=" + encodeURIComponent(selection.neighborhood));
    } else if (selection && selection.subdistrict) {
      q.push("subdistrict=" + encodeURIComponent(selection.subdistrict));
    } else if (selection && selection.district) {  // one district of a city
      q.push("district=" + encodeURIComponent(selection.district));
    }
    return LIVE_URL + (q.length ? "?" + q.join("&") : "");
  }

  function close() {
    if (state.source) { state.source.close(); state.source = null; }
    if (state.reopenTimer) { clearTimeout(state.reopenTimer); state.reopenTimer = null; }
  }

  function open(url) {
    close();
    var source = new EventSource(url);
    state.source = source;
    state.url = url;
    state.connects += 1;
    source.onopen = function () {
      state.offsetFresh = true;
      state.open = true; state.downSince = null; state.reopenTry = 0; judge();
    };
    source.onmessage = function (message) {
      if (source !== state.source) return;
      try { onEvent(JSON.parse(message.data)); } catch (error) { console.warn("live:", error); }
    };
    source.onerror = function () {
      if (source !== state.source) return;
      state.open = false;
      if (!state.downSince) state.downSince = Date.now();
      if (source.readyState === EventSource.CLOSED) reopenLater(url);  // no retry of its own
      judge();
    };
  }

  function reopenLater(url) {
    if (state.reopenTimer) return;
    var wait = REOPEN_MS[Math.min(state.reopenTry, REOPEN_MS.length - 1)];
    state.reopenTry += 1;
    state.reopenTimer = setTimeout(function () {
      state.reopenTimer = null;
      if (state.url === url) open(url);
    }, wait);
  }

  /** Open the page's stream, or reopen it when the scope changed (clientside callback).
   * ``client`` is ids.CLIENT_CONFIG: the element ids this script talks to (layouts/client.py). */
  function connect(selection, config, client) {
    state.config = config || {};
    if (client && client.ids) state.ids = client.ids;
    if (client && client.test_hooks) installHooks();
    state.selection = selection || {};
    var url = urlFor(state.selection);
    var alive = state.source && state.source.readyState !== EventSource.CLOSED;
    if (!(alive && url === state.url)) {
      state.sources = {};  // a new scope starts from its own snapshot
      open(url);
    }
    if (!state.timer) state.timer = setInterval(judge, CHECK_MS);
    if (state.hooks) watchFeed();
    return url;
  }

  // --- events ---------------------------------------------------------------------------------

  function onEvent(ev) {
    var received = performance.now();
    state.events += 1;
    state.lastSeq = ev.seq;
    state.open = true; state.downSince = null;
    clockSample(ev.ts);
    Object.assign(state.sources, ev.sources || {});
    if (state.held) { judge(); return; }  // replaying: the replayed state stays on screen
    var states = ev.states || {};
    var applied = 0;
    var alarms = ev.alarms || [];
    var map = window.dash_clientside && window.dash_clientside.twin_map;
    if ((Object.keys(states).length || alarms.length) && map && map.applyDelta) {
      applied = map.applyDelta({states: states, alarms: alarms});
    }
    if (state.hooks) alarms.forEach(function (alarm) { expect(alarm, received, applied); });
    var incidents = ev.incidents || [];
    if (alarms.length || (ev.updates && ev.updates.length) || incidents.length || ev.reset) {
      toDash(state.ids.event, {seq: ev.seq, ts: ev.ts, alarms: alarms, updates: ev.updates || [],
                        incidents: incidents, reset: Boolean(ev.reset)});
      figuresLater();
    }
    if (ev.reset) toDash(state.ids.selection, Object.assign({}, state.selection));
    judge();
  }

  /** Server clock minus ours. A message handled late (a busy main thread) only makes a sample
   * smaller, so the largest since the stream opened is the best estimate. */
  function clockSample(ts) {
    var sample = ts ? Date.parse(ts) - Date.now() : NaN;
    if (isNaN(sample)) return;
    state.offsetMs = state.offsetFresh ? sample : Math.max(state.offsetMs, sample);
    state.offsetFresh = false;
  }

  function figuresLater() {
    var now = Date.now();
    if (!state.figuresSince) state.figuresSince = now;
    clearTimeout(state.figuresTimer);
    var wait = Math.min(FIGURES_QUIET_MS, state.figuresSince + FIGURES_MAX_MS - now);
    state.figuresTimer = setTimeout(function () {
      state.figuresTimer = null;
      state.figuresSince = null;
      toDash(state.ids.figures, {at: Date.now()});
    }, Math.max(wait, 0));
  }

  function toDash(id, data) {
    if (id && window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props(id, {data: data});
    }
  }

  // --- alarm → pixels marks (test hooks only: tests, bench/bench_pixels.py) --------------------

  function expect(alarm, received, applied) {
    var mark = {id: alarm.id, device: alarm.device_id, received: received, applied: applied,
                mapped: null, listed: null, shown: null};
    state.pending.set(alarm.id, mark);
    afterPaint(function (at) { mark.mapped = at; });  // the delta's frame has been drawn
    checkFeed();
  }

  /** ``fn(now)`` once the next frame has been painted (two animation frames on). */
  function afterPaint(fn) {
    requestAnimationFrame(function () {
      requestAnimationFrame(function () { fn(performance.now()); });
    });
  }

  function watchFeed() {
    var feed = document.getElementById(state.ids.feed);
    if (!feed || (state.observer && state.observer.feed === feed)) return;
    if (state.observer) state.observer.disconnect();
    state.observer = new MutationObserver(checkFeed);
    state.observer.feed = feed;
    state.observer.observe(feed, {childList: true, subtree: true});
  }

  /** A pending alarm whose feed line is in the DOM is "shown" at the frame after next. */
  function checkFeed() {
    if (!state.pending.size) return;
    watchFeed();
    state.pending.forEach(function (mark, id) {
      if (mark.listed !== null || !document.querySelector(
        "#" + CSS.escape(state.ids.feed || "") + " [data-id=\"" + CSS.escape(id) + "\"]")) return;
      mark.listed = performance.now();
      afterPaint(function (at) {
        mark.shown = at;
        state.pending.delete(id);
        state.marks.push(mark);
        if (state.marks.length > MAX_MARKS) state.marks.shift();
      });
    });
  }

  // --- freshness and the stale banner ---------------------------------------------------------

  function limitOf(name) {
    var limits = state.config.stale_after || {};
    return Object.prototype.hasOwnProperty.call(limits, name) ? limits[name] : limits["*"];
  }

  /** The oldest source past its limit, as {source, minutes}, or null. */
  function staleSource() {
    var now = Date.now() + state.offsetMs, worst = null;
    Object.keys(state.sources).forEach(function (name) {
      var limit = limitOf(name), at = Date.parse(state.sources[name]);
      if (limit === null || limit === undefined || isNaN(at)) return;
      var age = (now - at) / 1000;
      if (age > limit && (!worst || age - limit > worst.over)) {
        worst = {source: name, minutes: Math.floor(age / 60), over: age - limit};
      }
    });
    return worst;
  }

  var PENDING_MS = 60000;  // an alarm that never shows (not in this feed) is forgotten

  function judge() {
    var old = performance.now() - PENDING_MS;
    state.pending.forEach(function (mark, id) {
      if (mark.received < old) state.pending.delete(id);
    });
    var down = !state.paused && !state.open && state.downSince &&
      Date.now() - state.downSince >= STALE_GRACE_MS;
    var source = down ? null : staleSource();
    var status = {stale: Boolean(down || source),
                  reason: down ? "stream" : source ? "source" : null,
                  source: source ? source.source : null, minutes: source ? source.minutes : null};
    var key = JSON.stringify(status);
    if (key === state.statusKey) return;
    state.statusKey = key;
    state.status = status;
    toDash(state.ids.status, Object.assign({sources: Object.assign({}, state.sources),
                                     offset_ms: state.offsetMs}, status));
  }

  function span(className, text) {
    return {namespace: "dash_html_components", type: "Span",
            props: {className: className, children: text}};
  }

  /** Clientside callback: LIVE_STATUS → the banner's [hidden, reason text]; the banner itself
   * is built once, in layouts/live.py. */
  function banner(status, config) {
    var text = (config && config.text) || {}, names = (config && config.sources) || {};
    if (!status || !status.stale) return [true, window.dash_clientside.no_update];
    var reason = status.reason === "stream" ? text["stale.stream"]
      : (text["stale.source"] || "").replace("{source}", names[status.source] || status.source)
        .replace("{minutes}", String(status.minutes));
    return [false, reason];
  }

  // --- the wall's flash -----------------------------------------------------------------------

  var flips = 0;

  /** Clientside callback: a new critical alarm → the flash banner (rule and place, no person)
   * and a glance of the map at it (twin_map.js flies there and back). */
  function flash(event, config) {
    var nu = window.dash_clientside.no_update;
    var critical = ((event && event.alarms) || []).filter(function (a) {
      return a.severity === "critical";
    });
    if (!critical.length) return [nu, nu];
    config = config || {};
    var alarm = critical[critical.length - 1], rules = config.rules || {};
    var places = config.places || {}, text = config.text || {};
    var place = places[alarm.neighborhood_id] || places[alarm.subdistrict_id] || "";
    var map = window.dash_clientside.twin_map;  // the wall looks there for a few seconds
    if (map && map.glance && typeof alarm.lon === "number") map.glance(alarm.lon, alarm.lat);
    flips += 1;  // alternate two identical animations: a new alarm restarts the pulse
    return [[span("alarm-flash-title", text.flash), span("alarm-flash-rule", rules[alarm.rule] ||
             alarm.rule), span("alarm-flash-place datum", place)],
            "alarm-flash is-on " + (flips % 2 ? "pulse-a" : "pulse-b")];
  }

  // --- the tablet's acknowledge buttons -------------------------------------------------------

  /** Post a button's action (data-action: ack by default, or escalate) for its alarm, as its
   * data-actor (the desk's duty officer) or the page's actor (the tablet's cadre). */
  function acknowledge(button) {
    var id = button.getAttribute("data-alarm"), text = state.config.text || {};
    var action = button.getAttribute("data-action") || "ack";
    var actor = button.getAttribute("data-actor") || state.config.actor;
    if (!id || !actor || button.disabled) return;
    button.disabled = true;
    button.classList.add("is-busy");
    fetch("/api/v1/alarms/" + encodeURIComponent(id) + "/" + action,
          {method: "POST", credentials: "same-origin", headers: {"X-CSRFToken": csrfToken()}})
      .then(function (response) {
        // 409: no longer in that state (someone else acted): as good as done here.
        if (!response.ok && response.status !== 409) throw new Error(String(response.status));
        done(button, id, action, actor, text);
      })
      .catch(function () {
        button.disabled = false;
        button.textContent = text.ack_failed;
      })
      .finally(function () { button.classList.remove("is-busy"); });
  }

  /** The session's CSRF token (the _csrf_token cookie, as Dash's renderer sends it). */
  function csrfToken() {
    var found = document.cookie.match(/(?:^|;\s*)_csrf_token=([^;]*)/);
    return found ? decodeURIComponent(found[1]) : "";
  }

  function done(button, id, action, actor, text) {
    var escalated = action === "escalate";
    button.textContent = escalated ? (text.escalated || text.acked) : text.acked;
    button.classList.add("is-done");
    var item = button.closest(".feed-item");
    if (item && !escalated) item.classList.add("is-acked");
    toDash(state.ids.event, {updates: [{id: id, status: escalated ? "escalated" : "acknowledged",
                                 actor: actor}], alarms: [], local: true, at: Date.now()});
    figuresLater();
  }

  // Capture phase: the tap acknowledges and does not also open the alarm's details.
  document.addEventListener("click", function (e) {
    var button = e.target && e.target.closest ? e.target.closest(".ack-btn") : null;
    if (!button) return;
    e.stopPropagation();
    e.preventDefault();
    acknowledge(button);
  }, true);

  // --- test hooks (ids.CLIENT_CONFIG.test_hooks) -----------------------------------------------

  function status() {
    return {url: state.url, open: state.open, events: state.events, lastSeq: state.lastSeq,
            connects: state.connects, readyState: state.source ? state.source.readyState : null,
            stale: state.status, sources: Object.assign({}, state.sources),
            offsetMs: state.offsetMs, pending: Array.from(state.pending.keys())};
  }

  /** Stop listening (bench/bench_pixels.py compares against polling) and start again. */
  function pause() { state.paused = true; close(); state.url = null; }
  function resume() { state.paused = false; open(urlFor(state.selection)); }

  function installHooks() {
    state.hooks = true;
    window.twinLive = {status: status, marks: state.marks, judge: judge, pause: pause,
                       resume: resume};
  }

  window.dash_clientside = window.dash_clientside || {};
  /** For replay.js: hold map and feed updates while replaying; the server clock offset. */
  function hold(on) { state.held = Boolean(on); }
  function offset() { return state.offsetMs; }

  window.dash_clientside.twin_live = {connect: connect, banner: banner, flash: flash,
                                      hold: hold, offset: offset};
})();
