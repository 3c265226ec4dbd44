"""Agreement between two label sets, on squares drawn in metres (UTM 33N, near the demo scene)
whose IoU is computed here by hand, and on real fields: outlined by hand and suggested."""

import json
import time

import numpy as np
import pytest
from pyproj import Transformer
from rasterio.warp import transform_geom
from shapely.geometry import shape

from bench import suggest as reference
from labels.agreement import agreement, of_annotator
from labels.features import LabelError
from labels.suggest import suggest

TO_WGS84 = Transformer.from_crs("EPSG:32633", "EPSG:4326", always_xy=True)
X, Y = 385_000.0, 5_815_000.0  # metres in EPSG:32633, about 12.8 E, 52.5 N
KEYS = ["matched", "only_a", "only_b", "mean_iou", "class_agreement"]


def square(x: float, y: float, side: float = 300, crop: str = "maize", who: str = "ana"):
    """A label feature: the square of ``side`` metres whose south-west corner is ``x``, ``y``
    (UTM 33N), in WGS84 as a set holds it."""
    corners = [(x, y), (x + side, y), (x + side, y + side), (x, y + side), (x, y)]
    ring = [list(TO_WGS84.transform(cx, cy)) for cx, cy in corners]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"crop_class": crop, "annotator": who},
    }


