from labels.edits import diff_drawings
from labels.features import new_feature

A = {
    "type": "Polygon",
    "coordinates": [[[12.6, 52.47], [12.61, 52.47], [12.61, 52.48], [12.6, 52.47]]],
}
B = {
    "type": "Polygon",
    "coordinates": [[[12.7, 52.47], [12.71, 52.47], [12.71, 52.48], [12.7, 52.47]]],
}


def as_drawing(feature, geometry=None):
    """What Leaflet returns: the feature with coordinates rounded to 6 decimals."""
    geom = geometry or feature["geometry"]
    rounded = [[[round(x, 6), round(y, 6)] for x, y in ring] for ring in geom["coordinates"]]
    return {
        "type": "Feature",
        "properties": feature["properties"],
        "geometry": {"type": "Polygon", "coordinates": rounded},
    }


def test_nothing_reported_yet_means_no_change():
    shown = [new_feature(A, "maize", "a", "s", "original")]
    assert not diff_drawings(None, shown)


def test_new_edited_and_deleted_are_told_apart():
    a = new_feature(A, "maize", "a", "s", "original")
    b = new_feature(B, "barley", "a", "s", "original")
    moved = {
        "type": "Polygon",
        "coordinates": [[[12.6, 52.47], [12.615, 52.47], [12.61, 52.48], [12.6, 52.47]]],
    }
    drawings = [as_drawing(a, moved), {"type": "Feature", "properties": {}, "geometry": B}]
    changes = diff_drawings(drawings, [a, b])
    assert changes.new == [B]
    assert [f["id"] for f in changes.changed] == [a["id"]]
    assert changes.changed[0]["geometry"] == drawings[0]["geometry"]
    assert changes.deleted == [b["id"]]
    assert changes.summary() == "1 new, 1 edited, 1 deleted"


def test_rounding_by_leaflet_is_not_an_edit():
    a = new_feature(
        {
            "type": "Polygon",
            "coordinates": [
                [[12.6000001, 52.4700004], [12.61, 52.47], [12.61, 52.48], [12.6000001, 52.4700004]]
            ],
        },
        "maize",
        "a",
        "s",
        "original",
    )
    assert not diff_drawings([as_drawing(a)], [a])
