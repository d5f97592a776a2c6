"""Device states: the stored status derived from readings, and the live state read from it.

Two steps, because they change at different rates. ``status_from_readings`` folds a device's
readings into its latest state (alarm, fault, low_battery or normal) — done at seed time and by
ingest. ``current_states`` adds ``offline``, which depends only on the clock: a device is offline
once its category's heartbeat window has passed since it was last seen. Counting both the same way
everywhere keeps the wall, the desk and ``/api/v1/summary`` in agreement.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from twin_dashboard.catalog import CATEGORY_BY_CODE, DEVICE_CATEGORIES, DEVICE_STATES, LOW_BATTERY
from twin_dashboard.domain._frames import require_columns, require_known, share
from twin_dashboard.domain.time import HOUR, as_utc, as_utc_series
from twin_dashboard.store.base import RECORD_TABLES

ALARM_EVENTS: tuple[str, ...] = ("alarm", "smoke", "gas")  # events that put a device in alarm
FAULT_EVENTS: tuple[str, ...] = ("fault",)
CLEAR_EVENTS: tuple[str, ...] = ("clear",)  # a clear ends both an alarm and a fault
STATUS_COLUMNS: tuple[str, ...] = RECORD_TABLES["device_status"]
STATE_COLUMNS: tuple[str, ...] = (
    "id", "category", "subdistrict_id", "neighborhood_id", "lon", "lat",
    "state", "last_seen", "battery",
)
_HEARTBEAT_HOURS: dict[str, float] = {c.code: c.heartbeat_hours for c in DEVICE_CATEGORIES}


def status_from_readings(devices: pd.DataFrame, readings: pd.DataFrame) -> pd.DataFrame:
    """Fold readings into each device's latest stored state.

    Parameters
    ----------
    devices : DataFrame
        ``id``, ``subdistrict_id``, ``neighborhood_id``; one row per device.
    readings : DataFrame
        ``device_id``, ``ts`` and any of ``event``, ``value``, ``battery``. Readings of unknown
        devices are ignored.

    Returns
    -------
    DataFrame
        The columns of ``RECORD_TABLES["device_status"]``, one row per device in ``devices``
        order. ``state`` is ``alarm`` when the latest alarm/smoke/gas event is not followed by a
        ``clear``, else ``fault`` when the latest fault is not cleared, else ``low_battery`` when
        the latest battery is below ``catalog.LOW_BATTERY``, else ``normal`` (also for devices
        never seen: ``current_states`` makes those offline). Times count in whole seconds and
        a clear in the same second as an alarm or fault does not clear it (the live fold's
        rule, domain/states.py), so row order never matters. ``last_event``, ``last_value``
        and ``battery`` are the latest non-missing ones; ``state_since`` is when the state
        began (the first alarm or fault since the last clear, the first low reading, else the
        last clear or battery recovery, else the first reading).
    """
    require_columns(devices, ("id", "subdistrict_id", "neighborhood_id"), "devices")
    require_columns(readings, ("device_id", "ts"), "readings")
    ordered = _ordered_readings(devices, readings)
    folded = _fold(ordered)
    out = pd.DataFrame({"device_id": devices["id"].to_numpy()})
    for column in ("state", "state_since", "last_seen", "last_event", "last_value", "battery"):
        out[column] = folded[column].reindex(range(len(devices))).to_numpy()
    out["state"] = out["state"].fillna("normal")
    out["subdistrict_id"] = devices["subdistrict_id"].to_numpy()
    out["neighborhood_id"] = devices["neighborhood_id"].to_numpy()
    return out[list(STATUS_COLUMNS)]


def _ordered_readings(devices: pd.DataFrame, readings: pd.DataFrame) -> pd.DataFrame:
    """Readings of known devices, coded by device position, sorted by (device, ts), stable."""
    code = pd.Index(devices["id"]).get_indexer(readings["device_id"])
    rows = np.flatnonzero(code >= 0)
    # Whole seconds, as the store keeps them; within one second a clear sorts first, so an
    # alarm or fault of the same second wins (fail safe, as domain/states.py folds live).
    ts = as_utc_series(readings["ts"]).dt.tz_localize(None).to_numpy()[rows].astype("M8[s]")
    clear_first = (~readings["event"].isin(CLEAR_EVENTS)).to_numpy()[rows] \
        if "event" in readings else np.zeros(len(rows), dtype=bool)
    order = np.lexsort((clear_first, ts.view("int64"), code[rows]))  # stable otherwise
    rows = rows[order]
    frame = pd.DataFrame({"code": code[rows], "ts": ts[order]})
    frame["ts"] = frame["ts"].dt.tz_localize("UTC")
    for column in ("event", "value", "battery"):
        frame[column] = (readings[column].iloc[rows].reset_index(drop=True)
                         if column in readings else np.nan)
    frame["value"] = pd.to_numeric(frame["value"])
    frame["battery"] = pd.to_numeric(frame["battery"])
    return frame


def _fold(r: pd.DataFrame) -> pd.DataFrame:
    """Per device code: last values, and the state with the time it began."""
    out = r.groupby("code", sort=True).agg(
        last_seen=("ts", "last"), first_seen=("ts", "first"), last_event=("event", "last"),
        last_value=("value", "last"), battery=("battery", "last"),
    )
    starts = _state_starts(r).reindex(out.index)
    normal_since = starts[["clear", "recovered"]].assign(first=out["first_seen"]).max(axis=1)
    out["state"] = np.select(
        [starts[s].notna().to_numpy() for s in ("alarm", "fault", "low_battery")],
        ["alarm", "fault", "low_battery"], "normal",
    )
    # The same priority as the state: the first streak still running gives its start.
    out["state_since"] = (starts["alarm"].fillna(starts["fault"])
                          .fillna(starts["low_battery"]).fillna(normal_since))
    return out


def _state_starts(r: pd.DataFrame) -> pd.DataFrame:
    """Per code, when each still-running streak began, the last clear and battery recovery."""
    event = r["event"]
    clear = event.isin(CLEAR_EVENTS).to_numpy()
    low = (r["battery"] < LOW_BATTERY).to_numpy()
    ok = (r["battery"] >= LOW_BATTERY).to_numpy()
    recovered = _streak_start(r, ok, low)
    return pd.DataFrame({
        "alarm": _streak_start(r, event.isin(ALARM_EVENTS).to_numpy(), clear),
        "fault": _streak_start(r, event.isin(FAULT_EVENTS).to_numpy(), clear),
        "low_battery": _streak_start(r, low, ok),
        "clear": r.loc[clear].groupby("code")["ts"].max(),
        "recovered": recovered[recovered.index.isin(r.loc[low, "code"])],
    })


def _streak_start(r: pd.DataFrame, on: np.ndarray, off: np.ndarray) -> pd.Series:
    """Per code, the time of the first ``on`` row after the last ``off`` row (if still on)."""
    position = np.arange(len(r))
    code = r["code"].to_numpy()
    last_off = pd.Series(np.where(off, position, -1)).groupby(code).max()
    last_on = pd.Series(np.where(on, position, -1)).groupby(code).max()
    after = on & (position > last_off.reindex(code).to_numpy())
    starts = r.loc[after].groupby("code")["ts"].min()
    return starts[starts.index.isin(last_on[last_on > last_off].index)]


def current_states(devices: pd.DataFrame, status: pd.DataFrame,
                   now: pd.Timestamp) -> pd.DataFrame:
    """Each device's state at ``now``, with ``offline`` derived from its heartbeat window.

    Parameters
    ----------
    devices : DataFrame
        The devices layer: ``id``, ``category``, ``subdistrict_id``, ``neighborhood_id`` and
        either ``lon``/``lat`` columns or a point geometry.
    status : DataFrame
        Stored status rows (``device_id``, ``state``, ``last_seen``, ``battery``), e.g. from
        :func:`status_from_readings` or the store's ``device_status`` table.
    now : Timestamp
        The moment to judge at (naive means UTC).

    Returns
    -------
    DataFrame
        ``STATE_COLUMNS``, one row per device in ``devices`` order. ``state`` is ``offline`` when
        the device was never seen or ``now - last_seen`` exceeds its category's
        ``heartbeat_hours``; otherwise the stored state.
    """
    require_columns(devices, ("id", "category", "subdistrict_id", "neighborhood_id"), "devices")
    require_columns(status, ("device_id", "state", "last_seen", "battery"), "device status")
    require_known(devices["category"], _HEARTBEAT_HOURS, "device category")
    out = devices[["id", "category", "subdistrict_id", "neighborhood_id"]].reset_index(drop=True)
    out["lon"], out["lat"] = _lon_lat(devices)
    stored = status.drop_duplicates("device_id", keep="last").set_index("device_id")
    stored = stored[["state", "last_seen", "battery"]].reindex(out["id"]).reset_index(drop=True)
    last_seen = as_utc_series(stored["last_seen"])
    window = out["category"].map(_HEARTBEAT_HOURS).astype(float) * HOUR  # empty: not str
    offline = (last_seen.isna() | ((as_utc(now) - last_seen) > window)).to_numpy()
    out["state"] = np.where(offline, "offline", stored["state"].fillna("normal").to_numpy())
    out["last_seen"] = last_seen
    out["battery"] = pd.to_numeric(stored["battery"]).astype(float)
    return out[list(STATE_COLUMNS)]


def _lon_lat(devices: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes from columns when present, else from point geometries."""
    if "lon" in devices and "lat" in devices:
        return devices["lon"].to_numpy(float), devices["lat"].to_numpy(float)
    if "geometry" in devices:
        geoms = np.asarray(devices["geometry"])
        return shapely.get_x(geoms), shapely.get_y(geoms)
    return np.full(len(devices), np.nan), np.full(len(devices), np.nan)


