"""The label and compare maps in Chromium, as the app renders them, served from 127.0.0.1 with
the offline Leaflet assets: a new polygon snaps to its neighbour's corner, Enter finishes a
polygon and Esc cancels it, the polygon tool shows the area while drawing, and the compare map
has a swipe bar."""

import functools
import http.server
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from labels.geometry import area_ha
from tests.e2e.mapping import drawn_vertices, fitted, poll, wait_vertices
from tests.webmap.test_maps import html, image
from webmap.maps import compare_map, label_map

ROOT = Path(__file__).resolve().parents[2]
#: Every polygon in the map's drawing layer, as Leaflet.draw reports them to the app.
DRAWN = """() => [...new Set(Object.values(window).filter(v => v instanceof L.FeatureGroup))]
    .flatMap(g => g.toGeoJSON().features)"""


@pytest.fixture
def show(tmp_path: Path, browser_page: Page) -> Iterator[Callable[[str, object], Page]]:
    """Open a folium map in the browser; returns the page."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "static").symlink_to(ROOT / "static")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def open_map(name: str, m: object) -> Page:
        (tmp_path / f"{name}.html").write_text(html(m))
        browser_page.goto(f"http://127.0.0.1:{server.server_port}/{name}.html")
        browser_page.wait_for_selector(".leaflet-container")
        fitted(browser_page)  # the map fits its image again 0.4 s after it appears
        return browser_page

    yield open_map
    server.shutdown()


def field_on_the_left_half():
    """An image and a set with one field covering its left half; the field's NE corner."""
    img = image()
    (south, west), (north, east) = img.bounds
    mid = (west + east) / 2
    ring = [[west, south], [mid, south], [mid, north], [west, north], [west, south]]
    feature = {
        "type": "Feature",
        "id": "a",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"id": "a", "crop_class": "maize"},
    }
    return img, {"type": "FeatureCollection", "features": [feature]}, (mid, north)


def screen(page: Page, lon: float, lat: float) -> tuple[float, float]:
    """Where a point is on the screen."""
    x, y = page.evaluate(
        """([lat, lon]) => {
            const map = Object.values(window).find(v => v instanceof L.Map);
            const p = map.latLngToContainerPoint([lat, lon]);
            const box = map.getContainer().getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""",
        [lat, lon],
    )
    return x, y


def click_vertices(page: Page, points: list[tuple[float, float]]) -> None:
    """Click ``points`` with the polygon tool, each once Leaflet.draw has taken the one before
    (a vertex more, or the polygon closed when a point is its first vertex again)."""
    page.click(".leaflet-draw-draw-polygon")
    wait_vertices(page, 0)
    for x, y in points:
        before = drawn_vertices(page)
        assert before is not None and before >= 0, "no polygon is being drawn"
        page.mouse.move(x - 3, y - 3)
        page.mouse.move(x, y, steps=3)
        page.mouse.click(x, y)
        closes = before > 2 and (x, y) == points[0]
        wait_vertices(page, -1 if closes else before + 1)


def test_a_new_polygon_snaps_to_its_neighbours_corner(show):
    img, labels, (lon, lat) = field_on_the_left_half()
    page = show("label", label_map(img, labels, {"maize": "#1b9e77"}))
    cx, cy = screen(page, lon, lat)
    elsewhere = [(cx + 100, cy + 180), (cx + 200, cy + 180), (cx + 150, cy + 260)]
    click_vertices(page, [*elsewhere, elsewhere[0]])  # not the map's first drawing
    near = (cx + 5, cy + 4)  # 5 px right of and 4 px below the corner: snapped onto it
    points = [near, (cx + 150, cy + 10), (cx + 140, cy + 160)]
    click_vertices(page, [*points, points[0]])
    drawn = page.evaluate(DRAWN)
    assert len(drawn) == 3
    vertices = drawn[-1]["geometry"]["coordinates"][0]
    assert [round(lon, 6), round(lat, 6)] in [[round(a, 6), round(b, 6)] for a, b in vertices]


def test_enter_finishes_a_polygon_and_esc_cancels_one(show):
    img, labels, (lon, lat) = field_on_the_left_half()
    page = show("label", label_map(img, labels, {"maize": "#1b9e77"}))
    cx, cy = screen(page, lon, lat)
    click_vertices(page, [(cx + 60, cy + 40), (cx + 160, cy + 50), (cx + 120, cy + 170)])
    page.keyboard.press("Enter")
    assert len(page.evaluate(DRAWN)) == 2
    click_vertices(page, [(cx + 60, cy + 200), (cx + 160, cy + 210)])
    page.keyboard.press("Escape")
    assert len(page.evaluate(DRAWN)) == 2
    assert page.locator(".leaflet-draw-tooltip:visible").count() == 0  # no longer drawing


