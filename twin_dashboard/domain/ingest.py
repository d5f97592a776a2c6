"""Live ingest: validate a batch → store it idempotently → fold states → rules → alarms routed.

One batch is one transaction: new readings, device states and registers, alarms, inbox rows and
their steps commit together, so a crash leaves either all of a batch or none of it, and a
retried batch stores nothing twice. The idempotency key is (gateway, ``reading_id``): a reading
id is unique per gateway stream, so two gateways may use the same ids. The gateway is the
token's name over HTTP, the message's topic over MQTT (``mqtt:<topic>``) and ``simulator`` for
the in-process feed. HTTP, MQTT and the simulator all come through :class:`Ingestor`, so they
validate alike.

A batch with any invalid item is refused whole (:class:`BatchRefused`, HTTP 422) with errors
naming the item's index (0-based; for NDJSON among non-blank lines), field and reason. Beyond
the schema, an item is invalid when its device is unknown, its ``ts`` lies more than
``states.FUTURE_TOLERANCE`` ahead of the server clock, or more than ``max_age``
(``Settings.max_reading_age``, 7 days by default) behind it — a reading dated year 0001 is a
broken gateway clock, not history.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any, Literal, NotRequired

import pandas as pd
from cachetools import TTLCache
from pydantic import AwareDatetime, ConfigDict, Field, TypeAdapter, ValidationError, with_config
from typing_extensions import TypedDict

from twin_dashboard.catalog import DEVICE_CATEGORIES, READING_EVENTS
from twin_dashboard.config import Settings
from twin_dashboard.domain import routing
from twin_dashboard.domain.devices import heartbeat_window
from twin_dashboard.domain.rules import DEFAULT_RULES, RuleConfig, device_alarm, household_alarms
from twin_dashboard.domain.states import FUTURE_TOLERANCE, DeviceLive, apply_reading, settle
from twin_dashboard.domain.time import utc_now
from twin_dashboard.store.base import STATUS_LIVE_COLUMNS, LiveTx, Store

log = logging.getLogger(__name__)
MAX_ERRORS = 100  # errors listed in a refusal; ``error_count`` has the total
LOCAL_GATEWAY = "local"  # the stream of in-process callers that name none (tests, scripts)
SIMULATOR_GATEWAY = "simulator"  # serve's in-process simulated feed
DIRECTORY_TTL_S = 60.0  # households and people change rarely: reread at most this often
Ident = Annotated[str, Field(min_length=1, max_length=128)]


@with_config(ConfigDict(extra="forbid", strict=True, title="Reading"))
class Reading(TypedDict):
    """One sensor reading (README: command line and HTTP).

    Unknown fields are refused: a typo is not silent.

    A TypedDict, not a model: validating 5,000 readings into dicts takes less than half the
    time of building model instances, and this is the ingest hot path.
    """

    reading_id: Annotated[Ident, Field(description="unique per gateway stream: idempotency key")]
    device_id: Annotated[Ident, Field(description="a known device id")]
    ts: Annotated[AwareDatetime, Field(description="ISO 8601 with a UTC offset (naive refused)")]
    event: NotRequired[Literal[READING_EVENTS] | None]  # type: ignore[valid-type]
    value: NotRequired[Annotated[float, Field(allow_inf_nan=False,
                                              description="in the category's unit")] | None]
    battery: NotRequired[Annotated[float, Field(ge=0, le=1)] | None]


READING = TypeAdapter(Reading)
READINGS = TypeAdapter(list[Reading])


class BatchRefused(ValueError):
    """A batch refused whole; ``errors`` are ``{index, field, reason}`` dicts."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} invalid item(s)")
        self.errors = errors


@dataclass
class IngestResult:
    accepted: int
    duplicates: int
    alarms: list[str] = field(default_factory=list)


@dataclass
class LiveDelta:
    """What changed, for live screens: device -> shown state, and alarms newly raised."""

    states: dict[str, str]
    alarms: list[dict[str, Any]]


def parse_batch(body: bytes, ndjson: bool = False) -> list[Reading]:
    """Validate a JSON array (or NDJSON) body into readings; :class:`BatchRefused` if any is bad."""
    if not ndjson:
        return _validate(body)
    lines = [line for line in (raw.strip() for raw in body.split(b"\n")) if line]
    try:
        readings = _validate(b"[" + b",".join(lines) + b"]")
    except BatchRefused:
        readings = None
    if readings is None or len(readings) != len(lines):  # a line was not one JSON value
        return _validate_lines(lines)
    return readings


def _validate(array: bytes) -> list[Reading]:
    try:
        return READINGS.validate_json(array)
    except ValidationError as err:
        raise BatchRefused(_item_errors(err)) from None


def _validate_lines(lines: Sequence[bytes]) -> list[Reading]:
    errors: list[dict[str, Any]] = []
    out: list[Reading] = []
    for index, line in enumerate(lines):
        try:
            out.append(READING.validate_json(line))
        except ValidationError as err:
            errors += [{**e, "index": index} for e in _item_errors(err, offset=0)]
    if errors:
        raise BatchRefused(errors)
    return out


