"""Steps the shape-editing browser tests share (split, merge, hole): open the Label page on the
demo area, read the set on disk, select polygons on the map, draw a line with Leaflet.draw's
line tool. Each step waits for what it did to show, as :mod:`tests.e2e.mapping` does."""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import Frame, Page, expect
from shapely.geometry import shape

from tests.e2e.mapping import (
    SCREEN,
    SHAPES,
    draw_polygon,
    fitted,
    map_box,
    settled,
    wait_idle,
    wait_vertices,
)
from views.shaping import PICK

AREA = "12.59,52.475,12.6,52.48"
BOLD = "path[stroke-width='5']"


def open_label_page(page: Page, app_url: str, demo_scene: Path, name: str) -> Frame:
    """The Label page on the demo area, for annotator Ann and set ``name``, its map at rest."""
    page.goto(f"{app_url}/label?scene={demo_scene.stem}&area={AREA}&annotator=Ann&set={name}")
    frame = settled(page, shapes=0)
    fitted(frame)  # the view shows the area's image, fitted at the map's final size
    return frame


def on_disk(tmp_path: Path, name: str) -> list[dict]:
    """The features of set ``name`` as saved."""
    path = tmp_path / "labels" / f"{name}.geojson"
    return json.loads(path.read_text())["features"] if path.exists() else []


def centre(frame: Frame) -> tuple[float, float]:
    m = map_box(frame)
    return m["x"] + m["width"] / 2, m["y"] + m["height"] / 2


def draw_field(page: Page, frame: Frame, corners: list[tuple[float, float]], shapes: int) -> Frame:
    """Draw a polygon and wait until it is saved (the page says so) and the map holds
    ``shapes`` polygons at rest."""
    draw_polygon(page, frame, corners)
    expect(page.get_by_text("1 new, 0 edited, 0 deleted.")).to_be_visible(timeout=30_000)
    wait_idle(page)
    return settled(page, shapes)


def select_mode(page: Page, shapes: int) -> Frame:
    """Turn on select mode in the sidebar; the map, built anew to report clicks, at rest."""
    page.locator('[data-testid="stSidebar"]').get_by_text(PICK).click()
    expect(page.get_by_text("Click polygons on the map to select them.")).to_be_visible(
        timeout=30_000
    )
    return settled(page, shapes)


def on_screen(frame: Frame, lon: float, lat: float) -> tuple[float, float]:
    """Where a WGS84 point of the map is on the page, the map scrolled into view first."""
    frame.locator(".leaflet-container").evaluate("e => e.scrollIntoView({block: 'center'})")
    m = map_box(frame)
    x, y = frame.evaluate(SCREEN, [lon, lat])
    return m["x"] + x, m["y"] + y


def pick(page: Page, frame: Frame, feature: dict, selected: str) -> None:
    """Click inside ``feature``'s polygon on the map in select mode and wait for the page to
    say ``selected`` (e.g. ``"2 selected"``)."""
    point = shape(feature["geometry"]).representative_point()
    x, y = on_screen(frame, point.x, point.y)
    page.mouse.move(x - 2, y - 2)
    page.mouse.click(x, y)
    # the selection line starts with it (the review panel's line names the count too)
    expect(page.get_by_text(re.compile("^" + re.escape(selected)))).to_be_visible(timeout=30_000)
    wait_idle(page)


def draw_line(page: Page, frame: Frame, points: list[tuple[float, float]]) -> None:
    """Draw a line with Leaflet.draw's line tool through ``points`` (page coordinates), each
    click once the tool has taken the one before, and finish it with the toolbar's Finish."""
    frame.locator(".leaflet-draw-draw-polyline").click()
    wait_vertices(frame, 0)  # the tool is on
    for i, (x, y) in enumerate(points):
        page.mouse.move(x - 2, y - 2)
        page.mouse.move(x, y)
        page.mouse.click(x, y)
        wait_vertices(frame, i + 1)
    frame.locator(".leaflet-draw-actions a", has_text="Finish").first.click()
    wait_vertices(frame, -1)


def shapes_count(frame: Frame) -> int:
    return frame.locator(SHAPES).count()
