/*
 * The twin map in the browser: one deck.Deck in the map container (ids.TWIN_MAP), fed by Dash
 * stores. Element ids come from ids.CLIENT_CONFIG (layouts/client.py), never from here.
 *
 * - MAP_SPEC (static base layers + deck props), MAP_DATA (the scope's overlays), extra layers
 *   of one screen's feature (`extra`: the desk's 社区大脑 choropleth, ids.BRAIN_MAP) and MAP_VIEW
 *   (camera) arrive through the no-output clientside callback `render`; MAP_DELTA ({device_id:
 *   state}) through `delta`. Layer descriptions are pydeck JSON (see views/map_layers.py): their
 *   props go through deck.JSONConverter, their `data` (a column envelope) never does, so no data
 *   string is ever evaluated. Unchanged layers keep their instances, and deck.gl skips them.
 * - Clicks go back to Dash with dash_clientside.set_props(ids.MAP_PICK, {data: {layer, id, ...}}).
 * - live.js applies live events with dash_clientside.twin_map.applyDelta, and replay.js replay
 *   steps (the same {states, alarms}, plus alarms_gone: ids leaving the alarm layer).
 * - Only when ids.CLIENT_CONFIG asks for test hooks (the server's --test-hooks), window.twinMap
 *   exposes status(), project(), pickAt(), rows(), rowsOf(), labels() and applyDelta() for the browser
 *   tests and the benchmarks; the last pick sent to Dash is status().lastPick.
 */
