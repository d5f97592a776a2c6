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
 *   exposes status(), project(), pickAt(), rows(), rowsOf(), labels(), setView() and
 *   applyDelta() for the browser tests and the benchmarks; the last pick sent to Dash is
 *   status().lastPick.
 * - Level of detail and binary columns: a layer with meta.binary (the device dots) goes to
 *   deck.gl as typed arrays, not one object per row; at district scope the neighborhoods'
 *   columns give way, from MAP_DATA.detailZoom on, to the devices in view (MAP_DETAIL, asked
 *   for through ids.MAP_DETAIL_ASK).
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

  // --- binary point layers (meta.binary) --------------------------------------------------------
  // The columns stay columns: positions, colours and radii go to deck.gl as typed arrays
  // (binary attributes, no object per row); a pick reads its row back from the columns by index,
  // and a delta rewrites one row's slots of the colour arrays in place.

  /** A mutable table from a column envelope: columns (codes kept as numbers), vocabularies,
   * derive rules and an id -> index map. */
  function tableOf(data) {
    var columns = {};
    Object.keys(data.columns || {}).forEach(function (name) {
      columns[name] = Array.prototype.slice.call(data.columns[name]);
    });
    var codes = {};
    Object.keys(data.codes || {}).forEach(function (name) { codes[name] = data.codes[name].slice(); });
    var table = {n: data.length || 0, columns: columns, codes: codes, derive: data.derive || {}};
    indexTable(table);
    return table;
  }

  function indexTable(table) {
    table.index = new Map();
    var ids = table.columns.id || [];
    for (var i = 0; i < table.n; i++) table.index.set(String(ids[i]), i);
  }

  /** Row i as an object (a pick's tooltip and payload; the test hooks' rows). */
  function rowAt(table, i) {
    var row = {};
    Object.keys(table.columns).forEach(function (name) {
      var value = table.columns[name][i], dict = table.codes[name];
      row[name] = dict ? dict[value] : value;
    });
    deriveRow(row, table.derive, null);
    return row;
  }

  function tableRows(table) {
    var out = new Array(table.n);
    for (var i = 0; i < table.n; i++) out[i] = rowAt(table, i);
    return out;
  }

  /** The code of ``value`` in column ``name``'s vocabulary (a new value joins it). */
  function codeOf(table, name, value) {
    var dict = table.codes[name];
    if (!dict) return value;
    var code = dict.indexOf(value);
    if (code < 0) { dict.push(value); code = dict.length - 1; }
    return code;
  }

  /** Accessor props written ``@@=field`` (a derived field) or ``@@=[lon, lat]`` become binary
   * attributes; the rest go through the JSON converter as usual. */
  function binaryProps(desc) {
    var out = {};
    Object.keys(desc).forEach(function (key) {
      var value = desc[key];
      if (!/^get[A-Z]/.test(key) || typeof value !== "string" || value.indexOf("@@=") !== 0) return;
      var expr = value.slice(3).replace(/\s/g, "");
      if (expr === "[lon,lat]") out[key] = {position: true};
      else if (/^\w+$/.test(expr)) out[key] = {field: expr};
    });
    return out;
  }

  function slotsOf(table, field) {
    var rule = table.derive[field];
    if (!rule) return null;
    var sample = null;
    Object.keys(rule[1]).some(function (k) { sample = rule[1][k]; return true; });
    return Array.isArray(sample) ? sample.length : 1;
  }

  /** Write row i of the attribute for derived ``field`` (from its source column). */
  function writeSlot(table, field, attribute, i) {
    var rule = table.derive[field], source = table.columns[rule[0]], dict = table.codes[rule[0]];
    var value = rule[1][dict ? dict[source[i]] : source[i]];
    var size = attribute.size;
    if (size === 1) { attribute.value[i] = value === undefined ? 0 : value; return; }
    for (var k = 0; k < size; k++) attribute.value[i * size + k] = value ? value[k] : 0;
  }

  function buildAttributes(table, accessors) {
    var n = table.n, attributes = {};
    Object.keys(accessors).forEach(function (key) {
      var how = accessors[key];
      if (how.position) {
        var xy = new Float64Array(2 * n), lon = table.columns.lon, lat = table.columns.lat;
        for (var i = 0; i < n; i++) { xy[2 * i] = lon[i]; xy[2 * i + 1] = lat[i]; }
        attributes[key] = {value: xy, size: 2};
        return;
      }
      var size = slotsOf(table, how.field);
      if (!size) return;
      var attribute = {value: size === 1 ? new Float32Array(n) : new Uint8Array(n * size),
                       size: size};
      if (size > 1) attribute.normalized = true;
      for (var j = 0; j < n; j++) writeSlot(table, how.field, attribute, j);
      attributes[key] = attribute;
    });
    return attributes;
  }

  /** deck.gl's binary data; ``fresh`` names attributes rewritten in place: they get a new view
   * of the same buffer (deck.gl re-uploads an external attribute when its array changes). */
  function binaryData(entry, fresh) {
    var attributes = {};
    Object.keys(entry.attributes).forEach(function (key) {
      var a = entry.attributes[key];
      if (fresh && fresh[key]) {
        a = entry.attributes[key] = Object.assign({}, a, {value: new a.value.constructor(a.value.buffer)});
      }
      attributes[key] = a;
    });
    return {length: entry.table.n, attributes: attributes};
  }

  /** Recompute every attribute (rows added or dropped) and hand deck.gl the new data. */
  function rebuildBinary(entry) {
    indexTable(entry.table);
    entry.attributes = buildAttributes(entry.table, entry.accessors);
    entry.rowsCache = null;
    entry.layer = entry.layer.clone({data: binaryData(entry, null)});
  }

  /** Set row i's ``state`` (a delta) and rewrite its slots of the attributes derived from it;
   * returns the attribute keys touched. */
  function setState(entry, i, value, touched) {
    var table = entry.table;
    table.columns.state[i] = codeOf(table, "state", value);
    Object.keys(entry.accessors).forEach(function (key) {
      var field = entry.accessors[key].field, rule = field && table.derive[field];
      if (!rule || rule[0] !== "state" || !entry.attributes[key]) return;
      writeSlot(table, field, entry.attributes[key], i);
      touched[key] = true;
    });
  }

  function entryRows(entry) {
    if (!entry.table) return entry.rows;
    if (!entry.rowsCache) entry.rowsCache = tableRows(entry.table);
    return entry.rowsCache;
  }

  function entryLength(entry) {
    return entry.table ? entry.table.n : entry.rows.length;
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
    var same = old && old.meta.key === meta.key;
    var entry = {id: desc.id, sig: sig, meta: meta, desc: desc, version: 0};
    var plain = propsOf(desc), props;
    if (meta.binary) {
      entry.accessors = binaryProps(desc);
      Object.keys(entry.accessors).forEach(function (key) { delete plain[key]; });
      entry.table = same && old.table ? old.table : tableOf(desc.data || {});
      entry.attributes = same && old.attributes ? old.attributes
        : buildAttributes(entry.table, entry.accessors);
      entry.rows = [];
      props = getConverter().convert(plain);
      props.data = binaryData(entry, null);
    } else {
      entry.rows = same ? old.rows : rowsOf(desc.data);
      props = getConverter().convert(plain);
      props.data = entry.rows;
    }
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
    askDetail();
    var stale = false;
    state.cache.forEach(function (entry) {
      if (entry.layer.props.visible !== inBand(entry.meta)) stale = true;
    });
    if (stale) updateLayers();
    else scheduleDeclutter();
  }

  // --- level of detail -----------------------------------------------------------------------
  // An aggregated scope (MAP_DATA.detailZoom: the district's columns) is drawn device by device
  // from that zoom on: once the camera rests, the script asks for the devices in view (with a
  // margin) through ids.CLIENT_CONFIG's detail_ask, and MAP_DETAIL comes back with them.

  // Live changes move the counts under the columns: they are asked for anew, once the
  // server's shared district states (DISTRICT_STATES_TTL_S, 5 s) hold the change, at most
  // every COLUMNS_EVERY_MS.
  var DETAIL_ASK_MS = 350, DETAIL_MARGIN = 0.25, COLUMNS_AFTER_MS = 6000, COLUMNS_EVERY_MS = 10000;

  function detailLayers() {
    var d = state.detail;
    return d && state.data && d.scope === state.data.scope && state.data.detailZoom
      ? d.layers || [] : [];
  }

  function covers(outer, inner) {
    return Boolean(outer) && outer[0] <= inner[0] && outer[1] <= inner[1] &&
      outer[2] >= inner[2] && outer[3] >= inner[3];
  }

  function askDetail() {
    if (!state.data || !state.data.detailZoom) return;
    clearTimeout(state.askTimer);
    state.askTimer = setTimeout(sendAsk, DETAIL_ASK_MS);
  }

  function sendAsk() {
    var data = state.data, from = data && data.detailZoom;
    if (!from || state.zoom < from || !state.ids.detail_ask || !window.dash_clientside) return;
    var viewport = currentViewport();
    if (!viewport) return;
    var b = viewport.getBounds();
    var have = state.detail && state.detail.scope === data.scope ? state.detail.bounds : null;
    var asked = state.asked && state.asked.scope === data.scope ? state.asked.bounds : null;
    if (covers(have, b) || covers(asked, b)) return;
    var w = (b[2] - b[0]) * DETAIL_MARGIN, h = (b[3] - b[1]) * DETAIL_MARGIN;
    var bounds = [b[0] - w, b[1] - h, b[2] + w, b[3] + h].map(function (v) {
      return Math.round(v * 1e6) / 1e6;
    });
    state.asked = {scope: data.scope, bounds: bounds};
    window.dash_clientside.set_props(state.ids.detail_ask,
                                     {data: {scope: data.scope, bounds: bounds, t: Date.now()}});
  }

  function refreshColumns() {
    if (!state.data || !state.data.detailZoom || state.columnsTimer || !state.ids.detail_ask) {
      return;
    }
    var wait = Math.max(COLUMNS_AFTER_MS, (state.columnsAt || 0) + COLUMNS_EVERY_MS - Date.now());
    state.columnsTimer = setTimeout(function () {
      state.columnsTimer = null;
      state.columnsAt = Date.now();
      if (!state.data || !state.data.detailZoom || !window.dash_clientside) return;
      window.dash_clientside.set_props(state.ids.detail_ask, {data: {
        scope: state.data.scope, bounds: null, columns: true, t: Date.now()}});
    }, wait);
  }

  /** MAP_DETAIL arrived: its layers are the scope's (a switch may have overtaken them): the
   * devices in view become the detail, the columns take the place of MAP_DATA's. */
  function setDetail(detail) {
    if (!detail || !state.data || detail.scope !== state.data.scope) return;
    (detail.layers || []).forEach(function (layer) {
      if (layer.id === "devices_detail") {
        state.detail = {scope: detail.scope, bounds: detail.bounds, layers: [layer]};
        return;
      }
      state.columnsRefreshed = (state.columnsRefreshed || 0) + 1;
      state.data = Object.assign({}, state.data, {layers: (state.data.layers || []).map(
        function (l) { return l.id === layer.id ? layer : l; })});
    });
    updateLayers();
  }

  /** The test hooks' camera: {longitude, latitude, zoom, pitch?, bearing?}, no flight. */
  function setView(where) {
    if (!state.deck) return null;
    var target = Object.assign(fitted(state.view || {}), where, {transitionDuration: 0});
    state.deck.setProps({initialViewState: target});
    onViewStateChange({viewState: target});
    return target;
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

  /** The boxes (canvas pixels) of the labels a layer would draw; ``placed`` grows. A label
   * is its text field's lines (``name`` unless getText names another), centred on its point
   * or, anchored at the bottom (a city's district figures), above it. */
  function placeLabels(entry, viewport, placed) {
    var desc = entry.desc, px = (desc.getSize || 16) * (entry.layer.props.sizeScale || 1);
    var pad = (desc.outlineWidth || 0) + LABEL_GAP, line = px * (desc.lineHeight || LABEL_LINE);
    var field = (/^@@=(\w+)$/.exec(String(desc.getText || "")) || [])[1] || "name";
    var offset = desc.getPixelOffset || [0, 0], above = desc.getAlignmentBaseline === "bottom";
    var kept = [], width = viewport.width, height = viewport.height;
    entry.rows.forEach(function (row) {
      var xy = viewport.project([row.lon, row.lat]);
      var lines = String(row[field] || "").split("\n");
      var w = Math.max.apply(null, lines.map(function (l) { return textWidth(l, px, desc); }));
      var h = line * lines.length, x = xy[0] + offset[0];
      var y = xy[1] + offset[1] + (above ? -h / 2 : 0);
      var box = [x - w / 2 - pad, y - h / 2 - pad, x + w / 2 + pad, y + h / 2 + pad];
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
      .concat((state.extra && state.extra.layers) || [])
      .concat(detailLayers());
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

  /** The picked row: deck.gl's object, or for a binary layer the row at the picked index. */
  function pickedRow(entry, info) {
    if (!entry || !info) return null;
    if (entry.table) {
      return info.index >= 0 && info.index < entry.table.n ? rowAt(entry.table, info.index) : null;
    }
    return info.object || null;
  }

  function tooltip(info) {
    var entry = info && info.picked && info.layer && state.cache.get(info.layer.id);
    var row = pickedRow(entry, info);
    if (!entry || !entry.meta.tooltip || !row) return null;
    var dark = state.spec && state.spec.theme === "dark";
    return {
      text: fill(entry.meta.tooltip, row),
      className: "twin-map-tooltip",
      style: {background: dark ? "rgba(8, 20, 40, 0.94)" : "rgba(255, 255, 255, 0.97)",
              color: dark ? "#dcebff" : "#1e2837", whiteSpace: "pre-line",
              fontSize: "13px", lineHeight: "1.45", padding: "8px 10px", borderRadius: "6px",
              boxShadow: "0 4px 16px rgba(0, 0, 0, 0.25)", maxWidth: "320px"}
    };
  }

  function pickPayload(info) {
    var entry = info && info.layer && state.cache.get(info.layer.id);
    var kind = entry && entry.meta.pick, row = pickedRow(entry, info);
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
    state.extra = null; state.detail = null; state.asked = null;
    clearTimeout(state.columnsTimer); state.columnsTimer = null;
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
      askDetail();
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

  /** Apply an event ({states, alarms}) to the device layers (the scope's, and at district zoom
   * the detail in view) and the open-alarm layer; only what changed is recomputed: a device's
   * slots of the colour/radius arrays are rewritten in place. At district scope the device
   * layer is sparse (alarm/fault only): a device entering alarm/fault is added at its alarm's
   * position, one returning to normal dropped. Returns how many devices changed. */
  function applyDelta(delta) {
    if (!delta || !state.deck) return 0;
    var changes = delta.states || (delta.alarms ? {} : delta), changed = {};
    var sparse = state.cache.has("device_columns");
    ["devices", "devices_detail"].forEach(function (id) {
      var entry = state.cache.get(id);
      if (!entry || !entry.table) return;
      applyStates(entry, changes, id === "devices" && sparse ? positions(delta.alarms) : null)
        .forEach(function (device) { changed[device] = true; });
    });
    var applied = Object.keys(changed).length;
    if (Object.keys(changes).length) refreshColumns();
    var alarms = applyAlarms(delta.alarms) + dropAlarms(delta.alarms_gone);
    if (applied || alarms) { state.deltas += applied; updateLayers(); }
    return applied;
  }

  /** ``changes`` ({id: state}) into one binary device layer; ``where`` (sparse layers only):
   * positions of devices to add. Returns the ids whose state changed. */
  function applyStates(entry, changes, where) {
    var table = entry.table, touched = {}, done = [], grew = false;
    Object.keys(changes).forEach(function (id) {
      var i = table.index.get(id), value = changes[id];
      if (i === undefined && where && NOTABLE[value] && where[id]) {
        appendRow(table, Object.assign({id: id, state: value}, where[id]));
        grew = true; done.push(id);
        return;
      }
      if (i === undefined || table.codes.state[table.columns.state[i]] === value) return;
      setState(entry, i, value, touched);
      done.push(id);
    });
    var shrank = where ? dropRows(table, function (i) {
      var id = String(table.columns.id[i]);
      return id in changes && !NOTABLE[table.codes.state[table.columns.state[i]]];
    }) : false;
    if (grew || shrank) {
      rebuildBinary(entry);
    } else if (done.length) {
      entry.rowsCache = null;
      entry.version += 1;
      entry.layer = entry.layer.clone({data: binaryData(entry, touched),
                                       updateTriggers: triggers(entry.version)});
    }
    return done;
  }

  var NOTABLE = {alarm: true, fault: true};  // what the district's device layer holds

  /** One row at the end of a table (columns it does not name stay empty). */
  function appendRow(table, row) {
    Object.keys(table.columns).forEach(function (name) {
      var value = row[name] === undefined ? (table.codes[name] ? "" : null) : row[name];
      table.columns[name].push(codeOf(table, name, value));
    });
    table.n += 1;
  }

  /** Drop the rows for which ``gone(i)`` holds; true when any went. */
  function dropRows(table, gone) {
    var keep = [];
    for (var i = 0; i < table.n; i++) if (!gone(i)) keep.push(i);
    if (keep.length === table.n) return false;
    Object.keys(table.columns).forEach(function (name) {
      var col = table.columns[name];
      table.columns[name] = keep.map(function (k) { return col[k]; });
    });
    table.n = keep.length;
    return true;
  }

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

  /** A new array (deck compares data by identity), re-indexed. */
  function resetRows(entry, rows) {
    entry.rows = rows; entry.index = null; indexRows(entry);
    entry.layer = entry.layer.clone({data: rows});
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
    state.cache.forEach(function (entry, id) { counts[id] = entryLength(entry); });
    return {
      ready: Boolean(state.deck), renders: state.renders, drawn: state.drawn,
      scope: state.data ? state.data.scope : null, layers: Object.keys(counts), counts: counts,
      shown: Object.keys(counts).filter(function (id) { return inBand(state.cache.get(id).meta); }),
      view: viewport ? {longitude: viewport.longitude, latitude: viewport.latitude,
                        zoom: viewport.zoom, pitch: viewport.pitch, bearing: viewport.bearing}
        : null,
      lastPick: state.lastPick, error: state.error, glance: state.glance || null,
      focus: state.focus ? state.focus.where : null,
      deltas: state.deltas, createdAt: state.createdAt, drawnAt: state.drawnAt,
      detail: state.detail ? state.detail.bounds : null,
      columnsRefreshed: state.columnsRefreshed || 0
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
      rows: function (id) { var e = state.cache.get(id); return e ? entryRows(e) : null; },
      setView: setView
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
    /** ids.MAP_DETAIL: the devices in view of an aggregated scope, zoomed in. */
    detail: function (detail) { setDetail(detail); },
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
