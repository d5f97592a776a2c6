"""The one store interface: every read and write of persistent data goes through it.

Two implementations keep to it: SQLite (embedded default, ``sqlite.py``) and, for deployments
that outgrow one process, PostgreSQL/PostGIS. Every read takes a :class:`Scope` so that roles can
be enforced without rewriting queries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import geopandas as gpd
import pandas as pd

if TYPE_CHECKING:
    from twin_dashboard.store.accounts import SQLiteAccounts


@dataclass(frozen=True)
class Scope:
    """Which subdistricts and neighborhoods a caller may see; ``None`` means no limit."""

    subdistrict_ids: frozenset[str] | None = None
    neighborhood_ids: frozenset[str] | None = None

    @classmethod
    def of(cls, subdistrict: str | None = None, neighborhood: str | None = None) -> Scope:
        """A scope narrowed to one subdistrict and/or one neighborhood (empty values ignored)."""
        return cls(
            frozenset([subdistrict]) if subdistrict else None,
            frozenset([neighborhood]) if neighborhood else None,
        )

    @property
    def is_all(self) -> bool:
        return self.subdistrict_ids is None and self.neighborhood_ids is None


ALL = Scope()
# A meta key that every replace_layer sets anew: caches of the geography compare it.
LAYERS_VERSION_KEY = "layers_version"

# Record tables (not importable layers) and the columns each is read and written with.
RECORD_TABLES: dict[str, tuple[str, ...]] = {
    "people": ("id", "name", "phone", "role", "subdistrict_id", "neighborhood_id", "tags"),
    "households": ("id", "subdistrict_id", "neighborhood_id", "building_id", "address",
                   "elder_id", "cadre_id", "buddy_id", "lon", "lat"),
    "device_status": ("device_id", "state", "state_since", "last_seen", "last_event",
                      "last_value", "battery", "subdistrict_id", "neighborhood_id"),
    "readings": ("reading_id", "device_id", "ts", "event", "value", "battery", "received_at",
                 "gateway"),
    "alarms": ("id", "device_id", "household_id", "subdistrict_id", "neighborhood_id", "rule",
               "severity", "status", "raised_at", "acked_at", "acked_by", "escalated_at",
               "closed_at", "incident_id", "lon", "lat"),
    "incidents": ("id", "source", "kind", "title", "subdistrict_id", "neighborhood_id",
                  "zone_id", "device_id", "level", "status", "reported_at", "dispatched_at",
                  "resolved_at", "closed_at", "sla_due_at", "lon", "lat",
                  "assignee", "accepted_at", "started_at", "verified_at", "reopened"),
    "incident_events": ("incident_id", "ts", "action", "level", "actor", "note"),
    "patrols": ("id", "zone_id", "chief_id", "subdistrict_id", "started_at", "ended_at",
                "road_ids", "geom"),
    "visits": ("id", "kind", "household_id", "building_id", "subdistrict_id", "neighborhood_id",
               "visitor_id", "recorded_by", "started_at", "ended_at", "findings", "failed",
               "lon", "lat"),
    "visit_findings": ("visit_id", "item", "ok", "note", "incident_id"),
}
# Values of record columns a frame may leave out (readings from files name no gateway).
NO_GATEWAY = ""
RECORD_DEFAULTS: dict[str, dict[str, Any]] = {"readings": {"gateway": NO_GATEWAY}}
# Columns holding times (integer epoch seconds in the store, pandas UTC timestamps outside).
TIME_COLUMNS: frozenset[str] = frozenset({
    "installed_at", "state_since", "last_seen", "ts", "received_at", "raised_at", "acked_at",
    "escalated_at", "closed_at", "reported_at", "dispatched_at", "resolved_at", "sla_due_at",
    "started_at", "ended_at", "accepted_at", "verified_at",
})


# --- live ingest (issue 4) ---
# A device's live row: its device_status columns, then its device_registers (schema.sql).
STATUS_LIVE_COLUMNS: tuple[str, ...] = (
    "device_id", "state", "state_since", "last_seen", "last_event", "last_value", "battery",
)
REGISTER_COLUMNS: tuple[str, ...] = (
    "alarm_at", "alarm_since", "fault_at", "clear_at", "battery_at", "event_at", "value_at",
    "active_at", "flow_at", "flow_on",
)
LIVE_COLUMNS: tuple[str, ...] = STATUS_LIVE_COLUMNS + REGISTER_COLUMNS
RECORD_TABLES.update({
    "alarm_inbox": ("person_id", "alarm_id", "role", "since"),  # since: epoch seconds
    "alarm_steps": ("alarm_id", "ts", "action", "actor", "person_id", "note"),
})


class StoreError(ValueError):
    """A write the store refused; nothing was changed."""


class StoreUnavailable(RuntimeError):
    """The store cannot be opened or cannot take writes now: it is read-only, the disk is full
    or failing, the file is not a database, or another writer holds it. Nothing was changed.

    Not a ``ValueError``: it says nothing about the data, and the API answers it with 503.
    """


class Store(Protocol):
    """What the rest of the app may ask of persistence."""

    url: str
    # Users, sessions, tokens, lock-out and the append-only audit (store/accounts.py).
    accounts: SQLiteAccounts

    # --- layers (geographic, importable) ---
    def replace_layer(self, layer: str, frame: gpd.GeoDataFrame,
                      district: str | None = None) -> int:
        """Replace a whole layer in one transaction — or, given ``district``, only that
        district's rows (its own row of the district layer); returns the row count."""

    def read_layer(self, layer: str, scope: Scope = ALL, *, after: str | None = None,
                   limit: int | None = None) -> gpd.GeoDataFrame:
        """A layer in EPSG:4326 with its typed columns, ``props`` (dict) and geometry.

        With ``after`` or ``limit``, one page in id order: the features whose id sorts after
        ``after``, at most ``limit`` of them.
        """

    def layer_fingerprint(self, layer: str) -> str:
        """A digest of a layer's rows, to prove a refused import changed nothing."""

    # --- records ---
    def replace_records(self, table: str, frame: pd.DataFrame) -> int:
        """Replace a whole record table in one transaction."""

    def read_records(
        self, table: str, scope: Scope = ALL, where: Mapping[str, Any] | None = None,
    ) -> pd.DataFrame:
        """Rows of a record table; ``where`` is column -> value or list of values."""

    def count(self, table: str, scope: Scope = ALL) -> int: ...

    def read_columns(self, table: str, columns: list[str] | tuple[str, ...],
                     scope: Scope = ALL, where: Mapping[str, Any] | None = None
                     ) -> pd.DataFrame:
        """Some plain columns of a layer or record table (no geometry): the fast read."""

    def set_person_tags(self, person_id: str, tags: str) -> str | None:
        """Replace one person's ``;``-separated tags (community brain); returns the old tags,
        ``None`` when there is no such person."""

    # --- replay (issue 10): reads bounded in time ---
    def read_until(self, table: str, columns: list[str] | tuple[str, ...], until: int,
                   scope: Scope = ALL, column: str = "raised_at") -> pd.DataFrame:
        """Columns of a record table, rows whose time ``column`` is at or before ``until``."""

    def history_until(self, table: str, until: int, scope: Scope = ALL,
                      changed_after: int | None = None) -> pd.DataFrame:
        """``incident_events`` / ``readings`` rows at or before ``until`` within ``scope``."""

    # --- bookkeeping ---
    def is_empty(self) -> bool:
        """True when no layer has been loaded yet (so serve seeds it)."""

    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...
    def touch_source(self, name: str, at: pd.Timestamp, detail: str = "") -> None: ...
    def sources(self) -> pd.DataFrame: ...

    def check_writable(self) -> None:
        """Raise :class:`StoreUnavailable` naming the reason when a write could not be made now."""

    def close(self) -> None: ...

    # --- live ingest (issue 4) ---
    def live_tx(self) -> AbstractContextManager[LiveTx]:
        """One all-or-nothing transaction for a batch of readings or a routing step."""

    def save_token(self, name: str, token_hash: str, at: pd.Timestamp) -> None:
        """Store a gateway token's hash; refuses a name whose token is still active."""

    def revoke_token_hash(self, name: str, at: pd.Timestamp) -> bool:
        """Mark NAME's active token revoked; False when there is none."""

    def active_token_hashes(self) -> dict[str, str]:
        """Gateway name -> token hash, for tokens not revoked."""

    def household_activity(self) -> pd.DataFrame:
        """Per elderly door/infrared/water device: household, scope, last_seen and registers."""

    def backfill_registers(self) -> int:
        """Derive activity registers from stored readings for devices that have none."""


