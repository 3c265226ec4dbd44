import math

import pytest
from shapely.geometry import shape

from labels.features import LabelError, new_feature, polygon_geometry

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[12.6, 52.47], [12.61, 52.47], [12.61, 52.48], [12.6, 52.48], [12.6, 52.47]]],
}


def test_new_feature_carries_provenance():
    f = new_feature(SQUARE, "maize", " Ana ", "S2_demo", "enhanced", "bicubic")
    p = f["properties"]
    assert f["type"] == "Feature" and f["id"] == p["id"] and len(f["id"]) == 32
    assert (p["crop_class"], p["annotator"], p["scene_id"]) == ("maize", "Ana", "S2_demo")
    assert (p["image"], p["pipeline"]) == ("enhanced", "bicubic")
    assert p["created"] == p["updated"] and p["created"].endswith("+00:00")
    other = new_feature(SQUARE, "maize", "Ana", "S2_demo", "original", "bicubic")
    assert other["id"] != f["id"] and other["properties"]["pipeline"] is None


def test_self_intersecting_polygon_is_repaired():
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    fixed = shape(polygon_geometry(bowtie))
    assert fixed.is_valid and fixed.geom_type == "MultiPolygon"
    assert math.isclose(fixed.area, 0.5)


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ({"type": "Point", "coordinates": [0, 0]}, "only polygons"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}, "malformed|no area"),
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [[500000, 5800000], [500100, 5800000], [500100, 5800100], [500000, 5800000]]
                ],
            },
            "longitude/latitude",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [float("nan"), 0], [1, 1], [0, 0]]]},
            "finite",
        ),
        ("POLYGON((0 0, 1 0, 1 1, 0 0))", "only polygons"),
    ],
)
def test_bad_geometries_are_refused(geometry, message):
    with pytest.raises(LabelError, match=message):
        polygon_geometry(geometry)


def test_class_and_annotator_are_required():
    with pytest.raises(LabelError, match="crop class"):
        new_feature(SQUARE, " ", "Ana", "s", "enhanced")
    with pytest.raises(LabelError, match="annotator"):
        new_feature(SQUARE, "maize", "", "s", "enhanced")


def test_a_polygon_across_the_antimeridian_is_refused_not_wrapped_round_the_globe():
    ring = [[179.95, -17.0], [-179.95, -17.0], [-179.95, -16.9], [179.95, -16.9], [179.95, -17.0]]
    with pytest.raises(LabelError, match="crosses the antimeridian"):
        polygon_geometry({"type": "Polygon", "coordinates": [ring]})
    east = [[179.9, -17.0], [180.0, -17.0], [180.0, -16.9], [179.9, -16.9], [179.9, -17.0]]
    assert polygon_geometry({"type": "Polygon", "coordinates": [east]})  # one side: fine


@pytest.mark.parametrize("name", ["mai\x00ze", "rye\x1b]0;pwned\x07", "oat\nbarley"])
def test_class_and_annotator_names_hold_no_control_characters(name):
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    with pytest.raises(LabelError, match="holds a control character"):
        new_feature(square, name, "ana", "S2", "original")
    with pytest.raises(LabelError, match="holds a control character"):
        new_feature(square, "maize", name, "S2", "original")
