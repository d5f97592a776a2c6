"""The search box: the index (substring, pinyin, ranking, scope, residents) and
GET /api/v1/search per role — an officer of another subdistrict never finds this one's things."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import LineString, Point, box

from twin_dashboard.app import create_app, services_of_app
from twin_dashboard.config import Settings
from twin_dashboard.domain import audit
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.accounts import issue_api_token
from twin_dashboard.domain.search import check_query, normalize, pinyin_keys
from twin_dashboard.testing import FixedClock, add_user

T0 = pd.Timestamp("2026-03-02T02:00:00Z")
COMMANDER = Viewer("boss", "commander")
OFFICER = Viewer("off", "officer", subdistricts=frozenset({"beiwaitan"}))
OFFICER2 = Viewer("off2", "officer", subdistricts=frozenset({"ouyanglu"}))
CADRE = Viewer("cad", "cadre", "p-cadre", neighborhoods=frozenset({"yunfang"}))
PROPERTY = Viewer("prop", "property", neighborhoods=frozenset({"yunfang"}))
ADMIN = Viewer("root", "admin")


def _frame(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs="EPSG:4326")


def load(store) -> None:
    """北外滩 (云舫小区 with a household, 别处) and 欧阳路 (远处), with roads, zones, addresses,
    devices and incidents in each."""
    store.replace_layer("subdistricts", _frame(
        [{"id": "beiwaitan", "name": "北外滩街道", "name_en": "North Bund"},
         {"id": "ouyanglu", "name": "欧阳路街道", "name_en": "Ouyang Road"}],
        [box(121.4, 31.2, 121.6, 31.26), box(121.4, 31.26, 121.6, 31.3)]))
    store.replace_layer("neighborhoods", _frame(
        [{"id": "yunfang", "name": "云舫小区", "name_en": "Yunfang", "subdistrict_id": "beiwaitan"},
         {"id": "other", "name": "别处", "subdistrict_id": "beiwaitan"},
         {"id": "far", "name": "远处", "name_en": "Far", "subdistrict_id": "ouyanglu"}],
        [box(121.4, 31.2, 121.5, 31.26), box(121.5, 31.2, 121.6, 31.26),
         box(121.4, 31.26, 121.6, 31.3)]))
    store.replace_layer("roads", _frame(
        [{"id": "r1", "name": "武昌路", "subdistrict_id": "beiwaitan"},
         {"id": "r2", "name": "武昌路", "subdistrict_id": "beiwaitan"},
         {"id": "r3", "name": "欧阳路", "subdistrict_id": "ouyanglu"}],
        [LineString([(121.41, 31.21), (121.42, 31.21)]),
         LineString([(121.42, 31.21), (121.43, 31.21)]),
         LineString([(121.41, 31.28), (121.43, 31.28)])]))
    store.replace_layer("patrol-zones", _frame(
        [{"id": "z1", "name": "北外滩第1巡查片区", "subdistrict_id": "beiwaitan"},
         {"id": "z9", "name": "欧阳路第1巡查片区", "subdistrict_id": "ouyanglu"}],
        [box(121.4, 31.2, 121.45, 31.25), box(121.4, 31.27, 121.45, 31.29)]))
    store.replace_layer("buildings", _frame(
        [{"id": "b1", "name": "云舫小区1号楼", "subdistrict_id": "beiwaitan",
          "neighborhood_id": "yunfang"},
         {"id": "b9", "name": "远处小区9号楼", "subdistrict_id": "ouyanglu",
          "neighborhood_id": "far"}],
        [box(121.45, 31.25, 121.451, 31.251), box(121.45, 31.28, 121.451, 31.281)]))
    store.replace_layer("addresses", _frame(
        [{"id": "a1", "address": "虹口区武昌路7弄1号", "subdistrict_id": "beiwaitan",
          "neighborhood_id": "yunfang", "building_id": "b1"},
         {"id": "a9", "address": "虹口区欧阳路9号", "subdistrict_id": "ouyanglu",
          "neighborhood_id": "far", "building_id": "b9"}],
        [Point(121.4505, 31.2505), Point(121.4505, 31.2805)]))
    store.replace_layer("devices", _frame(
        [{"id": "dev-000001", "category": "smoke", "name": "烟感001", "subdistrict_id": "beiwaitan",
          "neighborhood_id": "yunfang", "household_id": "hh-1"},
         {"id": "dev-000002", "category": "smoke", "name": "烟感002",
          "subdistrict_id": "beiwaitan", "neighborhood_id": "other"},
         {"id": "dev-000009", "category": "gas", "name": "燃气009", "subdistrict_id": "ouyanglu",
          "neighborhood_id": "far"}],
        [Point(121.45, 31.25), Point(121.55, 31.25), Point(121.45, 31.28)]))
    store.replace_records("households", pd.DataFrame([{
        "id": "hh-1", "subdistrict_id": "beiwaitan", "neighborhood_id": "yunfang",
        "building_id": "b1", "address": "虹口区武昌路7弄1号1504室", "elder_id": "p-elder",
        "cadre_id": "p-cadre", "buddy_id": "p-buddy", "lon": 121.4505, "lat": 31.2505}]))
    store.replace_records("people", pd.DataFrame([
        {"id": "p-elder", "name": "张三丰", "role": "resident", "subdistrict_id": "beiwaitan",
         "neighborhood_id": "yunfang"},
        {"id": "p-cadre", "name": "李四", "role": "cadre", "subdistrict_id": "beiwaitan",
         "neighborhood_id": "yunfang"}]))
    incident = {"source": "hotline", "kind": "clutter", "status": "new",
                "reported_at": T0 - pd.Timedelta(hours=1)}
    store.replace_records("incidents", pd.DataFrame([
        {**incident, "id": "inc-000001", "title": "楼道堆物：云舫小区1号楼",
         "subdistrict_id": "beiwaitan", "neighborhood_id": "yunfang", "level": "committee",
         "lon": 121.45, "lat": 31.25},
        {**incident, "id": "inc-000002", "title": "物业服务：云舫小区", "level": "property",
         "subdistrict_id": "beiwaitan", "neighborhood_id": "yunfang", "lon": 121.45,
         "lat": 31.25},
        {**incident, "id": "inc-000009", "title": "楼道堆物：远处小区9号楼",
         "subdistrict_id": "ouyanglu", "neighborhood_id": "far", "level": "committee",
         "lon": 121.45, "lat": 31.28}]))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    db = tmp_path_factory.mktemp("search") / "s.db"
    app = create_app(Settings(db_url=f"sqlite:///{db}", simulate=False), seed=False,
                     clock=FixedClock(T0))
    services = services_of_app(app)
    load(services.store)
    services.atlas.clear()
    yield app, services
    services.close()


def find(services, q: str, viewer: Viewer, **kw) -> list[dict]:
    return services.search.search(q, viewer, T0, **kw)


def keys(results: list[dict]) -> list[tuple[str, str]]:
    return [(r["kind"], r["id"]) for r in results]


# --- the index ---

def test_sea001_normalize_and_pinyin():
    assert normalize("  ＢＷＴ  x ") == "bwt x"
    assert pinyin_keys("北外滩") == ["bwt", "beiwaitan"]
    assert pinyin_keys("Yunfang") == []
    with pytest.raises(ValueError, match="q: give something"):
        check_query("   ")
    with pytest.raises(ValueError, match="at most 64"):
        check_query("x" * 65)


def test_sea002_chinese_substring_finds_places_roads_addresses_incidents(world):
    _, services = world
    assert ("neighborhood", "yunfang") in keys(find(services, "云舫", COMMANDER))
    got = keys(find(services, "武昌路", COMMANDER))
    assert ("road", "武昌路@beiwaitan") in got and ("address", "a1") in got
    assert got.count(("road", "武昌路@beiwaitan")) == 1  # two segments, one road
    assert keys(find(services, "堆物", COMMANDER))[:2] == [("incident", "inc-000009"),
                                                          ("incident", "inc-000001")]


def test_sea003_pinyin_initials_and_english_names(world):
    _, services = world
    assert keys(find(services, "bwt", COMMANDER))[0] == ("subdistrict", "beiwaitan")
    assert keys(find(services, "BWT", COMMANDER))[0] == ("subdistrict", "beiwaitan")
    assert ("neighborhood", "yunfang") in keys(find(services, "yfxq", COMMANDER))
    hit = find(services, "north bund", COMMANDER)[0]
    assert (hit["kind"], hit["label"]["en"], hit["label"]["zh"]) == (
        "subdistrict", "North Bund", "北外滩街道")
    assert hit["select"] == {"subdistrict": "beiwaitan", "neighborhood": None}
    assert hit["open"] == {"layer": "subdistricts", "id": "beiwaitan"}
    assert hit["bbox"] == [121.4, 31.2, 121.6, 31.26]


def test_sea004_ranking_exact_then_prefix_then_substring_with_caps(world):
    _, services = world
    got = find(services, "dev-000001", COMMANDER)
    assert [(r["id"], r["match"]) for r in got] == [("dev-000001", "exact")]
    assert got[0]["select"] == {"subdistrict": "beiwaitan", "neighborhood": "yunfang"}
    assert got[0]["open"] == {"layer": "devices", "id": "dev-000001"}
    matches = [r["match"] for r in find(services, "dev-00000", COMMANDER)]
    assert matches == ["prefix"] * 3
    # 云舫小区: the neighborhood's name exactly, before the building and incidents containing it
    got = find(services, "云舫小区", COMMANDER)
    assert (got[0]["kind"], got[0]["match"]) == ("neighborhood", "exact")
    assert [r["match"] for r in got] == sorted((r["match"] for r in got),
                                              key=["exact", "prefix", "substring"].index)
    assert len(find(services, "dev", COMMANDER, limit=2)) == 2
    assert len(services.search.indexes()[0].search("dev", COMMANDER, per_kind=1)) == 1


def test_sea005_scope_officer_of_another_subdistrict_finds_nothing_here(world):
    _, services = world
    for q in ("dev-000001", "dev-00000", "inc-000001", "武昌路", "云舫", "bwt", "堆物", "a1"):
        got = find(services, q, OFFICER2)
        assert all(r["select"]["subdistrict"] == "ouyanglu" for r in got), (q, got)
    assert keys(find(services, "dev-00000", OFFICER2)) == [("device", "dev-000009")]
    assert keys(find(services, "dev-00000", OFFICER)) == [("device", "dev-000001"),
                                                          ("device", "dev-000002")]
    # a cadre of yunfang: not the other neighborhood, not the whole subdistrict, no roads
    got = keys(find(services, "dev-00000", CADRE))
    assert got == [("device", "dev-000001")]
    assert find(services, "北外滩街道", CADRE) == [] or all(
        k[0] != "subdistrict" for k in keys(find(services, "北外滩街道", CADRE)))
    assert not [k for k in keys(find(services, "武昌路", CADRE)) if k[0] == "road"]
    # property: only incidents at property level
    assert keys(find(services, "inc-00000", PROPERTY)) == [("incident", "inc-000002")]


def test_sea006_residents_only_for_roles_allowed_personal_data(world):
    _, services = world
    # a cadre of the household's neighborhood: by name and by full address, audited
    before = len(audit.entries(services.store))
    got = find(services, "张三", CADRE)
    assert keys(got) == [("person", "p-elder")]
    assert got[0]["open"] == {"layer": "households", "id": "hh-1"}
    assert ("household", "hh-1") in keys(find(services, "1504室", CADRE))
    rows = audit.entries(services.store)[before:]
    assert [(r["action"], r["subject"], r["actor"]) for r in rows] == [
        ("personal.search", "hh-1", "cad")] * 2
    # an officer (masked): no names, no flat numbers; the household by id, masked, not audited
    before = len(audit.entries(services.store))
    assert find(services, "张三", OFFICER) == []
    assert find(services, "1504", OFFICER) == []
    got = find(services, "hh-1", OFFICER)
    assert got[0]["label"]["zh"] == "虹口区武昌路7弄**号" and got[0]["masked"] is True
    # a commander without a stated reason: masked; with one: in full
    assert find(services, "张三", COMMANDER) == []
    reasoned = Viewer("boss", "commander", reason="elderly welfare check")
    assert keys(find(services, "张三", reasoned)) == [("person", "p-elder")]
    assert audit.entries(services.store)[-1]["reason"] == "elderly welfare check"
    # admin (never): not even by id; and never on a screen without personal data
    assert find(services, "hh-1", ADMIN) == []
    assert find(services, "张三", CADRE, personal=False) == []
    assert len(audit.entries(services.store)) == before + 1


def test_sea007_a_chosen_result_is_rechecked_and_new_incidents_are_found_by_id(world):
    _, services = world
    assert services.search.find("device", "dev-000001", OFFICER)["id"] == "dev-000001"
    assert services.search.find("device", "dev-000001", OFFICER2) is None
    assert services.search.find("device", "nope", OFFICER) is None
    row = services.store.read_records("incidents", where={"id": "inc-000001"})
    services.store.replace_records("incidents", pd.concat(
        [services.store.read_records("incidents"),
         row.assign(id="inc-000010", title="新上报：漏水")], ignore_index=True))
    assert keys(find(services, "inc-000010", OFFICER)) == [("incident", "inc-000010")]
    assert find(services, "inc-000010", OFFICER2) == []
    assert services.search.find("incident", "inc-000010", OFFICER)["id"] == "inc-000010"


# --- GET /api/v1/search ---

@pytest.fixture(scope="module")
def api(world):
    app, services = world
    tokens = {}
    for name, role, area, person in (
            ("officer", "officer", {"subdistrict": "beiwaitan"}, None),
            ("officer2", "officer", {"subdistrict": "ouyanglu"}, None),
            ("cadre", "cadre", {"neighborhoods": ("yunfang",)}, "p-cadre"),
            ("admin", "admin", {}, None)):
        add_user(services.store, name, role, person=person, **area)
        tokens[name] = issue_api_token(services.store, name, T0)
    with TestClient(app.server, base_url="http://localhost") as client:
        def get(who: str | None, **params):
            headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
            return client.get("/api/v1/search", params=params, headers=headers)
        yield get


def test_sea010_api_answers_in_scope_per_role(api):
    assert api(None, q="dev").status_code == 401
    body = api("officer", q="dev-00000").json()
    assert [r["id"] for r in body["results"]] == ["dev-000001", "dev-000002"]
    assert set(body["results"][0]) >= {"kind", "id", "label", "secondary", "lon", "lat",
                                       "bbox", "select", "open", "match"}
    for q in ("dev-000001", "inc-000001", "武昌路7弄", "云舫", "hh-1", "bwt"):
        assert api("officer2", q=q).json()["results"] == [], q
    assert [r["kind"] for r in api("cadre", q="张三").json()["results"]] == ["person"]
    assert api("officer", q="张三").json()["results"] == []
    assert api("admin", q="hh-1").json()["results"] == []
    assert len(api("admin", q="dev", limit=1).json()["results"]) == 1


def test_sea011_api_refuses_bad_queries_with_a_reason(api):
    for params, says in (({"q": ""}, "at least 1"), ({"q": "x" * 65}, "at most 64"),
                         ({"q": "x", "limit": 0}, "limit")):
        answer = api("officer", **params)
        assert answer.status_code == 422 and says in str(answer.json()["detail"]), params
    blank = api("officer", q="  ")  # only spaces: nothing to look for, nothing found (issue 12)
    assert blank.status_code == 200 and blank.json()["results"] == []