def test_an_open_drawing_says_so_and_backspace_removes_its_last_point(show):
    # Issue 26, bug 3: a closing click lost on the Finish bar left the drawing open unseen.
    img, labels, (lon, lat) = field_on_the_left_half()
    page = show("label", label_map(img, labels, {"maize": "#1b9e77"}))
    note = page.locator(".drawing-note")
    assert not note.is_visible()
    cx, cy = screen(page, lon, lat)
    click_vertices(page, [(cx + 60, cy + 40), (cx + 160, cy + 50), (cx + 120, cy + 170)])
    expect(note).to_contain_text("Drawing a polygon: 3 points")
    page.keyboard.press("Backspace")
    wait_vertices(page, 2)
    expect(note).to_contain_text("2 points")
    page.keyboard.press("Escape")
    expect(note).to_be_hidden()
    assert len(page.evaluate(DRAWN)) == 1  # nothing was added


def test_the_compare_map_swipes_between_original_and_enhanced(show):
    img = image()
    empty = {"type": "FeatureCollection", "features": []}
    page = show("compare", compare_map(img, img, empty, {}, "enhanced"))
    assert page.locator(".leaflet-sbs-range").count() == 1
    clip = page.evaluate(
        """() => Object.values(window).filter(v => v instanceof L.Map)
            .map(m => m.getPane("enhanced")).filter(p => p)[0].style.clip"""
    )
    assert clip.startswith("rect(")  # the enhanced image is cut at the bar


def test_the_polygons_can_be_hidden_to_see_the_image_and_shown_again(show):
    img, labels, _ = field_on_the_left_half()
    page = show("label", label_map(img, labels, {"maize": "#1b9e77"}))
    assert page.locator("path.leaflet-interactive").count() == 1
    page.evaluate("() => window.toggleLabels()")  # what the page's H key calls
    assert page.locator("path.leaflet-interactive").count() == 0
    page.evaluate("() => window.toggleLabels()")
    assert page.locator("path.leaflet-interactive").count() == 1


def drawing_area(page: Page, corners: list[tuple[float, float]], unit: str) -> tuple[float, float]:
    """Click ``corners`` (lon, lat) with the polygon tool, leaving it open; the area its
    tooltip shows in ``unit`` and the area of the corners measured in UTM, in ``unit``."""
    points = [screen(page, lon, lat) for lon, lat in corners]
    click_vertices(page, points)
    page.mouse.move(points[-1][0] + 3, points[-1][1])  # the tooltip follows the mouse
    subtext = page.locator(".leaflet-draw-tooltip-subtext").first
    tooltip = poll(page, subtext.inner_text, "the drawing tooltip shows no measure", 5)
    shown = re.search(rf"([\d.,]+) {unit}", tooltip)
    assert shown, f"no area in {unit} in the drawing tooltip: {tooltip!r}"
    ring = [list(c) for c in corners + corners[:1]]
    ha = area_ha({"type": "Polygon", "coordinates": [ring]}, "EPSG:32633")
    return float(shown.group(1).replace(",", "")), ha * (10_000 if unit == "m²" else 1)


def test_the_polygon_tool_shows_the_area_while_drawing_in_m2_then_ha(show):
    img, labels, (mid, north) = field_on_the_left_half()
    page = show("label", label_map(img, labels, {"maize": "#1b9e77"}))
    (south, _), (_, east) = img.bounds
    w, h = east - mid, north - south
    small = [(mid + w * 0.3, south + h * 0.2), (mid + w * 0.8, south + h * 0.2)]
    shown, measured = drawing_area(page, [*small, (mid + w * 0.8, south + h * 0.7)], "m²")
    assert shown == pytest.approx(measured, rel=0.05)
    page.keyboard.press("Escape")
    large = [(mid + w * x, south + h * y) for x, y in ((0.3, 0.05), (1.8, 0.05), (1.8, 0.95))]
    large.append((mid + w * 0.3, south + h * 0.95))  # on the map, east of the image: 1.7 ha
    shown, measured = drawing_area(page, large, "ha")  # from 1 ha: in hectares
    assert measured > 1 and shown == pytest.approx(measured, rel=0.05)
