"""Merge and reclassify in the app: fields selected on the map get one class at once (one undo
gives each its own back); a field that shares no edge with the others is refused with a message;
two neighbours of different classes merge into one with the class of the first selected, said on
the page; one undo brings both back."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from shapely.geometry import shape

from labels.geometry import area_ha
from tests.e2e.mapping import settled, wait_idle
from tests.e2e.selecting import (
    BOLD,
    centre,
    draw_field,
    on_disk,
    open_label_page,
    pick,
    select_mode,
)

CRS = "EPSG:32633"


def classes(tmp_path: Path) -> dict[str, str]:
    return {f["id"]: f["properties"]["crop_class"] for f in on_disk(tmp_path, "merge")}


def test_neighbours_selected_on_the_map_are_reclassified_and_merged(
    app_url: str, browser_page: Page, tmp_path: Path, demo_scene: Path
):
    page = browser_page
    frame = open_label_page(page, app_url, demo_scene, "merge")
    cx, cy = centre(frame)
    west = [(cx - 150, cy - 60), (cx - 20, cy - 60), (cx - 20, cy + 60), (cx - 150, cy + 60)]
    frame = draw_field(page, frame, west, shapes=1)  # winter wheat, the first class
    page.get_by_text("2 maize").click()
    wait_idle(page)
    # drawn over the first one's east edge: clipping makes them share it
    east = [(cx - 60, cy - 60), (cx + 80, cy - 60), (cx + 80, cy + 60), (cx - 60, cy + 60)]
    frame = draw_field(page, frame, east, shapes=2)
    apart = [(cx + 140, cy - 60), (cx + 220, cy - 60), (cx + 220, cy + 60), (cx + 140, cy + 60)]
    frame = draw_field(page, frame, apart, shapes=3)
    fields = on_disk(tmp_path, "merge")
    first, second, third = fields
    assert [f["properties"]["crop_class"] for f in fields] == ["winter wheat", "maize", "maize"]

    frame = select_mode(page, shapes=3)
    pick(page, frame, first, "1 selected")
    pick(page, frame, second, "2 selected")
    expect(frame.locator(BOLD)).to_have_count(2)

    # Both get one class with Set class (below the table), in one undoable change.
    new_class = page.get_by_label("New class")
    new_class.click()
    new_class.press("ArrowDown")
    page.get_by_role("option", name="barley").click()
    page.get_by_role("button", name="Set class").click()
    expect(page.get_by_text("2 polygons now barley")).to_be_visible(timeout=30_000)
    wait_idle(page)
    assert classes(tmp_path) == {
        first["id"]: "barley",
        second["id"]: "barley",
        third["id"]: "maize",
    }
    page.get_by_role("button", name="↶ Undo").click()
    expect(page.get_by_text("undone")).to_be_visible(timeout=30_000)
    wait_idle(page)
    assert classes(tmp_path) == {f["id"]: f["properties"]["crop_class"] for f in fields}
    fields = on_disk(tmp_path, "merge")  # as the undo left them

    # The third field shares no edge with them: nothing is merged.
    frame = settled(page, shapes=3)
    pick(page, frame, third, "3 selected")
    page.get_by_role("button", name="⧉ Merge selected").click()
    expect(page.get_by_text("do not all share an edge")).to_be_visible(timeout=30_000)
    wait_idle(page)
    assert on_disk(tmp_path, "merge") == fields

    # Without it, the two neighbours merge into one of the first selected's class.
    frame = settled(page, shapes=3)
    pick(page, frame, third, "2 selected")
    page.get_by_role("button", name="⧉ Merge selected").click()
    expect(
        page.get_by_text("2 polygons merged into one winter wheat (the class of the first")
    ).to_be_visible(timeout=30_000)
    settled(page, shapes=2)
    merged, kept = on_disk(tmp_path, "merge")
    assert merged["id"] == first["id"] and kept == fields[2]
    assert merged["properties"]["crop_class"] == "winter wheat"
    assert shape(merged["geometry"]).geom_type == "Polygon"
    both = area_ha(first["geometry"], CRS) + area_ha(second["geometry"], CRS)
    assert area_ha(merged["geometry"], CRS) == pytest.approx(both, abs=1e-4)  # within 1 m²

    page.get_by_role("button", name="↶ Undo").click()
    expect(page.get_by_text("undone")).to_be_visible(timeout=30_000)
    settled(page, shapes=3)
    back = {f["id"]: f["geometry"] for f in on_disk(tmp_path, "merge")}
    assert back == {f["id"]: f["geometry"] for f in fields}