def fc(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def shifted_iou(dx: float, dy: float, side: float = 300) -> float:
    """IoU of two squares of ``side`` one of which is moved by ``dx``, ``dy`` (by hand)."""
    overlap = (side - dx) * (side - dy)
    return overlap / (2 * side**2 - overlap)


def test_iou_of_shifted_squares_is_what_the_hand_computes():
    a = fc(square(X, Y), square(X + 1000, Y))
    b = fc(square(X + 60, Y), square(X + 1030, Y + 30))  # east 60 m; north-east 30 m
    result = agreement(a, b)
    assert list(result) == KEYS
    by_hand = [240 / 360, 270**2 / (2 * 300**2 - 270**2)]
    assert by_hand == pytest.approx([shifted_iou(60, 0), shifted_iou(30, 30)])
    assert result["matched"] == 2 and result["only_a"] == 0 and result["only_b"] == 0
    assert result["mean_iou"] == pytest.approx(np.mean(by_hand), rel=1e-9)
    assert result["class_agreement"] == 1.0


def test_a_pair_just_above_half_matches_and_just_below_does_not():
    assert shifted_iou(99, 0) == pytest.approx(201 / 399) and 201 / 399 > 0.5 > 199 / 401
    above = agreement(fc(square(X, Y)), fc(square(X + 99, Y)))
    assert above["matched"] == 1 and above["mean_iou"] == pytest.approx(201 / 399, rel=1e-9)
    below = agreement(fc(square(X, Y)), fc(square(X + 101, Y)))
    assert below == {
        "matched": 0,
        "only_a": 1,
        "only_b": 1,
        "mean_iou": None,
        "class_agreement": None,
    }


def test_a_polygon_overlapping_two_is_matched_once_with_the_better_one():
    big = square(X, Y)
    near, far = square(X + 30, Y), square(X + 60, Y)  # IoU 270/330 and 240/360, overlapping
    result = agreement(fc(big), fc(far, near))
    assert (result["matched"], result["only_a"], result["only_b"]) == (1, 0, 1)
    assert result["mean_iou"] == pytest.approx(270 / 330, rel=1e-9)
    result = agreement(fc(far, near), fc(big))  # the other way round
    assert (result["matched"], result["only_a"], result["only_b"]) == (1, 1, 0)
    assert result["mean_iou"] == pytest.approx(270 / 330, rel=1e-9)


def test_class_agreement_is_the_share_of_matched_pairs_with_one_class():
    a = fc(
        square(X, Y, crop="maize"),
        square(X + 1000, Y, crop="Maize "),  # the same class, spelled as an import matches it
        square(X + 2000, Y, crop="barley"),
        square(X + 3000, Y, crop="barley"),  # unmatched: not counted
    )
    b = fc(
        square(X + 10, Y, crop="maize"),
        square(X + 1010, Y, crop="maize"),
        square(X + 2010, Y, crop="winter wheat"),
    )
    result = agreement(a, b)
    assert (result["matched"], result["only_a"], result["only_b"]) == (3, 1, 0)
    assert result["class_agreement"] == pytest.approx(2 / 3)


def test_empty_sets_give_counts_and_nulls_as_valid_json():
    empty = fc()
    result = agreement(empty, empty)
    assert result == dict.fromkeys(KEYS[:3], 0) | dict.fromkeys(KEYS[3:])
    text = json.dumps(result, allow_nan=False)  # no NaN: valid JSON
    assert json.loads(text) == {
        "matched": 0,
        "only_a": 0,
        "only_b": 0,
        "mean_iou": None,
        "class_agreement": None,
    }
    two = fc(square(X, Y), square(X + 1000, Y))
    assert agreement(two, empty)["only_a"] == 2 and agreement(empty, two)["only_b"] == 2


def test_an_invalid_polygon_is_repaired_and_one_without_area_refused():
    spiked = square(X, Y)  # the same square with a spike back and forth: self-intersecting
    ring = spiked["geometry"]["coordinates"][0]
    ring[2:2] = [list(TO_WGS84.transform(X + 600, Y + 150)), ring[1]]
    repaired = agreement(fc(square(X, Y)), fc(spiked))  # the spike gone, rounded to 1 cm
    assert repaired["matched"] == 1 and repaired["mean_iou"] == pytest.approx(1.0, abs=1e-4)
    point = {"type": "Point", "coordinates": ring[0]}
    for geometry, reason in [(None, "no geometry"), (point, "not Point")]:
        bad = fc(square(X, Y), {"type": "Feature", "geometry": geometry, "properties": {}})
        with pytest.raises(LabelError, match=f"set B: feature 2: .*{reason}"):
            agreement(fc(square(X, Y)), bad)
    flat = square(X, Y, side=0)
    with pytest.raises(LabelError, match="set A: feature 1: the polygon has no area"):
        agreement(fc(flat), fc())


def test_two_annotators_of_one_set():
    team = fc(
        square(X, Y, who="ana"),
        square(X + 20, Y, who="ben"),
        square(X + 1000, Y, who="ana"),
    )
    ana, ben = of_annotator(team, "ana"), of_annotator(team, "ben")
    assert len(ana["features"]) == 2 and len(ben["features"]) == 1
    result = agreement(ana, ben)
    assert (result["matched"], result["only_a"], result["only_b"]) == (1, 1, 0)
    assert result["mean_iou"] == pytest.approx(280 / 320, rel=1e-9)
    with pytest.raises(LabelError, match="no polygon of annotator 'eve'.* 'ana', 'ben'"):
        of_annotator(team, "eve")


def test_five_thousand_fields_each_compare_in_seconds():
    a = fc(*(square(X + (k % 100) * 400, Y + (k // 100) * 400) for k in range(5000)))
    b = fc(*(square(X + (k % 100) * 400 + 30, Y + (k // 100) * 400) for k in range(5000)))
    start = time.perf_counter()
    result = agreement(a, b)
    took = time.perf_counter() - start
    assert (result["matched"], result["only_a"], result["only_b"]) == (5000, 0, 0)
    assert result["mean_iou"] == pytest.approx(270 / 330, rel=1e-9)
    assert took < 10, f"{took:.1f} s: every pair compared?"  # 0.4 s here; all 25 M pairs: hours


def test_fields_outlined_by_hand_against_the_suggested_outlines(austria):
    """The 31 hand-drawn Austria fields (set A) against the outlines suggested at a point inside
    each (set B): the same counts and mean as each pair's IoU computed apart, with rasterio."""
    raster = reference.date_a()
    hand = json.loads(reference.FIELDS.read_text())["features"]
    found = []
    for field in hand:
        inside = shape(field["geometry"]).representative_point()
        found.append(suggest(raster, inside.x, inside.y).geometry)
    assert all(found)  # nothing refused on these fields

    def in_utm(geometry):
        return shape(transform_geom("EPSG:4326", raster.crs, geometry))

    ious = []
    for field, geometry in zip(hand, found, strict=True):
        a, b = in_utm(field["geometry"]), in_utm(geometry)
        ious.append(a.intersection(b).area / a.union(b).area)
    same = [i for i in ious if i >= 0.5]
    result = agreement(fc(*hand), fc(*({"geometry": g, "properties": {}} for g in found)))
    assert result["matched"] == len(same) >= 0.8 * len(hand)
    assert result["only_a"] == result["only_b"] == len(hand) - len(same)
    assert result["mean_iou"] == pytest.approx(np.mean(same), rel=1e-6)
    assert result["class_agreement"] == 1.0  # neither has classes: "?" and "?"
