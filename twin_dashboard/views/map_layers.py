"""deck.gl layers of the twin map: pure functions from frames to pydeck's JSON vocabulary.

Each function returns one layer as a plain dict — ``{"@@type": "PolygonLayer", "id": …,
"data": <column envelope>, "getFillColor": "@@=color", …, "meta": {…}}`` — that
``assets/twin_map.js`` hands to ``deck.JSONConverter`` (everything but ``data`` and ``meta``).
Props are written in snake_case here and camelCased at the edge (:func:`layer`), as lonboard does.
``meta`` is ours: ``z`` (drawing order), ``pick`` (the layer name a click reports), ``tooltip``
(a template of row fields), ``key`` (a digest of the data: unchanged data is not re-processed).

Static base layers live in ``views/_map_base.py``; the camera in ``views/_map_view.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from twin_dashboard.catalog import DEVICE_CATEGORIES, DEVICE_STATES, LEVELS, OPEN_STATUSES
from twin_dashboard.domain.time import LOCAL_TZ, as_utc_series
from twin_dashboard.i18n import t
from twin_dashboard.views._map_columns import (
    column_data,
    data_key,
    encode,
    path_shape,
    polygon_shape,
    rounded,
    take,
)
from twin_dashboard.views.charts import rule_name
from twin_dashboard.views.theme import BASE, LEVEL_COLORS, SEVERITY_COLORS, STATE_COLORS, Theme
from twin_dashboard.views.titles import incident_titles

if TYPE_CHECKING:
    from twin_dashboard.domain.overlays import Overlays

LayerDict = dict[str, Any]

# Drawing order, bottom first (the script sorts by it; flat layers drawn later win).
Z: dict[str, float] = {
    "land": 0, "landcover": 1, "subdistricts": 2, "neighborhoods": 3, "patrol_zones": 4,
    "roads": 5, "buildings": 6, "patrol_tracks": 6.5, "scope": 7, "visits": 7.5,
    "device_columns": 8, "devices_detail": 8.5,
    "devices": 9, "alarms": 10,
    "incident_halo": 11, "incidents": 12, "labels_sub": 13, "labels_nbh": 13,
    "brain": 7.5, "brain_labels": 13.5,  # 社区大脑's choropleth (views/brain.py)
    "city": 7.6, "city_labels": 13.6,  # a city seen whole: its districts (views/city_map.py)
}
# Worst first: an aggregate column takes the colour of the worst state among its devices.
WORST_FIRST: tuple[str, ...] = ("alarm", "fault", "offline", "low_battery", "normal")
COVERAGE_CLASSES: tuple[str, ...] = ("covered", "late", "uncovered")
COVERAGE_COLORS: dict[str, list[int]] = {
    "covered": [52, 199, 89, 255], "late": [255, 159, 10, 255], "uncovered": [255, 69, 58, 255],
}
ALARM_STATES: tuple[str, ...] = ("open", "escalated", "acknowledged", "closed")
# Patrol tracks by age: the last 24 h strong, older ones (up to the window, 7 days) faded.
TRACK_AGES: tuple[str, ...] = ("day", "week")
TRACK_FRESH_HOURS = 24.0
TRACK_RGB: dict[Theme, list[int]] = {"light": [0, 122, 255], "dark": [100, 210, 255]}
TRACK_ALPHA: dict[str, int] = {"day": 235, "week": 80}
TRACK_WIDTH_M: dict[str, float] = {"day": 3.0, "week": 2.0}
# Drawn over the extruded buildings: a device inside a block must not be hidden by its roof.
ON_TOP = {"depthCompare": "always", "depthWriteEnabled": False}
DEVICE_RADIUS_M: dict[str, float] = {"normal": 3.0, "low_battery": 4.0, "offline": 4.0,
                                     "fault": 5.0, "alarm": 7.0}
COLUMN_RADIUS_M = 70.0
COLUMN_MAX_M = 450.0  # the tallest column (most devices not normal); the rest in proportion
# Level of detail at district scope: below this zoom the neighborhoods' columns stand for their
# devices; from it on the columns give way to every device in view (MAP_DETAIL, asked for by
# the script with the camera's bounds).
DETAIL_ZOOM = 15.0


def camel(name: str) -> str:
    """``get_fill_color`` → ``getFillColor`` (deck.gl's prop names on the wire)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def layer(kind: str, layer_id: str, data: Any, *, pick: str | None = None, tooltip: str = "",
          min_zoom: float | None = None, max_zoom: float | None = None,
          declutter: int | None = None, binary: bool = False, **props: Any) -> LayerDict:
    """One layer in pydeck's JSON vocabulary with our ``meta`` (see the module docstring);
    ``min_zoom``/``max_zoom`` make the script show the layer only within that zoom band;
    ``declutter`` (a TextLayer's rank, lowest first) makes it drop labels that would overlap one
    already placed, in rank then row order, as the camera moves; ``binary`` makes the script
    hand deck.gl typed arrays (binary attributes) instead of one object per row."""
    meta = {"z": Z[layer_id], "pick": pick, "tooltip": tooltip,
            "key": data_key(data), "minZoom": min_zoom, "maxZoom": max_zoom}
    if declutter is not None:
        meta["declutter"] = declutter
    if binary:
        meta["binary"] = True
    out: LayerDict = {"@@type": kind, "id": layer_id, "data": data}
    out.update({camel(k): v for k, v in props.items()})
    out["pickable"] = pick is not None
    out["meta"] = meta
    return out


