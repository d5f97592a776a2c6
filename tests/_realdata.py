"""Where the real public GIS files of ../shared/realdata are, read in place (never copied)."""

from __future__ import annotations

import os
from pathlib import Path

REALDATA = Path(os.environ.get(
    "TWIN_REALDATA", Path(__file__).resolve().parents[2] / "shared" / "realdata"))
if not REALDATA.is_dir():
    REALDATA = Path("/work/shared/realdata")
DATAV = "datav_310109_hongkou.json"  # the district boundary, GCJ-02, a bare array of Features
SUBDISTRICTS = "hongkou_subdistricts_stanford_wgs84.geojson"
ADDRESSES = "hongkou_residential_addresses_2022.csv"
