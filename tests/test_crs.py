"""WGS84 <-> GCJ-02 <-> BD-09 against published reference points, and CRS names."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import shapely

from twin_dashboard.geo.crs import (
    BD09,
    GCJ02,
    WGS84,
    bd09_to_gcj02,
    bd09_to_wgs84,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    normalize_crs,
    out_of_china,
    to_wgs84,
    transform_geometries,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = pyproj.Geod(ellps="WGS84")

# (wgs lon, wgs lat, gcj lon, gcj lat) from googollee/eviltransform python/test.py `TESTS`
# (Shanghai, Shenzhen, Beijing; the same triple is in its Go, JS and PHP ports' tests).
EVILTRANSFORM_WGS_GCJ = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
]
# Tiananmen, (116.404, 39.915), the point of wandergis/coordtransform test/app.js (its "result"
# comment): wgs84togcj02, gcj02tobd09 and bd09togcj02 of that point.
COORDTRANSFORM_WGS_TO_GCJ = (116.404, 39.915, 116.41024449916938, 39.91640428150164)
COORDTRANSFORM_GCJ_TO_BD = (116.404, 39.915, 116.41036949371029, 39.92133699351021)
# Its bd09togcj02 is the one-step approximation: ours is the exact inverse, a few cm apart.
COORDTRANSFORM_BD_TO_GCJ = (116.404, 39.915, 116.39762729119315, 39.90865673957631)
# Not used: eviltransform's `TESTS_bd` were produced by an old version with sin(y * pi) in
# place of sin(y * x_pi) in bd2gcj, so they are ~10 m off Baidu's published formula.


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic distance on the WGS84 ellipsoid."""
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


@pytest.mark.parametrize("wlon, wlat, glon, glat",
                         [*EVILTRANSFORM_WGS_GCJ, COORDTRANSFORM_WGS_TO_GCJ])
def test_wgs84_to_gcj02_matches_reference(wlon, wlat, glon, glat):
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert lon == pytest.approx(glon, abs=1e-9)
    assert lat == pytest.approx(glat, abs=1e-9)


@pytest.mark.parametrize("wlon, wlat, glon, glat", EVILTRANSFORM_WGS_GCJ)
def test_gcj02_to_wgs84_is_precise(wlon, wlat, glon, glat):
    lon, lat = gcj02_to_wgs84(glon, glat)
    assert metres(lon, lat, wlon, wlat) < 0.01  # the one-step inverse is off by metres


def test_gcj02_to_bd09_matches_reference():
    lon, lat, blon, blat = COORDTRANSFORM_GCJ_TO_BD
    out = gcj02_to_bd09(lon, lat)
    assert out == pytest.approx((blon, blat), abs=1e-9)


def test_bd09_to_gcj02_matches_reference_within_a_metre():
    lon, lat, glon, glat = COORDTRANSFORM_BD_TO_GCJ
    out = bd09_to_gcj02(lon, lat)
    assert metres(*out, glon, glat) < 1.0
    # and it is the exact inverse of the forward formula
    assert metres(*gcj02_to_bd09(*out), lon, lat) < 0.001


def _grid() -> tuple[np.ndarray, np.ndarray]:
    """Points over China, and densely over Hongkou where the product lives."""
    lon, lat = np.meshgrid(np.linspace(75, 135, 13), np.linspace(18, 53, 8))
    hlon, hlat = np.meshgrid(np.linspace(121.45, 121.52, 8), np.linspace(31.24, 31.32, 8))
    return np.concatenate([lon.ravel(), hlon.ravel()]), np.concatenate([lat.ravel(),
                                                                        hlat.ravel()])


@pytest.mark.parametrize("forward, inverse", [(wgs84_to_gcj02, gcj02_to_wgs84),
                                              (wgs84_to_bd09, bd09_to_wgs84)])
