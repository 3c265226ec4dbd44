"""The label map is sent only what changed (``webmap.mirror``): a map that missed an update asks
for the whole set and shows it, with nothing saved twice or lost. A closed polygon reaches the
page at once, in one report (``webmap.controls.ReportAtOnce``); Leaflet.draw's edit and delete
buttons follow the polygons the map holds, however they came (``window.labelBatch``)."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect
from shapely.geometry import box, mapping

from labels.features import new_feature
from labels.store import LabelStore
from tests.e2e.mapping import poll, runs, settled
from tests.e2e.selecting import AREA, centre, draw_field, on_disk, open_label_page

#: The ids of the saved polygons the label map on screen holds, sorted.
HELD = """() => {
    const ids = [];
    window.labelGroup.eachLayer(l => {
        if (l.feature && l.feature.id) { ids.push(l.feature.id); }
    });
    return ids.sort();
}"""


def left_field(cx: float, cy: float) -> list[tuple[float, float]]:
    """A triangle left of the map's centre (``cx``, ``cy``, page pixels)."""
    return [(cx - 150, cy - 60), (cx - 40, cy - 60), (cx - 40, cy + 60)]


def right_field(cx: float, cy: float) -> list[tuple[float, float]]:
    """A triangle right of the map's centre, apart from :func:`left_field`'s."""
    return [(cx + 40, cy - 60), (cx + 150, cy - 60), (cx + 150, cy + 60)]


def test_a_map_that_missed_an_update_gets_the_whole_set(
    app_url: str, browser_page: Page, tmp_path: Path, demo_scene: Path
):
    page = browser_page
    frame = open_label_page(page, app_url, demo_scene, "updates")
    cx, cy = centre(frame)
    frame = draw_field(page, frame, left_field(cx, cy), 1)
    assert frame.evaluate(HELD) == [f["id"] for f in on_disk(tmp_path, "updates")]

    # As if an update had been lost on its way (two reruns' updates merged by the page): the
    # next one does not apply on what the map holds.
    frame.evaluate("() => { window.labelRev = -1; }")
    frame = draw_field(page, frame, right_field(cx, cy), 2)
    poll(page, lambda: len(on_disk(tmp_path, "updates")) == 2, "the second field was not saved")
    saved = sorted(f["id"] for f in on_disk(tmp_path, "updates"))
    poll(
        page, lambda: frame.evaluate(HELD) == saved, lambda: f"the map holds {frame.evaluate(HELD)}"
    )
    assert frame.evaluate("() => window.labelRev") > 0  # the whole set, sent again


#: In the map's frame, timers of 200 ms or more never fire (streamlit-folium's 250 ms debounce
#: among them) until ``window.realTimers()`` puts them back.
NO_SLOW_TIMERS = """() => {
    const real = window.setTimeout;
    window.setTimeout = (f, ms, ...rest) => (ms >= 200 ? 0 : real(f, ms, ...rest));
    window.realTimers = () => { window.setTimeout = real; };
}"""


def test_a_closed_polygon_reaches_the_page_at_once_in_one_report(
    app_url: str, browser_page: Page, tmp_path: Path, demo_scene: Path
):
    page = browser_page
    frame = open_label_page(page, app_url, demo_scene, "prompt")
    cx, cy = centre(frame)
    frame.evaluate(NO_SLOW_TIMERS)  # it was saved a quarter of a second after, by the debounce
    frame = draw_field(page, frame, left_field(cx, cy), 1)
    assert len(on_disk(tmp_path, "prompt")) == 1

    frame.evaluate("() => window.realTimers()")
    asked = runs(page).asked
    frame = draw_field(page, frame, right_field(cx, cy), 2)
    assert runs(page).asked == asked + 1  # the debounced report found nothing new to send
    assert len(on_disk(tmp_path, "prompt")) == 2


def test_the_edit_and_delete_buttons_follow_the_polygons_the_map_holds(
    app_url: str, browser_page: Page, tmp_path: Path, demo_scene: Path
):
    """A set sent whole comes in one batch (``window.labelBatch``), which counts the polygons
    for Leaflet.draw once, at its end; so does an undo that removes them all."""
    fields = [
        new_feature(
            mapping(box(12.592 + i * 0.002, 52.476, 12.5935 + i * 0.002, 52.478)),
            "maize",
            "Ann",
            demo_scene.stem,
            "original",
        )
        for i in range(2)
    ]
    LabelStore(tmp_path / "labels").apply("buttons", fields, who="Ann")  # Ann's batch: undoable
    page = browser_page
    page.goto(f"{app_url}/label?scene={demo_scene.stem}&area={AREA}&annotator=Ann&set=buttons")
    frame = settled(page, shapes=2)
    buttons = [frame.locator(".leaflet-draw-edit-edit"), frame.locator(".leaflet-draw-edit-remove")]
    for button in buttons:
        expect(button).not_to_have_class(re.compile("leaflet-disabled"))
    near = frame.evaluate(  # snapping measures only the polygons near the mouse, not the set
        "([lng, lat]) => window.labelGroup.searchBuffer(L.latLng(lat, lng)).map(l => l.feature.id)",
        [12.5928, 52.477],
    )
    assert near == [fields[0]["id"]]
    page.get_by_role("button", name="↶ Undo").click()  # both polygons go, in one update
    expect(page.get_by_text("undone")).to_be_visible(timeout=30_000)
    poll(page, lambda: frame.evaluate(HELD) == [], "the undone polygons are still on the map")
    for button in buttons:  # nothing left to edit or delete
        expect(button).to_have_class(re.compile("leaflet-disabled"))
