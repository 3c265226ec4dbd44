"""A reviewer's round in the browser, with the login on: sign in as a reviewer, walk the set with
Next unreviewed (the button, then the N key; the map zooms to each polygon), accept one with the
A key, try to reject one with the R key without a reason (refused), type R into the reason (a
letter of it, nothing rejected), reject it with the key, and read the statuses in the table, in
the file and in the outlines of the map on screen; a signed-in user who is no reviewer sees them
but cannot change them, with the buttons or the keys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from shapely.geometry import box, mapping

import access
from imagery.local import scenes_in_file
from imagery.read import read_area
from labels.features import new_feature
from labels.store import LabelStore
from tests.e2e.conftest import serve
from tests.e2e.mapping import fitted, map_frame, poll, settled, wait_idle
from views.reviewing import ACCEPT, NEXT_UNREVIEWED, NOT_A_REVIEWER, REASON, REJECT
from webmap.label_layers import REVIEW_OUTLINES

AREA = (12.59, 52.475, 12.60, 52.48)
#: Three fields side by side, drawn by an annotator; (west, south, east, north) in degrees.
FIELDS = [(x, 52.476, x + 0.002, 52.478) for x in (12.591, 12.594, 12.597)]
PASSWORD = "correct horse"
WHY = "the hedge in the north is not part of it"


@pytest.fixture
def reviewed_app(tmp_path: Path, demo_scene: Path) -> Iterator[str]:
    """The app with the login on: rita reviews, ben does not; set ``trial`` holds FIELDS."""
    grid = read_area(scenes_in_file(demo_scene)[0], AREA).grid
    features = [new_feature(mapping(box(*b)), "maize", "ana", "d", "original") for b in FIELDS]
    LabelStore(tmp_path / "labels").apply("trial", features, info={"scene_id": "d", "grid": grid})
    hashed = access.hash_password(PASSWORD)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        f'[login]\nreviewers = ["rita"]\n\n[login.users]\n"rita" = "{hashed}"\n"ben" = "{hashed}"\n'
    )
    yield from serve(tmp_path, demo_scene, "--secrets.files", str(secrets))


def sign_in(page: Page, name: str) -> None:
    page.get_by_role("heading", name="Sign in").wait_for(timeout=60_000)
    page.get_by_role("textbox", name="Name").fill(name)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="3 polygons in").wait_for(timeout=60_000)


def reviews(path: Path) -> list[tuple[str, str | None, str | None]]:
    """Each polygon's status, reason and reviewer, as the set file holds them."""
    features = json.loads(path.read_text())["features"]
    return [
        (p["review"], p["review_reason"], p["reviewed_by"])
        for p in (f["properties"] for f in features)
    ]


def walked_to(page: Page, i: int) -> None:
    """Polygon ``i`` is selected: its status shows, and the map was built anew around it."""
    expect(page.get_by_text("Review: draft, not reviewed yet.")).to_be_visible(timeout=30_000)
    west, south, east, north = FIELDS[i]
    fitted(settled(page, shapes=len(FIELDS)), [[south, west], [north, east]])
    expect(settled(page, shapes=len(FIELDS)).locator("path[stroke-width='5']")).to_have_count(1)


#: The table's column of review statuses, from the cells the data grid keeps for screen readers
#: (inside its canvas: not visible, so not found by role).
REVIEW_COLUMN = """(table) => {
    const heads = [...table.querySelectorAll("th[role=columnheader]")].map(h => h.textContent);
    const column = heads.indexOf("review") + 1;
    return [...table.querySelectorAll(`td[role=gridcell][aria-colindex="${column}"]`)]
        .map(c => c.textContent);
}"""


def table_shows(page: Page, statuses: list[str]) -> None:
    """Wait until the table's review column reads ``statuses``, in the set's order."""
    table = page.get_by_test_id("stDataFrame")
    last: list[str] = []

    def shown() -> bool:
        last[:] = table.evaluate(REVIEW_COLUMN)
        return last == statuses

    poll(page, shown, lambda: f"the table's review column reads {last}, not {statuses}")


#: Each polygon's outline on the label map, by id: [colour, dash pattern (null: solid)], read from
#: the Leaflet layers the map holds (``webmap.label_layers``); null for a polygon it lacks.
OUTLINES = """(ids) => ids.map((id) => {
    const layer = (window.labelLayers || {})[id];
    return layer ? [layer.options.color, layer.options.dashArray || null] : null;
})"""


