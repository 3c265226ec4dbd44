"""The whole job in a browser: pick an area on the demo scene, enhance, draw a field, save."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import geopandas as gpd
import pytest
import rasterio
from playwright.sync_api import FloatRect, Locator, Page, expect
from shapely.geometry import box, shape

from imagery.local import scenes_in_file
from tests.e2e.mapping import (
    delete_with_toolbar,
    drag_first_vertex,
    draw_polygon,
    fitted,
    map_box,
    map_frame,
    poll,
    runs,
    settled,
    wait_idle,
    wait_run_started,
)

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def press_until(page: Page, key: str, done: Callable[[], bool], timeout: float = 20) -> None:
    """Press ``key`` until ``done()``: the page's key listener starts a moment after the page.
    Each press gets 0.5 s to show before the next."""
    poll(
        page,
        lambda: done() or page.keyboard.press(key),
        f"pressing {key} did nothing",
        timeout,
        0.5,
    )


def still_box(page: Page, locator: Locator) -> FloatRect | None:
    """``locator``'s box if it is the same over two animation frames (not scrolling), else None."""
    first = locator.bounding_box()
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return first if first is not None and first == locator.bounding_box() else None


def shoot(page: Page, name: str) -> None:
    folder = os.environ.get("E2E_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))  # what fits on the screen


def test_pick_enhance_draw_save(app_url: str, browser_page: Page, tmp_path: Path, demo_scene: Path):
    page = browser_page
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            outside.append(r.url)
            if urlparse(r.url).scheme in ("http", "https", "ws", "wss")
            and urlparse(r.url).hostname not in LOCAL_HOSTS
            else None
        ),
    )
    page.goto(app_url)

    # 1. Area: draw a rectangle in the middle of the demo scene's footprint.
    frame = map_frame(page)
    name = page.get_by_label("Annotator", exact=True)
    name.click()
    name.fill("Test Annotator")
    name.press("Enter")
    wait_idle(page)
    expect(frame.locator(".leaflet-image-layer")).to_have_count(1)
    m = map_box(frame)
    cx, cy = m["x"] + m["width"] * 0.45, m["y"] + m["height"] * 0.55
    frame.locator(".leaflet-draw-draw-rectangle").click()
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 60, cy + 45, steps=8)
    page.mouse.up()
    page.get_by_role("button", name="Load area").click(timeout=30_000)
    expect(page.get_by_text("Loaded ")).to_be_visible(timeout=30_000)
    shoot(page, "1-area")

    # 2. Enhance with the default pipeline (Decrappify) and compare.
    page.get_by_role("link", name="Enhance & compare").first.click()
    page.get_by_role("button", name="Enhance x4").click()
    expect(page.get_by_text("Enhanced with")).to_be_visible(timeout=60_000)
    frame = map_frame(page, count=2)
    expect(frame.locator(".opacity-control")).to_have_count(2)
    shoot(page, "2-compare")

    # 3. Label: choose a class, draw a polygon on the enhanced image, save.
    page.get_by_role("link", name="Label fields").first.click()
    maize = page.get_by_role("radio", name="2 maize")  # the default list: winter wheat, maize
    maize.wait_for()
    side = page.locator('[data-testid="stSidebar"]')
    side.get_by_text("Enhanced", exact=True).click()  # the focus stays on a sidebar radio:
    press_until(page, "2", lambda: maize.is_checked())  # the class key works all the same
    frame = map_frame(page)
    m = map_box(frame)
    cx, cy = m["x"] + m["width"] / 2, m["y"] + m["height"] / 2
    vertices = [(cx - 40, cy - 30), (cx + 50, cy - 25), (cx + 35, cy + 40), (cx - 45, cy + 30)]
    frame.evaluate("() => { window.notRebuilt = true; }")
    draw_polygon(page, frame, vertices)
    expect(page.get_by_text("1 new, 0 edited, 0 deleted.")).to_be_visible(timeout=30_000)
    # The map on screen is updated in place, not rebuilt: the drawing is replaced by the saved
    # polygon, drawn in its class colour.
    frame = map_frame(page)
    expect(frame.locator("path.leaflet-interactive")).to_have_count(1, timeout=30_000)
    expect(frame.locator("path[stroke='#1b9e77']")).to_have_count(1, timeout=30_000)
    assert frame.evaluate("() => window.notRebuilt === true")
    page.get_by_role("heading", name="1 polygon in").wait_for()
    shoot(page, "3-label")

    # A polygon drawn inside the first is refused (clipping leaves nothing): it stays on the map
    # in red with the reason, and nothing is reported as saved, until dismissed.
    field = frame.locator("path.leaflet-interactive").first.bounding_box()
    assert field is not None
    cx, cy = field["x"] + field["width"] / 2, field["y"] + field["height"] / 2
    w, h = field["width"] / 5, field["height"] / 5  # well inside it, at any zoom
    inner = [(cx - w, cy - h), (cx + w, cy - h), (cx + w, cy + h), (cx - w, cy + h)]
    top = map_box(frame)["y"]
    draw_polygon(page, frame, inner)
    expect(page.get_by_text("lies inside its neighbours")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Not saved (red on the map)")).to_be_visible()
    assert map_box(map_frame(page))["y"] == pytest.approx(top, abs=1)  # the warning moved nothing
    shoot(page, "3-refused")
    live = page.frame_locator("iframe[title='streamlit_folium.st_folium']").last  # re-found
    expect(live.locator("path[stroke='#e41a1c']")).to_have_count(1, timeout=30_000)
    page.get_by_role("button", name="Dismiss the red outlines").click()
    expect(live.locator("path[stroke='#e41a1c']")).to_have_count(0, timeout=30_000)
    frame = map_frame(page)
    expect(frame.locator("path.leaflet-interactive")).to_have_count(1, timeout=30_000)
    expect(frame.locator("path[stroke='#e41a1c']")).to_have_count(0)

    # A reload in the middle of labelling reopens the same place: area, enhancement (from the
    # cache), set and annotator come back from the address.
    page.reload()
    page.get_by_role("heading", name="1 polygon in").wait_for(timeout=60_000)
    expect(page.get_by_label("Annotator", exact=True)).to_have_value("Test Annotator")
    expect(page.get_by_role("button", name="↶ Undo")).to_be_enabled()  # from the journal
    frame = map_frame(page)
    expect(frame.locator("path.leaflet-interactive")).to_have_count(1, timeout=30_000)

    saved = json.loads((tmp_path / "labels" / f"{demo_scene.stem}.geojson").read_text())
    assert saved["type"] == "FeatureCollection"
    [feature] = saved["features"]
    props = feature["properties"]
    assert props["crop_class"] == "maize"
    assert props["annotator"] == "Test Annotator"
    assert props["image"] == "enhanced" and props["pipeline"] == "decrappify"
    assert props["preset"] is None and len(props["model_version"]) == 12
    assert props["scene_id"] == demo_scene.stem and props["id"] == feature["id"]
    area = box(*saved["label_set"]["area_bbox"])
    polygon = shape(feature["geometry"])
    assert polygon.geom_type == "Polygon" and len(polygon.exterior.coords) == 5
    assert area.contains(polygon)
    [scene] = scenes_in_file(demo_scene)
    assert shape(scene.footprint).contains(area)

    set_file = tmp_path / "labels" / f"{demo_scene.stem}.geojson"

    def on_disk() -> dict:
        [f] = json.loads(set_file.read_text())["features"]
        return f

    # Edit: drag a vertex; the change is saved by itself.
    frame = settled(page)
    drag_first_vertex(page, frame, -25, -15)
    expect(page.get_by_text("0 new, 1 edited, 0 deleted.")).to_be_visible(timeout=30_000)
    edited = on_disk()
    assert edited["properties"]["rev"] == 2 and shape(edited["geometry"]) != polygon
    assert shape(edited["geometry"]).area > polygon.area  # the vertex moved outwards

    # Twenty reruns of the page lose nothing: each click starts a run (cutting into the last).
    for _ in range(20):
        mark = runs(page).mark()
        page.get_by_text("Clip new polygons").click()
        wait_run_started(page, mark)
    wait_idle(page)
    expect(map_frame(page).locator("path.leaflet-interactive")).to_have_count(1)
    assert on_disk() == edited

    # A click on the polygon's row in the table zooms the map to it; reclassify it, then undo.
    before = map_frame(page).locator("path.leaflet-interactive").first.bounding_box()
    table = page.get_by_test_id("stDataFrame")
    table.scroll_into_view_if_needed()
    grid = poll(page, lambda: still_box(page, table), "the table never came to rest")
    row_box = (grid["x"] + 16, grid["y"] + 35 + 17)  # the first row's selection box
    page.mouse.move(*row_box)
    page.mouse.click(*row_box)
    page.get_by_role("button", name="Set class").wait_for()
    west, south, east, north = shape(edited["geometry"]).bounds
    frame = settled(page)  # the map on screen moves to the polygon ...
    fitted(frame, [[south, west], [north, east]])
    at_rest = poll(page, lambda: still_box(page, table), "the table never came to rest")
    assert abs(at_rest["y"] - grid["y"]) < 2, "the page scrolled"  # ... and the page stays put
    zoomed = frame.locator("path.leaflet-interactive").first
    expect(zoomed).to_be_visible()
    after = zoomed.bounding_box()
    assert before is not None and after is not None and after["width"] > 2 * before["width"]
    expect(map_frame(page).locator("path[stroke-width='5']")).to_have_count(1)  # drawn bold
    wait_idle(page)  # the map has zoomed: no rerun closes the list below
    new_class = page.get_by_label("New class")
    new_class.click()
    new_class.press("ArrowDown")  # a click alone leaves the list closed below a tall map
    page.get_by_role("option", name="barley").click()
    page.get_by_role("button", name="Set class").click()
    expect(page.get_by_text("1 polygon now barley")).to_be_visible(timeout=30_000)
    assert on_disk()["properties"]["crop_class"] == "barley"
    settled(page)  # the page has settled: the rebuilt map is there, at rest
    page.get_by_role("button", name="↶ Undo").click()
    expect(page.get_by_text("undone")).to_be_visible(timeout=30_000)
    assert on_disk()["properties"]["crop_class"] == "maize"
    wait_idle(page)
    page.keyboard.press("Control+Shift+Z")  # redo, from the keyboard
    expect(page.get_by_text("redone")).to_be_visible(timeout=30_000)
    assert on_disk()["properties"]["crop_class"] == "barley"
    wait_idle(page)
    page.keyboard.press("Control+Z")  # and undo
    expect(page.get_by_text("undone")).to_be_visible(timeout=30_000)
    assert on_disk()["properties"]["crop_class"] == "maize"

    # Export from the Label sets page: the files land on disk and hold the polygon.
    page.get_by_role("link", name="Label sets").first.click()
    page.get_by_text("Export").first.wait_for()
    exported = {}
    for label in ("GeoPackage (UTM)", "Mask, enhanced grid (GeoTIFF)"):
        with page.expect_download() as download:
            page.get_by_role("button", name=label).click()
        target = tmp_path / download.value.suggested_filename
        download.value.save_as(target)
        exported[label] = target
    frame_gpkg = gpd.read_file(exported["GeoPackage (UTM)"])
    assert list(frame_gpkg["crop_class"]) == ["maize"] and frame_gpkg.crs.to_epsg() == 32633
    mask = exported["Mask, enhanced grid (GeoTIFF)"]
    assert mask.name.endswith("_mask_2.5m.tif")
    with rasterio.open(mask) as ds:
        [maize] = [
            int(k[6:]) for k, v in ds.tags().items() if k.startswith("CLASS_") and v == "maize"
        ]
        assert ds.res == (2.5, 2.5) and (ds.read(1) == maize).sum() > 50
    # Importing our own export back adds nothing, and says so.
    wait_idle(page)  # the downloads' reruns are over: the upload lands in the page that stays
    page.locator("input[type='file']").set_input_files(exported["GeoPackage (UTM)"])
    page.get_by_role("button", name="Import into this set").click()
    expect(page.get_by_text("Nothing was imported: all 1 polygons are already")).to_be_visible(
        timeout=30_000
    )
    page.get_by_role("link", name="Label fields").first.click()

    # Delete it with the map's toolbar: the set on disk is empty again.
    page.get_by_role("heading", name="1 polygon in").wait_for(timeout=60_000)
    frame = settled(page)
    delete_with_toolbar(page, frame)
    assert json.loads(set_file.read_text())["features"] == []
    assert outside == [], f"requests left this machine: {outside[:5]}"
