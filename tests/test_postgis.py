"""What only the PostGIS store has: a versioned schema applied all or nothing, geometry columns
with GiST indexes, an audit that refuses TRUNCATE too, and a server that cannot be reached or
written named as :class:`StoreUnavailable` (the SQLite half of these is test_migrations.py and
test_store_unavailable.py; everything the two share runs on both in test_store.py and others)."""

from __future__ import annotations

import psycopg
import pytest
from shapely.geometry import box

from tests._live_fixtures import load_district
from tests._postgis import raw_connection
from twin_dashboard.store import _pg_migrations
from twin_dashboard.store.base import StoreUnavailable, open_store
from twin_dashboard.testing import free_port


@pytest.fixture
def pg_url(postgis_cluster):
    url = postgis_cluster.new_database()
    yield url
    postgis_cluster.drop_database(url)


def _one(url: str, sql: str, params: tuple = ()) -> object:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchone()[0]


def test_pg001_alembic_brings_a_new_database_to_the_head_and_then_does_nothing(pg_url):
    open_store(pg_url).close()
    assert _one(pg_url, "SELECT version_num FROM alembic_version") == _pg_migrations.head()
    store = open_store(pg_url)
    with store._borrow() as conn:  # a connection of the store's pool
        assert _pg_migrations.migrate(conn, pg_url) == []
    store.close()


def test_pg002_a_failing_revision_leaves_the_database_as_it_was(postgis_cluster, monkeypatch):
    url = postgis_cluster.url("fresh_failing")
    postgis_cluster._admin("CREATE DATABASE fresh_failing")  # no schema yet
    real = _pg_migrations.run_sql

    def failing(revision: str) -> None:
        real(revision)
        from alembic import op

        op.execute("SELECT 1/0")

    monkeypatch.setattr(_pg_migrations, "run_sql", failing)
    try:
        with pytest.raises(psycopg.errors.DivisionByZero):
            open_store(url)
        assert _one(url, "SELECT to_regclass('devices') IS NULL")  # not half a schema
        assert _one(url, "SELECT to_regclass('alembic_version') IS NULL")
        monkeypatch.setattr(_pg_migrations, "run_sql", real)
        open_store(url).close()
        assert _one(url, "SELECT to_regclass('devices') IS NOT NULL")
    finally:
        postgis_cluster.drop_database(url)


def test_pg003_geometry_is_postgis_in_epsg4326_with_gist_indexes(pg_url):
    store = open_store(pg_url)
    load_district(store)
    assert _one(pg_url, "SELECT DISTINCT ST_SRID(geom) FROM devices") == 4326
    assert _one(pg_url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'devices_geom' "
                        "AND indexdef LIKE '%%USING gist%%'") == 1
    untyped = _one(pg_url, "SELECT count(*) FROM geometry_columns WHERE srid <> 4326")
    assert untyped == 0
    inside = _one(pg_url, "SELECT count(*) FROM devices WHERE ST_Intersects(geom, "
                          "ST_GeomFromText(%s, 4326))", (box(121.0, 31.0, 122.0, 32.0).wkt,))
    assert inside == store.count("devices") > 0
    store.close()


def test_pg004_the_audit_refuses_truncate_as_well(pg_url):
    store = open_store(pg_url)
    store.accounts.append_audit({"ts": 1, "actor": "a", "action": "login"})
    conn, refused = raw_connection(store)
    with pytest.raises(refused, match="append-only"):
        conn.execute("TRUNCATE audit")
    conn.close()
    assert [r["action"] for r in store.accounts.read_audit()] == ["login"]
    store.close()


def test_pg005_a_server_that_cannot_be_reached_is_unavailable_by_name():
    url = f"postgresql://twin:secret@127.0.0.1:{free_port()}/twin"
    with pytest.raises(StoreUnavailable) as err:
        open_store(url)
    assert "127.0.0.1" in str(err.value) and "secret" not in str(err.value)


def test_pg006_a_read_only_database_fails_the_write_probe(pg_url, postgis_cluster):
    store = open_store(pg_url)
    store.check_writable()
    store.close()
    postgis_cluster._admin(f"ALTER DATABASE {pg_url.rsplit('/', 1)[1]} "
                           "SET default_transaction_read_only = on")
    store = open_store(pg_url)
    with pytest.raises(StoreUnavailable, match="read-only"):
        store.check_writable()
    with pytest.raises(StoreUnavailable, match="read-only"):
        store.set_meta("k", "v")
    store.close()


def test_pg007_reads_give_the_same_frames_as_sqlite(pg_url, tmp_path):
    """Same values, dtypes, UTC times and EPSG:4326 geometry from both engines."""
    import pandas as pd

    from tests._live_fixtures import add_other_neighborhood

    stores = [open_store(f"sqlite:///{tmp_path / 'same.db'}"), open_store(pg_url)]
    for store in stores:
        load_district(store)
        add_other_neighborhood(store)
    lite, pg = stores

    def same(read) -> None:
        a, b = read(lite), read(pg)
        keys = [c for c in a.columns if c not in ("geometry", "props")]  # rows in any order
        pd.testing.assert_frame_equal(a.sort_values(keys, ignore_index=True),
                                      b.sort_values(keys, ignore_index=True))

    same(lambda s: s.read_layer("devices"))
    same(lambda s: s.read_layer("neighborhoods"))
    same(lambda s: s.read_records("people", where={"role": ["cadre", "buddy"]}))
    same(lambda s: s.read_columns("devices", ["id", "category", "installed_at", "lon"]))
    same(lambda s: s.household_activity())
    assert pg.read_layer("devices").crs.to_epsg() == 4326
    for store in stores:
        store.close()


@pytest.mark.slow
def test_pg008_the_demo_district_seeds_and_serves_from_postgis(pg_url, demo):
    """The app on PostGIS end to end: seeded from geodata/, signed in, read through the API."""
    from fastapi.testclient import TestClient

    from twin_dashboard.app import create_app, services_of_app
    from twin_dashboard.config import Settings
    from twin_dashboard.testing import add_user, sign_in

    app = create_app(Settings(db_url=pg_url, simulate=False))
    store = services_of_app(app).store
    for table in ("devices", "buildings", "incidents", "patrols", "people"):
        assert store.count(table) == demo.store.count(table) > 0, table
    add_user(store, "boss", "commander")
    with TestClient(app.server, base_url="http://localhost") as client:
        sign_in(client, "boss")
        assert client.get("/healthz").status_code == 200
        page = client.get("/api/v1/layers/devices?limit=3")
        assert page.status_code == 200 and len(page.json()["features"]) == 3
        summary = client.get("/api/v1/summary")
        assert summary.status_code == 200, summary.text
    services_of_app(app).close()
