"""Property tests (hypothesis) for geometry, areas and CRS round trips."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from shapely.geometry import Polygon, box, mapping, shape

from labels.features import clip_to_neighbours, near_box, on_grid, polygon_geometry
from labels.geometry import area_ha, utm_zone

lon = st.floats(-179.0, 178.9)
lat = st.floats(-79.0, 79.0)
size = st.floats(1e-4, 0.05)


@given(lon, lat, size, size)
@settings(max_examples=60, deadline=None)
def test_rectangle_area_in_its_utm_zone_matches_the_ellipsoid(x, y, w, h):
    rect = mapping(box(x, y, x + w, y + h))
    from pyproj import Geod

    geodesic = abs(Geod(ellps="WGS84").geometry_area_perimeter(shape(rect))[0]) / 1e4
    utm = area_ha(rect, utm_zone(x + w / 2, y + h / 2))
    assert math.isclose(utm, geodesic, rel_tol=2e-3)  # UTM scale error < 0.1 % per axis in zone


@given(lon, lat, size)
@settings(max_examples=60, deadline=None)
def test_wgs84_utm_round_trip_moves_points_by_less_than_a_millimetre(x, y, d):
    crs = utm_zone(x, y)
    fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    e, n = fwd.transform(x + d, y + d)
    bx, by = fwd.transform(e, n, direction="INVERSE")
    ex, ny = fwd.transform(bx, by)
    assert math.hypot(ex - e, ny - n) < 1e-3


@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=4, max_size=12))
@settings(max_examples=80, deadline=None)
def test_any_drawn_ring_becomes_a_valid_polygon_or_a_clear_refusal(points):
    ring = [list(p) for p in points] + [list(points[0])]
    try:
        geom = shape(polygon_geometry({"type": "Polygon", "coordinates": [ring]}))
    except ValueError as err:
        assert "area" in str(err) or "malformed" in str(err)
    else:
        assert geom.is_valid and geom.area > 0
        assert geom.geom_type in ("Polygon", "MultiPolygon")


@given(st.floats(0.1, 0.9), st.floats(0.1, 0.9))
@settings(max_examples=40, deadline=None)
def test_clipped_polygon_never_overlaps_its_neighbours(cx, cy):
    cx, cy = round(cx, 6), round(cy, 6)  # saved outlines lie on the 1e-7 degree grid, as do halves
    neighbour = mapping(box(0, 0, cx, cy))
    new = mapping(box(cx / 2, cy / 2, 1, 1))
    clipped = shape(clip_to_neighbours(new, [neighbour]))
    assert clipped.intersection(shape(neighbour)).area < 1e-12
    assert math.isclose(clipped.area + (cx / 2) * (cy / 2), (1 - cx / 2) * (1 - cy / 2))


@given(
    st.lists(st.tuples(st.floats(0, 2 * math.pi), st.floats(3e-8, 5e-6)), min_size=3, max_size=12)
)
@settings(max_examples=150, deadline=None)
def test_rounding_for_export_never_makes_a_valid_polygon_invalid(spikes):
    # star-shaped polygons of centimetres in degrees: rounding to 1e-7 often folds them
    spikes = sorted(spikes)
    ring = [(12.6 + r * math.cos(a), 52.47 + r * math.sin(a)) for a, r in spikes]
    polygon = Polygon(ring)
    if not polygon.is_valid or polygon.area == 0:
        return
    out = on_grid(polygon)
    assert out.is_valid
    assert abs(out.area - polygon.area) <= polygon.length * 1e-7  # moved by a grid step at most


def test_only_neighbours_whose_box_comes_near_are_kept_for_snapping_and_clipping():
    def square(x: float, y: float, d: float = 0.001) -> dict:
        return mapping(box(x, y, x + d, y + d))

    bounds = (12.0, 52.0, 12.001, 52.001)
    touching = square(12.001, 52.0)  # shares the east edge
    within = square(12.0010015, 52.0)  # 0.15 m east: within the margin
    far = square(12.01, 52.0)
    parts = {
        "type": "MultiPolygon",
        "coordinates": [
            square(12.02, 52.0)["coordinates"],
            square(11.9995, 51.9995)["coordinates"],
        ],
    }
    line = {"type": "LineString", "coordinates": [[13.0, 53.0], [13.1, 53.1]]}
    kept = near_box([touching, within, far, parts, line], bounds, 2e-6)
    assert kept == [touching, within, parts, line]  # a type it cannot read is kept
