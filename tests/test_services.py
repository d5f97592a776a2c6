"""One Services object per app: two apps in one process each answer from their own store."""

from __future__ import annotations

import ast
from pathlib import Path

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box

from twin_dashboard.app import create_app, services_of_app
from twin_dashboard.config import Settings
from twin_dashboard.layouts import ids
from twin_dashboard.testing import add_user, sign_in

PACKAGE = Path(__file__).resolve().parent.parent / "twin_dashboard"


def _app_with(tmp_path: Path, name: str, subdistrict: str):
    """An app on its own store holding one subdistrict ``subdistrict`` named ``name``."""
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path / name}.db", simulate=False),
                     seed=False)
    services_of_app(app).store.replace_layer("subdistricts", gpd.GeoDataFrame(
        {"id": [subdistrict], "name": [name]}, geometry=[box(121.46, 31.25, 121.47, 31.26)],
        crs="EPSG:4326"))
    return app


def _summary_via_callback(client: TestClient, subdistrict: str) -> dict:
    """The KPI summary as the screens fetch it: a POST to Dash's callback route."""
    body = {
        "output": f"{ids.SUMMARY}.data",
        "outputs": {"id": ids.SUMMARY, "property": "data"},
        "inputs": [
            {"id": ids.SELECTION, "property": "data",
             "value": {"subdistrict": subdistrict, "neighborhood": None}},
            {"id": ids.CLOCK, "property": "n_intervals", "value": 1},
            {"id": ids.LIVE_FIGURES, "property": "data", "value": None},
            {"id": ids.REPLAY_AT, "property": "data", "value": None},
        ],
        "changedPropIds": [f"{ids.SELECTION}.data"],
        "state": [],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.text
    return response.json()["response"][ids.SUMMARY]["data"]


def test_svc001_two_apps_in_one_process_answer_from_their_own_stores(tmp_path):
    first = _app_with(tmp_path, "甲街道", "s-a")
    second = _app_with(tmp_path, "乙街道", "s-b")
    assert services_of_app(first) is not services_of_app(second)
    with TestClient(first.server, base_url="http://localhost") as a, \
            TestClient(second.server, base_url="http://localhost") as b:
        for app, client in ((first, a), (second, b)):
            add_user(services_of_app(app).store, "boss", "commander")
            sign_in(client, "boss")
        names_a = [f["properties"]["name"]
                   for f in a.get("/api/v1/layers/subdistricts").json()["features"]]
        names_b = [f["properties"]["name"]
                   for f in b.get("/api/v1/layers/subdistricts").json()["features"]]
        assert (names_a, names_b) == (["甲街道"], ["乙街道"])
        # A scope one store knows is unknown to the other: each checks its own places.
        assert a.get("/api/v1/summary", params={"subdistrict": "s-a"}).status_code == 200
        assert b.get("/api/v1/summary", params={"subdistrict": "s-a"}).status_code == 404
        # Dash callbacks close over their own app's services too.
        assert _summary_via_callback(a, "s-a")["scope"]["subdistrict_ids"] == ["s-a"]
        assert _summary_via_callback(b, "s-a")["scope"]["subdistrict_ids"] is None  # dropped


def test_svc002_each_app_has_its_own_ingestor_hub_and_caches(tmp_path):
    one = services_of_app(_app_with(tmp_path, "甲", "s-a"))
    two = services_of_app(_app_with(tmp_path, "乙", "s-b"))
    for part in ("store", "atlas", "ingestor", "hub", "specs", "writer"):
        assert getattr(one, part) is not getattr(two, part), part
    assert one.atlas.places().subdistricts == {"s-a": "甲"}
    assert two.atlas.places().subdistricts == {"s-b": "乙"}
    assert one.specs.maxsize and two.atlas.store is two.store


# --- no live state in module globals ----------------------------------------------------------

MUTABLE_CALLS = frozenset({
    "dict", "list", "set", "deque", "defaultdict", "OrderedDict", "WeakKeyDictionary",
    "WeakValueDictionary", "Lock", "RLock", "Event", "Queue", "SimpleQueue",
    "ThreadPoolExecutor", "TTLCache", "LRUCache", "Cache",
})


def _module_level_state(tree: ast.Module) -> list[str]:
    """Names a module binds at import time to something live: a container or lock assigned
    to a lower-case name, a ``global`` statement, or an unbounded cache on a function (a
    bounded ``lru_cache`` of a pure function, e.g. pyproj transformers per CRS, may stay)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            found.append(f"global {', '.join(node.names)} (line {node.lineno})")
    for node in tree.body:
        targets, value = [], None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        for target in targets:
            name = getattr(target, "id", "")
            if not name or name.lstrip("_").isupper() or name == "__all__":
                continue  # a CONSTANT: its content is fixed by the code
            live = isinstance(value, ast.Dict | ast.List | ast.Set) or (
                isinstance(value, ast.Call)
                and getattr(value.func, "id", getattr(value.func, "attr", "")) in MUTABLE_CALLS)
            if live:
                found.append(f"{name} (line {node.lineno})")
        if isinstance(node, ast.FunctionDef):
            found += [f"unbounded cache on {node.name}" for deco in node.decorator_list
                      if _unbounded_cache(deco)]
    return found


def _unbounded_cache(deco: ast.expr) -> bool:
    name = getattr(deco.func if isinstance(deco, ast.Call) else deco, "id", "")
    if name == "cache" or (name == "lru_cache" and not isinstance(deco, ast.Call)):
        return True
    sizes = [k.value for k in getattr(deco, "keywords", []) if k.arg == "maxsize"]
    sizes += list(getattr(deco, "args", []))[:1]
    return name == "lru_cache" and (not sizes or getattr(sizes[0], "value", 0) is None)


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_svc003_no_module_holds_live_state(path: Path):
    """Live objects belong to the Services that create_app builds, never to a module."""
    assert _module_level_state(ast.parse(path.read_text())) == []


def test_svc004_the_state_rule_catches_what_it_forbids():
    source = ("_cache = {}\nclients: list = []\nLOCK_FREE = (1, 2)\nSTATES = {'a': 1}\n"
              "@lru_cache(maxsize=None)\ndef spec(x):\n    return x\n"
              "@lru_cache(maxsize=8)\ndef bounded(x):\n    return x\n"
              "def bind():\n    global _cache\n")
    assert _module_level_state(ast.parse(source)) == [
        "global _cache (line 12)", "_cache (line 1)", "clients (line 2)",
        "unbounded cache on spec"]
