"""Steps on the app's Leaflet maps that browser tests share: find the map, let it settle, draw,
edit and delete with Leaflet.draw's toolbar. Each step checks that the map did what was asked
before it goes on, so a failure says whether the browser missed the gesture or the page lost the
report."""

from __future__ import annotations

import time

from playwright.sync_api import Frame, Page, expect

SHAPES = "path.leaflet-interactive"


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


def settled(page: Page, shapes: int = 1, timeout: float = 30) -> Frame:
    """The label map once it is at rest: ``shapes`` polygons drawn, the script idle, and the
    polygons still for 0.6 s. A map fits its view 0.4 s after it appears (and the page takes
    the new view in a run of its own): a click before that lands where the polygon was."""
    wait_idle(page)
    frame = map_frame(page)
    expect(frame.locator(SHAPES)).to_have_count(shapes, timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    last = None
    while True:
        now = [frame.locator(SHAPES).nth(i).bounding_box() for i in range(shapes)]
        if now == last:
            break
        assert time.monotonic() < deadline, "the map never came to rest"
        last = now
        time.sleep(0.6)
    wait_idle(page)
    return frame


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


def drag_first_vertex(page: Page, frame: Frame, dx: float, dy: float) -> None:
    """Move the first polygon's first vertex by (dx, dy) screen pixels with the ✎ tool and Save
    in the toolbar, once the polygon on the map has changed."""
    frame.locator(".leaflet-draw-edit-edit").click()
    outline = frame.locator(SHAPES).first.get_attribute("d")
    handle = frame.locator(".leaflet-editing-icon").first.bounding_box()
    assert handle is not None
    hx, hy = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    page.mouse.move(hx, hy)
    page.mouse.down()
    page.mouse.move(hx + dx, hy + dy, steps=6)
    page.mouse.up()
    expect(frame.locator(SHAPES).first).not_to_have_attribute("d", outline or "")
    frame.locator(".leaflet-draw-actions a", has_text="Save").first.click()


def delete_with_toolbar(page: Page, frame: Frame) -> None:
    """Delete the first polygon of the map with Leaflet.draw's 🗑 tool, Save once it is gone
    from the map, and wait until the page says it was saved."""
    shapes = frame.locator(SHAPES)
    count = shapes.count()
    frame.locator(".leaflet-draw-edit-remove").click()
    shape_box = shapes.first.bounding_box()
    assert shape_box is not None
    page.mouse.click(
        shape_box["x"] + shape_box["width"] / 2, shape_box["y"] + shape_box["height"] / 2
    )
    expect(shapes).to_have_count(count - 1, timeout=5_000)  # the click hit it
    frame.locator(".leaflet-draw-actions a", has_text="Save").first.click()
    expect(page.get_by_text("0 new, 0 edited, 1 deleted.")).to_be_visible(timeout=30_000)
