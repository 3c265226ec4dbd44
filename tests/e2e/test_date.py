"""Two dates on the Label page: an area of a two-date GeoTIFF is loaded, the other date is chosen
in the sidebar, the D key switches the image the map shows (the note says which date), the
polygons stay, and a polygon drawn on the other date records it (``date_shown``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Frame, Page, expect
from shapely.geometry import shape

from imagery.local import scenes_in_file
from tests.conftest import write_tif
from tests.e2e.conftest import serve
from tests.e2e.mapping import draw_polygon, map_box, poll, settled, wait_idle

#: The image layers of the map: how long each picture's address is, and its opacity.
IMAGES = """() => [...document.querySelectorAll("img.leaflet-image-layer")].map(
    (img) => [img.src, getComputedStyle(img).opacity])"""


def fields(seed: int) -> np.ndarray:
    """96 x 96 px of B04, B03, B02, B08 digital numbers: 3 x 3 fields of random crops."""
    rng = np.random.default_rng(seed)
    crops = rng.integers(300, 4000, (9, 4))
    data = np.empty((4, 96, 96), np.uint16)
    for i in range(9):
        r, c = divmod(i, 3)
        data[:, r * 32 : r * 32 + 32, c * 32 : c * 32 + 32] = crops[i][:, None, None]
    return data


@pytest.fixture
def two_date_app(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The app with one local file of two dates (``two#1`` and ``two#2``, no date tag, like the
    Austria file); the file's path."""
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    path = write_tif(scenes / "two.tif", np.concatenate([fields(1), fields(2)]), descriptions=None)
    yield from ((url, path) for url in serve(tmp_path, path))


def shown(frame: Frame) -> tuple[str, str]:
    """The address of the picture the map shows (opacity 1), and the note's text."""
    images = frame.evaluate(IMAGES)
    visible = [src for src, opacity in images if float(opacity) == 1]
    assert len(visible) == 1, f"not one image shown: opacities {[o for _, o in images]}"
    return visible[0], frame.locator(".date-note").inner_text()


def test_the_d_key_switches_the_date_shown_and_drawings_record_it(
    two_date_app: tuple[str, Path], browser_page: Page, tmp_path: Path
):
    url, path = two_date_app
    first, _ = scenes_in_file(path)
    west, south, east, north = shape(first.footprint).bounds
    dx, dy = (east - west) / 8, (north - south) / 8
    area = ",".join(f"{v:.6f}" for v in (west + dx, south + dy, east - dx, north - dy))
    page = browser_page
    page.goto(f"{url}/label?scene=two%231&area={area}&annotator=Ann&set=dates")
    frame = settled(page, shapes=0)
    assert len(frame.evaluate(IMAGES)) == 1  # one date until another is chosen
    expect(frame.locator(".date-note")).to_have_count(0)

    choice = page.get_by_role("combobox", name="Other date")
    choice.click()
    page.get_by_role("option", name="two#2").click()
    wait_idle(page)
    frame = settled(page, shapes=0)  # built anew with both dates
    assert len(frame.evaluate(IMAGES)) == 2
    loaded, note = shown(frame)
    assert note.startswith("Date shown: two#1 (loaded)")

    box = map_box(frame)
    page.mouse.click(box["x"] + 20, box["y"] + box["height"] - 60)  # the map has the focus
    page.keyboard.press("d")
    poll(page, lambda: "two#2" in shown(frame)[1], lambda: f"the note says {shown(frame)[1]!r}")
    other, note = shown(frame)
    assert other != loaded
    assert note == "Date shown: two#2 · 10 m (other date). D switches."

    # A polygon drawn now is drawn on the other date, and records it; the image stays.
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    draw_polygon(
        page, frame, [(x - 40, y - 40), (x + 40, y - 40), (x + 40, y + 40), (x - 40, y + 40)]
    )
    expect(page.get_by_text("1 new, 0 edited, 0 deleted.")).to_be_visible(timeout=30_000)
    [feature] = json.loads((tmp_path / "labels" / "dates.geojson").read_text())["features"]
    assert feature["properties"]["date_shown"] == "two#2"
    assert feature["properties"]["scene_id"] == "two#1"
    frame = settled(page, shapes=1)
    assert shown(frame)[0] == other

    page.keyboard.press("d")  # and back, the polygon still on the map
    poll(page, lambda: shown(frame)[0] == loaded, "the loaded date never came back")
    assert shown(frame)[1].startswith("Date shown: two#1 (loaded)")
    expect(frame.locator("path.leaflet-interactive")).to_have_count(1)