(function () {
  "use strict";

  // Software WebGL picks in ~0.5 s, longer than deck.gl's 250 ms tap limit (docs/browser.md).
  var TAP_MS = 2500;
  var PULSE_MS = 700; // the SLA-breach halo blinks on the wall: 2 redraws per cycle, no more
  var MIN_ZOOM = 11;
  var GLANCE_ZOOM = 16.5, GLANCE_FLY_MS = 1500, GLANCE_HOLD_MS = 6000;  // the wall's glance
  var MAX_ZOOM = 19.5;

  var state = {
    deck: null, host: null, spec: null, data: null, view: null, cache: new Map(),
    renders: 0, drawn: null, lastPick: null, pulse: null, pulseOn: false,
    error: null, deltas: 0, zoom: 12, ids: {}, viewState: null, declutterPending: false
  };
  var converter = null;

  // --- column envelope -> rows ---------------------------------------------------------------

  function ring(coords, start, end) {
    var out = new Array(end - start);
    for (var p = start; p < end; p++) out[p - start] = [coords[2 * p], coords[2 * p + 1]];
    return out;
  }

  function shapeRows(shape) {
    var rows = shape.rows, out = new Array(Math.max(rows.length - 1, 0));
    for (var i = 0; i < out.length; i++) {
      if (shape.kind === "polygon") {
        var rings = [];
        for (var r = rows[i]; r < rows[i + 1]; r++) {
          rings.push(ring(shape.coords, shape.rings[r], shape.rings[r + 1]));
        }
        out[i] = rings;
      } else {
        out[i] = ring(shape.coords, rows[i], rows[i + 1]);
      }
    }
    return out;
  }

  function deriveRow(row, rules, source) {
    for (var name in rules) {
      var rule = rules[name];
      if (source && rule[0] !== source) continue;
      row[name] = rule[1][row[rule[0]]];
    }
  }

  /** Rows from a column envelope: {length, columns, codes, derive, shapes}. */
  function rowsOf(data) {
    if (!data) return [];
    if (Array.isArray(data)) return data;
    var n = data.length || 0, rows = new Array(n), i;
    for (i = 0; i < n; i++) rows[i] = {};
    var columns = data.columns || {}, codes = data.codes || {};
    Object.keys(columns).forEach(function (name) {
      var col = columns[name], dict = codes[name];
      for (var j = 0; j < n; j++) rows[j][name] = dict ? dict[col[j]] : col[j];
    });
    var shapes = data.shapes || {};
    Object.keys(shapes).forEach(function (name) {
      var built = shapeRows(shapes[name]);
      for (var j = 0; j < n; j++) rows[j][name] = built[j];
    });
    var rules = data.derive || {};
    for (i = 0; i < n; i++) deriveRow(rows[i], rules, null);
    return rows;
  }

  // --- layers ---------------------------------------------------------------------------------

  function getConverter() {
    if (!converter) {
      var classes = {};
      Object.keys(window.deck).forEach(function (name) {
        var value = window.deck[name];
        if (typeof value === "function" && value.prototype instanceof window.deck.Layer) {
          classes[name] = value;
        }
      });
      converter = new window.deck.JSONConverter({configuration: {classes: classes}});
    }
    return converter;
  }

  function propsOf(desc) {
    var props = {};
    Object.keys(desc).forEach(function (key) {
      if (key !== "data" && key !== "meta" && key !== "@@type") props[key] = desc[key];
    });
    return props;
  }

  function signature(desc) {
    return JSON.stringify(propsOf(desc)) + "|" + desc["@@type"] + "|" + (desc.meta || {}).key;
  }

  function triggers(version) {
    return {getFillColor: version, getLineColor: version, getRadius: version};
  }

  /** The deck layer for a description, reusing the previous one when nothing changed. */
  function layerFor(desc) {
    var meta = desc.meta || {}, old = state.cache.get(desc.id), sig = signature(desc);
    if (old && old.sig === sig) return old;
    var Layer = window.deck[desc["@@type"]];
    if (typeof Layer !== "function" || !(Layer.prototype instanceof window.deck.Layer)) {
      console.warn("twin map: unknown layer type", desc["@@type"]);
      return null;
    }
    var rows = old && old.meta.key === meta.key ? old.rows : rowsOf(desc.data);
    var props = getConverter().convert(propsOf(desc));
    var entry = {id: desc.id, sig: sig, meta: meta, rows: rows, desc: desc, version: 0};
    props.data = rows;
    props.updateTriggers = triggers(0);
    // A big wall draws everything bigger in pixels, so that marks keep their share of the map.
    var scale = textScale();
    if (desc["@@type"] === "TextLayer") props.sizeScale = scale;
    Object.keys(props).forEach(function (key) {
      if (/MinPixels$/.test(key) && typeof props[key] === "number") props[key] *= Math.max(scale, 1);
    });
    props.visible = inBand(meta);
    entry.layer = new Layer(props);
    state.cache.set(desc.id, entry);
    return entry;
  }

  /** Labels are sized for a map of about 1100 × 700 px; a larger one (a big video wall)
   * gets them larger, in step with the map, so they keep their share of it, and a smaller one
   * (a 1366 desk, a tablet) down to 3/4, so that more names fit beside each other. */
  function textScale() {
    var host = state.host;
    if (!host || !host.clientWidth) return 1;
    return Math.min(Math.max(Math.min(host.clientWidth / 1100, host.clientHeight / 700), 0.75), 3);
  }

  function inBand(meta) {
    var z = state.zoom;
    return !((meta.minZoom !== null && meta.minZoom !== undefined && z < meta.minZoom) ||
             (meta.maxZoom !== null && meta.maxZoom !== undefined && z >= meta.maxZoom));
  }

  function shown(entry) {
    var visible = inBand(entry.meta);
    if (entry.layer.props.visible !== visible) entry.layer = entry.layer.clone({visible: visible});
    if (entry.id !== "incident_halo" || !state.pulseOn) return entry.layer;
    return entry.layer.clone({radiusScale: 1.6, opacity: 0.55});
  }

  function onViewStateChange(change) {
    state.zoom = change.viewState.zoom;
    state.viewState = change.viewState;
    var stale = false;
    state.cache.forEach(function (entry) {
      if (entry.layer.props.visible !== inBand(entry.meta)) stale = true;
    });
    if (stale) updateLayers();
    else scheduleDeclutter();
  }

  // --- labels that give way -------------------------------------------------------------------
  // The bundle has no CollisionFilterExtension, so overlapping names are dropped here: each
  // label's box is measured with the page's font, placed in rank then row order, and one that
  // would touch a placed box is left out until the camera makes room for it.

  var LABEL_GAP = 4, LABEL_LINE = 1.2;
  var measures = new Map(), measureCtx = null;

  function textWidth(text, px, desc) {
    var key = px + "|" + text;
    if (!measures.has(key)) {
      if (!measureCtx) measureCtx = document.createElement("canvas").getContext("2d");
      measureCtx.font = (desc.fontWeight || 400) + " " + px + "px " + (desc.fontFamily || "sans-serif");
      if (measures.size > 2000) measures.clear();
      measures.set(key, measureCtx.measureText(text).width);
    }
    return measures.get(key);
  }

  function currentViewport() {
    var host = state.host;
    if (!host || !host.clientWidth || !host.clientHeight) return null;
    var vs = state.viewState || (state.deck && state.deck.props.initialViewState);
    if (!vs) return null;
    // The host's size, not the view state's own (deck's controller keeps a stale one there).
    return new window.deck.WebMercatorViewport(Object.assign(
      {}, vs, {width: host.clientWidth, height: host.clientHeight}));
  }

  /** The boxes (canvas pixels) of the labels a layer would draw; ``placed`` grows. */
  function placeLabels(entry, viewport, placed) {
    var desc = entry.desc, px = (desc.getSize || 16) * (entry.layer.props.sizeScale || 1);
    var pad = (desc.outlineWidth || 0) + LABEL_GAP, h = px * LABEL_LINE;
    var kept = [], width = viewport.width, height = viewport.height;
    entry.rows.forEach(function (row) {
      var xy = viewport.project([row.lon, row.lat]);
      var w = textWidth(String(row.name || ""), px, desc);
      var box = [xy[0] - w / 2 - pad, xy[1] - h / 2 - pad, xy[0] + w / 2 + pad, xy[1] + h / 2 + pad];
      var onScreen = box[2] > 0 && box[0] < width && box[3] > 0 && box[1] < height;
      var clash = onScreen && placed.some(function (p) {
        return box[0] < p[2] && p[0] < box[2] && box[1] < p[3] && p[1] < box[3];
      });
      if (clash) return;
      if (onScreen) placed.push(box);
      kept.push(row);
    });
    return kept;
  }

  /** Give each decluttering label layer the rows that fit; true when any layer changed. */
  function declutter() {
    var viewport = currentViewport();
    if (!viewport) { if (state.deck) setTimeout(scheduleDeclutter, 250); return false; }
    var layers = [];
    state.cache.forEach(function (entry) {
      if (entry.meta.declutter !== undefined && entry.meta.declutter !== null) layers.push(entry);
    });
    layers.sort(function (a, b) { return a.meta.declutter - b.meta.declutter; });
    var placed = [], changed = false;
    layers.forEach(function (entry) {
      var kept = inBand(entry.meta) ? placeLabels(entry, viewport, placed) : entry.rows;
      var sig = kept.length + ":" + kept.map(function (r) { return r.name; }).join("|");
      if (entry.keptSig === sig && entry.layer.props.data === entry.kept) return;
      entry.kept = kept; entry.keptSig = sig;
      entry.layer = entry.layer.clone({data: kept});
      changed = true;
    });
    return changed;
  }

  function scheduleDeclutter() {
    if (state.declutterPending) return;
    state.declutterPending = true;
    requestAnimationFrame(function () {
      state.declutterPending = false;
      if (state.deck && declutter()) updateLayers();
    });
  }

  function updateLayers() {
    if (!state.deck) return;
    var descs = ((state.spec && state.spec.layers) || [])
      .concat((state.data && state.data.layers) || [])
      .concat((state.extra && state.extra.layers) || []);
    var entries = [], seen = new Set();
    descs.forEach(function (desc) {
      var entry = layerFor(desc);
      if (entry) { entries.push(entry); seen.add(desc.id); }
    });
    Array.from(state.cache.keys()).forEach(function (id) {
      if (!seen.has(id)) state.cache.delete(id);
    });
    entries.sort(function (a, b) { return (a.meta.z || 0) - (b.meta.z || 0); });
    declutter();
    state.deck.setProps({layers: entries.map(shown)});
  }

  // --- camera ---------------------------------------------------------------------------------

  /** Centre and zoom that show the bounds whole on the real canvas, tilt and bearing included:
   * start from the flat fit, then project the corners and correct, a few times. */
  function fitTilted(b, width, height, pad, pitch, bearing, outline) {
    var flat = new window.deck.WebMercatorViewport({width: width, height: height})
      .fitBounds([[b[0], b[1]], [b[2], b[3]]], {padding: pad});
    var roomW = width - pad.left - pad.right, roomH = height - pad.top - pad.bottom;
    var vs = {longitude: flat.longitude, latitude: flat.latitude, zoom: flat.zoom,
              pitch: pitch, bearing: bearing};
    var corners = (outline && outline.length) ? outline
      : [[b[0], b[1]], [b[0], b[3]], [b[2], b[1]], [b[2], b[3]]];
    for (var i = 0; i < 5; i++) {
      var vp = new window.deck.WebMercatorViewport(Object.assign({width: width, height: height}, vs));
      var xs = [], ys = [];
      corners.forEach(function (c) { var p = vp.project(c); xs.push(p[0]); ys.push(p[1]); });
      var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
      var y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
      var scale = Math.min(roomW / Math.max(x1 - x0, 1), roomH / Math.max(y1 - y0, 1));
      // Move the box's centre to the centre of the room left between the overlays.
      var cx = (x0 + x1) / 2 - (pad.left + roomW / 2) + width / 2;
      var cy = (y0 + y1) / 2 - (pad.top + roomH / 2) + height / 2;
      var centre = vp.unproject([cx, cy]);
      vs = {longitude: centre[0], latitude: centre[1], zoom: vs.zoom + Math.log2(scale),
            pitch: pitch, bearing: bearing};
    }
    return vs;
  }

  function fitted(view) {
    var host = state.host, width = host ? host.clientWidth : 0, height = host ? host.clientHeight : 0;
    var out = {longitude: view.longitude, latitude: view.latitude, zoom: view.zoom};
    if (view.bounds && width > 0 && height > 0) {
      var pad = Math.min(view.padding || 40, width / 4, height / 4);
      var legend = state.ids.legend ? document.getElementById(state.ids.legend) : null;
      var below = legend ? Math.min(legend.offsetHeight + 8, height / 3) : 0;
      var pads = {top: pad, bottom: pad + below, left: pad, right: pad};
      (view.bearings || [view.bearing || 0]).forEach(function (bearing, i) {
        var fit = fitTilted(view.bounds, width, height, pads, view.pitch || 0, bearing,
                            view.outline);
        // Turning the camera must earn its keep: a clearly closer view, not a marginal one.
        if (i === 0 || fit.zoom > out.zoom + 0.25) { out = fit; out.bearing = bearing; }
      });
    }
    out.pitch = view.pitch || 0;
    if (out.bearing === undefined) out.bearing = view.bearing || 0;
    out.minZoom = MIN_ZOOM;
    out.maxZoom = MAX_ZOOM;
    out.maxPitch = 70;
    return out;
  }

  function sameView(a, b) {
    return a.key === b.key && a.pitch === b.pitch &&
      JSON.stringify(a.bearings) === JSON.stringify(b.bearings) &&
      JSON.stringify(a.bounds) === JSON.stringify(b.bounds);
  }

  function flyTo(view, animate) {
    var target = fitted(view);
    if (animate && view.transitionDuration > 0) {
      target.transitionDuration = view.transitionDuration;
      target.transitionInterpolator = new window.deck.FlyToInterpolator({speed: 1.6});
    }
    state.zoom = target.zoom;
    state.viewState = target;
    state.deck.setProps({initialViewState: target});
  }

  /** The wall's glance at a new critical alarm: fly there, hold ``holdMs``, fly back to the
   * scope's camera (a glance under way is retargeted; one camera to return to). */
  function glance(lon, lat, holdMs) {
    if (!state.deck || !state.view || typeof lon !== "number" || typeof lat !== "number") return;
    var home = fitted(state.view);
    state.deck.setProps({initialViewState: Object.assign({}, home, {
      longitude: lon, latitude: lat, zoom: Math.max(home.zoom, GLANCE_ZOOM),
      transitionDuration: GLANCE_FLY_MS,
      transitionInterpolator: new window.deck.FlyToInterpolator({speed: 1.6})})});
    state.glance = {lon: lon, lat: lat, at: Date.now()};
    clearTimeout(state.glanceTimer);
    state.glanceTimer = setTimeout(function () {
      state.glance = null;
      if (state.view) flyTo(Object.assign({}, state.view, {transitionDuration: GLANCE_FLY_MS}),
                            true);
    }, GLANCE_FLY_MS + (holdMs || GLANCE_HOLD_MS));
  }

  /** A chosen search result ({lon, lat} or {bounds}): fly to it now, and again instead of the
   * scope's camera when the selection the result set brings one within FOCUS_MS. */
  var FOCUS_ZOOM = 17, FOCUS_MS = 4000, FOCUS_FLY_MS = 1200;

  function focus(where) {
    if (!where || (!where.bounds && (typeof where.lon !== "number" ||
                                      typeof where.lat !== "number"))) return;
    state.focus = {where: where, until: Date.now() + FOCUS_MS};
    flyToFocus();
  }

  function flyToFocus() {
    if (!state.deck || !state.focus) return;
    var where = state.focus.where, base = state.view || {pitch: 0, bearing: 0};
    var target = where.bounds
      ? fitted(Object.assign({}, base, {bounds: where.bounds, outline: null, bearings: null}))
      : Object.assign(fitted(base), {longitude: where.lon, latitude: where.lat,
                                     zoom: Math.max(fitted(base).zoom, FOCUS_ZOOM)});
    target.transitionDuration = FOCUS_FLY_MS;
    target.transitionInterpolator = new window.deck.FlyToInterpolator({speed: 1.6});
    state.zoom = target.zoom;
    state.deck.setProps({initialViewState: target});
  }

  // --- events ---------------------------------------------------------------------------------

  function fill(template, row) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      var value = row[key];
      return value === undefined || value === null ? "" : String(value);
    });
  }

  function tooltip(info) {
    var entry = info && info.picked && info.layer && state.cache.get(info.layer.id);
    if (!entry || !entry.meta.tooltip || !info.object) return null;
    var dark = state.spec && state.spec.theme === "dark";
    return {
      text: fill(entry.meta.tooltip, info.object),
      className: "twin-map-tooltip",
      style: {background: dark ? "rgba(8, 20, 40, 0.94)" : "rgba(255, 255, 255, 0.97)",
              color: dark ? "#dcebff" : "#1e2837", whiteSpace: "pre-line",
              fontSize: "13px", lineHeight: "1.45", padding: "8px 10px", borderRadius: "6px",
              boxShadow: "0 4px 16px rgba(0, 0, 0, 0.25)", maxWidth: "320px"}
    };
  }

  function pickPayload(info) {
    var entry = info && info.layer && state.cache.get(info.layer.id);
    var kind = entry && entry.meta.pick, row = info && info.object;
    if (!kind || !row) return null;
    var id = row.id === undefined || row.id === null ? "" : String(row.id);
    return {
      layer: kind, id: id,
      neighborhood: row.neighborhood_id || (kind === "neighborhoods" ? id : null),
      subdistrict: row.subdistrict_id || (kind === "subdistricts" ? id : null),
      lon: info.coordinate ? info.coordinate[0] : null,
      lat: info.coordinate ? info.coordinate[1] : null,
      t: Date.now()
    };
  }

  function onClick(info) {
    var payload = pickPayload(info);
    if (!payload) return;
    state.lastPick = payload;
    if (state.ids.pick) window.dash_clientside.set_props(state.ids.pick, {data: payload});
    // The picked point, for page scripts (patrol.js draws a track by hand from these).
    document.dispatchEvent(new CustomEvent("twin-map-click",
                                           {detail: {lon: payload.lon, lat: payload.lat}}));
  }

  function onAfterRender() {
    state.renders += 1;
    var scope = state.data && state.data.scope;
    if (!scope || state.drawn === scope || !state.deck) return;
    var layers = state.deck.props.layers || [];
    if (!layers.every(function (l) { return l.isLoaded; })) return;
    state.drawn = scope;
    state.drawnAt = Math.round(performance.now());
    var el = container();
    if (el) { el.classList.add("is-ready"); el.setAttribute("data-map-scope", scope); }
  }

  function onError(error) {
    state.error = String((error && error.message) || error);
    var el = container();
    if (el) el.classList.add("has-error");
    console.error("twin map:", state.error);
  }

  // --- the deck -------------------------------------------------------------------------------

  function container() {
    return state.ids.map ? document.getElementById(state.ids.map) : null;
  }

  function hostElement() {
    var el = container();
    return el ? el.querySelector(".twin-map-canvas") || el : null;
  }

  function setPulse(on) {
    var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    if (state.pulse) { clearInterval(state.pulse); state.pulse = null; }
    state.pulseOn = false;
    if (!on || reduced) return;
    state.pulse = setInterval(function () {
      var halo = state.cache.get("incident_halo");
      if (!state.deck || !halo || !halo.rows.length) return;
      state.pulseOn = !state.pulseOn;
      updateLayers();
    }, PULSE_MS);
  }

  function destroy() {
    setPulse(false);
    if (state.deck) { try { state.deck.finalize(); } catch (e) { /* already gone */ } }
    state.deck = null; state.host = null; state.cache = new Map();
    state.spec = null; state.data = null; state.view = null; state.drawn = null;
    state.extra = null;
  }

  function create(host, spec, view) {
    destroy();
    state.host = host;
    var props = (spec && spec.deck) || {};
    host.style.background = spec && spec.background
      ? "rgb(" + spec.background.slice(0, 3).join(",") + ")" : "";
    var initial = fitted(view || {longitude: 121.485, latitude: 31.28, zoom: 12.5});
    state.zoom = initial.zoom;
    state.viewState = initial;
    state.deck = new window.deck.Deck({
      parent: host, width: "100%", height: "100%",
      initialViewState: initial, onViewStateChange: onViewStateChange,
      controller: props.controller === undefined ? true : props.controller,
      pickingRadius: props.pickingRadius || 5,
      eventRecognizerOptions: {click: {time: TAP_MS, threshold: 12},
                               dblclick: {time: TAP_MS, threshold: 12}},
      getTooltip: tooltip, onClick: onClick, onAfterRender: onAfterRender, onError: onError,
      onResize: scheduleDeclutter, layers: []
    });
    state.view = view;
    state.createdAt = Math.round(performance.now());
    setPulse(Boolean(props.pulse));
  }

  function render(spec, data, view, attempt) {
    try {
      var host = hostElement();
      if (!host || !window.deck) {
        if ((attempt || 0) < 100) {
          requestAnimationFrame(function () { render(spec, data, view, (attempt || 0) + 1); });
        }
        return;
      }
      var fresh = !state.deck || state.host !== host || !host.isConnected;
      if (fresh) create(host, spec, view);
      state.spec = spec;
      state.data = data;
      if (view && view !== state.view) {
        // The same camera sent again (a selection re-sent unchanged) must not move the map.
        var same = state.view && sameView(state.view, view);
        state.view = view;
        if (!same && state.focus && Date.now() < state.focus.until && !fresh) {
          flyToFocus();
        } else if (!same) {
          flyTo(view, !fresh);
        }
      }
      updateLayers();
    } catch (error) {
      onError(error);
    }
  }

  function replaceLayers(fresh) {
    if (!fresh || !state.data || fresh.scope !== state.data.scope) return;
    var ids = new Set(((fresh.layers) || []).map(function (l) { return l.id; }));
    var kept = (state.data.layers || []).filter(function (l) {
      return !ids.has(l.id) && !/^incident/.test(l.id);
    });
    state.data = Object.assign({}, state.data, {layers: kept.concat(fresh.layers || [])});
    updateLayers();
  }

  /** Apply an event ({states, alarms}) to the device and open-alarm layers; only what changed
   * is recomputed. At district scope the device layer is sparse (alarm/fault only): a device
   * entering alarm/fault is added at its alarm's position, one returning to normal dropped. */
  function applyDelta(delta) {
    var entry = state.cache.get("devices");
    if (!entry || !delta || !state.deck) return 0;
    var changes = delta.states || (delta.alarms ? {} : delta);
    var rules = (entry.desc.data || {}).derive || {};
    var sparse = state.cache.has("device_columns"), added = [], applied = 0;
    var where = positions(delta.alarms);
    indexRows(entry);
    Object.keys(changes).forEach(function (id) {
      var i = entry.index.get(id), row = i === undefined ? null : entry.rows[i];
      if (!row && sparse && NOTABLE[changes[id]] && where[id]) {
        row = Object.assign({id: id, state: null}, where[id]);
        added.push(row);
      }
      if (!row || row.state === changes[id]) return;
      row.state = changes[id];
      deriveRow(row, rules, "state");
      applied += 1;
    });
    var dropped = sparse ? dropNormal(entry, changes) : 0;
    if (added.length || dropped) resetRows(entry, entry.rows.concat(added));
    if (applied) bump(entry);
    var alarms = applyAlarms(delta.alarms) + dropAlarms(delta.alarms_gone);
    if (applied || alarms) { state.deltas += applied; updateLayers(); }
    return applied;
  }

  var NOTABLE = {alarm: true, fault: true};  // what the district's device layer holds

  function indexRows(entry) {
    if (entry.index) return;
    entry.index = new Map();
    entry.rows.forEach(function (row, i) { entry.index.set(row.id, i); });
  }

  /** Device positions (and places) from an event's alarms: all a new row needs. */
  function positions(alarms) {
    var out = {};
    (alarms || []).forEach(function (a) {
      if (a.device_id && a.lon != null && a.lat != null) {
        out[a.device_id] = {lon: a.lon, lat: a.lat, neighborhood_id: a.neighborhood_id,
                            subdistrict_id: a.subdistrict_id};
      }
    });
    return out;
  }

  function dropNormal(entry, changes) {
    var n = entry.rows.length;
    entry.rows = entry.rows.filter(function (row) {
      return !(row.id in changes) || NOTABLE[row.state];
    });
    return n - entry.rows.length;
  }

  /** A new array (deck compares data by identity), re-indexed. */
  function resetRows(entry, rows) {
    entry.rows = rows; entry.index = null; indexRows(entry);
    entry.layer = entry.layer.clone({data: rows});
  }

  function bump(entry) {
    entry.version += 1;
    entry.layer = entry.layer.clone({updateTriggers: triggers(entry.version)});
  }

  /** New open alarms from an event join the alarm layer (rings); known ids are left alone. */
  function applyAlarms(alarms) {
    var entry = state.cache.get("alarms");
    if (!entry || !alarms || !alarms.length) return 0;
    var rules = (entry.desc.data || {}).derive || {};
    indexRows(entry);
    var fresh = alarms.filter(function (a) {
      return !entry.index.has(a.id) && a.lon != null && a.lat != null && !a.closed_at;
    }).map(function (a) {
      var row = Object.assign({}, a);
      deriveRow(row, rules, null);
      return row;
    });
    if (fresh.length) resetRows(entry, entry.rows.concat(fresh));
    return fresh.length;
  }

  /** Alarms no longer open (a replay step, replay.js) leave the alarm layer. */
  function dropAlarms(ids) {
    var entry = state.cache.get("alarms");
    if (!entry || !ids || !ids.length) return 0;
    var gone = new Set(ids), n = entry.rows.length;
    var rows = entry.rows.filter(function (row) { return !gone.has(row.id); });
    if (rows.length !== n) resetRows(entry, rows);
    return n - rows.length;
  }

  // --- test hooks (ids.CLIENT_CONFIG.test_hooks) -----------------------------------------------

  function status() {
    var viewport = state.deck && state.deck.isInitialized ? state.deck.getViewports()[0] : null;
    var counts = {};
    state.cache.forEach(function (entry, id) { counts[id] = entry.rows.length; });
    return {
      ready: Boolean(state.deck), renders: state.renders, drawn: state.drawn,
      scope: state.data ? state.data.scope : null, layers: Object.keys(counts), counts: counts,
      view: viewport ? {longitude: viewport.longitude, latitude: viewport.latitude,
                        zoom: viewport.zoom, pitch: viewport.pitch, bearing: viewport.bearing}
        : null,
      lastPick: state.lastPick, error: state.error, glance: state.glance || null,
      focus: state.focus ? state.focus.where : null,
      deltas: state.deltas, createdAt: state.createdAt, drawnAt: state.drawnAt
    };
  }

  function project(lon, lat, z) {
    var viewport = state.deck && state.deck.getViewports()[0];
    if (!viewport) return null;
    var xy = viewport.project([lon, lat, z || 0]), rect = state.host.getBoundingClientRect();
    return [rect.left + xy[0], rect.top + xy[1]];
  }

  /** What a click at page pixel (x, y) would pick: same rounding, same picking radius. */
  function pickAt(x, y) {
    if (!state.deck) return null;
    var rect = state.host.getBoundingClientRect();
    var info = state.deck.pickObject({x: Math.round(x - rect.left), y: Math.round(y - rect.top),
                                      radius: state.deck.props.pickingRadius});
    return info ? pickPayload(info) : null;
  }

  /** The labels drawn now: text, page position of the anchor, size in px and font. */
  function labels() {
    var viewport = currentViewport(), out = [];
    if (!viewport) return out;
    var rect = state.host.getBoundingClientRect();
    state.cache.forEach(function (entry) {
      if (entry.desc["@@type"] !== "TextLayer" || !entry.layer.props.visible) return;
      var desc = entry.desc, px = (desc.getSize || 16) * (entry.layer.props.sizeScale || 1);
      (entry.layer.props.data || []).forEach(function (row) {
        var xy = viewport.project([row.lon, row.lat]);
        out.push({layer: entry.id, text: String(row.name), x: rect.left + xy[0],
                  y: rect.top + xy[1], px: px, outline: desc.outlineWidth || 0,
                  font: (desc.fontWeight || 400) + " " + px + "px " +
                    (desc.fontFamily || "sans-serif")});
      });
    });
    return out;
  }

  function installHooks() {
    if (window.twinMap) return;
    window.twinMap = {
      status: status, project: project, pickAt: pickAt, applyDelta: applyDelta, rowsOf: rowsOf,
      labels: labels,
      rows: function (id) { var e = state.cache.get(id); return e ? e.rows : null; }
    };
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.twin_map = {
    /** ``client``: ids.CLIENT_CONFIG, the element ids this script talks to, and whether to
     * install the test hooks. */
    render: function (spec, data, view, client) {
      if (client && client.ids) state.ids = client.ids;
      if (client && client.test_hooks) installHooks();
      render(spec, data, view, 0);
      return data && data.scope ? data.scope : "";
    },
    delta: function (delta) { applyDelta(delta); },
    /** ids.MAP_INCIDENTS: the scope's incident layers anew (after a step or an SLA breach);
     * they take the place of those of MAP_DATA, the other layers stay as they are. */
    incidents: function (fresh) { replaceLayers(fresh); },
    /** Layers of a feature of one screen beside the scope's overlays (the desk's 社区大脑
     * choropleth: {key, layers}); an empty list takes them off the map. */
    extra: function (extra) { state.extra = extra || null; updateLayers(); },
    applyDelta: applyDelta,  // for live.js, not a callback
    glance: glance,  // for live.js: the wall looks at a new critical alarm
    /** ids.SEARCH_PICK: fly to the chosen result (callbacks/search.py). */
    focus: function (pick) { focus(pick && pick.focus); },
    rowsOf: rowsOf  // the wire format's reader, not a callback (tests hold their mirror to it)
  };
})();
