"""Shared test data for live ingest: a tiny district of devices, households and people."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point, box

from twin_dashboard.store.base import Store

# (id, category, household) — h1 has the elderly five-piece set; the rest are public devices.
DEVICES: list[tuple[str, str, str | None]] = [
    ("h1-door", "door_contact", "h1"), ("h1-ir", "infrared", "h1"), ("h1-smoke", "smoke", "h1"),
    ("h1-gas", "gas", "h1"), ("h1-water", "water_flow", "h1"),
    ("mh-1", "manhole", None), ("park-1", "parking", None), ("light-1", "street_light", None),
]


def devices_frame(extra: int = 0) -> gpd.GeoDataFrame:
    """The fixed devices plus ``extra`` parking sensors ``p0000…``."""
    rows = DEVICES + [(f"p{i:05d}", "parking", None) for i in range(extra)]
    return gpd.GeoDataFrame(
        {"id": [r[0] for r in rows], "category": [r[1] for r in rows],
         "household_id": [r[2] for r in rows], "subdistrict_id": "beiwaitan",
         "neighborhood_id": "yunfang"},
        geometry=[Point(121.49 + i * 1e-5, 31.25) for i in range(len(rows))], crs="EPSG:4326")


def load_district(store: Store, extra_devices: int = 0) -> None:
    """Devices, one household with cadre and buddy, and a subdistrict duty officer."""
    store.replace_layer("devices", devices_frame(extra_devices))
    store.replace_records("households", pd.DataFrame([{
        "id": "h1", "subdistrict_id": "beiwaitan", "neighborhood_id": "yunfang",
        "elder_id": "p-elder", "cadre_id": "p-cadre", "buddy_id": "p-buddy"}]))
    store.replace_records("people", pd.DataFrame([
        {"id": "p-elder", "name": "E", "role": "resident", "subdistrict_id": "beiwaitan",
         "neighborhood_id": "yunfang"},
        {"id": "p-cadre", "name": "C", "role": "cadre", "subdistrict_id": "beiwaitan",
         "neighborhood_id": "yunfang"},
        {"id": "p-buddy", "name": "B", "role": "buddy", "subdistrict_id": "beiwaitan",
         "neighborhood_id": "yunfang"},
        {"id": "p-duty", "name": "D", "role": "duty_officer", "subdistrict_id": "beiwaitan",
         "neighborhood_id": None},
    ]))


def add_other_neighborhood(store: Store) -> None:
    """A neighborhood ``other`` in beiwaitan with a gas device (for scope filtering)."""
    frame = devices_frame()
    extra = frame.iloc[[3]].assign(id="o-gas", household_id=None, neighborhood_id="other")
    store.replace_layer("devices", pd.concat([frame, extra], ignore_index=True))
    hoods = pd.DataFrame({"id": ["yunfang", "other"], "subdistrict_id": "beiwaitan",
                          "name": ["云舫", "别处"]})
    store.replace_layer("subdistricts", gpd.GeoDataFrame(
        {"id": ["beiwaitan"], "name": ["北外滩"]}, geometry=[box(121.4, 31.2, 121.6, 31.3)],
        crs="EPSG:4326"))
    store.replace_layer("neighborhoods", gpd.GeoDataFrame(
        hoods, geometry=[box(121.4, 31.2, 121.5, 31.3), box(121.5, 31.2, 121.6, 31.3)],
        crs="EPSG:4326"))


def reading(i: int | str, device: str = "park-1", ts: str | None = None, **fields) -> dict:
    rid = f"r{i}" if isinstance(i, int) else i
    return {"reading_id": rid, "device_id": device, "ts": ts or iso_now(), **fields}


def iso_now(offset_s: float = 0) -> str:
    return (pd.Timestamp.now(tz="UTC") + pd.Timedelta(seconds=offset_s)).isoformat()