def map_shows(page: Page, ids: list[str], wanted: list[list[str | None]]) -> None:
    """Wait until the label map on screen outlines the polygons ``ids`` as ``wanted``; the map
    is the one that was there (updated in place, not built anew: it keeps the mark
    :func:`mark_map` left)."""
    frame, last = map_frame(page), []

    def shown() -> bool:
        last[:] = [frame.evaluate("() => !!window.__reviewMark"), frame.evaluate(OUTLINES, ids)]
        return last == [True, wanted]

    poll(page, shown, lambda: f"the map (marked, outlines) shows {last}, not {wanted}")


def mark_map(page: Page) -> None:
    """Mark the label map's window: a map built anew has lost the mark."""
    map_frame(page).evaluate("() => { window.__reviewMark = true; }")


def test_a_reviewer_walks_accepts_and_rejects_and_others_only_see(
    reviewed_app, browser_page: Page, tmp_path: Path, demo_scene: Path
):
    page, on_disk = browser_page, tmp_path / "labels" / "trial.geojson"
    address = f"scene={demo_scene.stem}&area={','.join(map(str, AREA))}&set=trial"
    page.goto(f"{reviewed_app}/label?{address}")
    sign_in(page, "rita")
    expect(page.get_by_text("Review: 3 draft, 0 accepted, 0 rejected.")).to_be_visible()
    table_shows(page, ["draft"] * 3)

    settled(page, shapes=len(FIELDS))  # the map has fitted its view and reported it
    page.get_by_role("button", name=NEXT_UNREVIEWED).click()
    walked_to(page, 0)
    ids = [f["id"] for f in json.loads(on_disk.read_text())["features"]]
    colour = map_frame(page).evaluate(OUTLINES, ids)[0][0]  # the class's
    draft, accepted = [colour, REVIEW_OUTLINES["draft"]["dashArray"]], [colour, None]
    assert draft[1] and REVIEW_OUTLINES["accepted"]["dashArray"] is None  # dashed, then solid
    mark_map(page)
    map_shows(page, ids, [draft] * 3)
    expect(page.get_by_role("button", name=ACCEPT)).to_be_visible()
    page.keyboard.press("a")
    expect(page.get_by_text("1 polygon accepted")).to_be_visible(timeout=30_000)
    assert reviews(on_disk)[0] == ("accepted", None, "rita")
    table_shows(page, ["accepted", "draft", "draft"])
    map_shows(page, ids, [accepted, draft, draft])

    wait_idle(page)
    page.keyboard.press("n")  # the key walks on, past the accepted one
    walked_to(page, 1)
    page.keyboard.press("r")
    expect(page.get_by_text("give the reason for rejecting")).to_be_visible(timeout=30_000)
    assert reviews(on_disk)[1] == ("draft", None, None)
    reason, why = page.get_by_role("textbox", name=REASON), WHY
    reason.fill(why)
    reason.press("Enter")  # the value reaches the page before the button is pressed
    wait_idle(page)
    reason.press("r")  # in the field, a letter of the reason: nothing rejected
    expect(reason).to_have_value(why + "r")
    wait_idle(page)
    assert reviews(on_disk)[1] == ("draft", None, None)
    reason.press("Backspace")
    reason.press("Tab")  # out of the field: the key is a shortcut again
    mark_map(page)
    page.keyboard.press("r")
    expect(page.get_by_text("1 polygon rejected")).to_be_visible(timeout=30_000)
    assert reviews(on_disk)[1] == ("rejected", why, "rita")
    expect(page.get_by_text("Review: 1 draft, 1 accepted, 1 rejected.")).to_be_visible()
    table_shows(page, ["accepted", "rejected", "draft"])
    rejected = REVIEW_OUTLINES["rejected"]
    assert rejected["color"] != colour and rejected["dashArray"]  # dashed, not the class's colour
    map_shows(page, ids, [accepted, [rejected["color"], rejected["dashArray"]], draft])

    # Ben signs in: he sees the statuses and walks the set, but has no Accept or Reject.
    wait_idle(page)
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "ben")
    table_shows(page, ["accepted", "rejected", "draft"])
    settled(page, shapes=len(FIELDS))
    page.get_by_role("button", name=NEXT_UNREVIEWED).click()
    walked_to(page, 2)
    expect(page.get_by_text(NOT_A_REVIEWER)).to_be_visible()
    expect(page.get_by_role("button", name=ACCEPT)).to_have_count(0)
    expect(page.get_by_role("button", name=REJECT)).to_have_count(0)
    page.keyboard.press("a")  # the keys press nothing
    page.keyboard.press("r")
    wait_idle(page)
    assert [r[0] for r in reviews(on_disk)] == ["accepted", "rejected", "draft"]
