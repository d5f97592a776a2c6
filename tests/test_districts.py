"""Several districts (issue 11 part 3): onboarding a second district is imports only.

The demo district A (Hongkou-like, seeded) and a made-up district B built here from files —
its boundary and subdistricts in GCJ-02, its neighborhoods and a devices CSV in WGS84 — loaded
with nothing but ``twin-dashboard import … --district B``. Then B's screens and API show B's
own figures, and A's are as before.
"""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from fastapi.testclient import TestClient

from twin_dashboard.app import create_app, services_of_app
from twin_dashboard.cli import main
from twin_dashboard.config import GEODATA_DIR, Settings
from twin_dashboard.domain.access import OutOfScope, Viewer
from twin_dashboard.domain.places import Places
from twin_dashboard.geo.crs import wgs84_to_gcj02
from twin_dashboard.geo.export import export_layer
from twin_dashboard.testing import FixedClock, add_user, sign_in

A, B = "hongkou", "xinqiao"
SHIFT_LON = 0.12  # B lies east of A, clear of it (A spans ~0.06° of longitude)
B_DEVICES = 300
T0 = pd.Timestamp("2026-11-30T02:00:00Z")


def run(db: str, *args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--db", db], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def _shifted(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.set_geometry(frame.geometry.translate(xoff=SHIFT_LON), crs="EPSG:4326")


def _to_gcj02(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame's coordinates as a GCJ-02 source file would hold them."""
    geoms = shapely.transform(frame.geometry.to_numpy(), lambda xy: np.column_stack(
        wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    return frame.set_geometry(geoms, crs=None)


def make_district_b(folder: Path) -> dict[str, Path]:
    """District B's files: A's shapes moved east, ids and names of its own."""
    folder.mkdir()
    read = lambda name: gpd.read_file(GEODATA_DIR / name)  # noqa: E731
    district = _shifted(read("district.geojson"))[["geometry"]].assign(
        id="b", name="新桥区", name_en="Xinqiao District")
    subs = _shifted(read("subdistricts.geojson"))
    subs = subs.assign(id="b-" + subs["id"], name="新桥" + subs["name"],
                       name_en="Xinqiao " + subs["name_en"])
    nbhs = _shifted(read("neighborhoods.geojson"))
    nbhs = nbhs.assign(id="b-" + nbhs["id"], subdistrict_id="b-" + nbhs["subdistrict_id"],
                       name="新桥" + nbhs["name"])
    paths = {"district": folder / "b_district_gcj02.geojson",
             "subdistricts": folder / "b_subdistricts_gcj02.geojson",
             "neighborhoods": folder / "b_neighborhoods.geojson",
             "devices": folder / "b_devices.csv"}
    # written as the source hands them over: GCJ-02 coordinates in a plain GeoJSON
    _to_gcj02(district).to_file(paths["district"], driver="GeoJSON")
    _to_gcj02(subs[["id", "name", "name_en", "geometry"]]).to_file(paths["subdistricts"],
                                                                   driver="GeoJSON")
    export_layer(nbhs[["id", "name", "name_en", "subdistrict_id", "geometry"]],
                 paths["neighborhoods"])
    inner = nbhs.geometry.representative_point()
    with paths["devices"].open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "category", "subdistrict_id", "neighborhood_id", "lon", "lat"])
        for i in range(B_DEVICES):
            row = nbhs.iloc[i % len(nbhs)]
            point = inner.iloc[i % len(nbhs)]
            writer.writerow([f"b-dev-{i:04d}", "smoke" if i % 2 else "manhole",
                             row["subdistrict_id"], row["id"],
                             round(point.x + (i // len(nbhs)) * 1e-5, 7), round(point.y, 7)])
    return paths


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> dict:
    """A seeded demo district A, then district B onboarded by the import commands only."""
    folder = tmp_path_factory.mktemp("city")
    db = f"sqlite:///{folder}/city.db"
    run(db, "seed")
    app = create_app(Settings(db_url=db, simulate=False), seed=False, clock=FixedClock(T0))
    store = services_of_app(app).store
    before = {"devices": store.count("devices"), "subdistricts": store.count("subdistricts")}
    client = TestClient(app.server, base_url="http://localhost").__enter__()
    add_user(store, "boss", "commander")
    sign_in(client, "boss")
    summary_a = client.get("/api/v1/summary").json()
    paths = make_district_b(folder / "b")
    run(db, "import", "district", str(paths["district"]), "--crs", "gcj02", "--district", B)
    for layer in ("subdistricts", "neighborhoods", "devices"):
        crs = ["--crs", "gcj02"] if layer == "subdistricts" else []
        out = run(db, "import", layer, str(paths[layer]), *crs, "--district", B)
        assert "imported" in out
    services_of_app(app).atlas.clear()  # as an import in another process would be seen
    return {"app": app, "store": store, "client": client, "before": before,
            "summary_a": summary_a, "db": db}


def test_dis001_onboarding_b_keeps_a_and_adds_b(city):
    store = city["store"]
    assert store.count("devices") == city["before"]["devices"] + B_DEVICES
    districts = store.read_layer("district")
    assert sorted(districts["id"]) == sorted([A, B])
    subs = store.read_layer("subdistricts")
    assert (subs["district_id"] == A).sum() == city["before"]["subdistricts"]
    assert set(subs[subs["district_id"] == B]["id"]) == {
        i for i in subs["id"] if i.startswith("b-")}
    devices = store.read_columns("devices", ["id", "district_id"])
    assert set(devices[devices["id"].str.startswith("b-")]["district_id"]) == {B}
    # B's boundary came in GCJ-02: converted, it lies where its WGS84 shapes are (≈ 1 m)
    b_shape = districts[districts["id"] == B].geometry.iloc[0]
    b_subs = shapely.union_all(subs[subs["district_id"] == B].geometry.to_numpy())
    assert b_shape.symmetric_difference(b_subs).area / b_shape.area < 0.01


def test_dis002_summary_of_b_counts_only_b_and_a_is_unchanged(city):
    client = city["client"]
    b = client.get("/api/v1/summary", params={"district": B}).json()
    assert b["devices"]["total"] == B_DEVICES
    assert b["alarms"]["open"] == 0 and b["incidents"]["open"] == 0
    a = client.get("/api/v1/summary", params={"district": A}).json()
    before = city["summary_a"]
    assert a["devices"]["total"] == before["devices"]["total"]
    assert a["alarms"]["open"] == before["alarms"]["open"]
    assert a["incidents"]["open"] == before["incidents"]["open"]
    whole = client.get("/api/v1/summary").json()
    assert whole["devices"]["total"] == before["devices"]["total"] + B_DEVICES


def test_dis003_districts_route_lists_both_with_names_from_the_data(city):
    client = city["client"]
    rows = {r["id"]: r for r in client.get("/api/v1/districts").json()["districts"]}
    assert rows[B]["name"] == "新桥区" and rows[A]["name"] == "虹口区"
    assert rows[B]["devices"] == B_DEVICES
    assert rows[A]["open_alarms"] == city["summary_a"]["alarms"]["open"]
    english = client.get("/api/v1/districts", params={"lang": "en"}).json()["districts"]
    assert {r["name"] for r in english} == {"Xinqiao District", "Hongkou District"}
    layer = client.get("/api/v1/layers/devices", params={"district": B, "limit": 10000}).json()
    assert layer["numberMatched"] == B_DEVICES


def test_dis004_a_viewer_of_district_a_cannot_widen_to_b(city):
    store, client = city["store"], city["client"]
    places = services_of_app(city["app"]).atlas.places()
    a_subs = places.subdistricts_of(A)
    viewer = Viewer("a-only", "officer", subdistricts=a_subs)
    with pytest.raises(OutOfScope):
        viewer.in_district(places, B, viewer.store_scope)
    assert viewer.districts(places) == [A]
    # through the API: an officer of one of A's subdistricts
    officer = TestClient(city["app"].server, base_url="http://localhost").__enter__()
    add_user(store, "a-officer", "officer", subdistrict=sorted(a_subs)[0])
    sign_in(officer, "a-officer")
    assert officer.get("/api/v1/summary", params={"district": B}).status_code == 403
    rows = officer.get("/api/v1/districts").json()["districts"]
    assert [r["id"] for r in rows] == [A] and rows[0]["subdistricts"] == 1
    assert client.get("/api/v1/summary", params={"district": "nowhere"}).status_code == 404
    # an account of one district (user create --district): its whole scope is that district
    chief = TestClient(city["app"].server, base_url="http://localhost").__enter__()
    add_user(store, "a-commander", "commander", district=A)
    sign_in(chief, "a-commander")
    assert chief.get("/api/v1/summary").json()["devices"]["total"] == \
        city["summary_a"]["devices"]["total"]
    assert chief.get("/api/v1/summary", params={"district": B}).status_code == 403
    assert [r["id"] for r in chief.get("/api/v1/districts").json()["districts"]] == [A]
    with pytest.raises(ValueError, match="unknown district 'zz'"):
        add_user(store, "z-commander", "commander", district="zz")
    with pytest.raises(ValueError, match="--district does not apply"):
        add_user(store, "d-officer", "officer", subdistrict=sorted(a_subs)[0], district=A)


def test_dis005_an_import_for_b_refuses_features_outside_b(city, tmp_path):
    outside = gpd.GeoDataFrame({"id": ["x1"], "category": ["smoke"]},
                               geometry=[shapely.Point(121.49, 31.26)], crs="EPSG:4326")
    path = tmp_path / "stray.geojson"
    export_layer(outside, path)
    result = CliRunner().invoke(main, ["import", "devices", str(path), "--district", B,
                                       "--db", city["db"]])
    assert result.exit_code == 2 and "outside the district" in result.output
    unknown = CliRunner().invoke(main, ["import", "devices", str(path), "--district", "zz",
                                        "--db", city["db"]])
    assert unknown.exit_code == 2 and "no district 'zz'" in unknown.output


def test_dis006_places_name_districts_from_the_data():
    subs = pd.DataFrame({"id": ["s1", "s2"], "name": ["甲", "乙"], "name_en": [None, None],
                         "district_id": ["d1", "d2"]})
    nbhs = pd.DataFrame({"id": ["n1"], "name": ["丙"], "subdistrict_id": ["s1"]})
    dist = pd.DataFrame({"id": ["d1", "d2"], "name": ["一区", None], "name_en": ["One", None]})
    places = Places.from_layers(subs, nbhs, dist)
    assert places.is_city and places.districts == {"d1": "一区", "d2": "d2"}
    assert places.in_lang("en").district_name("s1") == "One"
    assert places.district_name() is None  # a city seen whole
    assert places.subdistricts_of("d2") == frozenset({"s2"})
    single = Places.from_layers(subs.iloc[:1], nbhs, dist.iloc[:1])
    assert single.district_name() == "一区"


def _texts(component) -> list[str]:
    """Every string in a Dash component tree."""
    if isinstance(component, str):
        return [component]
    children = getattr(component, "children", None)
    if children is None:
        return []
    if not isinstance(children, list | tuple):
        children = [children]
    return [text for child in children for text in _texts(child)]


def test_dis007_screens_take_district_and_name_it_from_the_data(city):
    from twin_dashboard.callbacks.pages import screen_page

    services = services_of_app(city["app"])
    boss = Viewer("boss", "commander")
    page_b = " ".join(_texts(screen_page(services, boss, "desk", district=B)))
    assert "新桥区一网统管" in page_b and "新桥区全域" in page_b and "虹口区" not in page_b
    page_en = " ".join(_texts(screen_page(services, boss, "wall", district=A, lang="en")))
    assert "Hongkou District Command Center" in page_en
    whole = " ".join(_texts(screen_page(services, boss, "desk")))
    assert "一网统管 · 数字孪生指挥" in whole and "新桥区一网统管" not in whole
    # a viewer of A asking for B stays in A (pages are lenient: the viewer's home)
    a_only = Viewer("a-only", "officer", subdistricts=services.atlas.places().subdistricts_of(A))
    page = " ".join(_texts(screen_page(services, a_only, "desk", district=B)))
    assert "虹口区全域" in page and "新桥区" not in page


def test_dis008_the_city_map_shows_districts_with_kpis_and_b_alone_does_not(city):
    from twin_dashboard.callbacks.map import map_data
    from twin_dashboard.domain.places import MapScope

    services = services_of_app(city["app"])
    whole = map_data(services, MapScope(), None, "wall", "zh")
    city_layer = next(x for x in whole["layers"] if x["id"] == "city")
    assert city_layer["meta"]["pick"] == "districts"
    labels = next(x for x in whole["layers"] if x["id"] == "city_labels")
    texts = labels["data"]["columns"]["text"]
    assert sorted(s.split("\n")[0] for s in texts) == ["新桥区", "虹口区"]
    assert any(f"/{B_DEVICES}" in s for s in texts)  # B's devices online of its total
    figures = {f.id: f for f in services.atlas.city(services.now())}
    assert figures[B].devices == B_DEVICES and figures[B].name == "新桥区"
    scope_b = services.atlas.places().district_place(B)
    only_b = map_data(services, scope_b, ["devices"], "wall", "zh")
    assert not any(x["id"].startswith("city") for x in only_b["layers"])
    devices = next(x for x in only_b["layers"] if x["id"] == "devices")
    assert devices["data"]["length"] == B_DEVICES


def test_dis009_replacing_one_districts_part_leaves_the_others_on_both_engines(store_url):
    """``replace_layer(..., district=)`` on SQLite and PostGIS: only that district's rows go;
    a row id that another district holds refuses the whole write."""
    from twin_dashboard.store.base import StoreError, open_store

    store = open_store(store_url)
    try:
        def subs(ids: list[str], district: str) -> gpd.GeoDataFrame:
            return gpd.GeoDataFrame(
                {"id": ids, "name": ids, "district_id": district},
                geometry=[shapely.box(i, 0, i + 1, 1) for i in range(len(ids))],
                crs="EPSG:4326")

        store.replace_layer("subdistricts", subs(["a1", "a2"], "a"))
        store.replace_layer("subdistricts", subs(["b1"], "b"), district="b")
        store.replace_layer("subdistricts", subs(["b2", "b3"], "b"), district="b")
        frame = store.read_layer("subdistricts")
        assert dict(zip(frame["id"], frame["district_id"], strict=True)) == {
            "a1": "a", "a2": "a", "b2": "b", "b3": "b"}
        before = store.layer_fingerprint("subdistricts")
        with pytest.raises(StoreError, match="nothing was changed"):
            store.replace_layer("subdistricts", subs(["a1"], "b"), district="b")
        assert store.layer_fingerprint("subdistricts") == before
        district = gpd.GeoDataFrame({"id": ["b"], "name": ["乙"], "name_en": ["B"]},
                                    geometry=[shapely.box(0, 0, 3, 1)], crs="EPSG:4326")
        store.replace_layer("district", district.assign(id="a", name="甲"), district="a")
        store.replace_layer("district", district, district="b")
        names = store.read_layer("district").set_index("id")
        assert names.loc["a", "name"] == "甲" and names.loc["b", "name_en"] == "B"
    finally:
        store.close()


def test_dis010_an_older_sqlite_file_gains_the_district_columns(tmp_path):
    import sqlite3

    from twin_dashboard.store._migrations import DISTRICT_COLUMNS, columns
    from twin_dashboard.store.base import open_store

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # the shape before several districts
        conn.execute("CREATE TABLE district (id TEXT PRIMARY KEY, name TEXT, adcode INTEGER, "
                     "props TEXT, geom BLOB NOT NULL)")
        conn.execute("CREATE TABLE devices (id TEXT PRIMARY KEY, category TEXT NOT NULL, "
                     "name TEXT, subdistrict_id TEXT, neighborhood_id TEXT, building_id TEXT, "
                     "household_id TEXT, installed_at INTEGER, lon REAL NOT NULL, "
                     "lat REAL NOT NULL, props TEXT, geom BLOB NOT NULL)")
        conn.execute("INSERT INTO devices (id, category, lon, lat, geom) "
                     "VALUES ('d1', 'smoke', 121.5, 31.2, x'00')")
    open_store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        for table, added in DISTRICT_COLUMNS.items():
            assert set(added) <= set(columns(conn, table)), table
        assert conn.execute("SELECT id, district_id FROM devices").fetchall() == [("d1", None)]


def test_dis011_generate_demo_districts_makes_a_city_seed_places_every_row(tmp_path):
    """``generate-demo --districts 2``: two districts apart, ids unique, and seeded each
    district counts the demo district's devices (rows placed by boundary)."""
    from twin_dashboard.domain.summary import summarize
    from twin_dashboard.seed import seed_store
    from twin_dashboard.store.base import open_store

    out = tmp_path / "city"
    result = CliRunner().invoke(main, ["generate-demo", str(out), "--districts", "2"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    one = pd.read_csv(GEODATA_DIR / "devices.csv", dtype=str)
    assert f"devices.csv {2 * len(one)}" in " ".join(result.stdout.split())
    store = open_store(f"sqlite:///{tmp_path}/city.db")
    try:
        seed_store(store, out, now=T0)
        places = Places.from_layers(store.read_layer("subdistricts"),
                                    store.read_layer("neighborhoods"),
                                    store.read_layer("district"))
        assert places.districts == {"hongkou": "虹口区", "demo-02": "示范2区"}
        devices = store.read_columns("devices", ["id", "district_id"])
        assert devices["id"].is_unique and devices["district_id"].notna().all()
        for district in places.districts:
            figures = summarize(store, places.district_scope(district), T0)
            assert figures["devices"]["total"] == len(one), district
    finally:
        store.close()


def test_dis012_a_district_pick_drills_in_on_every_screen_and_selectors_keep_it():
    from twin_dashboard.callbacks.selection import next_selection
    from twin_dashboard.layouts import ids

    subs = pd.DataFrame({"id": ["s1", "s2"], "name": ["甲", "乙"], "district_id": ["d1", "d2"]})
    nbhs = pd.DataFrame({"id": ["n2"], "name": ["丙"], "subdistrict_id": ["s2"]})
    places = Places.from_layers(subs, nbhs, pd.DataFrame({"id": ["d1", "d2"],
                                                          "name": ["一区", "二区"]}))
    pick = {"layer": "districts", "id": "d2"}
    for screen in ("wall", "desk", "tablet"):
        new = next_selection(ids.MAP_PICK, None, None, pick, {}, {"screen": screen}, places)
        assert new == {"subdistrict": None, "neighborhood": None, "district": "d2"}, screen
    inside = {"subdistrict": None, "neighborhood": None, "district": "d2"}
    cleared = next_selection(ids.SUBDISTRICT_SELECT, None, None, None,
                             {"subdistrict": "s2", "neighborhood": None}, {"screen": "desk"},
                             places)
    assert cleared == {"subdistrict": None, "neighborhood": None}  # no district: the city
    kept = next_selection(ids.NEIGHBORHOOD_SELECT, None, None, None,
                          {**inside, "neighborhood": "n2"}, {"screen": "desk"}, places)
    assert kept == inside
    scope = places.resolve(None, None, "d2")
    assert scope.key == "dst:d2" and scope.store_scope.subdistrict_ids == frozenset({"s2"})
    assert places.resolve("s1", None, "d2").key == "sub:s1"  # a subdistrict wins
    one = Places.from_layers(subs.iloc[:1], nbhs.iloc[:0], pd.DataFrame(
        {"id": ["d1"], "name": ["一区"]}))
    assert one.resolve(None, None, "d1") == places.resolve(None, None, None)  # one district


def test_dis013_subdistricts_stored_before_several_districts_are_placed_by_shape():
    """A store migrated from one district (rows without ``district_id``) that onboards a
    second: its old subdistricts still belong to their district, by where they lie."""
    subs = gpd.GeoDataFrame({"id": ["old1", "new1"], "name": ["旧", "新"],
                             "district_id": [None, "d2"]},
                            geometry=[shapely.box(0, 0, 1, 1), shapely.box(5, 0, 6, 1)],
                            crs="EPSG:4326")
    dist = gpd.GeoDataFrame({"id": ["d1", "d2"], "name": ["一区", "二区"]},
                            geometry=[shapely.box(-1, -1, 2, 2), shapely.box(4, -1, 7, 2)],
                            crs="EPSG:4326")
    places = Places.from_layers(subs, pd.DataFrame(columns=["id", "name", "subdistrict_id"]),
                                dist)
    assert places.district_of == {"old1": "d1", "new1": "d2"}
    assert places.subdistricts_of("d1") == frozenset({"old1"})


def test_dis014_the_live_stream_takes_district(city):
    """``/api/v1/live?district=``: narrowed like the other routes (unknown 422, outside 403)."""
    client = city["client"]
    assert client.get("/api/v1/live", params={"district": "nowhere"}).status_code == 404
    places = services_of_app(city["app"]).atlas.places()
    add_user(city["store"], "l-officer", "officer",
             subdistrict=sorted(places.subdistricts_of(A))[0])
    officer = TestClient(city["app"].server, base_url="http://localhost").__enter__()
    sign_in(officer, "l-officer")
    assert officer.get("/api/v1/live", params={"district": B}).status_code == 403
