"""Fixtures shared by the unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._postgis import postgis_cluster, store_url  # noqa: F401 - fixtures for all tests
from tests._realdata import REALDATA
from tests._redis import redis_server, redis_url  # noqa: F401 - fixtures for all tests


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The real files; CI lays ../shared beside the clone, so a missing folder is a skip."""
    if not REALDATA.is_dir():
        pytest.skip(f"real test files not found at {REALDATA} (set TWIN_REALDATA)")
    return REALDATA


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The services of an app over the demo district seeded from geodata/ (read-only use)."""
    from twin_dashboard.app import build_services
    from twin_dashboard.config import Settings

    db = tmp_path_factory.mktemp("demo") / "twin.db"
    services = build_services(Settings(db_url=f"sqlite:///{db}", simulate=False))
    yield services
    services.close()
