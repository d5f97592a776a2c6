"""Settings of one running app, and where its packaged files live."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _packaged_or_repo(name: str) -> Path:
    """A wheel carries ``assets``/``geodata`` inside the package; a checkout has them at top."""
    inside = _PACKAGE / f"_{name}"
    return inside if inside.is_dir() else _PACKAGE.parent / name


ASSETS_DIR: Path = _packaged_or_repo("assets")
GEODATA_DIR: Path = _packaged_or_repo("geodata")


def default_data_dir() -> Path:
    """Where the embedded database lives: $TWIN_DASHBOARD_DATA or ./data."""
    return Path(os.environ.get("TWIN_DASHBOARD_DATA", "data")).resolve()


def default_db_url() -> str:
    return f"sqlite:///{default_data_dir() / 'twin.db'}"


@dataclass
class Settings:
    """Everything ``create_app`` needs; tests build their own."""

    db_url: str = field(default_factory=default_db_url)
    geodata_dir: Path = GEODATA_DIR
    simulate: bool = True
    host: str = "127.0.0.1"
    port: int = 8050
    mqtt_url: str | None = None  # serve --mqtt mqtt://host:port/topic
    max_batch_bytes: int = 5 * 1024 * 1024  # a larger batch of readings is refused before parsing
    # Layer pages read and encoded at once; one more is answered 503 + Retry-After, not queued.
    # The work holds the GIL mostly: more than the cores only slows /healthz down.
    max_heavy_reads: int = 2
    # Readings older than this (by their ts, against the server clock) are refused per item.
    max_reading_age: timedelta = timedelta(days=7)
    # serve --test-hooks (hidden): pages install window.twinMap / window.twinLive, the surface
    # the browser tests and the benchmarks read (layouts/client.py); never on a real screen.
    test_hooks: bool = False
    max_request_bytes: int = 1024 * 1024  # any other larger body (Dash callbacks) too: 413
    # Host names answered beside the bind address and loopback (serve --allowed-host; "*": any)
    allowed_hosts: tuple[str, ...] = ()
    demo_users: bool = False  # serve --demo-users: one account per role (also on a first seed)
    # serve --schedule HH:MM: write the district's reports daily then (live/reports.py)
    report_at: str | None = None
    reports_dir: Path | None = None  # where scheduled reports go (None: <data folder>/reports)
    # serve --bus redis://HOST:PORT/N: live events shared by every worker (live/bus.py)
    bus_url: str | None = None
    workers: int = 1  # serve --workers N: processes serving (N > 1 needs bus_url and PostGIS)