def _item_errors(err: ValidationError, offset: int = 1) -> list[dict[str, Any]]:
    """pydantic errors as ``{index, field, reason}``; ``offset`` skips the list index in loc."""
    out = []
    for e in err.errors(include_url=False, include_context=False):
        loc = e["loc"]
        index = loc[0] if offset and loc and isinstance(loc[0], int) else None
        rest = [str(p) for p in loc[offset:]] if index is not None or not offset else []
        out.append({"index": index, "field": ".".join(rest) or None, "reason": e["msg"]})
    return out


class DeviceIndex:
    """Known devices (id -> category, household, scope, lon/lat), reloaded when one is missing."""

    RELOAD_AFTER_S = 5.0  # an unknown id rereads the layer at most this often

    def __init__(self, store: Store) -> None:
        self.store = store
        self.devices: dict[str, dict[str, Any]] = {}
        self.loaded_at = float("-inf")

    def load(self) -> None:
        frame = self.store.read_layer("devices")
        frame = frame.assign(lon=frame.geometry.x, lat=frame.geometry.y)
        keep = ["id", "category", "household_id", "subdistrict_id", "neighborhood_id", "lon",
                "lat"]
        self.devices = {d["id"]: d for d in frame[keep].to_dict("records")}
        self.loaded_at = time.monotonic()

    def unknown(self, ids: set[str]) -> set[str]:
        missing = {i for i in ids if i not in self.devices}  # not ids - keys(): copies all keys
        if missing and time.monotonic() - self.loaded_at > self.RELOAD_AFTER_S:
            self.load()
            missing = {i for i in ids if i not in self.devices}
        return missing


