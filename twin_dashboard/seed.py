"""Load the demo district (geodata/) into a store, shifted in time so that it is live now.

Every time in geodata/ is relative to ``manifest.json``'s ``as_of``; seeding moves every time
column by ``now - as_of``. Each layer and record table is replaced in its own transaction, so
seeding twice replaces rather than duplicates. The device status is derived from the readings
with the same domain function ingest uses, so a seeded store looks like one fed live; needing
both, seeding sits above store and domain (beside ``simulate``): store never imports domain.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from tqdm import tqdm

from twin_dashboard.domain.devices import status_from_readings
from twin_dashboard.domain.routing import SYSTEM, Directory, route
from twin_dashboard.domain.rules import household_alarms
from twin_dashboard.domain.time import as_utc, utc_now
from twin_dashboard.geo.importer import place_in_districts
from twin_dashboard.geo.layers import DISTRICT_COLUMN, DISTRICT_LAYER, LAYERS, LayerSpec
from twin_dashboard.store.base import RECORD_TABLES, TIME_COLUMNS, Store

MANIFEST = "manifest.json"
# Record tables and the geodata/ file each is loaded from (layers name theirs in LayerSpec.file).
RECORD_FILES: dict[str, str] = {
    "people": "people.csv",
    "households": "households.csv",
    "readings": "readings.csv",
    "alarms": "alarms.csv",
    "incidents": "incidents.csv",
    "incident_events": "incident_events.csv",
    "patrols": "patrols.geojson",
}
# Data sources (for /healthz) and the record tables whose newest time is their last update.
SOURCE_TABLES: dict[str, tuple[str, ...]] = {
    "sensors": ("readings",),
    "incidents": ("incidents", "incident_events"),
    "patrols": ("patrols",),
}
# Columns read as numbers; every other CSV column stays text (ids like "0012" keep their zeros).
NUMERIC_COLUMNS: frozenset[str] = frozenset({
    "lon", "lat", "value", "battery", "floors", "target_hours", "adcode",
})
_FRAME_KEYS = frozenset({"id", "geometry", "props", "lon", "lat"})
# CSV layers (addresses, devices): their lon/lat rows become points.
_POINT_LAYER_FILES = frozenset(s.file for s in LAYERS.values() if s.file.endswith(".csv"))


@dataclass
class SeedReport:
    """What a seed loaded: rows per layer/table, the time shift applied, and how long it took."""

    counts: dict[str, int]
    seconds: float
    as_of: pd.Timestamp
    shift: pd.Timedelta
    step_seconds: dict[str, float] = field(default_factory=dict)
    cleared: list[str] = field(default_factory=list)  # record tables emptied, no file for them
    raised: int = 0  # absence alarms due at the seed's moment, raised by the seed

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())

    def __str__(self) -> str:
        width = max((len(name) for name in self.counts), default=8)
        lines = [f"  {name:<{width}}  {n:>9,d}  {self.step_seconds.get(name, 0.0):6.2f} s"
                 for name, n in self.counts.items()]
        head = (f"seeded {self.total_rows:,d} rows in {self.seconds:.1f} s "
                f"(geodata as of {self.as_of.isoformat()}, times shifted by {self.shift})")
        tail = [f"  emptied: {', '.join(self.cleared)}"] if self.cleared else []
        tail += [f"  absence alarms due now: {self.raised}"] if self.raised else []
        return "\n".join([head, *lines, *tail])


@dataclass(frozen=True)
class Manifest:
    as_of: pd.Timestamp
    counts: dict[str, int]

    def expected_rows(self, file: str) -> int | None:
        """The row count the generator wrote for ``file`` (keyed by file name or stem)."""
        return self.counts.get(file, self.counts.get(Path(file).stem))


def read_manifest(geodata_dir: Path) -> Manifest:
    """The ``as_of`` and row counts of a geodata/ folder; a clear error when it is missing."""
    path = Path(geodata_dir) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no manifest.json, so not a geodata folder")
    data = json.loads(path.read_text(encoding="utf-8"))
    if "as_of" not in data:
        raise ValueError(f"{path}: no 'as_of'")
    as_of = pd.Timestamp(data["as_of"])  # keeps its offset, for the report and meta
    return Manifest(as_of=as_of if as_of.tzinfo is not None else as_utc(as_of),
                    counts={str(k): int(v) for k, v in data.get("counts", {}).items()})


def seed_store(store: Store, geodata_dir: Path, *, now: pd.Timestamp | None = None,
               progress: bool = False) -> SeedReport:
    """Replace the store's layers and records with geodata/'s, every time moved to ``now``.

    Parameters
    ----------
    store : Store
        The store to fill; each layer and table is replaced (all or nothing per table).
    geodata_dir : Path
        A folder in the format of geodata/README.md, with its ``manifest.json``.
    now : Timestamp, optional
        Where ``as_of`` lands (default: the current UTC time).
    progress : bool, default False
        Show a progress bar on stderr.

    Returns
    -------
    SeedReport
        Rows per layer/table (``device_status`` included) and the seconds taken.

    Raises
    ------
    FileNotFoundError
        When the manifest or a file it counts is missing.
    ValueError
        When a file's rows differ from the manifest's count.
    """
    return _Seeder(store, Path(geodata_dir), now, progress).run()


def ensure_seeded(store: Store, geodata_dir: Path) -> SeedReport | None:
    """Seed an empty store (``serve``'s first start); leave one holding data alone."""
    if not store.is_empty():
        return None
    return seed_store(store, geodata_dir)


# Steps that load no file of geodata/ (the report counts rows loaded from files, and derived
# device states).
UNCOUNTED_STEPS = ("other tables", "alarm_inbox", "absence rules")


class _Seeder:
    """One seed run: the steps in order, with the frames later steps need."""

    def __init__(self, store: Store, folder: Path, now: pd.Timestamp | None,
                 progress: bool) -> None:
        self.store, self.folder, self.progress = store, folder, progress
        self.manifest = read_manifest(folder)
        self.now = utc_now() if now is None else as_utc(now)
        self.shift = self.now - self.manifest.as_of
        self.counts: dict[str, int] = {}
        self.step_seconds: dict[str, float] = {}
        self.frames: dict[str, pd.DataFrame] = {}  # devices and record tables, kept for later
        self.cleared: list[str] = []
        self.raised = 0

    def steps(self) -> list[tuple[str, Callable[[], int]]]:
        layers = [(spec.table, lambda s=spec: self.load_layer(s))
                  for spec in LAYERS.values() if self._present(spec.file)]
        records = [(table, lambda t=table: self.load_records(t))
                   for table, file in RECORD_FILES.items() if self._present(file)]
        return [*layers, *records, ("device_status", self.derive_status),
                ("other tables", self.clear_others), ("alarm_inbox", self.route_alarms),
                ("absence rules", self.judge_rules)]

    def run(self) -> SeedReport:
        started = time.perf_counter()
        steps = self.steps()
        bar = tqdm(steps, desc="seed", unit="step", file=sys.stderr, disable=not self.progress)
        for name, step in bar:
            bar.set_postfix_str(name)
            t0 = time.perf_counter()
            count = step()
            self.step_seconds[name] = time.perf_counter() - t0
            if name not in UNCOUNTED_STEPS:
                self.counts[name] = count
            if name == "absence rules":
                self.raised = count
        bar.close()
        self.record_bookkeeping()
        return SeedReport(self.counts, time.perf_counter() - started, self.manifest.as_of,
                          self.shift, self.step_seconds, self.cleared, self.raised)

    def _present(self, file: str) -> bool:
        """Whether ``file`` is there; a file the manifest counts must be."""
        if (self.folder / file).is_file():
            return True
        if self.manifest.expected_rows(file) is not None:
            raise FileNotFoundError(f"{self.folder / file}: listed in {MANIFEST} but missing")
        return False

    # --- steps ---
    def load_layer(self, spec: LayerSpec) -> int:
        frame = self.read(spec.file)
        if spec.name == "devices":
            self.frames["devices"] = frame
        if spec.name == DISTRICT_LAYER:
            self.frames[DISTRICT_LAYER] = frame
        else:  # each row in the district whose boundary holds it (the file may name it)
            frame = _in_districts(spec, frame, self.frames.get(DISTRICT_LAYER))
        return self.store.replace_layer(spec.name, _with_props(frame, spec))

    def load_records(self, table: str) -> int:
        frame = self.read(RECORD_FILES[table])
        if isinstance(frame, gpd.GeoDataFrame):  # patrols: the track goes in the geom column
            frame = pd.DataFrame(frame.drop(columns="geometry")).assign(
                geom=frame.geometry.to_numpy())
        self.frames[table] = frame
        return self.store.replace_records(table, frame)

    def derive_status(self) -> int:
        devices = self.frames.get("devices")
        if devices is None:
            return 0
        readings = self.frames.get("readings", pd.DataFrame(columns=["device_id", "ts"]))
        return self.store.replace_records("device_status",
                                          status_from_readings(devices, readings))

    def clear_others(self) -> int:
        """Empty the record tables geodata/ has no file for (e.g. the alarm inbox), whose rows
        would otherwise point at the alarms and devices just replaced; returns 0 rows loaded."""
        for table in _other_tables():
            self.store.replace_records(table, pd.DataFrame(columns=list(RECORD_TABLES[table])))
            self.cleared.append(table)
        return 0

    def route_alarms(self) -> int:
        """Put the alarms still waiting in their recipients' inboxes, each step at the time it
        happened (geodata/ holds no inbox; live alarms are routed as they are raised)."""
        alarms = self.frames.get("alarms")
        if alarms is None or alarms.empty:
            return 0
        directory = Directory.from_store(self.store)
        inbox: list[tuple] = []
        steps: list[tuple] = []
        waiting = alarms[alarms["status"].isin(("open", "acknowledged", "escalated"))]
        for alarm in waiting.to_dict("records"):
            raised = _epoch(alarm["raised_at"])
            people = directory.recipients(alarm)
            inbox += [(p, alarm["id"], role, raised) for p, role in people]
            steps += [(alarm["id"], raised, "raised", SYSTEM, None, alarm["rule"]),
                      *((alarm["id"], raised, "notified", SYSTEM, p, role) for p, role in people)]
            if _is_time(alarm.get("escalated_at")):
                at = _epoch(alarm["escalated_at"])
                up = directory.escalation(alarm)
                inbox += [(p, alarm["id"], role, at) for p, role in up]
                steps += [(alarm["id"], at, "escalated", SYSTEM, None, "open"),
                          *((alarm["id"], at, "escalated_to", SYSTEM, p, r) for p, r in up)]
            if _is_time(alarm.get("acked_at")) and isinstance(alarm.get("acked_by"), str):
                steps.append((alarm["id"], _epoch(alarm["acked_at"]), "acknowledged",
                              alarm["acked_by"], alarm["acked_by"], None))
        with self.store.live_tx() as tx:
            tx.add_inbox(list(dict.fromkeys(inbox)))
            tx.add_steps(steps)
        return len(inbox)

    def judge_rules(self) -> int:
        """Raise (and route) the absence alarms due at ``now``: geodata/'s readings end at
        ``as_of``, so otherwise the server's first tick raises them all at once after start."""
        if "devices" not in self.frames:
            return 0
        self.store.backfill_registers()
        drafts = household_alarms(self.store.household_activity(), self.now)
        now_s = _epoch(self.now)
        with self.store.live_tx() as tx:
            new_ids = set(tx.add_alarms(drafts)) if drafts else set()
            new = [d for d in drafts if d["id"] in new_ids]
            if new:
                route(tx, new, Directory.from_store(self.store), now_s)
        return len(new)

    def record_bookkeeping(self) -> None:
        """Meta for the freshness banner, and each source's newest time for /healthz."""
        self.store.set_meta("seeded_at", self.now.isoformat())
        self.store.set_meta("geodata_as_of", self.manifest.as_of.isoformat())
        self.store.set_meta("geodata_shift_seconds", str(int(self.shift.total_seconds())))
        for source, tables in SOURCE_TABLES.items():
            latest = _latest_time([self.frames[t] for t in tables if t in self.frames],
                                  self.now)
            if latest is not None:
                self.store.touch_source(source, latest, "seeded from geodata/")
        self.store.touch_source("geodata", self.now, f"as of {self.manifest.as_of.isoformat()}")

    # --- reading ---
    def read(self, file: str) -> pd.DataFrame:
        """A geodata file as a (Geo)DataFrame with times parsed and shifted to now."""
        path = self.folder / file
        frame = _read_csv(path) if path.suffix == ".csv" else _read_geojson(path)
        expected = self.manifest.expected_rows(file)
        if expected is not None and expected != len(frame):
            raise ValueError(f"{path}: {len(frame)} rows, but {MANIFEST} counts {expected}")
        for column in frame.columns.intersection(sorted(TIME_COLUMNS)):
            frame[column] = _parse_times(frame[column]) + self.shift
        return frame


def _epoch(value: Any) -> int:
    return int(pd.Timestamp(value).timestamp())


def _is_time(value: Any) -> bool:
    return value is not None and not pd.isna(value)


def _read_csv(path: Path) -> pd.DataFrame:
    """A CSV with text ids, numeric measures; lon/lat rows become a point GeoDataFrame."""
    header = pd.read_csv(path, nrows=0).columns
    dtypes = {c: ("float64" if c in NUMERIC_COLUMNS else "str") for c in header}
    frame = pd.read_csv(path, dtype=dtypes, engine="pyarrow")
    if "lon" in frame and "lat" in frame and path.name in _POINT_LAYER_FILES:
        points = shapely.points(frame["lon"].to_numpy(), frame["lat"].to_numpy())
        return gpd.GeoDataFrame(frame, geometry=points, crs="EPSG:4326")
    return frame


def _read_geojson(path: Path) -> gpd.GeoDataFrame:
    """GeoJSON through GDAL's Arrow reader, times kept as text (we parse them ourselves)."""
    frame = pyogrio.read_dataframe(path, use_arrow=True, datetime_as_string=True)
    return frame.set_crs("EPSG:4326", allow_override=True)


def _parse_times(values: pd.Series) -> pd.Series:
    """ISO 8601 text with offsets (empty for none) as aware UTC timestamps."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC")
    text = values.where(values.astype(str).str.strip() != "", None)
    return pd.to_datetime(text, utc=True, format="ISO8601")


def _in_districts(spec: LayerSpec, frame: pd.DataFrame,
                  districts: pd.DataFrame | None) -> pd.DataFrame:
    """``frame`` with its ``district_id`` filled as the importer fills it."""
    if not isinstance(frame, gpd.GeoDataFrame) or districts is None:
        return frame
    if DISTRICT_COLUMN not in frame:
        frame = frame.assign(**{DISTRICT_COLUMN: None})
    frame[DISTRICT_COLUMN] = frame[DISTRICT_COLUMN].astype(object).where(
        frame[DISTRICT_COLUMN].notna() & (frame[DISTRICT_COLUMN] != ""), None)
    return place_in_districts(spec, frame, districts, None)


def _with_props(frame: pd.DataFrame, spec: LayerSpec) -> pd.DataFrame:
    """Move properties the layer has no column for into ``props``, as the importer does."""
    extras = [c for c in frame.columns if c not in _FRAME_KEYS and c not in spec.column_names]
    if not extras:
        return frame
    rows = frame[extras].astype(object).where(frame[extras].notna(), None).to_dict("records")
    props = [{k: v for k, v in row.items() if v is not None and v != ""} for row in rows]
    return frame.drop(columns=extras).assign(props=[p or None for p in props])


def _other_tables() -> list[str]:
    """Record tables with neither a geodata/ file nor a derivation (read late: others add some)."""
    return [t for t in RECORD_TABLES if t not in RECORD_FILES and t != "device_status"]


def _latest_time(frames: list[pd.DataFrame], now: pd.Timestamp) -> pd.Timestamp | None:
    """The newest past time in ``frames`` (deadlines such as ``sla_due_at`` may be ahead)."""
    latest = [frame[c][frame[c] <= now].max()
              for frame in frames for c in frame.columns if c in TIME_COLUMNS]
    latest = [t for t in latest if pd.notna(t)]
    return max(latest) if latest else None



@dataclass(frozen=True)
class DemoAccount:
    """One demo sign-in: printed once by ``serve``, its password stored only as a hash."""

    name: str
    role: str
    secret: str  # the password, or a kiosk's enrolment path
    area: str


def create_demo_users(store: Store, now: pd.Timestamp | None = None) -> list[DemoAccount]:
    """One account per role over the seeded demo district, each with a random password, and
    a kiosk for the whole district, linked to fitting people and areas (云舫小区's cadre and
    an elder's buddy, 北外滩's duty officer, a road chief of one of its zones). Accounts
    already there are left alone; returns the ones created."""
    import secrets

    from twin_dashboard.domain.accounts import Area, create_kiosk, create_user
    from twin_dashboard.domain.routing import Directory

    now = utc_now() if now is None else now
    directory = Directory.from_store(store)
    homes = store.read_records("households", where={"neighborhood_id": "yunfang"})
    buddy = homes["buddy_id"].dropna().iloc[0] if len(homes) else None
    zones = store.read_layer("patrol-zones")
    zone = zones[zones["subdistrict_id"] == "beiwaitan"].head(1)
    wanted = [
        ("demo-commander", "commander", Area(), directory.duty.get("beiwaitan")),
        ("demo-officer", "officer", Area(subdistrict="beiwaitan"),
         directory.duty.get("beiwaitan")),
        ("demo-cadre", "cadre", Area(neighborhoods=("yunfang",)), directory.cadres.get("yunfang")),
        ("demo-property", "property", Area(neighborhoods=("yunfang",)), None),
        ("demo-roadchief", "road_chief", Area(zones=tuple(zone["id"])),
         zone["gov_chief_id"].iloc[0] if len(zone) else None),
        ("demo-buddy", "buddy", Area(), buddy),
        ("demo-admin", "admin", Area(), None),
    ]
    made: list[DemoAccount] = []
    for name, role, area, person in wanted:
        if store.accounts.user(name) is not None or (role == "buddy" and not person):
            continue
        if role == "road_chief" and not area.zones:
            continue
        password = secrets.token_urlsafe(12)
        create_user(store, name, role, area, person_id=person, password=password, now=now,
                    by="serve --demo-users")
        shown = area.subdistrict or ",".join(area.neighborhoods or area.zones) or (
            f"elders of {person}" if role == "buddy" else "district")
        made.append(DemoAccount(name, role, password, shown))
    if store.accounts.user("demo-wall") is None:
        token = create_kiosk(store, "demo-wall", "district", now, by="serve --demo-users")
        made.append(DemoAccount("demo-wall", "kiosk", f"/kiosk/enrol/{token}", "district"))
    return made
