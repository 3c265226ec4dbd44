"""Deleting with the map's toolbar is saved every time: after moving between pages, and again
after an undo brought the polygon back (the same drawings reported twice). A report the page
has read is not read again after a save made elsewhere: a pan, then Redo, leaves the set as
Redo made it (the pan's report, older than Redo's save, once brought the polygon back)."""

import json
from pathlib import Path

from playwright.sync_api import Page, expect
from shapely.geometry import box, mapping

from imagery.local import scenes_in_file
from imagery.read import read_area
from labels.features import new_feature
from labels.store import LabelStore
from tests.e2e.mapping import (
    delete_with_toolbar,
    map_box,
    runs,
    settled,
    wait_idle,
    wait_run_started,
)

AREA = (12.59, 52.475, 12.60, 52.48)


def test_a_toolbar_deletion_is_saved_each_time(
    app_url, browser_page: Page, tmp_path: Path, demo_scene
):
    raster = read_area(scenes_in_file(demo_scene)[0], AREA)
    field = new_feature(
        mapping(box(12.592, 52.476, 12.597, 52.479)), "maize", "ana", "d", "original"
    )
    store = LabelStore(tmp_path / "labels")
    store.apply("trial", [field], info={"scene_id": "d", "grid": raster.grid})
    page = browser_page
    address = f"scene={demo_scene.stem}&area={','.join(map(str, AREA))}&set=trial&annotator=ana"
    page.goto(f"{app_url}/label?{address}")
    page.get_by_role("heading", name="1 polygon in").wait_for(timeout=60_000)
    for attempt in range(3):
        page.get_by_role("link", name="4 · Label sets").click()
        wait_idle(page)
        page.get_by_role("link", name="3 · Label fields").click()
        page.get_by_role("heading", name="1 polygon in").wait_for(timeout=60_000)
        delete_with_toolbar(page, settled(page))
        assert json.loads(store.path("trial").read_text())["features"] == [], attempt
        wait_idle(page)
        page.get_by_role("button", name="↶ Undo").click()  # the polygon comes back
        expect(page.get_by_text("undone")).to_be_visible(timeout=30_000)
        assert len(json.loads(store.path("trial").read_text())["features"]) == 1
        wait_idle(page)

    frame = settled(page)
    view = map_box(frame)
    x, y = view["x"] + view["width"] * 0.8, view["y"] + view["height"] * 0.8
    mark = runs(page).mark()
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 60, y - 40, steps=6)  # a pan: the map reports its drawings again
    page.mouse.up()
    wait_run_started(page, mark)  # the report came in
    wait_idle(page)
    page.get_by_role("button", name="↷ Redo").click()  # deletes the polygon again
    expect(page.get_by_text("redone")).to_be_visible(timeout=30_000)
    # The map at rest without the polygon, no run left: a stale report read again would have
    # brought it back by now (the map reports 0.25 s after a change, and that is a new run).
    settled(page, shapes=0)
    assert json.loads(store.path("trial").read_text())["features"] == []
    expect(page.get_by_text("1 new")).to_have_count(0)
