"""The Label page's suggest mode without Streamlit: Larger and Smaller as the buttons ask."""

from __future__ import annotations

from rasterio.warp import transform_geom
from shapely.geometry import box, mapping

from labels.edits import NewPolygonRules
from tests.labels.test_suggest import EAST, ORIGIN, iou, lonlat, two_shades
from views.suggesting import propose, stepped

RULES = NewPolygonRules("wheat", "Ann", "s", "original", crs="EPSG:32633")


def test_larger_steps_past_an_outline_that_clipping_makes_the_same():
    """The west half of the field is labelled: the whole field (Larger) clipped against it is
    the east half shown already, so the page says there is nothing larger instead of showing
    it again."""
    raster = two_shades()
    r0, r1, c0, c1 = 20, 100, 20, 60  # the west half
    west = box(ORIGIN[0] + c0 * 10, ORIGIN[1] - r1 * 10, ORIGIN[0] + c1 * 10, ORIGIN[1] - r0 * 10)
    geometry = transform_geom("EPSG:32633", "EPSG:4326", mapping(west))
    labelled = [{"type": "Feature", "geometry": geometry, "properties": {}}]
    at = lonlat(raster, 80, 60)
    shown, said = propose(raster, *at, labelled, RULES)
    assert shown is not None and iou(shown, raster, EAST) > 0.9 and "step" not in said
    outline, said, step = stepped(raster, at, labelled, RULES, None, shown, 1)
    assert outline is None and said.startswith("No larger outline around this click")
    outline, said, step = stepped(raster, at, [], RULES, None, shown, 1)  # nothing labelled
    assert outline is not None and step == 1 and "1 step larger" in said
