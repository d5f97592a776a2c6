"""Every component id, as a constant: a typo becomes an ImportError, not a silent dead callback.

All three layouts use these same ids; a layout that lacks a component simply leaves it out and
the callbacks take it as ``allow_optional``.
"""

# --- page-level state ---
SCREEN = "screen"  # dcc.Store {"screen": "wall"|"desk"|"tablet", "lang": "zh"|"en", "rotate": s}
SELECTION = "selection"  # dcc.Store {"subdistrict": id|None, "neighborhood": id|None}
CLOCK = "clock"  # dcc.Interval driving refreshes of figures
ROTATE_TIMER = "rotate-timer"  # dcc.Interval of the wall's subdistrict rotation
CLIENT_CONFIG = "client-config"  # dcc.Store: what assets/*.js read, e.g. these ids (client.py)

# --- the twin map (the container's id is a contract: README) ---
TWIN_MAP = "twin-map"  # html.Div the deck.gl canvas is drawn into
MAP_SPEC = "map-spec"  # dcc.Store: static deck description (layers that change rarely)
MAP_DATA = "map-data"  # dcc.Store: overlay data (devices, incidents, zones) for the scope
MAP_VIEW = "map-view"  # dcc.Store: camera target {longitude, latitude, zoom, pitch, bearing}
MAP_DELTA = "map-delta"  # dcc.Store: small live changes {device_id: state}
MAP_INCIDENTS = "map-incidents"  # dcc.Store: the scope's incident layers, anew after a step
MAP_DETAIL_ASK = "map-detail-ask"  # dcc.Store: {scope, bounds} set by twin_map.js when zoomed in
MAP_DETAIL = "map-detail"  # dcc.Store: the devices in those bounds (an aggregated scope's detail)
MAP_PICK = "map-pick"  # dcc.Store: what the user clicked {layer, id, ...}
MAP_LAYERS = "map-layers"  # dcc.Checklist of overlay toggles
MAP_MODE = "map-mode"  # 2D/3D switch (desk)
MAP_TRACK_DAYS = "map-track-days"  # dcc.RadioItems: patrol tracks of the last 1 or 7 days
MAP_LEGEND = "map-legend"

# --- selectors and panels ---
SUBDISTRICT_SELECT = "subdistrict-select"
NEIGHBORHOOD_SELECT = "neighborhood-select"
SCOPE_TITLE = "scope-title"
APP_TITLE = "app-title"  # the header's title: names the district shown (from the data)
KPI_TILES = "kpi-tiles"
DETAILS_PANEL = "details-panel"
AUDIT_OPEN = "audit-open"
AUDIT_CLOSE = "audit-close"
AUDIT_PANEL = "audit-panel"
AUDIT_GRID = "audit-grid"
ALARM_FEED = "alarm-feed"
INCIDENT_TABLE = "incident-table"
FRESHNESS = "freshness"
ZONE_BOARD = "zone-board"  # dash-ag-grid: the road-chief board per patrol zone (desk)
CHIEF_BOARD = "chief-board"  # dash-ag-grid: per road chief, patrols and km of 7 days (desk)

# --- charts ---
FUNNEL_CHART = "funnel-chart"
DEVICE_CHART = "device-chart"
INCIDENT_TREND_CHART = "incident-trend-chart"
COVERAGE_CHART = "coverage-chart"
ALARM_CHART = "alarm-chart"

# --- screens (issue 3: layouts, KPIs, charts, feed, details) ---
SUMMARY = "summary"  # dcc.Store: summarize() of the selection — the one source of KPIs and charts
VIEWPORT = "viewport"  # dcc.Store {"width", "height"} of the window, set once on load
CLOCK_TEXT = "clock-text"  # the header's clock


def kpi_value(key: str) -> str:
    """Id of a KPI tile's value element (``kpi-online`` …): stable, for tests and tooltips."""
    return f"kpi-{key}"


FEED_ITEM = "feed-item"  # pattern-matching type of a feed line: tap it for its details (tablet)


def feed_item(kind: str, item_id: str) -> dict[str, str]:
    """Id of one feed line, ``{"type": "feed-item", "kind": "alarm"|"incident", "id": …}``."""
    return {"type": FEED_ITEM, "kind": kind, "id": item_id}


REVEAL = "reveal"  # pattern-matching type of a commander's reason form in the details panel


ALARM_ACTION = "alarm-action"
ALARM_NOTE = "alarm-note"


def alarm_action(alarm_id: str, action: str) -> dict[str, str]:
    """Id of a details-panel button taking ``action`` on an alarm."""
    return {"type": ALARM_ACTION, "id": alarm_id, "action": action}


INCIDENT_ACTION = "incident-action"
INCIDENT_NOTE = "incident-note"
INCIDENT_LEVEL = "incident-level"
INCIDENT_QUEUE = "incident-queue"


def incident_action(incident_id: str, action: str) -> dict[str, str]:
    """Id of a details-panel button taking a workflow ``action`` on an incident."""
    return {"type": INCIDENT_ACTION, "id": incident_id, "action": action}


def incident_note(incident_id: str) -> dict[str, str]:
    return {"type": INCIDENT_NOTE, "id": incident_id}


def incident_level(incident_id: str) -> dict[str, str]:
    return {"type": INCIDENT_LEVEL, "id": incident_id}


REPORT_OPEN = "report-open"  # 上报事件: the form opens in the details panel
REPORT_TITLE = "report-title"
REPORT_KIND = "report-kind"
REPORT_SOURCE = "report-source"
REPORT_SUBMIT = "report-submit"

