"""The label map is sent only what changed (``webmap.mirror``): a map that missed an update asks
for the whole set and shows it, with nothing saved twice or lost."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

from tests.e2e.mapping import poll
from tests.e2e.selecting import centre, draw_field, on_disk, open_label_page

#: The ids of the saved polygons the label map on screen holds, sorted.
HELD = """() => {
    const ids = [];
    window.labelGroup.eachLayer(l => {
        if (l.feature && l.feature.id) { ids.push(l.feature.id); }
    });
    return ids.sort();
}"""


def test_a_map_that_missed_an_update_gets_the_whole_set(
    app_url: str, browser_page: Page, tmp_path: Path, demo_scene: Path
):
    page = browser_page
    frame = open_label_page(page, app_url, demo_scene, "updates")
    cx, cy = centre(frame)
    frame = draw_field(
        page, frame, [(cx - 150, cy - 60), (cx - 40, cy - 60), (cx - 40, cy + 60)], 1
    )
    assert frame.evaluate(HELD) == [f["id"] for f in on_disk(tmp_path, "updates")]

    # As if an update had been lost on its way (two reruns' updates merged by the page): the
    # next one does not apply on what the map holds.
    frame.evaluate("() => { window.labelRev = -1; }")
    frame = draw_field(
        page, frame, [(cx + 40, cy - 60), (cx + 150, cy - 60), (cx + 150, cy + 60)], 2
    )
    poll(page, lambda: len(on_disk(tmp_path, "updates")) == 2, "the second field was not saved")
    saved = sorted(f["id"] for f in on_disk(tmp_path, "updates"))
    poll(
        page, lambda: frame.evaluate(HELD) == saved, lambda: f"the map holds {frame.evaluate(HELD)}"
    )
    assert frame.evaluate("() => window.labelRev") > 0  # the whole set, sent again
