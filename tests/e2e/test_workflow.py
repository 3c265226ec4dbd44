"""The whole job in a browser: pick an area on the demo scene, enhance, draw a field, save."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import geopandas as gpd
import rasterio
from playwright.sync_api import Frame, Page, expect
from shapely.geometry import box, shape

from imagery.local import scenes_in_file

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def map_frame(page: Page, count: int = 1, timeout: float = 60) -> Frame:
    """The frame of the newest map component, once ``count`` Leaflet maps are drawn in it."""
    frames = page.locator("iframe[title='streamlit_folium.st_folium']")
    expect(frames).to_have_count(1, timeout=timeout * 1000)  # no old map still going away
    iframe = frames.last
    iframe.wait_for(timeout=timeout * 1000)
    handle = iframe.element_handle()
    frame = handle.content_frame() if handle else None
    assert frame is not None, "the map component has no frame"
    expect(frame.locator(".leaflet-container")).to_have_count(count, timeout=timeout * 1000)
    return frame


def wait_idle(page: Page) -> None:
    """Wait until Streamlit has finished running the script (its status widget is gone)."""
    time.sleep(0.5)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)


def map_box(frame: Frame) -> dict[str, float]:
    container = frame.locator(".leaflet-container").first
    expect(container).to_be_visible(timeout=30_000)
    bbox = container.bounding_box()
    assert bbox is not None
    return bbox


def draw_polygon(page: Page, frame: Frame, vertices: list[tuple[float, float]]) -> None:
    """Draw a polygon with Leaflet.draw's tool, closing it on its first vertex; ``vertices`` are
    page coordinates taken before, corrected for the scroll that clicking the tool may cause."""
    before = map_box(frame)
    frame.locator(".leaflet-draw-draw-polygon").click()
    after = map_box(frame)
    dx, dy = after["x"] - before["x"], after["y"] - before["y"]
    for x, y in vertices + vertices[:1]:
        page.mouse.move(x + dx - 2, y + dy - 2)
        page.mouse.move(x + dx, y + dy)
        page.mouse.click(x + dx, y + dy)
        time.sleep(0.35)


def delete_with_toolbar(page: Page, frame: Frame) -> None:
    """Delete the first polygon of the map with Leaflet.draw's 🗑 tool, Save, and wait until the
    page says it was saved."""
    frame.locator(".leaflet-draw-edit-remove").click()
    shape_box = frame.locator("path.leaflet-interactive").first.bounding_box()
    assert shape_box is not None
    page.mouse.click(
        shape_box["x"] + shape_box["width"] / 2, shape_box["y"] + shape_box["height"] / 2
    )
    frame.locator(".leaflet-draw-actions a", has_text="Save").first.click()
    expect(page.get_by_text("0 new, 0 edited, 1 deleted.")).to_be_visible(timeout=30_000)


def press_until(page: Page, key: str, done: Callable[[], bool], timeout: float = 20) -> None:
    """Press ``key`` until ``done()``: the page's key listener starts a moment after the page."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"pressing {key} did nothing"
        page.keyboard.press(key)
        time.sleep(0.5)


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

    # 2. Enhance with the default method (Decrappify) and compare.
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
    press_until(page, "2", lambda: maize.is_checked())  # the class key
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
    draw_polygon(page, frame, inner)
    expect(page.get_by_text("lies inside its neighbours")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Not saved (red on the map)")).to_be_visible()
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
    frame = map_frame(page)
    frame.locator(".leaflet-draw-edit-edit").click()
    handle = frame.locator(".leaflet-editing-icon").first.bounding_box()
    assert handle is not None
    hx, hy = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    page.mouse.move(hx, hy)
    page.mouse.down()
    page.mouse.move(hx - 25, hy - 15, steps=6)
    page.mouse.up()
    frame.locator(".leaflet-draw-actions a", has_text="Save").first.click()
    expect(page.get_by_text("0 new, 1 edited, 0 deleted.")).to_be_visible(timeout=30_000)
    edited = on_disk()
    assert edited["properties"]["rev"] == 2 and shape(edited["geometry"]) != polygon
    assert shape(edited["geometry"]).area > polygon.area  # the vertex moved outwards

    # Twenty reruns of the page lose nothing.
    for _ in range(20):
        page.get_by_text("Clip new polygons").click()
        time.sleep(0.3)
    wait_idle(page)
    expect(map_frame(page).locator("path.leaflet-interactive")).to_have_count(1)
    assert on_disk() == edited

    # A click on the polygon's row in the table zooms the map to it; reclassify it, then undo.
    before = map_frame(page).locator("path.leaflet-interactive").first.bounding_box()
    page.get_by_test_id("stDataFrame").scroll_into_view_if_needed()
    grid = page.get_by_test_id("stDataFrame").bounding_box()
    assert grid is not None
    row_box = (grid["x"] + 16, grid["y"] + 35 + 17)  # the first row's selection box
    page.mouse.move(*row_box)
    time.sleep(0.3)
    page.mouse.click(*row_box)
    page.get_by_role("button", name="Set class").wait_for()
    zoomed = map_frame(page).locator("path.leaflet-interactive").first
    expect(zoomed).to_be_visible()
    time.sleep(1)  # the map fits the polygon a moment after it is drawn
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
    map_frame(page)  # the page has settled: the rebuilt map is there
    time.sleep(1)
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
    page.locator("input[type='file']").set_input_files(exported["GeoPackage (UTM)"])
    page.get_by_role("button", name="Import into this set").click()
    expect(page.get_by_text("Nothing was imported: all 1 polygons are already")).to_be_visible(
        timeout=30_000
    )
    page.get_by_role("link", name="Label fields").first.click()

    # Delete it with the map's toolbar: the set on disk is empty again. (The saved polygons are
    # drawn by the in-place update a moment after the map appears, and the map fits its view
    # 0.4 s later, which the page takes in a run of its own: let both settle first. Without
    # the pause this step still loses the deletion now and then: see the README's known
    # problem.)
    page.get_by_role("heading", name="1 polygon in").wait_for(timeout=60_000)
    wait_idle(page)
    frame = map_frame(page)
    expect(frame.locator("path.leaflet-interactive")).to_have_count(1, timeout=30_000)
    time.sleep(1)
    wait_idle(page)
    delete_with_toolbar(page, frame)
    assert json.loads(set_file.read_text())["features"] == []
    assert outside == [], f"requests left this machine: {outside[:5]}"
