"""Zipped shapefiles as Chinese GIS tools write them: GBK text, no .cpg, field names cut short."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
from shapely.geometry import box

DBF_LANGUAGE_BYTE = 29  # the .dbf header's code page mark; 0 says nothing


def neighborhoods(names=("云舫小区", "北外滩一号"), **columns) -> gpd.GeoDataFrame:
    """Neighborhood polygons in Hongkou with Chinese names and a long ``subdistrict_id``."""
    n = len(names)
    data = {"id": [f"n{i}" for i in range(n)], "name": list(names),
            "subdistrict_id": ["beiwaitan"] * n, **columns}
    return gpd.GeoDataFrame(data, crs="EPSG:4326", geometry=[
        box(121.49 + i * 0.002, 31.25, 121.491 + i * 0.002, 31.251) for i in range(n)])


def zip_shapefile(folder: Path, frame: gpd.GeoDataFrame, encoding: str, *, cpg: bool = False,
                  name: str = "layer") -> Path:
    """``frame`` as ``<name>.zip`` with its text in ``encoding``; without a .cpg unless asked,
    and with no code page in the .dbf (GDAL would otherwise write one for GBK)."""
    work = folder / f"{name}-parts"
    work.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "Normalized/laundered field name"
        pyogrio.write_dataframe(frame, work / f"{name}.shp", encoding=encoding)
    dbf = work / f"{name}.dbf"
    data = bytearray(dbf.read_bytes())
    data[DBF_LANGUAGE_BYTE] = 0
    dbf.write_bytes(bytes(data))
    archive = folder / f"{name}.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for part in sorted(work.iterdir()):
            if part.suffix != ".cpg" or cpg:
                out.write(part, part.name)
    return archive
