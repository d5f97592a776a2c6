"""A tiny district for field work (visits, patrols): two subdistricts, zones, roads, buildings.

北外滩 (beiwaitan: neighborhoods yunfang with household h1 and building b1, and other) and
欧阳路 (ouyanglu: neighborhood far, building b9). Zone z1 (beiwaitan) has roads r1, r2 along
31.25° N and r3 crossing them; zone z2 (ouyanglu) has r9. Accounts get personal API tokens.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, box

from tests._live_fixtures import load_district
from twin_dashboard.domain.accounts import issue_api_token
from twin_dashboard.testing import add_user

T0 = pd.Timestamp("2026-03-02T02:00:00Z")
LAT = 31.25
ROADS = {"r1": ((121.490, LAT), (121.495, LAT)), "r2": ((121.495, LAT), (121.500, LAT)),
         "r3": ((121.4925, 31.245), (121.4925, 31.255)),
         "r9": ((121.490, 31.27), (121.500, 31.27))}
ACCOUNTS = {  # name: (role, area, person)
    "boss": ("commander", {}, None),
    "duty": ("officer", {"subdistrict": "beiwaitan"}, "p-duty"),
    "duty2": ("officer", {"subdistrict": "ouyanglu"}, None),
    "cadre": ("cadre", {"neighborhoods": ("yunfang",)}, "p-cadre"),
    "prop": ("property", {"neighborhoods": ("yunfang",)}, None),
    "chief": ("road_chief", {"zones": ("z1",)}, "p-gov"),
    "buddy": ("buddy", {}, "p-buddy"),
    "root": ("admin", {}, None),
}


def load_field(store) -> None:
    """The places, zones, roads and buildings above (and load_district's h1, people)."""
    load_district(store)
    frame = lambda rows, geoms: gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")  # noqa: E731
    store.replace_layer("subdistricts", frame(
        {"id": ["beiwaitan", "ouyanglu"], "name": ["北外滩", "欧阳路"]},
        [box(121.48, 31.24, 121.52, 31.26), box(121.48, 31.26, 121.52, 31.28)]))
    store.replace_layer("neighborhoods", frame(
        {"id": ["yunfang", "other", "far"], "name": ["云舫", "别处", "远处"],
         "subdistrict_id": ["beiwaitan", "beiwaitan", "ouyanglu"]},
        [box(121.48, 31.24, 121.50, 31.26), box(121.50, 31.24, 121.52, 31.26),
         box(121.48, 31.26, 121.52, 31.28)]))
    store.replace_layer("buildings", frame(
        {"id": ["b1", "b9"], "name": ["云舫1号楼", "远处9号楼"],
         "subdistrict_id": ["beiwaitan", "ouyanglu"], "neighborhood_id": ["yunfang", "far"]},
        [box(121.491, 31.251, 121.492, 31.252), box(121.491, 31.271, 121.492, 31.272)]))
    store.replace_layer("patrol-zones", frame(
        {"id": ["z1", "z2"], "name": ["一片", "二片"], "subdistrict_id": ["beiwaitan", "ouyanglu"],
         "gov_chief_id": ["p-gov", "p-gov2"], "community_chief_id": ["p-com", "p-com2"],
         "target_hours": [24.0, 24.0]},
        [box(121.48, 31.24, 121.52, 31.26), box(121.48, 31.26, 121.52, 31.28)]))
    store.replace_layer("roads", frame(
        {"id": list(ROADS), "name": ["东大名路", "东大名路", "吴淞路", "欧阳路"],
         "subdistrict_id": ["beiwaitan"] * 3 + ["ouyanglu"], "zone_id": ["z1"] * 3 + ["z2"]},
        [LineString(c) for c in ROADS.values()]))
    people = store.read_records("people")
    chiefs = pd.DataFrame([{"id": p, "name": p, "role": r, "subdistrict_id": s}
                           for p, r, s in (("p-gov", "gov_chief", "beiwaitan"),
                                           ("p-com", "community_chief", "beiwaitan"),
                                           ("p-gov2", "gov_chief", "ouyanglu"),
                                           ("p-com2", "community_chief", "ouyanglu"))])
    store.replace_records("people", pd.concat([people, chiefs], ignore_index=True))


def tokens(store) -> dict[str, str]:
    """An account and a personal API token for each of ACCOUNTS."""
    out = {}
    for name, (role, area, person) in ACCOUNTS.items():
        add_user(store, name, role, person=person, **area)
        out[name] = issue_api_token(store, name, T0)
    return out


def as_user(tokens: dict[str, str], name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[name]}"}