def test_round_trip_error_under_a_metre(forward, inverse):
    lon, lat = _grid()
    back = inverse(*forward(lon, lat))
    errors = GEOD.inv(lon, lat, back[0], back[1])[2]
    assert errors.max() < 1.0
    assert errors.max() < 1e-3  # the iteration actually does far better


def test_reference_points_round_trip_through_bd09():
    for wlon, wlat, _, _ in EVILTRANSFORM_WGS_GCJ:
        assert metres(*bd09_to_wgs84(*wgs84_to_bd09(wlon, wlat)), wlon, wlat) < 1.0


def test_gcj02_leaves_points_outside_china_unchanged():
    lon, lat = np.array([2.35, -74.0, 139.7]), np.array([48.85, 40.7, 35.7])  # Paris, NY, Tokyo
    for func in (wgs84_to_gcj02, gcj02_to_wgs84):
        out = func(lon, lat)
        np.testing.assert_array_equal(out[0], lon)
        np.testing.assert_array_equal(out[1], lat)


def test_hongkou_offset_is_about_450_m():
    lon, lat = wgs84_to_gcj02(121.49, 31.27)
    assert 400 < metres(121.49, 31.27, lon, lat) < 600


@pytest.mark.parametrize("text, expected", [
    ("wgs84", WGS84), ("WGS-84", WGS84), ("EPSG:4326", WGS84), ("cgcs2000", WGS84),
    ("EPSG:4490", WGS84), ("gcj02", GCJ02), ("GCJ-02", GCJ02), ("bd09", BD09),
    ("BD-09", BD09), ("EPSG:3857", "EPSG:3857"), ("epsg:32651", "EPSG:32651"),
    ("EPSG:4547", "EPSG:4547"), ("OGC:CRS84", WGS84),
])
def test_normalize_crs(text, expected):
    assert normalize_crs(text) == expected


def test_normalize_crs_accepts_pyproj_objects():
    assert normalize_crs(pyproj.CRS.from_epsg(4490)) == WGS84
    assert normalize_crs(pyproj.CRS.from_epsg(32651)) == "EPSG:32651"


def test_normalize_crs_refuses_unknown_names():
    with pytest.raises(ValueError, match="unknown CRS 'mars84'"):
        normalize_crs("mars84")


def test_other_epsg_goes_through_pyproj_with_lon_lat_order():
    # UTM 51N: a point in Hongkou, projected and brought back.
    fwd = pyproj.Transformer.from_crs(4326, 32651, always_xy=True)
    x, y = fwd.transform(121.49, 31.27)
    out = to_wgs84("EPSG:32651")(np.array([[x, y]]))
    assert metres(out[0, 0], out[0, 1], 121.49, 31.27) < 0.01


def test_transform_geometries_keeps_kinds_drops_z_and_rounds():
    geoms = np.array([
        shapely.Point(121.49, 31.27, 5.0),
        shapely.box(121.48, 31.26, 121.5, 31.28),
        shapely.LineString([(121.48, 31.26), (121.5, 31.28)]),
        None,
    ], dtype=object)
    out = transform_geometries(geoms, from_wgs84(GCJ02), decimals=7)
    assert [g.geom_type if g is not None else None for g in out] == \
        ["Point", "Polygon", "LineString", None]
    assert not shapely.has_z(out[0])
    coords = shapely.get_coordinates(out[1])
    np.testing.assert_array_equal(coords, np.round(coords, 7))
    back = transform_geometries(out, to_wgs84(GCJ02), decimals=7)
    assert metres(back[0].x, back[0].y, 121.49, 31.27) < 0.05


def test_out_of_china_on_scalars_and_arrays():
    assert not out_of_china(121.49, 31.27)  # a plain Python bool must not be inverted with ~
    assert out_of_china(2.35, 48.85)
    np.testing.assert_array_equal(out_of_china(np.array([121.49, 2.35]), np.array([31.27, 48.85])),
                                  [False, True])
