"""Two neighbouring fields drawn in the app: the second, started a few pixels from the first's
corner, is saved with that corner exactly (shared vertex coordinates in the GeoJSON on disk)."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.mapping import SCREEN, draw_polygon, fitted, map_box, poll, settled, wait_idle

AREA = "12.59,52.475,12.6,52.48"


def saved(tmp_path: Path) -> list[dict]:
    path = tmp_path / "labels" / "snap.geojson"
    return json.loads(path.read_text())["features"] if path.exists() else []


def test_a_field_drawn_against_its_neighbour_shares_its_corner(
    app_url: str, browser_page: Page, tmp_path: Path, demo_scene: Path
):
    page = browser_page
    # The address opens the Label page on the area, with the annotator and the set
    page.goto(f"{app_url}/label?scene={demo_scene.stem}&area={AREA}&annotator=Ann&set=snap")
    frame = settled(page, shapes=0)
    fitted(frame)  # the view shows the area's image, fitted at the map's final size
    m = map_box(frame)
    cx, cy = m["x"] + m["width"] / 2, m["y"] + m["height"] / 2
    first_field = [(cx - 90, cy - 40), (cx, cy - 40), (cx, cy + 40), (cx - 90, cy + 40)]
    draw_polygon(page, frame, first_field)
    expect(page.get_by_text("1 new, 0 edited, 0 deleted.")).to_be_visible(timeout=30_000)
    wait_idle(page)
    [first] = saved(tmp_path)
    ring = first["geometry"]["coordinates"][0]
    corner = max(ring, key=lambda p: p[0] + p[1])  # the north-east one
    frame = settled(page)  # the saved field on the map, the map at rest on its view
    m = map_box(frame)
    px, py = frame.evaluate(SCREEN, corner)
    x, y = m["x"] + px, m["y"] + py
    draw_polygon(page, frame, [(x + 4, y + 3), (x + 80, y), (x + 80, y + 80), (x + 4, y + 80)])
    poll(page, lambda: len(saved(tmp_path)) >= 2, "the second field was not saved", 30)
    second = saved(tmp_path)[1]["geometry"]["coordinates"][0]
    assert corner in second  # the very same coordinates: no gap, no sliver
