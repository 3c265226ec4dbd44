"""Polygon suggestions from one click: synthetic fields with known borders, the hand-drawn fields
of the Austria file, refusals, and the ``python -m labels suggest`` command."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import numpy as np
import pytest
from affine import Affine
from rasterio.crs import CRS
from rasterio.warp import transform, transform_geom
from shapely.geometry import box, shape

from bench import fields as dev_fields
from bench import suggest as reference
from imagery.raster import Raster
from labels.cli import main
from labels.edits import NewPolygonRules
from labels.features import LabelError
from labels.suggest import (
    LABELLED,
    LEFT_NARROW,
    NARROW,
    proposal,
    suggest,
    suggestions,
    typical_area,
)
from tests.conftest import write_tif

UTM = CRS.from_epsg(32633)
ORIGIN = (400_000.0, 5_800_000.0)
#: Field colours (B04, B03, B02, B08): wheat, maize, bare soil, grass.
CROPS = [(0.06, 0.09, 0.05, 0.35), (0.04, 0.07, 0.03, 0.45), (0.18, 0.15, 0.12, 0.25),
         (0.05, 0.08, 0.04, 0.30)]  # fmt: skip
ROAD = (0.12, 0.12, 0.12, 0.15)
WATER = (0.03, 0.04, 0.05, 0.02)
FIELDS = [  # (row0, row1, col0, col1) in 10 m pixels of a 120 x 120 px image
    (0, 30, 0, 50), (0, 30, 51, 120), (31, 80, 0, 35), (31, 80, 36, 90), (31, 80, 91, 120),
    (81, 120, 0, 60), (81, 120, 61, 120),
]  # fmt: skip


def farmland(scale: int = 1, bands: tuple[str, ...] = ("B04", "B03", "B02", "B08")) -> Raster:
    """Seven fields of four crops with 10 m roads between them, with sensor noise, at 10 m or
    ``10 / scale`` m a pixel."""
    rng = np.random.default_rng(0)
    data = np.empty((4, 120, 120), np.float32)
    data[:] = np.asarray(ROAD, np.float32)[:, None, None]
    for i, (r0, r1, c0, c1) in enumerate(FIELDS):
        data[:, r0:r1, c0:c1] = np.asarray(CROPS[i % 4], np.float32)[:, None, None]
    data = np.repeat(np.repeat(data, scale, 1), scale, 2)
    data += rng.normal(0, 0.004, data.shape).astype(np.float32)
    res = 10.0 / scale
    keep = [("B04", "B03", "B02", "B08").index(b) for b in bands]
    return Raster(data[keep], UTM, Affine(res, 0, ORIGIN[0], 0, -res, ORIGIN[1]), bands)


def lonlat(raster: Raster, col: float, row: float, res: float = 10.0) -> tuple[float, float]:
    x, y = ORIGIN[0] + col * res, ORIGIN[1] - row * res
    [lon], [lat] = transform(raster.crs, "EPSG:4326", [x], [y])
    return lon, lat


def iou(geometry: dict, raster: Raster, field: tuple[int, int, int, int]) -> float:
    r0, r1, c0, c1 = field
    truth = box(ORIGIN[0] + c0 * 10, ORIGIN[1] - r1 * 10, ORIGIN[0] + c1 * 10, ORIGIN[1] - r0 * 10)
    got = shape(transform_geom("EPSG:4326", raster.crs, geometry))
    return float(got.intersection(truth).area / got.union(truth).area)


@pytest.mark.parametrize("scale", [1, 4])
def test_each_synthetic_field_is_found_from_a_click_inside_it(scale: int):
    raster = farmland(scale)
    for field in FIELDS:
        r0, r1, c0, c1 = field
        got = suggest(raster, *lonlat(raster, (c0 + c1) / 2 + 3.3, (r0 + r1) / 2 - 2.7))
        assert got.geometry is not None, (field, got.reason)
        assert iou(got.geometry, raster, field) > 0.9, field
        assert len(got.geometry["coordinates"][0]) <= 9  # a few vertices, not a staircase


def test_three_bands_are_enough():
    raster = farmland(bands=("B04", "B03", "B02"))
    got = suggest(raster, *lonlat(raster, 60, 50))
    assert got.geometry is not None and iou(got.geometry, raster, FIELDS[3]) > 0.9


def test_a_field_larger_than_the_first_window_is_found_whole():
    """A 1.6 x 1.2 km field, four times the first window looked at, with roads around it."""
    rng = np.random.default_rng(1)
    data = np.empty((4, 200, 200), np.float32)
    data[:] = np.asarray(ROAD, np.float32)[:, None, None]
    data[:, 20:140, 10:170] = np.asarray(CROPS[1], np.float32)[:, None, None]
    data[:, 141:, :] = np.asarray(CROPS[2], np.float32)[:, None, None]
    data += rng.normal(0, 0.004, data.shape).astype(np.float32)
    raster = Raster(data, UTM, Affine(10, 0, ORIGIN[0], 0, -10, ORIGIN[1]))
    got = suggest(raster, *lonlat(raster, 30, 30))
    assert got.geometry is not None and iou(got.geometry, raster, (20, 140, 10, 170)) > 0.95


def test_a_strip_longer_than_the_largest_window_is_cut_at_its_edge():
    """A strip 50 m wide and 9 km long (a river bank, a road's verge: 45 ha, under the 200 ha
    cap) is followed from the click 3.2 km either way, no farther: the window looked at stops
    growing there, which bounds the time of a click on a large image."""
    rng = np.random.default_rng(2)
    data = np.empty((4, 60, 940), np.float32)
    data[:] = np.asarray(CROPS[2], np.float32)[:, None, None]
    data[:, 25:30, 20:920] = np.asarray(CROPS[1], np.float32)[:, None, None]
    data += rng.normal(0, 0.004, data.shape).astype(np.float32)
    raster = Raster(data, UTM, Affine(10, 0, ORIGIN[0], 0, -10, ORIGIN[1]))
    got = suggest(raster, *lonlat(raster, 470, 27))
    assert got.geometry is not None
    west, _, east, _ = shape(transform_geom("EPSG:4326", raster.crs, got.geometry)).bounds
    assert (west - ORIGIN[0], east - ORIGIN[0]) == pytest.approx((1500, 7910), abs=20)


def test_the_outline_runs_through_the_mixed_pixels_around_a_small_field():
    """A 0.64 ha plot (80 x 80 m) whose borders fall in the middle of pixels: the pixels around
    it are half plot, half neighbour. The outline follows the plot's border, not the edge of
    its pure pixels (a 70 m square, IoU 0.77)."""
    fine = np.empty((4, 400, 400), np.float32)  # 1 m cells, averaged to 10 m pixels
    fine[:] = np.asarray(CROPS[2], np.float32)[:, None, None]
    fine[:, 205:285, 205:285] = np.asarray(CROPS[1], np.float32)[:, None, None]
    data = fine.reshape(4, 40, 10, 40, 10).mean(axis=(2, 4))
    data += np.random.default_rng(2).normal(0, 0.002, data.shape).astype(np.float32)
    raster = Raster(data, UTM, Affine(10, 0, ORIGIN[0], 0, -10, ORIGIN[1]))
    got = suggest(raster, *lonlat(raster, 24.5, 24.5))
    assert got.geometry is not None
    outline = shape(transform_geom("EPSG:4326", raster.crs, got.geometry))
    truth = box(ORIGIN[0] + 205, ORIGIN[1] - 285, ORIGIN[0] + 285, ORIGIN[1] - 205)
    assert outline.intersection(truth).area / outline.union(truth).area > 0.9


EAST, WHOLE = (20, 100, 60, 100), (20, 100, 20, 100)


def two_shades(
    size: tuple[int, int] = (120, 120),
    field: tuple[int, int, int, int] = WHOLE,
    bright_to: int = 60,
    seed: int = 3,
) -> Raster:
    """A field within roads (``field``: rows and columns; by default an 800 m one,
    :data:`WHOLE`) whose west part, up to column ``bright_to``, is a shade brighter than the
    rest (by default the east half, :data:`EAST`)."""
    r0, r1, c0, c1 = field
    rng = np.random.default_rng(seed)
    data = np.empty((4, *size), np.float32)
    data[:] = np.asarray(CROPS[2], np.float32)[:, None, None]
    data[:, r0 - 1 : r1 + 1, c0 - 1 : c1 + 1] = np.asarray(ROAD, np.float32)[:, None, None]
    data[:, r0:r1, c0:c1] = np.asarray(CROPS[1], np.float32)[:, None, None]
    data[:3, r0:r1, c0:bright_to] += 0.015
    data += rng.normal(0, 0.002, data.shape).astype(np.float32)
    return Raster(data, UTM, Affine(10, 0, ORIGIN[0], 0, -10, ORIGIN[1]))


def test_a_sharp_step_is_a_border_and_a_gradual_change_is_not():
    """A field whose shade changes gradually across it (soil moisture), beside a neighbour whose
    colour is nearer the click's than the field's far end is: no tolerance around the click
    holds the field without the neighbour, but the step between them is sharp where the
    field's own changes are gradual. The click gets the field, not both (IoU 0.61 with the
    field, 0.98 with both, when neighbours were joined whatever their step)."""
    rng = np.random.default_rng(6)
    data = np.empty((4, 120, 120), np.float32)
    data[:] = np.asarray(ROAD, np.float32)[:, None, None]
    crop = np.asarray(CROPS[1], np.float32)
    wetter = np.asarray((0.03, 0.03, 0.03, -0.08), np.float32)  # brighter, less green to the east
    across = np.clip((np.arange(20, 70) - 30) / 40, 0, 1)
    data[:, 20:100, 20:70] = (crop[:, None] + wetter[:, None] * across[None, :])[:, None, :]
    data[:, 20:100, 70:100] = (crop - 0.5 * wetter)[:, None, None]
    data += rng.normal(0, 0.002, data.shape).astype(np.float32)
    raster = Raster(data, UTM, Affine(10, 0, ORIGIN[0], 0, -10, ORIGIN[1]))
    got = suggest(raster, *lonlat(raster, 25, 60))
    assert got.geometry is not None and iou(got.geometry, raster, (20, 100, 20, 70)) > 0.9


def test_a_click_on_an_odd_pixel_inside_a_field_gets_the_field():
    """A pixel unlike its neighbours (a bush, a puddle) under the click: no neighbour is joined
    to it while the field around is (it was refused as narrow); it is joined to the neighbour
    nearest its colour, and so to the field."""
    raster = farmland()
    raster.data[:, 55, 62] = np.asarray((0.09, 0.10, 0.07, 0.30), np.float32)  # in FIELDS[3]
    got = suggest(raster, *lonlat(raster, 62.5, 55.5))
    assert got.geometry is not None and iou(got.geometry, raster, FIELDS[3]) > 0.9


def test_larger_and_smaller_step_between_part_of_a_field_and_the_whole():
    """An 800 m field whose west half is a shade brighter (soil, moisture): the click in the east
    half gets that half; one Larger gets the whole field (the page's Smaller then goes back to
    step 0, the half); nothing is larger than the field within its roads, and a smaller outline
    than the half, if any, is not the half again."""
    raster = two_shades()
    click = lonlat(raster, 80, 60)
    first = suggest(raster, *click)
    assert first.geometry is not None and iou(first.geometry, raster, EAST) > 0.9
    larger = suggest(raster, *click, step=1)
    assert larger.geometry is not None and iou(larger.geometry, raster, WHOLE) > 0.9
    assert larger.confidence is not None and 0 < larger.confidence <= 1
    assert "no larger outline" in suggest(raster, *click, step=2).reason
    smaller = suggest(raster, *click, step=-1)  # a smaller one than the half, if any
    # at least 1.4 times smaller in area than the half: a part of it (IoU at most 0.71)
    assert smaller.geometry is None or iou(smaller.geometry, raster, EAST) < 0.72
    # the same steps through a proposal, as the page asks for them
    rules = NewPolygonRules("wheat", "Ann", "s", "original", crs="EPSG:32633")
    bigger = proposal(raster, *click, [], rules, step=1)
    assert bigger.geometry is not None and iou(bigger.geometry, raster, WHOLE) > 0.9


def test_several_steps_from_one_sweep_are_the_steps_asked_one_by_one():
    """The page asks for the next steps at once when clipping leaves the outline shown. A
    3.6 km x 500 m field whose east end is a shade darker: the click there gets the end, found
    in a window that does not hold the whole field; Larger must look wider, and the steps after
    it come from that wider window."""
    raster = two_shades((120, 420), (20, 70, 20, 380), bright_to=300, seed=4)
    click = lonlat(raster, 340, 45)
    together = list(suggestions(raster, *click, steps=(0, 1, 2, -1, 0)))
    assert [s.feature() for s in together] == [
        suggest(raster, *click, step=k).feature() for k in (0, 1, 2, -1, 0)
    ]
    assert iou(together[0].geometry, raster, (20, 70, 300, 380)) > 0.9  # the end
    assert iou(together[1].geometry, raster, (20, 70, 20, 380)) > 0.9  # the whole field
    assert together[2].geometry is None  # nothing larger within its roads


def test_refusals_say_why():
    raster = farmland()
    raster.data[:, 100:, 100:] = np.asarray(WATER, np.float32)[:, None, None]
    raster.data[:, 90:95, 5:10] = np.nan
    assert "outside" in suggest(raster, *lonlat(raster, -30, 10)).reason
    assert "no data" in suggest(raster, *lonlat(raster, 7.5, 92.5)).reason
    assert "water" in suggest(raster, *lonlat(raster, 110, 110)).reason
    road = suggest(raster, *lonlat(raster, 50.5, 10))  # the road between the first two fields
    assert road.geometry is None and "road" in road.reason
    for col, row in ((35.5, 50), (60, 80.5)):  # roads whose fields join at a wide tolerance
        assert suggest(raster, *lonlat(raster, col, row)).reason == NARROW
    assert road.feature() == {
        "type": "Feature",
        "geometry": None,
        "properties": {"reason": road.reason},
    }


def test_a_field_at_the_image_edge_ends_at_the_edge():
    raster = farmland()
    got = suggest(raster, *lonlat(raster, 2, 2))  # the corner pixel of the first field
    assert got.geometry is not None and iou(got.geometry, raster, FIELDS[0]) > 0.9


def sown_alike(raster: Raster, scale: int = 1) -> Raster:
    """``raster`` (``10 / scale`` m a pixel) with fields 3 and 4 and the road between them one
    crop: no border between them on this date."""
    data = raster.data.copy()
    data[:, 31 * scale : 80 * scale, 36 * scale :] = np.asarray(CROPS[1], np.float32)[:, None, None]
    return Raster(data, raster.crs, raster.transform, raster.bands)


@pytest.mark.parametrize("scale", [1, 4])
def test_a_border_seen_only_on_the_second_date_is_a_border(scale: int):
    """Two fields sown alike show no border on one date, and one on the other: with the other
    date (10 m, whatever the first image's pixels) each is found on its own."""
    first, later = sown_alike(farmland(scale), scale), farmland()
    click = lonlat(first, 60, 50)
    alone = suggest(first, *click)
    assert alone.geometry is not None and iou(alone.geometry, first, (31, 80, 36, 120)) > 0.9
    both = suggest(first, *click, second=later)
    assert both.geometry is not None and iou(both.geometry, first, FIELDS[3]) > 0.9
    assert iou(suggest(later, *click, second=first).geometry, first, FIELDS[3]) > 0.9


def test_a_second_date_without_data_leaves_the_first_to_decide():
    first, later = farmland(), farmland()
    later.data[:, 20:90, 20:100] = np.nan  # a cloud masked on the second date, over the click
    for field in (FIELDS[3], FIELDS[5]):
        r0, r1, c0, c1 = field
        click = lonlat(first, (c0 + c1) / 2, (r0 + r1) / 2)
        got = suggest(first, *click, second=later)
        assert got.geometry is not None and iou(got.geometry, first, field) > 0.9, field


def test_a_proposal_uses_the_second_date():
    first, later = sown_alike(farmland()), farmland()
    rules = NewPolygonRules("wheat", "Ann", "s", "original", crs="EPSG:32633")
    found = proposal(first, *lonlat(first, 60, 50), [], rules, second=later)
    assert found.geometry is not None and iou(found.geometry, first, FIELDS[3]) > 0.9


def test_fields_outlined_by_hand_on_real_imagery(austria: Path):
    """Above a floor on the Austria file's hand-drawn fields (the first settings were chosen on
    them; the bench gives the figures)."""
    fields = json.loads(reference.FIELDS.read_text())["features"]
    ious, _, _ = reference.scores(reference.date_a(), fields)
    assert statistics.median(ious) >= 0.7
    assert sum(i >= 0.5 for i in ious) >= 0.8 * len(ious)


def test_clicks_in_winter_fields_get_an_outline_not_a_refusal(demo_scene: Path):
    """Issue 25: on the demo scene (February: low contrast), 10 of the 22 fields of the
    development set's tuning half were refused "no clear border"; the most stable region under
    200 ha is proposed instead, with a lower confidence when a larger one held better."""
    raster, fields = dev_fields.scene("germany")
    found = []
    for f in [f for f in fields if f.half == "tune"]:
        p = f.outline.representative_point()
        [lon], [lat] = transform(raster.crs, "EPSG:4326", [p.x], [p.y])
        found.append(suggest(raster, lon, lat))
    outlined = [s for s in found if s.geometry is not None]
    assert len(outlined) >= 0.9 * len(found)
    assert all(s.confidence is not None and 0 <= s.confidence <= 1 for s in outlined)
    assert any(s.confidence < 0.5 for s in outlined) and any(s.confidence > 0.8 for s in outlined)


def test_winter_fields_are_outlined_on_a_true_colour_image(demo_scene: Path):
    """Issue 25: the hidden set is true-colour (no near-infrared band). On the demo scene's
    winter fields (the development set's tuning half, red, green and blue alone), the bands
    alone outlined half the fields poorly (median IoU 0.39): bare soil and young wheat differ in
    hue more than in brightness. With the hues (log red / green, log blue / green), 0.59 when
    this was written."""
    raster, fields = dev_fields.scene("germany")
    raster = Raster(raster.data[:3], raster.crs, raster.transform, raster.bands[:3])
    ious = []
    for f in [f for f in fields if f.half == "tune"]:
        p = f.outline.representative_point()
        [lon], [lat] = transform(raster.crs, "EPSG:4326", [p.x], [p.y])
        ious.append(reference.overlap(suggest(raster, lon, lat).geometry, f.outline, raster.crs))
    assert statistics.median(ious) >= 0.5


def test_no_click_inside_a_field_is_refused_as_narrow(demo_scene: Path, austria: Path):
    """Issue 25: on the development set's tuning half (the demo scene and scenes of
    ``../shared/data``), 3 of 76 clicks inside fields (small plots in Madagascar, winter fields
    in Brandenburg) were refused "too small or narrow" because the most stable region was a
    sliver; another region that holds the click and that its pixels stand for is proposed
    instead. The outlines still match the fields (median IoU 0.74 when this was written)."""
    refused, ious = [], []
    for region in dev_fields.regions():
        raster, fields = dev_fields.scene(region)
        for f in [f for f in fields if f.half == "tune"]:
            p = f.outline.representative_point()
            [lon], [lat] = transform(raster.crs, "EPSG:4326", [p.x], [p.y])
            got = suggest(raster, lon, lat)
            if got.geometry is None:
                refused.append((f.id, got.reason))
                continue
            assert got.confidence is not None and 0 <= got.confidence <= 1
            outline = shape(transform_geom("EPSG:4326", raster.crs, got.geometry))
            ious.append(outline.intersection(f.outline).area / outline.union(f.outline).area)
    assert refused == []
    assert statistics.median(ious) >= 0.7


def as_file(raster: Raster, path: Path, bands: int = 4) -> Path:
    """``raster``'s first ``bands`` as a GeoTIFF of digital numbers without band names."""
    dn = np.clip(raster.data[:bands] * 10000, 1, None).astype(np.uint16)
    return write_tif(path, dn, descriptions=None)


def test_the_command_prints_one_feature_per_point_in_order(tmp_path: Path, capsys):
    raster = farmland()
    path = as_file(raster, tmp_path / "fields.tif", bands=3)  # 3 bands, no names
    points = [lonlat(raster, 60, 50), lonlat(raster, 50.5, 10), lonlat(raster, -50, 10)]
    assert main(["suggest", str(path), *(f"{lon},{lat}" for lon, lat in points)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["type"] == "FeatureCollection" and len(out["features"]) == 3
    first, road, outside = out["features"]
    assert first["properties"]["source"] == "suggested"
    assert 0.67 <= first["properties"]["confidence"] <= 1  # a clear field
    assert iou(first["geometry"], raster, FIELDS[3]) > 0.9
    assert road["geometry"] is None and "road" in road["properties"]["reason"]
    assert "outside" in outside["properties"]["reason"]


def test_the_command_steps_larger_as_the_page_does(tmp_path: Path, capsys):
    raster = two_shades()
    path = as_file(raster, tmp_path / "field.tif")
    point = "{},{}".format(*lonlat(raster, 80, 60))
    assert main(["suggest", str(path), point, "--step", "1"]) == 0
    [larger] = json.loads(capsys.readouterr().out)["features"]
    assert larger["properties"]["source"] == "suggested"
    assert iou(larger["geometry"], raster, WHOLE) > 0.9
    assert main(["suggest", str(path), point, "--step", "2"]) == 0
    [beyond] = json.loads(capsys.readouterr().out)["features"]
    assert beyond["geometry"] is None and "no larger outline" in beyond["properties"]["reason"]


def test_larger_and_smaller_go_the_way_they_say_from_the_outline_shown(demo_scene: Path):
    """On real farmland (two regions of the development set's tuning half): each press gives an
    outline at least 1.4 times larger (smaller) in area than the one shown, also where the
    first outline needed a larger window or was a fallback for a sliver; nothing is stepped
    from a refusal."""
    checked = 0
    for region in ("germany", "virginia"):
        raster, fields = dev_fields.scene(region)
        for f in [f for f in fields if f.half == "tune"]:
            p = f.outline.representative_point()
            [lon], [lat] = transform(raster.crs, "EPSG:4326", [p.x], [p.y])
            got = {k: suggest(raster, lon, lat, step=k).geometry for k in (0, 1, -1)}
            if got[0] is None:
                assert got[1] is None and got[-1] is None
                continue
            area = {
                k: shape(transform_geom("EPSG:4326", raster.crs, g)).area
                for k, g in got.items()
                if g is not None
            }
            for k in set(area) - {0}:
                ratio = area[k] / area[0] if k > 0 else area[0] / area[k]
                assert ratio >= 1.4 * 0.999, (f.id, k, ratio)
                checked += 1
    assert checked >= 40  # most clicks have both


def test_one_press_of_larger_or_smaller_brings_winter_fields_closer(demo_scene: Path):
    """Issue 25: in Brandenburg's winter fields (the demo scene, the development set's tuning
    half) the outline proposed is often part of its field. The best of it, one Larger and one
    Smaller (an annotator sees which fits) is closer to the hand outlines: median IoU 0.63 ->
    0.73 when this was written; since sharp steps between pixels cut regions (the outline
    proposed is closer: 0.70), the mean 0.62 -> 0.66 and fields at 0.75 or better 9 -> 10."""
    raster, fields = dev_fields.scene("germany")
    proposed, best = [], []
    for f in [f for f in fields if f.half == "tune"]:
        p = f.outline.representative_point()
        [lon], [lat] = transform(raster.crs, "EPSG:4326", [p.x], [p.y])
        ious = [
            reference.overlap(suggest(raster, lon, lat, step=k).geometry, f.outline, raster.crs)
            for k in (0, 1, -1)
        ]
        proposed.append(ious[0])
        best.append(max(ious))
    assert statistics.mean(best) >= statistics.mean(proposed) + 0.03
    assert sum(i >= 0.75 for i in best) > sum(i >= 0.75 for i in proposed)


def test_the_command_refuses_what_it_cannot_read(tmp_path: Path, capsys):
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"not a tiff")
    assert main(["suggest", str(bad), "13.1,48.3"]) == 1
    assert "cannot read" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["suggest", str(bad), "13.1"])
    assert exit_info.value.code == 2
    assert "is not LON,LAT" in capsys.readouterr().err


RULES = NewPolygonRules(crop_class="wheat", annotator="ana", scene_id="farm", image="original")


def labelled(raster: Raster, col0: float, col1: float, row0: float, row1: float) -> dict:
    """A WGS84 polygon already in the set, over columns and rows of the 10 m grid."""
    corners = [lonlat(raster, c, r) for c, r in ((col0, row0), (col1, row0), (col1, row1),
                                                 (col0, row1), (col0, row0))]  # fmt: skip
    return {"type": "Polygon", "coordinates": [corners]}


def test_a_click_in_a_labelled_field_proposes_nothing_and_says_why():
    raster = farmland()
    done = labelled(raster, 36, 90, 31, 80)  # field 4, labelled whole
    with pytest.raises(LabelError, match="already labelled") as err:
        proposal(raster, *lonlat(raster, 60, 55), [done], RULES)
    assert str(err.value) == LABELLED


def test_a_proposal_cut_by_a_labelled_polygon_is_the_piece_at_the_click_never_slivers():
    """Field 4 (columns 36-90) with a labelled strip across its middle (columns 45-80): the
    outline found around a click at column 40 is clipped into two pieces; the one proposed is
    the piece at the click, one Polygon."""
    raster = farmland()
    strip = labelled(raster, 45, 80, 31, 80)
    click = lonlat(raster, 40, 55)
    assert suggest(raster, *click).geometry is not None
    found = proposal(raster, *click, [strip], RULES)
    got = found.geometry
    assert got is not None and got["type"] == "Polygon" and 0 < (found.confidence or 0) <= 1
    outline = shape(transform_geom("EPSG:4326", raster.crs, got))
    labelled_m = shape(transform_geom("EPSG:4326", raster.crs, strip))
    assert outline.intersection(labelled_m).area < 5  # m2: 1 cm (7 decimals) along a 490 m edge
    assert outline.bounds[0] == pytest.approx(ORIGIN[0] + 360, abs=15)
    assert outline.bounds[2] == pytest.approx(ORIGIN[0] + 450, abs=15)  # stops at the strip
    with pytest.raises(LabelError) as err:  # what is left at the click is a 15 m strip
        proposal(raster, *lonlat(raster, 36.5, 55), [labelled(raster, 37, 90, 31, 80)], RULES)
    assert str(err.value) == LEFT_NARROW  # not blamed on a road: the labelled field left it


def fields_of_64_ha(raster: Raster, first_col: int = 110) -> list[dict]:
    """Five 800 m squares labelled side by side from column ``first_col`` (on the image of
    :func:`two_shades` ``((120, 520))`` at 110, beside its field; off it at 1110)."""
    cols = [first_col + 80 * k for k in range(6)]
    return [labelled(raster, c0, c1, 20, 100) for c0, c1 in zip(cols, cols[1:], strict=False)]


def test_fields_labelled_on_the_image_teach_the_size_of_a_field():
    """The 800 m field whose west half is a shade brighter (:func:`two_shades`), clicked in its
    east half: alone, the half is proposed (it holds as well as the whole field). Once five
    fields of 64 ha are labelled on the image, the whole field is; four are not enough, and
    fields labelled elsewhere (their centres off the image) do not count."""
    raster = two_shades((120, 520))
    click = lonlat(raster, 80, 60)
    squares = fields_of_64_ha(raster)
    assert typical_area(squares, raster, RULES.crs) == pytest.approx(640_000, rel=0.01)
    elsewhere = fields_of_64_ha(raster, first_col=1110)
    small = [labelled(raster, 1110 + 10 * k, 1120 + 10 * k, 20, 30) for k in range(5)]
    assert typical_area(squares + small, raster, RULES.crs) == pytest.approx(640_000, rel=0.01)
    older = [labelled(raster, 110 + 10 * k, 120 + 10 * k, 0, 10) for k in range(5)]  # 1 ha
    assert typical_area(older + squares * 20, raster, RULES.crs) == pytest.approx(640_000, rel=0.01)
    assert typical_area(older + squares, raster, RULES.crs) < 100_000  # all ten count
    for others, shown in ((squares, WHOLE), (squares[:4], EAST), (elsewhere, EAST)):
        found = proposal(raster, *click, others, RULES)
        assert iou(found.geometry, raster, shown) > 0.9, (len(others), shown)
    assert iou(suggest(raster, *click).geometry, raster, EAST) > 0.9
    # a typical area of the half's size keeps the half
    assert iou(suggest(raster, *click, typical_m2=320_000).geometry, raster, EAST) > 0.9
    with pytest.raises(ValueError, match="positive"):
        suggest(raster, *click, typical_m2=float("nan"))


def test_the_command_learns_the_size_of_a_field_from_a_label_file(tmp_path: Path, capsys):
    """``--labelled``: five fields of 64 ha outlined on the image, in a file of outlines
    without crop classes: the click in the shaded field's east half gets the whole field, as
    on the page."""
    raster = two_shades((120, 520))
    path = as_file(raster, tmp_path / "field.tif")
    squares = fields_of_64_ha(raster)
    done = tmp_path / "done.geojson"  # field boundaries without crop classes
    done.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": g, "properties": {"name": "field"}} for g in squares
    ]}))  # fmt: skip
    point = "{},{}".format(*lonlat(raster, 80, 60))
    assert main(["suggest", str(path), point]) == 0
    [alone] = json.loads(capsys.readouterr().out)["features"]
    assert iou(alone["geometry"], raster, EAST) > 0.9
    assert main(["suggest", str(path), point, "--labelled", str(done)]) == 0
    [learned] = json.loads(capsys.readouterr().out)["features"]
    assert iou(learned["geometry"], raster, WHOLE) > 0.9
    assert main(["suggest", str(path), point, "--labelled", str(tmp_path / "none.gpkg")]) == 1
    assert "there is no label file" in capsys.readouterr().err
