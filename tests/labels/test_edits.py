from dataclasses import replace

import pytest
from shapely.geometry import shape

from labels.edits import Changes, NewPolygonRules, diff_drawings, plan_edits
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


def test_a_polygon_edited_on_the_map_keeps_its_record_from_the_set():
    """The map holds a polygon's id, class and review only (``webmap.mirror.SHOWN``): an edit
    takes the new outline and keeps the rest of the record as the set has it."""
    a = new_feature(A, "maize", "a", "s", "original")
    a["properties"]["note"] = "wet corner"
    on_map = {**a, "properties": {"id": a["id"], "crop_class": "maize"}}
    moved = {"type": "Polygon", "coordinates": [[[12.6, 52.47], [12.62, 52.47], [12.6, 52.49]]]}
    changes = diff_drawings([as_drawing(on_map, moved)], [a])
    assert [f["properties"] for f in changes.changed] == [a["properties"]]


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


def test_a_polygon_named_by_its_id_alone_is_unchanged_and_still_there():
    """The label map reports a polygon it was sent and that was not edited by its id only."""
    a = new_feature(A, "maize", "a", "s", "original")
    b = new_feature(B, "barley", "a", "s", "original")
    named = [{"type": "Feature", "properties": {"id": f["id"]}, "geometry": None} for f in (a, b)]
    assert not diff_drawings(named, [a, b])
    changes = diff_drawings(named[:1], [a, b])
    assert changes.deleted == [b["id"]] and not changes.new and not changes.changed


def square(x0, y0, d):
    return {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x0 + d, y0], [x0 + d, y0 + d], [x0, y0 + d], [x0, y0]]],
    }


RULES = NewPolygonRules(
    crop_class="wheat",
    annotator="ana",
    scene_id="S2_demo",
    image="enhanced",
    made_by=("decrappify", None, "abc123", False),
    crs="EPSG:32633",
    clip=True,
    min_m2=100,
)


def test_a_new_polygon_becomes_a_feature_with_class_and_provenance():
    edits = plan_edits(Changes(new=[A]), [], RULES)
    assert edits.refused == [] and edits.deletes == []
    (feature,) = edits.upserts
    props = feature["properties"]
    assert (props["crop_class"], props["annotator"], props["image"]) == ("wheat", "ana", "enhanced")
    assert (props["pipeline"], props["model_version"]) == ("decrappify", "abc123")
    assert props["consistent"] is False  # drawn on an image enhanced without the step
    assert shape(feature["geometry"]).equals(shape(A))
    assert "source" not in props  # drawn by hand


def test_an_accepted_suggestion_says_so_in_its_properties():
    (feature,) = plan_edits(Changes(new=[A]), [], replace(RULES, source="suggested")).upserts
    assert feature["properties"]["source"] == "suggested"
    assert feature["properties"]["crop_class"] == "wheat"


def test_edits_keep_id_and_class_and_deletes_pass_through():
    a = new_feature(A, "maize", "bo", "s", "original")
    moved = square(12.6, 52.47, 0.02)
    edits = plan_edits(Changes(changed=[{**a, "geometry": moved}], deleted=["x1"]), [a], RULES)
    (feature,) = edits.upserts
    assert feature["id"] == a["id"] and feature["properties"]["crop_class"] == "maize"
    assert shape(feature["geometry"]).equals(shape(moved))
    assert edits.deletes == ["x1"]


def test_a_polygon_under_the_minimum_area_is_refused_with_its_size():
    tiny = square(12.6, 52.47, 0.00005)  # about 3.4 x 5.6 m
    edits = plan_edits(Changes(new=[tiny]), [], RULES)
    assert edits.upserts == [] and not edits
    [refused] = edits.refused
    assert "smaller than the minimum of 100 m²" in refused.reason and refused.geometry == tiny
    assert edits.summary() == "0 new, 0 edited, 0 deleted"  # not "1 new": nothing was saved


def test_new_polygons_are_clipped_against_their_neighbours_only_when_asked():
    old = new_feature(square(12.6, 52.47, 0.01), "maize", "bo", "s", "original")
    overlapping = square(12.605, 52.47, 0.01)  # half over the old one
    clipped = plan_edits(Changes(new=[overlapping]), [old], RULES).upserts[0]
    assert shape(clipped["geometry"]).intersection(shape(old["geometry"])).area < 1e-12
    assert abs(shape(clipped["geometry"]).area - shape(overlapping).area / 2) < 1e-9
    kept = plan_edits(Changes(new=[overlapping]), [old], replace(RULES, clip=False)).upserts[0]
    assert shape(kept["geometry"]).equals(shape(overlapping))


def test_a_polygon_inside_a_neighbour_is_refused_when_clipping():
    old = new_feature(square(12.6, 52.47, 0.01), "maize", "bo", "s", "original")
    edits = plan_edits(Changes(new=[square(12.602, 52.472, 0.002)]), [old], RULES)
    assert edits.upserts == [] and "inside its neighbours" in edits.refused[0].reason


def test_a_small_loop_where_an_outline_crosses_itself_is_dropped_not_refused():
    wiggle = {  # a square whose last edge crosses the first, leaving a loop of about 2 m2
        "type": "Polygon",
        "coordinates": [
            [
                [12.6, 52.47],
                [12.61, 52.47],
                [12.61, 52.48],
                [12.6, 52.48],
                [12.60002, 52.46998],
                [12.6, 52.47],
            ]
        ],
    }
    (feature,) = plan_edits(Changes(new=[wiggle]), [], RULES).upserts
    geom = shape(feature["geometry"])
    assert geom.geom_type == "Polygon" and geom.is_valid
    assert geom.area == pytest.approx(0.0001, rel=2e-3)