class Ingestor:
    """The one way readings enter a store (HTTP, MQTT and the simulator share it).

    One per app (``Services``): it holds the device index, the routing directory and the
    listeners that live screens subscribe with. ``deliver`` sends alarm notices after a commit;
    by default at once, in the caller's thread (the server hands it a background outbox).
    """

    def __init__(self, store: Store, *, clock: Callable[[], pd.Timestamp] = utc_now,
                 rules: RuleConfig = DEFAULT_RULES,
                 routing_cfg: routing.RoutingConfig = routing.DEFAULT_ROUTING,
                 notifier: routing.Notifier | None = None,
                 deliver: Callable[[list[routing.Notice]], None] | None = None,
                 max_age: timedelta = Settings.max_reading_age) -> None:
        self.store, self.clock, self.rules, self.routing_cfg = store, clock, rules, routing_cfg
        self.max_age = pd.Timedelta(max_age)  # older readings are refused per item
        self.notifier: routing.Notifier = notifier or routing.LogNotifier()
        self.deliver = deliver or (lambda notices: routing.deliver(store, self.notifier,
                                                                   notices))
        self.index = DeviceIndex(store)
        self.listeners: list[Callable[[LiveDelta], None]] = []
        self._directory: TTLCache[str, routing.Directory] = TTLCache(1, DIRECTORY_TTL_S)
        self._backfilled = False

    def add_listener(self, listener: Callable[[LiveDelta], None]) -> Callable[[], None]:
        """Call ``listener`` after each committed change (live screens); returns an unsubscriber."""
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def ingest_body(self, body: bytes, ndjson: bool = False, *,
                    gateway: str = LOCAL_GATEWAY) -> IngestResult:
        """Parse, validate and store one batch from ``gateway``."""
        return self.ingest(parse_batch(body, ndjson), gateway=gateway)

    def ingest(self, readings: Sequence[Reading], checked: bool = False, *,
               gateway: str | Sequence[str] = LOCAL_GATEWAY) -> IngestResult:
        """Check devices and times (unless ``checked``), then store in one transaction.

        ``gateway`` names the stream the readings came from (one name, or one per reading):
        a reading whose (gateway, reading_id) is stored already counts as a duplicate.
        """
        now = self.clock()
        if not checked:
            self.check(readings, now)
        now_s = int(now.timestamp())
        gateways = [gateway] * len(readings) if isinstance(gateway, str) else gateway
        rows = [(r["reading_id"], r["device_id"], int(r["ts"].timestamp()), r.get("event"),
                 r.get("value"), r.get("battery"), now_s, g)
                for r, g in zip(readings, gateways, strict=True)]
        with self.store.live_tx() as tx:
            fresh = tx.new_readings(rows)
            states, alarms, notices = self._fold(tx, fresh, now_s) if fresh else ({}, [], [])
        # Even a batch of duplicates shows the feed is alive (a gateway resending after a drop).
        self.store.touch_source("sensors", now, f"{len(fresh)} new readings")
        self._after_commit(LiveDelta(states, alarms), notices)
        return IngestResult(len(fresh), len(rows) - len(fresh), [a["id"] for a in alarms])

    def check(self, readings: Sequence[Reading], now: pd.Timestamp | None = None) -> None:
        """:class:`BatchRefused` naming items of unknown devices, from the future or older
        than ``max_age``."""
        now = self.clock() if now is None else now
        unknown = self.index.unknown({r["device_id"] for r in readings})
        latest = (now + FUTURE_TOLERANCE).to_pydatetime()
        earliest = (now - self.max_age).to_pydatetime()
        errors = []
        for i, r in enumerate(readings):
            if r["device_id"] in unknown:
                errors.append({"index": i, "field": "device_id",
                               "reason": f"unknown device {r['device_id']!r}"})
            if r["ts"] > latest:
                errors.append({"index": i, "field": "ts", "reason":
                               f"more than {FUTURE_TOLERANCE} ahead of server time"})
            elif r["ts"] < earliest:
                errors.append({"index": i, "field": "ts", "reason":
                               f"more than {_span(self.max_age)} before server time "
                               f"({r['ts'].isoformat()}): too old to take"})
        if errors:
            raise BatchRefused(errors)

    def _fold(self, tx: LiveTx, fresh: list[tuple], now_s: int):
        """Fold new readings into device states; raise and route device alarms."""
        by_device: dict[str, list[tuple]] = {}
        for row in fresh:
            by_device.setdefault(row[1], []).append(row)
        stored = tx.load_live(list(by_device))
        rows, scopes, registers, states, alarms = [], [], [], {}, []
        for device_id, readings in by_device.items():
            info, row = self.index.devices[device_id], stored.get(device_id)
            live = DeviceLive.from_row(row) if row is not None else DeviceLive(device_id)
            shown = _fold_device(live, info, readings, now_s)
            if shown is not None:
                states[device_id] = shown
            if live.alarm_active and live.alarm_since != _episode(row):
                alarms.append(device_alarm(info, live))
            rows.append(live.status_row())
            scopes.append((info["subdistrict_id"], info["neighborhood_id"]))
            if row is None or live.register_row() != row[_N_STATUS:]:
                registers.append((device_id, *live.register_row()))
        tx.save_live(rows, scopes, registers)
        return states, *self._raise(tx, alarms, now_s)

    def _raise(self, tx: LiveTx, alarms: list[dict[str, Any]], now_s: int):
        """Insert alarms not seen before and route them; returns (new alarms, notices)."""
        if not alarms:
            return [], []
        new_ids = set(tx.add_alarms(alarms))
        new = [a for a in alarms if a["id"] in new_ids]
        return new, routing.route(tx, new, self.directory(), now_s) if new else []

    def directory(self) -> routing.Directory:
        """Households and people change rarely: reread at most every ``DIRECTORY_TTL_S``."""
        found = self._directory.get("directory")
        if found is None:
            found = self._directory["directory"] = routing.Directory.from_store(self.store)
        return found

    def tick(self) -> list[str]:
        """Judge the absence rules and escalate overdue alarms; returns new alarm ids."""
        now = self.clock()
        if not self._backfilled:
            self.store.backfill_registers()
            self._backfilled = True
        drafts = household_alarms(self.store.household_activity(), now, self.rules)
        with self.store.live_tx() as tx:
            alarms, notices = self._raise(tx, drafts, int(now.timestamp()))
        notices += routing.escalate_overdue(self.store, now, self.directory(), self.routing_cfg)
        self._after_commit(LiveDelta({}, alarms), notices)
        return [a["id"] for a in alarms]

    def _after_commit(self, delta: LiveDelta, notices: list[routing.Notice]) -> None:
        if notices:
            self.deliver(notices)
        if delta.states or delta.alarms:
            for listener in list(self.listeners):
                try:
                    listener(delta)
                except Exception:  # a broken screen feed must not fail ingest
                    log.exception("live listener failed")


def _span(delta: pd.Timedelta) -> str:
    """``7 days``, ``36 hours``, ``90 minutes``: a window as people say it."""
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size} {unit}{'s' if seconds != size else ''}"
    return f"{seconds} seconds"


def _episode(row: tuple | None) -> int | None:
    """The running alarm episode of a stored row (None when not in alarm)."""
    if row is None:
        return None
    live = DeviceLive.from_row(row)
    return live.alarm_since if live.alarm_active else None


def _fold_device(live: DeviceLive, info: dict[str, Any], readings: list[tuple],
                 now_s: int) -> str | None:
    """Apply one device's readings; its shown state if that changed (offline counts)."""
    window = _WINDOW_S[info["category"]]
    was_offline = live.last_seen is None or now_s - live.last_seen > window
    water = info["category"] == "water_flow"
    for _, _, ts, event, value, battery, *_ in readings:
        apply_reading(live, ts, event, value, battery, water)
    changed = settle(live)
    online = live.last_seen is not None and now_s - live.last_seen <= window
    if changed or was_offline != (not online):
        return live.state if online else "offline"
    return None


_N_STATUS = len(STATUS_LIVE_COLUMNS)
_WINDOW_S: dict[str, float] = {c.code: heartbeat_window(c.code).total_seconds()
                               for c in DEVICE_CATEGORIES}