def label_of(row_names: pd.Series, row_names_en: pd.Series | None, lang: str) -> list[str]:
    """Names in the page's language, falling back to Chinese where English is missing."""
    if lang != "en" or row_names_en is None:
        return row_names.fillna("").astype(str).tolist()
    english = row_names_en.fillna("").astype(str)
    return english.where(english != "", row_names.fillna("").astype(str)).tolist()


def labels(prefix: str, values: tuple[str, ...], lang: str) -> dict[str, str]:
    """``{value: translated label}`` for a vocabulary (``state.alarm`` …)."""
    return {v: t(f"{prefix}.{v}", lang) for v in values}


def places(frame: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    """``neighborhood_id`` and ``subdistrict_id`` dictionary-encoded: a few ids repeated per row
    cost one byte each instead of a quoted string."""
    columns: dict[str, np.ndarray] = {}
    codes: dict[str, list[str]] = {}
    for name in ("neighborhood_id", "subdistrict_id"):
        values = frame[name].fillna("").astype(str) if name in frame else [""] * len(frame)
        columns[name], codes[name] = encode(values)
    return columns, codes


# --- devices ---------------------------------------------------------------------------------

def device_points(states: pd.DataFrame, theme: Theme, lang: str, layer_id: str = "devices",
                  min_zoom: float | None = None) -> LayerDict:
    """Every device of the scope as a dot coloured by state; alarms larger and ringed.

    ``states``: ``id``, ``category``, ``state``, ``lon``, ``lat``, ``subdistrict_id``,
    ``neighborhood_id`` and optionally ``name`` (as from ``domain.overlays``). Drawn from typed
    arrays (``binary``): 25k+ dots without 25k+ JS objects, recoloured in place by deltas.
    """
    state, state_vocab = encode(states["state"], DEVICE_STATES)
    category, category_vocab = encode(states["category"], [c.code for c in DEVICE_CATEGORIES])
    ring = BASE[theme]["text"][:3] + [230]
    place_columns, place_codes = places(states)
    data = column_data(len(states), {
        "id": states["id"].astype(str).tolist(),
        "name": states["name"].fillna("").astype(str).tolist() if "name" in states
        else [""] * len(states),
        "lon": rounded(states["lon"]), "lat": rounded(states["lat"]),
        "state": state, "category": category, **place_columns,
    }, codes={"state": state_vocab, "category": category_vocab, **place_codes}, derive={
        "color": ("state", STATE_COLORS),
        "line": ("state", {s: (ring if s == "alarm" else [0, 0, 0, 0]) for s in DEVICE_STATES}),
        "radius": ("state", DEVICE_RADIUS_M),
        "state_label": ("state", labels("state", DEVICE_STATES, lang)),
        "category_label": ("category", _category_labels(lang)),
    })
    return layer("ScatterplotLayer", layer_id, data, pick="devices", binary=True,
                 min_zoom=min_zoom, tooltip=t("map.tip.device", lang),
                 get_position="@@=[lon, lat]", get_fill_color="@@=color",
                 get_line_color="@@=line", get_radius="@@=radius", stroked=True,
                 radius_min_pixels=2.5, radius_max_pixels=14, line_width_min_pixels=1.5,
                 parameters=ON_TOP)


def _category_labels(lang: str) -> dict[str, str]:
    return {c.code: (c.en if lang == "en" else c.zh) for c in DEVICE_CATEGORIES}


def _column_heights(issues: np.ndarray) -> np.ndarray:
    """Heights relative to the worst neighborhood, so a stale feed cannot pierce the sky."""
    top = max(int(issues.max(initial=0)), 1)
    return (20 + COLUMN_MAX_M * issues / top).astype(np.int32)


def device_columns(counts: pd.DataFrame, lang: str) -> LayerDict:
    """Per neighborhood, a column as tall as its devices not normal, coloured by the worst.

    Keeps 25k devices readable at district zoom. ``counts``: ``neighborhood_id``,
    ``subdistrict_id``, ``name``, ``lon``, ``lat`` and one integer column per device state.
    """
    states = counts[list(WORST_FIRST)].to_numpy(int)
    worst_index = np.argmax(states[:, :-1] > 0, axis=1)
    has_issue = states[:, :-1].sum(axis=1) > 0
    worst = np.where(has_issue, np.asarray(WORST_FIRST)[worst_index], "normal")
    code, vocab = encode(worst, DEVICE_STATES)
    columns = {
        "id": counts["neighborhood_id"].astype(str).tolist(),
        "subdistrict_id": counts["subdistrict_id"].fillna("").astype(str).tolist(),
        "name": counts["name"].astype(str).tolist(),
        "lon": rounded(counts["lon"]), "lat": rounded(counts["lat"]),
        "worst": code, "total": states.sum(axis=1).astype(np.int32),
        "height": _column_heights(states[:, :-1].sum(axis=1)),
    }
    columns.update({s: states[:, i].astype(np.int32) for i, s in enumerate(WORST_FIRST)})
    data = column_data(len(counts), columns, codes={"worst": vocab},
                       derive={"color": ("worst", STATE_COLORS)})
    return layer("ColumnLayer", "device_columns", data, pick="neighborhoods",
                 tooltip=t("map.tip.aggregate", lang), max_zoom=DETAIL_ZOOM,
                 get_position="@@=[lon, lat]", get_fill_color="@@=color",
                 get_elevation="@@=height", radius=COLUMN_RADIUS_M, disk_resolution=24,
                 extruded=True, elevation_scale=1)


def named_columns(counts: pd.DataFrame, lang: str) -> LayerDict:
    """:func:`device_columns` with the neighborhoods named in ``lang``."""
    return device_columns(counts.assign(name=label_of(counts["name"], counts.get("name_en"),
                                                      lang)), lang)


# --- alarms, incidents, patrol zones ---------------------------------------------------------

RING_FILL = [255, 255, 255, 1]


def alarm_rings(alarms: pd.DataFrame, lang: str) -> LayerDict:
    """Open alarms as hollow rings in their severity's colour, over the device dots."""
    severity, severity_vocab = encode(alarms["severity"], tuple(SEVERITY_COLORS))
    rule, rule_vocab = encode(alarms["rule"].fillna("").astype(str))
    place_columns, place_codes = places(alarms)
    data = column_data(len(alarms), {
        "id": alarms["id"].astype(str).tolist(), "rule": rule,
        "device_id": alarms["device_id"].fillna("").astype(str).tolist(),
        "lon": rounded(alarms["lon"]), "lat": rounded(alarms["lat"]), "severity": severity,
        **place_columns,
    }, codes={"severity": severity_vocab, "rule": rule_vocab, **place_codes}, derive={
        "color": ("severity", SEVERITY_COLORS),
        "rule_label": ("rule", {r: rule_name(r, lang) for r in rule_vocab}),
        "severity_label": ("severity", labels("severity", tuple(SEVERITY_COLORS), lang)),
    })
    return layer("ScatterplotLayer", "alarms", data, pick="alarms",
                 tooltip=t("map.tip.alarm", lang), get_position="@@=[lon, lat]",
                 get_line_color="@@=color", get_radius=14, stroked=True,
                 # a fill one step from transparent: the whole disc picks, not only the
                 # 2 px ring (deck.gl does not pick what is fully transparent)
                 filled=True, get_fill_color=RING_FILL,
                 radius_min_pixels=6, line_width_min_pixels=2, parameters=ON_TOP)


def incident_marks(incidents: pd.DataFrame, theme: Theme, lang: str,
                   names: Mapping[str, str] | None = None) -> list[LayerDict]:
    """Open incidents coloured by level; reported (not yet dispatched) ones hollow; a breach of
    the SLA adds a wide halo ring (the script pulses it on the wall).

    ``incidents``: ``id``, ``title``, ``level``, ``status``, ``breach`` (bool), ``lon``, ``lat``,
    ``neighborhood_id``, ``subdistrict_id``.
    """
    looks = [f"{lv}:{st}" for lv, st in zip(incidents["level"], incidents["status"], strict=True)]
    look_vocab = [f"{lv}:{st}" for lv in LEVELS for st in OPEN_STATUSES]
    look, _ = encode(looks, look_vocab)
    level, level_vocab = encode(incidents["level"], LEVELS)
    status, status_vocab = encode(incidents["status"], OPEN_STATUSES)
    breach = incidents["breach"].fillna(False).astype(bool).to_numpy()
    place_columns, place_codes = places(incidents)
    data = column_data(len(incidents), {
        "id": incidents["id"].astype(str).tolist(),
        "title": incident_titles(incidents, names or {}, lang),
        "lon": rounded(incidents["lon"]), "lat": rounded(incidents["lat"]),
        "look": look, "level": level, "status": status, "breach": breach.astype(np.uint8),
        **place_columns,
    }, codes={"look": look_vocab, "level": level_vocab, "status": status_vocab,
              "breach": ["0", "1"], **place_codes},
        derive=_incident_derive(theme, lang))
    marks = layer("ScatterplotLayer", "incidents", data, pick="incidents",
                  tooltip=t("map.tip.incident", lang), get_position="@@=[lon, lat]",
                  get_fill_color="@@=fill", get_line_color="@@=line", get_radius=10,
                  stroked=True, radius_min_pixels=4.5, line_width_min_pixels=1.5,
                  parameters=ON_TOP)
    return [incident_halo(incidents[breach], lang), marks]


def _incident_derive(theme: Theme, lang: str) -> dict[str, tuple[str, Mapping[str, Any]]]:
    edge = BASE[theme]["background"]
    fill = {f"{lv}:{st}": (LEVEL_COLORS[lv][:3] + [60] if st == "reported" else LEVEL_COLORS[lv])
            for lv in LEVELS for st in OPEN_STATUSES}
    line = {f"{lv}:{st}": (LEVEL_COLORS[lv] if st == "reported" else edge)
            for lv in LEVELS for st in OPEN_STATUSES}
    return {"fill": ("look", fill), "line": ("look", line),
            "level_label": ("level", labels("level", LEVELS, lang)),
            "status_label": ("status", labels("status", OPEN_STATUSES, lang)),
            "breach_label": ("breach", {"0": "", "1": t("map.tip.breach", lang)})}


def incident_halo(breached: pd.DataFrame, lang: str) -> LayerDict:
    """Wide red rings around incidents past their SLA deadline."""
    data = column_data(len(breached), {
        "id": breached["id"].astype(str).tolist(),
        "lon": rounded(breached["lon"]), "lat": rounded(breached["lat"]),
    })
    return layer("ScatterplotLayer", "incident_halo", data, get_position="@@=[lon, lat]",
                 get_line_color=SEVERITY_COLORS["critical"], get_radius=26, filled=False,
                 stroked=True, radius_min_pixels=9, line_width_min_pixels=2.5,
                 parameters=ON_TOP)


def patrol_zones(zones: pd.DataFrame, theme: Theme, lang: str) -> LayerDict:
    """Road-chief patrol zones filled by coverage: in time, overdue, or not patrolled.

    ``zones``: ``id``, ``name``, ``subdistrict_id``, ``coverage`` (one of
    ``COVERAGE_CLASSES``) and a polygon ``geometry``.
    """
    shape, source = polygon_shape(zones.geometry.to_numpy())
    coverage, vocab = encode(take(zones["coverage"], source), COVERAGE_CLASSES)
    alpha = 34 if theme == "dark" else 30
    data = column_data(len(source), {
        "id": take(zones["id"].astype(str), source),
        "name": take(zones["name"].fillna("").astype(str), source),
        "subdistrict_id": take(zones["subdistrict_id"].fillna("").astype(str), source),
        "coverage": coverage,
    }, codes={"coverage": vocab}, shapes={"polygon": shape}, derive={
        "fill": ("coverage", {c: rgb[:3] + [alpha] for c, rgb in COVERAGE_COLORS.items()}),
        "line": ("coverage", COVERAGE_COLORS),
        "coverage_label": ("coverage", labels("map.coverage", COVERAGE_CLASSES, lang)),
    })
    return layer("PolygonLayer", "patrol_zones", data, pick="patrol_zones",
                 tooltip=t("map.tip.zone", lang), get_polygon="@@=polygon",
                 get_fill_color="@@=fill", get_line_color="@@=line", stroked=True,
                 filled=True, line_width_min_pixels=1.5)


def track_colors(theme: Theme) -> dict[str, list[int]]:
    """The colour of a patrol track per age class (``TRACK_AGES``) in ``theme``."""
    return {age: TRACK_RGB[theme] + [TRACK_ALPHA[age]] for age in TRACK_AGES}


def track_ages(age_hours: pd.Series | np.ndarray) -> np.ndarray:
    """``day`` for a patrol ended within 24 h (or under way), else ``week``."""
    hours = np.asarray(age_hours, dtype=float)
    return np.where(hours <= TRACK_FRESH_HOURS, "day", "week")


def patrol_tracks(tracks: pd.DataFrame, theme: Theme, lang: str) -> LayerDict:
    """Road chiefs' GPS tracks as paths, strong for the last 24 h and faded up to a week.

    ``tracks``: ``id``, ``zone_id``, ``zone_name``, ``subdistrict_id``, ``chief_name``,
    ``chief_role``, ``started_at``, ``ended_at``, ``age_hours`` and a line ``geometry`` (as from
    ``domain.overlays.recent_tracks``: newest first, already bounded). A row's ``id`` is its
    zone's, so a click on a track opens the zone's details; ``patrol_id`` is the patrol's.
    """
    shape, source = path_shape(tracks.geometry.to_numpy())
    age, age_vocab = encode(take(track_ages(tracks["age_hours"]), source), TRACK_AGES)
    zone_name, zone_vocab = encode(take(tracks["zone_name"].fillna(""), source))
    chief, chief_vocab = encode(take(_chief_labels(tracks, lang), source))
    place, place_vocab = encode(take(tracks["subdistrict_id"].fillna(""), source))
    data = column_data(len(source), {
        "id": take(tracks["zone_id"].astype(str), source),
        "patrol_id": take(tracks["id"].astype(str), source),
        "zone_name": zone_name, "chief": chief, "subdistrict_id": place, "age": age,
        "time": take(_track_times(tracks), source),
    }, codes={"zone_name": zone_vocab, "chief": chief_vocab, "subdistrict_id": place_vocab,
              "age": age_vocab}, shapes={"path": shape}, derive={
        "color": ("age", track_colors(theme)), "width": ("age", TRACK_WIDTH_M),
    })
    return layer("PathLayer", "patrol_tracks", data, pick="patrol_zones",
                 tooltip=t("map.tip.track", lang), get_path="@@=path", get_color="@@=color",
                 get_width="@@=width", width_min_pixels=1.5, width_max_pixels=6,
                 cap_rounded=True, joint_rounded=True)


def _chief_labels(tracks: pd.DataFrame, lang: str) -> list[str]:
    """``政府路长 王某`` / ``Government chief 王某``: the role, then the chief's name."""
    roles = {"gov": t("details.gov_chief", lang), "community": t("details.community_chief", lang)}
    return [" ".join(part for part in (roles.get(role, ""), name) if part)
            for role, name in zip(tracks["chief_role"].fillna(""),
                                  tracks["chief_name"].fillna(""), strict=True)]


def _track_times(tracks: pd.DataFrame) -> list[str]:
    """``03-01 08:00–09:10`` on the district's clock."""
    start = as_utc_series(tracks["started_at"]).dt.tz_convert(LOCAL_TZ)
    end = as_utc_series(tracks["ended_at"]).dt.tz_convert(LOCAL_TZ)
    return [f"{a:%m-%d %H:%M}–{b:%H:%M}" if pd.notna(b) else f"{a:%m-%d %H:%M}"
            for a, b in zip(start, end, strict=True)]


VISIT_CLASSES: tuple[str, ...] = ("visited", "due")
VISIT_COLORS: dict[str, list[int]] = {"visited": [48, 176, 199, 235], "due": [255, 159, 10, 235]}
VISIT_RADIUS_M = 9.0  # a ring around the home's devices (its own dots stay readable inside)


def visit_coverage(marks: pd.DataFrame, lang: str) -> LayerDict:
    """Households as rings around their homes: visited within 30 days (teal) or due (amber);
    rings, so that the devices' dots (orange: fault) inside stay their own mark.

    ``marks``: ``id``, ``lon``, ``lat``, ``visited``, ``since_days`` (-1: never) and the place
    columns (as from ``domain.visits.visit_marks``); a pick opens the household's card.
    """
    visited = np.where(marks["visited"].to_numpy(bool), "visited", "due")
    status, vocab = encode(visited, VISIT_CLASSES)
    since = marks["since_days"].to_numpy(int)
    since_label = [t("map.visit.never", lang) if d < 0
                   else t("map.visit.since", lang).format(days=d) for d in since]
    place_columns, place_codes = places(marks)
    data = column_data(len(marks), {
        "id": marks["id"].astype(str).tolist(),
        "lon": rounded(marks["lon"]), "lat": rounded(marks["lat"]),
        "status": status, "since_label": since_label, **place_columns,
    }, codes={"status": vocab, **place_codes}, derive={
        "color": ("status", VISIT_COLORS),
        "visit_label": ("status", {c: t(f"map.visit.{c}", lang) for c in VISIT_CLASSES}),
    })
    return layer("ScatterplotLayer", "visits", data, pick="households",
                 tooltip=t("map.tip.visit", lang), get_position="@@=[lon, lat]",
                 get_line_color="@@=color", get_radius=VISIT_RADIUS_M, filled=False,
                 stroked=True, line_width_units="pixels", get_line_width=3,
                 radius_min_pixels=7, radius_max_pixels=16, parameters=ON_TOP)


def scope_outline(geometry: Any, theme: Theme) -> LayerDict:
    """The selected subdistrict or neighborhood, outlined in the theme's highlight colour."""
    shape, source = path_shape([geometry] if geometry is not None else [])
    data = column_data(len(source), {}, shapes={"path": shape})
    return layer("PathLayer", "scope", data, get_path="@@=path",
                 get_color=BASE[theme]["selected"], get_width=6, width_min_pixels=3,
                 joint_rounded=True, parameters=ON_TOP)


# --- the overlay description of one scope ----------------------------------------------------

def overlay_spec(overlays: Overlays, theme: Theme, lang: str,
                 names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``MAP_DATA``: the scope's key and its live layers (switched-off layers are absent);
    ``names``: neighborhood names in ``lang`` (English incident titles name the place)."""
    found: list[LayerDict] = []
    if overlays.zones is not None:
        found.append(patrol_zones(overlays.zones, theme, lang))
    if overlays.tracks is not None:
        found.append(patrol_tracks(overlays.tracks, theme, lang))
    if overlays.visits is not None:
        found.append(visit_coverage(overlays.visits, lang))
    if overlays.columns is not None:
        found.append(named_columns(overlays.columns, lang))
    if overlays.devices is not None:
        found.append(device_points(overlays.devices, theme, lang))
    if overlays.alarms is not None:
        found.append(alarm_rings(overlays.alarms, lang))
    if overlays.incidents is not None:
        found.extend(incident_marks(overlays.incidents, theme, lang, names))
    if overlays.outline is not None:
        found.append(scope_outline(overlays.outline, theme))
    spec: dict[str, Any] = {"scope": overlays.scope.key, "layers": found}
    if overlays.columns is not None:
        spec["detailZoom"] = DETAIL_ZOOM  # the script asks for MAP_DETAIL from this zoom on
    return spec


def detail_spec(scope_key: str, theme: Theme, lang: str, *, counts: pd.DataFrame | None = None,
                states: pd.DataFrame | None = None,
                bounds: list[float] | None = None) -> dict[str, Any]:
    """``MAP_DETAIL``, the live parts of an aggregated scope: its columns anew (``counts``:
    after live changes) and the devices within ``bounds`` (``states``), drawn one by one from
    ``DETAIL_ZOOM`` on. The script takes them for the scope they name, and only for it."""
    layers: list[LayerDict] = []
    if counts is not None:
        layers.append(named_columns(counts, lang))
    if states is not None:
        layers.append(device_points(states, theme, lang, "devices_detail", DETAIL_ZOOM))
    return {"scope": scope_key, "bounds": bounds if states is not None else None,
            "layers": layers}
