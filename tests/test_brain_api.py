"""社区大脑 over HTTP: counts per area equal a direct count, scope narrowing per role, the people
list only for roles that see residents (masked or in full, audited), admins change tags."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tests._field_fixtures import T0, as_user, load_field, tokens
from twin_dashboard.app import create_app, services_of_app
from twin_dashboard.config import Settings
from twin_dashboard.domain import audit
from twin_dashboard.domain.brain import POLICY_GAPS
from twin_dashboard.testing import FixedClock

# (id, name, subdistrict, neighborhood, tags): yunfang and other in beiwaitan, far in ouyanglu.
RESIDENTS = [
    ("r1", "王建国", "beiwaitan", "yunfang", "独居老人;高龄"),
    ("r2", "李秀英", "beiwaitan", "yunfang", "独居老人;高龄;助餐补贴"),
    ("r3", "张阿大", "beiwaitan", "other", "独居老人;高龄"),
    ("r4", "陈美华", "ouyanglu", "far", "独居老人;高龄"),
    ("r5", "刘金宝", "ouyanglu", "far", "残疾"),
    ("r6", "周国强", "beiwaitan", None, "独居老人;高龄"),  # outside any neighborhood
]


@pytest.fixture
def api(tmp_path):
    db = tmp_path / "b.db"
    app = create_app(Settings(db_url=f"sqlite:///{db}", simulate=False), seed=False,
                     clock=FixedClock(T0))
    store = services_of_app(app).store
    load_field(store)
    people = store.read_records("people")
    extra = pd.DataFrame([{"id": i, "name": n, "phone": "13900001234", "role": "resident",
                           "subdistrict_id": s, "neighborhood_id": nb, "tags": tg}
                          for i, n, s, nb, tg in RESIDENTS])
    store.replace_records("people", pd.concat([people, extra], ignore_index=True))
    with TestClient(app.server, base_url="http://localhost") as client:
        client.tokens = tokens(store)
        client.db = db
        yield client, store


def get(client, who: str, path: str, **params):
    return client.get(f"/api/v1/brain/{path}", params=params,
                      headers=as_user(client.tokens, who))


def direct_counts(db, column: str, must: list[str], without: list[str]) -> dict[str, int]:
    """Counting the people rows ourselves, in SQL, not through the app."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(f"SELECT {column}, tags FROM people").fetchall()
    finally:
        conn.close()
    out: dict[str, int] = {}
    for area, tags in rows:
        have = set((tags or "").split(";"))
        if area and set(must) <= have and not set(without) & have:
            out[area] = out.get(area, 0) + 1
    return out


@pytest.mark.parametrize("by", ["neighborhood", "subdistrict"])
def test_counts_equal_a_direct_count_in_the_store(api, by):
    client, _ = api
    response = get(client, "boss", "counts", all="独居老人,高龄", **{"not": "助餐补贴"}, by=by)
    assert response.status_code == 200, response.text
    body = response.json()
    expected = direct_counts(client.db, f"{by}_id", ["独居老人", "高龄"], ["助餐补贴"])
    got = {a["id"]: a["count"] for a in body["areas"]}
    assert {k: v for k, v in got.items() if v} == expected
    areas = {"neighborhood": {"yunfang", "other", "far"}, "subdistrict": {"beiwaitan",
                                                                          "ouyanglu"}}[by]
    assert set(got) == areas  # zeros included
    assert body["total"] == 4 and body["query"] == {"all": ["独居老人", "高龄"], "any": [],
                                                    "not": ["助餐补贴"]}


def test_an_officer_sees_only_their_subdistrict(api):
    client, _ = api
    body = get(client, "duty2", "counts", all="独居老人", by="neighborhood").json()
    assert {a["id"] for a in body["areas"]} == {"far"} and body["total"] == 1
    body = get(client, "duty2", "counts", all="独居老人", by="subdistrict").json()
    assert [a["id"] for a in body["areas"]] == ["ouyanglu"]
    asked = get(client, "duty2", "counts", all="独居老人", subdistrict="beiwaitan")
    assert asked.status_code == 403 and "outside the scope" in asked.json()["detail"]
    assert get(client, "duty2", "counts", neighborhood="yunfang").status_code == 403
    cadre = get(client, "cadre", "counts", all="独居老人", by="neighborhood").json()
    assert cadre["areas"] == [{"id": "yunfang", "name": "云舫", "count": 2}]


