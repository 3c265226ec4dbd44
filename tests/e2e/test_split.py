"""Split in the app: a field selected on the map, a line drawn across it with the line tool,
saved as two fields of its class; a line that stops inside it splits nothing and says why; one
undo brings the field back; the toolbar's delete still works in select mode."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from shapely.geometry import shape

from labels.geometry import area_ha
from tests.e2e.mapping import delete_with_toolbar, settled, wait_idle
from tests.e2e.selecting import (
    BOLD,
    centre,
    draw_field,
    draw_line,
    on_disk,
    on_screen,
    open_label_page,
    pick,
    select_mode,
)

CRS = "EPSG:32633"


def test_a_line_across_the_selected_field_splits_it_and_one_undo_joins_it(
    app_url: str, browser_page: Page, tmp_path: Path, demo_scene: Path
):
    page = browser_page
    frame = open_label_page(page, app_url, demo_scene, "split")
    cx, cy = centre(frame)
    corners = [(cx - 120, cy - 60), (cx + 120, cy - 60), (cx + 120, cy + 60), (cx - 120, cy + 60)]
    frame = draw_field(page, frame, corners, shapes=1)
    [field] = on_disk(tmp_path, "split")

    frame = select_mode(page, shapes=1)
    pick(page, frame, field, "1 selected")
    expect(frame.locator(BOLD)).to_have_count(1)  # shown selected
    west, south, east, north = shape(field["geometry"]).bounds
    left, top = on_screen(frame, west, north)
    right, bottom = on_screen(frame, east, south)
    mid, height = (left + right) / 2, bottom - top

    # A line that stops inside the field cuts nothing: one message, the file unchanged.
    draw_line(page, frame, [(mid - 30, top - 40), (mid - 30, top + height / 2)])
    expect(page.get_by_text("does not cross the polygon from one side to the other")).to_be_visible(
        timeout=30_000
    )
    wait_idle(page)
    assert on_disk(tmp_path, "split") == [field]
    page.get_by_role("button", name="Dismiss the red outlines").click()
    frame = settled(page, shapes=1)

    draw_line(page, frame, [(mid + 10, top - 40), (mid - 10, bottom + 40)])
    expect(page.get_by_text("split into 2 polygons")).to_be_visible(timeout=30_000)
    frame = settled(page, shapes=2)
    pieces = on_disk(tmp_path, "split")
    assert len(pieces) == 2 and field["id"] not in {p["id"] for p in pieces}
    for piece in pieces:
        assert piece["properties"]["crop_class"] == field["properties"]["crop_class"]
        assert piece["properties"]["split_from"] == field["id"]
        assert piece["properties"]["annotator"] == "Ann"
    halves = [area_ha(p["geometry"], CRS) for p in pieces]
    assert sum(halves) == pytest.approx(area_ha(field["geometry"], CRS), abs=1e-4)  # 1 m²
    assert min(halves) > 0.3 * max(halves)  # cut near the middle, where the line ran
    a, b = (shape(p["geometry"]) for p in pieces)
    assert a.intersection(b).area < 1e-12  # side by side, not overlapping

    page.get_by_role("button", name="↶ Undo").click()
    expect(page.get_by_text("undone")).to_be_visible(timeout=30_000)
    frame = settled(page, shapes=1)
    [back] = on_disk(tmp_path, "split")
    assert back["id"] == field["id"] and back["geometry"] == field["geometry"]

    # The toolbar's delete still works in select mode: its click selects nothing.
    delete_with_toolbar(page, frame)
    settled(page, shapes=0)
    assert on_disk(tmp_path, "split") == []
