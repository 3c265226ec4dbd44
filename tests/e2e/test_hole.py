"""Holes in the app: with a field selected on the map, a polygon drawn inside it is cut out as a
hole (saved as the field's inner ring); one drawn across its edge is an ordinary new field; one
undo fills the hole again."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from shapely.geometry import shape

from labels.geometry import area_ha
from tests.e2e.mapping import draw_polygon, settled
from tests.e2e.selecting import (
    centre,
    draw_field,
    on_disk,
    on_screen,
    open_label_page,
    pick,
    select_mode,
)

CRS = "EPSG:32633"


def test_a_polygon_drawn_inside_the_selected_field_is_cut_out_as_a_hole(
    app_url: str, browser_page: Page, tmp_path: Path, demo_scene: Path
):
    page = browser_page
    frame = open_label_page(page, app_url, demo_scene, "hole")
    cx, cy = centre(frame)
    corners = [(cx - 120, cy - 80), (cx + 120, cy - 80), (cx + 120, cy + 80), (cx - 120, cy + 80)]
    frame = draw_field(page, frame, corners, shapes=1)
    [field] = on_disk(tmp_path, "hole")
    frame = select_mode(page, shapes=1)
    pick(page, frame, field, "1 selected")

    inside = shape(field["geometry"]).centroid
    x, y = on_screen(frame, inside.x, inside.y)
    draw_polygon(
        page, frame, [(x - 30, y - 20), (x + 30, y - 20), (x + 30, y + 20), (x - 30, y + 20)]
    )
    expect(page.get_by_text("a hole cut")).to_be_visible(timeout=30_000)
    settled(page, shapes=1)
    [holed] = on_disk(tmp_path, "hole")
    assert holed["id"] == field["id"]
    outline, hole = holed["geometry"]["coordinates"]
    same = {tuple(p) for p in field["geometry"]["coordinates"][0]}
    assert {tuple(p) for p in outline} == same  # the outline kept, vertex for vertex
    hole_ha = area_ha({"type": "Polygon", "coordinates": [hole]}, CRS)
    assert 0 < hole_ha < 0.2 * area_ha(field["geometry"], CRS)
    assert area_ha(holed["geometry"], CRS) == pytest.approx(
        area_ha(field["geometry"], CRS) - hole_ha, abs=1e-4
    )

    page.get_by_role("button", name="↶ Undo").click()
    expect(page.get_by_text("undone")).to_be_visible(timeout=30_000)
    settled(page, shapes=1)
    [back] = on_disk(tmp_path, "hole")
    assert back["geometry"] == field["geometry"]

    # Still selected, a polygon drawn across its edge is a new field beside it, clipped.
    frame = settled(page, shapes=1)
    west, south, east, north = shape(field["geometry"]).bounds
    x, y = on_screen(frame, east, (south + north) / 2)
    draw_polygon(
        page, frame, [(x - 30, y - 20), (x + 60, y - 20), (x + 60, y + 20), (x - 30, y + 20)]
    )
    expect(page.get_by_text("1 new, 0 edited, 0 deleted.")).to_be_visible(timeout=30_000)
    settled(page, shapes=2)
    kept, beside = on_disk(tmp_path, "hole")
    assert kept["geometry"] == field["geometry"]
    assert shape(beside["geometry"]).intersection(shape(field["geometry"])).area < 1e-12
