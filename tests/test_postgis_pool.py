"""The PostGIS store's connection pool (store/_pg.py): many threads share a bounded number of
connections, and connections a restarted server broke are replaced, not handed out."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from tests._live_fixtures import load_district
from twin_dashboard.store import _pg
from twin_dashboard.store.base import open_store
from twin_dashboard.testing import wait_until


@pytest.fixture
def pg_url(postgis_cluster):
    url = postgis_cluster.new_database()
    yield url
    postgis_cluster.drop_database(url)


def _backends(url: str) -> int:
    """Connections to the database of ``url`` other than the one asking."""
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                            "current_database() AND pid <> pg_backend_pid()").fetchone()[0]


def test_pool001_forty_threads_share_at_most_pool_max_connections(pg_url):
    store = open_store(pg_url)
    try:
        load_district(store)

        def work(i: int) -> tuple[int, object]:
            return store.count("devices"), store.accounts.user(f"nobody-{i}")

        with ThreadPoolExecutor(max_workers=40) as threads:
            results = list(threads.map(work, range(400)))
        assert results == [(8, None)] * 400
        assert 1 <= _backends(pg_url) <= _pg.POOL_MAX
    finally:
        store.close()
    # Closing the store closes the pool (a backend leaves pg_stat_activity just after).
    wait_until(lambda: _backends(pg_url) == 0, timeout=5)


def test_pool002_connections_a_restart_broke_are_replaced(pg_url):
    store = open_store(pg_url)
    try:
        load_district(store)
        with psycopg.connect(pg_url, autocommit=True) as admin:  # what a restart does to them
            ended = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                  "WHERE datname = current_database() AND pid <> "
                                  "pg_backend_pid()").fetchone()[0]
        assert ended >= 1
        assert store.count("devices") == 8  # on a fresh connection, no error
        store.set_meta("after", "restart")
        assert store.get_meta("after") == "restart"
    finally:
        store.close()
