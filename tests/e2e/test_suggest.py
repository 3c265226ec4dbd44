"""Suggest mode on the Label page: a click inside a field shows its outline dashed; + shows a
larger one and - the first again; Enter saves it as an ordinary polygon marked
``source: suggested``; Esc drops the next one. Prints the
effort: actions per field with a suggestion against the clicks drawing that outline by hand."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Page, expect
from rasterio.warp import transform_geom
from shapely.geometry import Point, shape

from imagery.local import scenes_in_file
from imagery.raster import Raster
from imagery.read import read_area
from labels.suggest import suggest
from tests.e2e.mapping import SCREEN, draw_polygon, map_box, map_frame, settled, wait_idle
from views.suggesting import sureness

AREA = (12.637, 52.469, 12.666, 52.482)  # farmland in the south-east of the demo scene
DASHED = "path[stroke-dasharray='8 6']"
ZOOM = "() => Object.values(window).find(v => v instanceof L.Map).getZoom()"


def overlap(a: dict, b: dict) -> float:
    """Intersection over union of two WGS84 polygons, measured in UTM."""
    one, two = (shape(transform_geom("EPSG:4326", "EPSG:32633", g)) for g in (a, b))
    return float(one.intersection(two).area / one.union(two).area)


def fields_to_click(raster: Raster) -> list[tuple[float, float]]:
    """Two points of the demo area, well inside it, where ``labels.suggest`` finds two fields,
    and a Larger outline around each (for the + key)."""
    found: list[tuple[float, float, dict]] = []
    for lon in np.linspace(AREA[0], AREA[2], 15)[2:-2]:
        for lat in np.linspace(AREA[1], AREA[3], 15)[2:-2]:
            outline = suggest(raster, lon, lat).geometry
            if outline is None or any(overlap(outline, g) > 0 for _, _, g in found):
                continue
            if suggest(raster, lon, lat, step=1).geometry is not None:
                found.append((float(lon), float(lat), outline))
    assert len(found) >= 2, "the demo area has fewer than two fields to click"
    return [(lon, lat) for lon, lat, _ in found[:2]]


def click_at(page: Page, lon: float, lat: float, shapes: int) -> tuple[float, float]:
    """Click the map at (lon, lat); where the map says it was clicked."""
    frame = settled(page, shapes)
    box = map_box(frame)
    x, y = frame.evaluate(SCREEN, [lon, lat])
    page.mouse.click(box["x"] + x, box["y"] + y)
    clicked = frame.evaluate("() => window.__GLOBAL_DATA__.lat_lng_clicked")
    return clicked["lng"], clicked["lat"]


def test_click_a_field_accept_with_enter(
    app_url: str, browser_page: Page, tmp_path: Path, demo_scene: Path
):
    raster = read_area(scenes_in_file(demo_scene)[0], AREA)  # as the page reads it
    (lon, lat), (lon2, lat2) = fields_to_click(raster)
    page = browser_page
    area = ",".join(map(str, AREA))
    page.goto(f"{app_url}/label?scene={demo_scene.stem}&area={area}&annotator=Ann&set=sugg")
    page.get_by_text("Suggest outlines: click inside a field").click()
    wait_idle(page)

    frame = settled(page, shapes=0)
    frame.locator(".leaflet-container").scroll_into_view_if_needed()  # as a user sees it whole
    top = map_box(frame)["y"]
    clicked = click_at(page, lon, lat, shapes=0)
    found = suggest(raster, *clicked)
    outline = found.geometry
    assert outline is not None and suggest(raster, *clicked, step=1).geometry is not None
    expect(page.get_by_text("Suggested outline, dashed on the map")).to_be_visible(timeout=30_000)
    # the status line says how sure the method is, as `labels suggest` finds it for this click
    said = f"Suggested outline (dashed), {sureness(found.confidence)}."
    expect(page.get_by_text(said, exact=True)).to_be_visible()
    frame = settled(page, shapes=0)  # the outline lets clicks through: not interactive
    assert map_box(frame)["y"] == pytest.approx(top, abs=1)  # the Accept row moved nothing
    expect(frame.locator(DASHED)).to_have_count(1)
    first = frame.locator(DASHED).get_attribute("d")
    zoom = frame.evaluate(ZOOM)

    # + (or =) tries a larger outline around the same click, - goes back: the map moves not.
    larger = page.get_by_text(re.compile(r"Suggested outline \(dashed\), 1 step larger"))
    page.keyboard.press("Equal")
    expect(larger).to_be_visible(timeout=30_000)
    frame = settled(page, shapes=0)
    expect(frame.locator(DASHED)).to_have_count(1)
    assert frame.evaluate(ZOOM) == zoom  # the keys are the page's, not Leaflet's zoom keys
    assert frame.locator(DASHED).get_attribute("d") != first
    assert map_box(frame)["y"] == pytest.approx(top, abs=1)
    page.keyboard.press("Minus")
    expect(larger).to_have_count(0, timeout=30_000)
    frame = settled(page, shapes=0)
    expect(frame.locator(DASHED)).to_have_attribute("d", first or "")
    page.keyboard.press("Enter")  # the map has the focus: the key reaches the page through it
    expect(page.get_by_text("1 new, 0 edited, 0 deleted.")).to_be_visible(timeout=30_000)

    saved = json.loads((tmp_path / "labels" / "sugg.geojson").read_text())
    [feature] = saved["features"]
    assert feature["properties"]["source"] == "suggested"
    assert feature["properties"]["annotator"] == "Ann"
    assert overlap(feature["geometry"], outline) > 0.9
    frame = settled(page, shapes=1)  # now an ordinary polygon of the set, not dashed
    expect(frame.locator(DASHED)).to_have_count(0)

    # Esc drops the next suggestion: nothing more is saved.
    click_at(page, lon2, lat2, shapes=1)
    frame = settled(page, shapes=1)
    expect(frame.locator(DASHED)).to_have_count(1)
    page.keyboard.press("Escape")
    expect(frame.locator(DASHED)).to_have_count(0, timeout=30_000)
    wait_idle(page)
    assert len(json.loads((tmp_path / "labels" / "sugg.geojson").read_text())["features"]) == 1

    # Drawing with the toolbar still works while the mode is on: its clicks propose nothing.
    taken = shape(feature["geometry"]).buffer(0.001)
    inside = [(lon, lat) for lon in np.linspace(AREA[0], AREA[2], 9)[1:-1]
              for lat in np.linspace(AREA[1], AREA[3], 9)[1:-1]]  # fmt: skip
    frame = settled(page, shapes=1)
    view = map_box(frame)
    # not under Leaflet.draw's Finish / Cancel bar, beside the tool in the map's top-left
    px, py = next(
        (px, py)
        for px, py in (
            frame.evaluate(SCREEN, list(p)) for p in inside if not taken.contains(Point(p))
        )
        if px > 300 or py > 150
    )
    x, y = view["x"] + px, view["y"] + py
    square = [(x - 15, y - 15), (x + 15, y - 15), (x + 15, y + 15), (x - 15, y + 15)]
    draw_polygon(page, frame, square)
    expect(page.get_by_text("1 new, 0 edited, 0 deleted.")).to_be_visible(timeout=30_000)
    wait_idle(page)
    expect(map_frame(page).locator(DASHED)).to_have_count(0)
    expect(page.get_by_text("Suggested outline, dashed on the map")).to_have_count(0)
    drawn = json.loads((tmp_path / "labels" / "sugg.geojson").read_text())["features"]
    assert ["source" in f["properties"] for f in drawn] == [True, False]

    # Effort: a click and Enter, against the tool, a click per corner and one to close.
    by_hand = 1 + len(square) + 1
    print(f"\nactions per field: suggested 2 (a click, Enter); a {len(square)}-cornered field "
          f"drawn by hand {by_hand}")  # fmt: skip