def test_an_outline_that_crosses_itself_into_two_fields_is_refused():
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[12.6, 52.47], [12.61, 52.48], [12.61, 52.47], [12.6, 52.48], [12.6, 52.47]]
        ],
    }
    edits = plan_edits(Changes(new=[bowtie]), [], RULES)
    assert edits.upserts == [] and "2 separate pieces" in edits.refused[0].reason


def test_a_drawing_continued_into_the_next_field_is_refused_not_saved_as_a_spike():
    # Issue 26, bug 3: the first field's closing click was lost, the second field was drawn on:
    # one outline of two fields joined by a strip about 3 m wide.
    first = [[12.603, 52.471], [12.603, 52.47], [12.6, 52.47], [12.6, 52.472], [12.603, 52.472]]
    second = [[12.606, 52.472], [12.609, 52.472], [12.609, 52.47], [12.606, 52.47]]
    ring = [*first, [12.603, 52.47103], [12.606, 52.47103], *second, [12.606, 52.471]]
    spike = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    assert shape(spike).is_valid  # not crossing itself: Leaflet.draw lets it through
    edits = plan_edits(Changes(new=[spike]), [], RULES)
    assert edits.upserts == []
    assert "joined by a strip narrower than 10 m" in edits.refused[0].reason


def test_a_field_with_a_narrow_tail_is_saved():
    tail = [
        [12.6, 52.47],
        [12.603, 52.47],
        [12.603, 52.472],
        [12.60152, 52.472],
        [12.60152, 52.4735],
        [12.60148, 52.4735],
        [12.60148, 52.472],
        [12.6, 52.472],
    ]
    (feature,) = plan_edits(
        Changes(new=[{"type": "Polygon", "coordinates": [[*tail, tail[0]]]}]), [], RULES
    ).upserts
    assert shape(feature["geometry"]).geom_type == "Polygon"


def test_a_new_polygon_across_a_neighbour_is_refused_rather_than_saved_in_pieces():
    old = new_feature(square(12.604, 52.46, 0.002), "maize", "bo", "s", "original")
    across = square(12.6, 52.47, 0.01)  # old runs across it from south to north
    old["geometry"] = {
        "type": "Polygon",
        "coordinates": [
            [[12.604, 52.46], [12.606, 52.46], [12.606, 52.49], [12.604, 52.49], [12.604, 52.46]]
        ],
    }
    edits = plan_edits(Changes(new=[across]), [old], RULES)
    assert edits.upserts == [] and "2 separate pieces" in edits.refused[0].reason
    tip = square(12.6055, 52.47, 0.002)  # overlaps old's east half: one piece is left
    [kept] = plan_edits(Changes(new=[tip]), [old], RULES).upserts
    assert shape(kept["geometry"]).geom_type == "Polygon"


def test_an_edit_that_is_not_a_polygon_is_refused_and_the_rest_saved():
    a = new_feature(A, "maize", "bo", "s", "original")
    line = {"type": "LineString", "coordinates": [[12.6, 52.47], [12.61, 52.48]]}
    edits = plan_edits(Changes(new=[B], changed=[{**a, "geometry": line}]), [a], RULES)
    assert len(edits.upserts) == 1 and [r.reason for r in edits.refused] == [
        "an edit: only polygons can be labels, not LineString"
    ]
    assert edits.summary() == "1 new, 0 edited, 0 deleted"


def test_new_polygons_are_cut_to_the_image_and_refused_wholly_outside_it():
    image = square(12.6, 52.47, 0.01)
    rules = replace(RULES, footprint=image)
    half_out = square(12.605, 52.475, 0.01)  # a quarter of it lies on the image
    [cut] = plan_edits(Changes(new=[half_out]), [], rules).upserts
    assert shape(cut["geometry"]).area == pytest.approx(shape(half_out).area / 4)
    assert shape(image).covers(shape(cut["geometry"]))
    edits = plan_edits(Changes(new=[square(12.7, 52.47, 0.01)]), [], rules)
    assert edits.upserts == [] and "outside the loaded image" in edits.refused[0].reason


def test_a_corner_snapped_on_the_map_is_the_neighbours_corner_exactly():
    old = new_feature(square(12.6, 52.47, 0.01), "maize", "bo", "s", "original")
    [corner] = [c for c in shape(old["geometry"]).exterior.coords if c == (12.61, 52.48)]
    corner = (corner[0] + 1e-7 * 3, corner[1] + 1e-7 * 4)  # as Leaflet rounds a snapped corner
    ring = [[corner[0], corner[1] - 0.005], [12.62, 52.475], [12.62, 52.48], list(corner)]
    drawn = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    [new] = plan_edits(Changes(new=[drawn]), [old], RULES).upserts
    shared = set(map(tuple, new["geometry"]["coordinates"][0])) & set(
        shape(old["geometry"]).exterior.coords
    )
    assert (12.61, 52.48) in shared


def test_a_polygon_that_clipping_leaves_only_a_sliver_of_is_said_to_lie_inside():
    old = new_feature(square(12.6, 52.47, 0.01), "maize", "bo", "s", "original")
    almost = square(12.6001, 52.4701, 0.0099 + 1e-7)  # pokes out by a rounding error
    edits = plan_edits(Changes(new=[almost]), [old], replace(RULES, min_m2=0))
    assert edits.upserts == [] and "inside its neighbours" in edits.refused[0].reason