VISIT_OPEN = "visit-open"  # 大走访 / 大排查: start a visit of a household or a building
VISIT_ITEM = "visit-item"
VISIT_NOTE = "visit-note"
VISIT_SUBMIT = "visit-submit"


def visit_open(kind: str, place_id: str) -> dict[str, str]:
    return {"type": VISIT_OPEN, "kind": kind, "id": place_id}


def visit_item(item: str) -> dict[str, str]:
    return {"type": VISIT_ITEM, "item": item}


def visit_note(item: str) -> dict[str, str]:
    return {"type": VISIT_NOTE, "item": item}


def visit_submit(kind: str, place_id: str, started: str) -> dict[str, str]:
    """The submit button carries when the visit started (the form's opening)."""
    return {"type": VISIT_SUBMIT, "kind": kind, "id": place_id, "started": started}


OPEN_HOUSEHOLD = "open-household"


def open_household(household_id: str) -> dict[str, str]:
    """Id of a button opening a household's card in the details panel."""
    return {"type": OPEN_HOUSEHOLD, "id": household_id}


def alarm_note(alarm_id: str) -> dict[str, str]:
    return {"type": ALARM_NOTE, "id": alarm_id}


def reveal(part: str, device_id: str) -> dict[str, str]:
    """Id of the reason form's ``part`` ("reason" input, "button") for a device's household."""
    return {"type": REVEAL, "part": part, "id": device_id}

# --- live (issue 4) ---
# assets/live.js holds one EventSource on /api/v1/live per page; these connect it to the graph.
LIVE_CONFIG = "live-config"  # dcc.Store: stale limits, the acting cadre, texts and names for JS
LIVE_EVENT = "live-event"  # dcc.Store: the last live event that raised or changed alarms
LIVE_FIGURES = "live-figures"  # dcc.Store: set by live.js a few s after alarm events (KPIs)
LIVE_STATUS = "live-status"  # dcc.Store: {stale, reason, sources, offset_ms} kept by live.js
STALE_BANNER = "stale-banner"  # the "data stale" banner, shown while the stream or a source lags
STALE_REASON = "stale-reason"  # the banner's line saying which, filled by live.js
ALARM_FLASH = "alarm-flash"  # the wall's banner for a new critical alarm (rule and place only)
INBOX_COUNT = "inbox-count"  # count badge on the feed card (the tablet's inbox)

# --- community brain 社区大脑 (issue 10): a drawer on the desk ---
BRAIN_OPEN = "brain-open"  # the map's button opening the drawer
BRAIN_CLOSE = "brain-close"
BRAIN_PANEL = "brain-panel"  # the drawer (html.Aside)
BRAIN_ALL = "brain-all"  # dcc.Dropdown (multi): tags a person carries all of
BRAIN_ANY = "brain-any"  # … at least one of
BRAIN_NOT = "brain-not"  # … none of
BRAIN_BY = "brain-by"  # dcc.RadioItems: count per neighborhood | subdistrict
BRAIN_SHOW = "brain-show"  # dcc.Checklist: the choropleth on the map, or not
BRAIN_CLEAR = "brain-clear"
BRAIN_GAP = "brain-gap"  # pattern: {"type": BRAIN_GAP, "key": gap key} buttons
BRAIN_MAP = "brain-map"  # dcc.Store: the choropleth's layers, drawn by assets/twin_map.js
BRAIN_TOTAL = "brain-total"
BRAIN_LEGEND = "brain-legend"
BRAIN_CHART = "brain-chart"
BRAIN_PEOPLE = "brain-people"
BRAIN_TAG_PERSON = "brain-tag-person"  # an admin's tag editor: dcc.Input, a person's id
BRAIN_TAG_LOAD = "brain-tag-load"
BRAIN_TAG_VALUE = "brain-tag-value"  # dcc.Dropdown (multi): the person's tags
BRAIN_TAG_SAVE = "brain-tag-save"
BRAIN_TAG_MSG = "brain-tag-msg"


def brain_gap(key: str) -> dict[str, str]:
    """Id of a policy-gap button (``domain.brain.POLICY_GAPS``)."""
    return {"type": BRAIN_GAP, "key": key}


# --- time replay (issue 10): the replay bar on the desk and the wall (components.replay_bar) ---
REPLAY_BAR = "replay-bar"  # html.Div: banner, slider, play/pause, speed, back to live
REPLAY_SLIDER = "replay-slider"  # dcc.Slider: minutes before now (0: live), last 90 days
REPLAY_PLAY = "replay-play"  # html.Button: play / pause
REPLAY_SPEED = "replay-speed"  # dcc.RadioItems: replay minutes per second
REPLAY_LIVE = "replay-live"  # html.Button: back to live
REPLAY_AT = "replay-at"  # dcc.Store: ISO time shown, or None when live (KPIs, charts read it)
REPLAY_CONFIG = "replay-config"  # dcc.Store: what assets/replay.js needs (ids, texts, window)


# The search box (layouts/components.py search_box, callbacks/search.py)
SEARCH_INPUT = "search-input"  # dcc.Input: the query, type-ahead; Enter picks the first result
SEARCH_RESULTS = "search-results"  # the list of results under the box
SEARCH_PICK = "search-pick"  # dcc.Store: the chosen result, rechecked on the server
SEARCH_HIT = "search-hit"


def search_hit(kind: str, hit_id: str) -> dict[str, str]:
    """One result's row in the list."""
    return {"type": SEARCH_HIT, "kind": kind, "id": hit_id}