class LiveTx(Protocol):
    """The writes of one ingest batch or routing step, inside one open transaction."""

    def new_readings(self, rows: Sequence[tuple]) -> list[tuple]: ...
    def load_live(self, device_ids: Sequence[str]) -> dict[str, tuple]: ...
    def save_live(self, rows: Sequence[tuple], scopes: Sequence[tuple[str, str]],
                  registers: Sequence[tuple]) -> None: ...
    def add_alarms(self, alarms: Sequence[dict[str, Any]]) -> list[str]: ...
    def alarm(self, alarm_id: str) -> dict[str, Any] | None: ...
    def update_alarm(self, alarm_id: str, changes: dict[str, Any]) -> None: ...
    def add_inbox(self, rows: Sequence[tuple[str, str, str, int]]) -> None: ...
    def add_steps(self, rows: Sequence[tuple]) -> None: ...
    def add_incident(self, incident: dict[str, Any], event: tuple) -> None: ...
    def add_visit(self, visit: dict[str, Any], findings: Sequence[tuple]) -> None: ...
    def add_patrol(self, patrol: dict[str, Any]) -> None: ...
    def incident(self, incident_id: str) -> dict[str, Any] | None:
        """One incident's row (times as epoch seconds), ``None`` when unknown."""
    def update_incident(self, incident_id: str, changes: dict[str, Any], event: tuple) -> None:
        """Change an incident's columns and append its ``incident_events`` row."""
    def last_incident_number(self) -> int:
        """The highest N of the ids ``inc-NNNNNN`` stored (0 when there are none)."""
    def overdue_alarms(self, raised_before: int) -> list[dict[str, Any]]: ...


def open_store(url: str) -> Store:
    """Open the store a SQLAlchemy-style URL names (``sqlite:///…``, ``postgresql://…``)."""
    if url.startswith("sqlite:"):
        from twin_dashboard.store.sqlite import SQLiteStore

        return SQLiteStore(url)
    if url.startswith(("postgresql:", "postgres:")):
        try:
            from twin_dashboard.store.postgis import PostGISStore
        except ImportError as err:  # psycopg is the optional extra ``postgis``
            raise StoreError(f"the PostgreSQL/PostGIS store needs psycopg ({err}): "
                             "pip install 'twin-dashboard[postgis]'") from None

        return PostGISStore(url)
    raise StoreError(f"unsupported database URL {url!r}: expected sqlite:///… or postgresql://…")