def state_counts(states: pd.DataFrame) -> pd.DataFrame:
    """Devices per category and state.

    Parameters
    ----------
    states : DataFrame
        ``category`` and ``state`` per device, as from :func:`current_states`.

    Returns
    -------
    DataFrame
        Index: the 19 category codes in catalog order; columns: ``catalog.DEVICE_STATES``;
        integer counts, zeros included.
    """
    require_columns(states, ("category", "state"), "device states")
    require_known(states["state"], DEVICE_STATES, "device state")
    codes = [c.code for c in DEVICE_CATEGORIES]
    counts = pd.crosstab(states["category"], states["state"]) if len(states) else None
    if counts is None:
        return pd.DataFrame(0, index=pd.Index(codes, name="category"),
                            columns=pd.Index(DEVICE_STATES, name="state"))
    counts = counts.reindex(index=codes, columns=list(DEVICE_STATES), fill_value=0)
    counts.index.name, counts.columns.name = "category", "state"
    return counts.astype(int)


def online_share(states: pd.DataFrame) -> float:
    """Share of devices not offline (0.0 when there are none).

    Parameters
    ----------
    states : DataFrame
        ``state`` per device, as from :func:`current_states`.

    Returns
    -------
    float
        ``(devices - offline) / devices``.
    """
    require_columns(states, ("state",), "device states")
    return share(int((states["state"] != "offline").sum()), len(states))


def heartbeat_window(category: str) -> pd.Timedelta:
    """How long a device of ``category`` may stay silent before it counts as offline."""
    try:
        return CATEGORY_BY_CODE[category].heartbeat_hours * HOUR
    except KeyError:
        raise ValueError(f"unknown device category {category!r}") from None
