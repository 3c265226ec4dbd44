"""The development set of click-a-field: what a reviewer of the reference would check."""

from __future__ import annotations

from itertools import combinations

import pytest
from shapely.geometry import box

from bench import fields


def test_four_regions_on_three_continents_and_at_least_150_fields():
    assert fields.regions() == ["denmark", "germany", "madagascar", "virginia"]
    assert sum(len(fields.scene(r)[1]) for r in fields.regions()) >= 150


@pytest.mark.parametrize("region", ["denmark", "germany", "madagascar", "virginia"])
def test_outlines_are_valid_apart_inside_their_scene_and_split_in_two_halves(region: str):
    raster, outlined = fields.scene(region)
    west, south, east, north = raster.bounds
    image = box(west, south, east, north)
    pixel = abs(raster.transform.a) ** 2
    for f in outlined:
        assert f.outline.is_valid and f.outline.geom_type == "Polygon", f.id
        assert image.contains(f.outline), f.id
        assert f.outline.area >= 50 * pixel, f.id  # 0.5 ha at 10 m
    for a, b in combinations(outlined, 2):
        assert a.outline.intersection(b.outline).area < 0.01 * pixel, (a.id, b.id)
    halves = [f.half for f in outlined]
    assert {"tune", "held-out"} == set(halves)
    assert all(fields.half(f.id) == f.half for f in outlined)  # by the id alone