def test_unknown_tags_and_bad_by_are_refused_naming_them(api):
    client, _ = api
    bad = get(client, "boss", "counts", all="独居老人,外星人")
    assert bad.status_code == 422 and "外星人" in str(bad.json()["detail"])
    assert "'street'" in str(get(client, "boss", "counts", by="street").json()["detail"])
    assert get(client, "boss", "people", any="VIP").status_code == 422
    both = get(client, "boss", "counts", all="残疾", **{"not": "残疾"})
    assert both.status_code == 422 and "残疾" in both.json()["detail"]


def test_people_are_refused_to_roles_that_see_no_residents(api):
    client, _ = api
    for who in ("root",):  # admin; a kiosk has no token
        refused = get(client, who, "people", all="独居老人")
        assert refused.status_code == 403 and "counts" in refused.json()["detail"]
        assert get(client, who, "counts", all="独居老人").status_code == 200


def test_people_are_masked_or_full_by_role_and_each_list_is_audited(api):
    client, store = api
    officer = get(client, "duty2", "people", all="独居老人").json()
    assert [p["id"] for p in officer["people"]] == ["r4"]
    assert officer["people"][0]["name"] == "陈**" and officer["people"][0]["masked"]
    cadre = get(client, "cadre", "people", all="独居老人", **{"not": "助餐补贴"}).json()
    assert [(p["id"], p["name"], p["masked"]) for p in cadre["people"]] == [
        ("r1", "王建国", False)]
    boss = get(client, "boss", "people", all="独居老人", limit=2).json()
    assert boss["total"] == 5 and len(boss["people"]) == 2
    assert all(p["masked"] for p in boss["people"])  # no reason stated
    rows = [e for e in audit.entries(store) if e["action"] == "brain.people"]
    assert [(e["actor"], e["subject"]) for e in rows] == [
        ("duty2", "all=独居老人"), ("cadre", "all=独居老人&not=助餐补贴"), ("boss", "all=独居老人")]
    assert "full" in rows[1]["detail"] and "masked" in rows[0]["detail"]
    assert "rows=2 of 5" in rows[2]["detail"]


def test_gaps_are_listed_for_everyone(api):
    client, _ = api
    gaps = get(client, "prop", "gaps").json()
    assert [g["key"] for g in gaps] == [g.key for g in POLICY_GAPS]
    first = gaps[0]["query"]
    response = get(client, "boss", "counts", all=",".join(first["all"]),
                   **{"not": ",".join(first["not"])})
    assert response.status_code == 200


def test_an_admin_changes_tags_audited_with_old_and_new(api):
    client, store = api
    put = lambda who, pid, tags: client.put(  # noqa: E731
        f"/api/v1/people/{pid}/tags", json={"tags": tags}, headers=as_user(client.tokens, who))
    changed = put("root", "r1", ["助餐补贴", "独居老人", "高龄"])
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"id": "r1", "old": ["独居老人", "高龄"],
                              "new": ["独居老人", "高龄", "助餐补贴"]}
    people = store.read_records("people", where={"id": "r1"})
    assert people["tags"].item() == "独居老人;高龄;助餐补贴"
    entry = [e for e in audit.entries(store) if e["action"] == "person.tags"][-1]
    assert (entry["actor"], entry["subject"]) == ("root", "r1")
    assert entry["detail"] == "独居老人;高龄 -> 独居老人;高龄;助餐补贴" and entry["ts"]
    # the counts follow at once
    body = get(client, "boss", "counts", all="独居老人,高龄", **{"not": "助餐补贴"}).json()
    assert {a["id"]: a["count"] for a in body["areas"]}["yunfang"] == 0
    assert put("boss", "r1", []).status_code == 403
    assert put("root", "nobody", []).status_code == 404
    bad = put("root", "r1", ["VIP"])
    assert bad.status_code == 422 and "VIP" in str(bad.json()["detail"])
    assert store.read_records("people", where={"id": "r1"})["tags"].item().endswith("助餐补贴")
