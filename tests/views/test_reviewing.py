"""The review on the Label page, headless with AppTest: walking the set, accepting and rejecting
the selected polygon, the reviewer role with the login on, the counts on Statistics, and the
legend of the map's review outlines."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from shapely.geometry import box, mapping
from streamlit.testing.v1 import AppTest

import access
from imagery.local import scenes_in_file
from imagery.read import read_area
from labels.features import new_feature
from labels.store import LabelStore
from tests.views.test_pages import AREA, page, texts
from views.reviewing import (
    ACCEPT,
    NEXT_UNLABELLED,
    NEXT_UNREVIEWED,
    NOT_A_REVIEWER,
    REASON,
    REJECT,
    outlines_legend,
)
from webmap.label_layers import REVIEW_OUTLINES

HASH = access.hash_password("correct horse")


@pytest.fixture
def trial(env: Path, demo_scene: Path) -> LabelStore:
    """Set ``trial`` on the demo scene: three maize fields in a row, then one imported with a
    class the set does not list."""
    grid = read_area(scenes_in_file(demo_scene)[0], AREA).grid
    fields = [
        new_feature(mapping(box(x, 52.476, x + 0.002, 52.478)), "maize", "ana", "d", "original")
        for x in (12.591, 12.594, 12.597)
    ]
    fields.append(
        new_feature(mapping(box(12.591, 52.4785, 12.593, 52.4795)), "3", "imp", "d", "original")
    )
    store = LabelStore(env / "labels")
    store.apply("trial", fields, info={"scene_id": "d", "grid": grid})
    return store


def label_page(demo_scene: Path, secrets: dict | None = None) -> AppTest:
    at = page("label")
    if secrets:
        at.secrets["login"] = secrets
    [scene] = scenes_in_file(demo_scene)
    for key, value in {
        "scene": scene,
        "original": read_area(scene, AREA),
        "area": AREA,
        "label_set": "trial",
        "annotator": "rita",
    }.items():
        at.session_state[key] = value
    return at.run()


def button(at: AppTest, label: str):
    [found] = [b for b in at.button if b.label == label]
    return found


def table(at: AppTest):
    [polygons] = [t.value for t in at.dataframe if "review" in t.value.columns]
    return polygons


def selected(at: AppTest) -> list[int]:
    [key] = [k for k in at.session_state if str(k).startswith("label_table_")]
    return list(at.session_state[key]["selection"]["rows"])


def reviews(store: LabelStore) -> list[tuple[str, str | None]]:
    data = json.loads(store.path("trial").read_text())
    return [(f["properties"]["review"], f["properties"]["review_reason"]) for f in data["features"]]


def test_a_reviewer_walks_the_set_accepts_and_rejects_with_a_reason(trial, demo_scene):
    at = label_page(demo_scene)
    assert not at.exception
    assert list(table(at)["review"]) == ["draft"] * 4
    assert "Review: 4 draft, 0 accepted, 0 rejected." in texts(at)
    assert not [b for b in at.button if b.label in (ACCEPT, REJECT)]  # nothing selected yet

    button(at, NEXT_UNREVIEWED).click().run()
    assert selected(at) == [0]
    state = at.session_state["label_page"]  # the map on screen moves to it, drawn bold
    assert state.zoomed == (0,)
    assert "Review: draft, not reviewed yet." in texts(at)
    button(at, ACCEPT).click().run()
    assert not at.exception
    assert reviews(trial)[0] == ("accepted", None)
    assert "1 polygon accepted" in texts(at)

    button(at, NEXT_UNREVIEWED).click().run()
    assert selected(at) == [1]
    button(at, REJECT).click().run()  # no reason: refused, nothing saved
    assert any("reason for rejecting" in e.value for e in at.error)
    assert reviews(trial)[1] == ("draft", None)
    [reason] = [t for t in at.text_input if t.label == REASON]
    reason.input("cuts the *farm track*")
    button(at, REJECT).click().run()
    assert reviews(trial)[1] == ("rejected", "cuts the *farm track*")
    assert list(table(at)["review"]) == ["accepted", "rejected", "draft", "draft"]
    assert list(table(at)["reason"])[1] == "cuts the *farm track*"
    assert "Review: rejected by rita" in texts(at) and "\\*farm track\\*" in texts(at)

    [undo] = [b for b in at.button if "Undo" in b.label]  # a review is undone like any change
    undo.click().run()
    assert reviews(trial)[1] == ("draft", None)


def test_next_walks_round_the_set_and_says_when_there_is_none(trial, demo_scene):
    at = label_page(demo_scene)
    button(at, NEXT_UNLABELLED).click().run()
    assert selected(at) == [3]  # class "3" is not in the set's list
    button(at, NEXT_UNLABELLED).click().run()
    assert "This is the only unlabelled polygon left." in texts(at)
    button(at, NEXT_UNREVIEWED).click().run()
    assert selected(at) == [0]  # after the last one: round to the first
    done = [
        {**f, "properties": {**f["properties"], "review": "accepted"}}
        for f in trial.load("trial")["features"]
    ]
    trial.apply("trial", done)
    at = label_page(demo_scene)
    button(at, NEXT_UNREVIEWED).click().run()
    assert "No unreviewed polygon in this set." in texts(at)


@pytest.mark.parametrize(
    ("reviewers", "may"), [([], False), (["ben"], False), (["rita"], True), ("rita", True)]
)
def test_with_login_on_only_listed_reviewers_accept_or_reject(trial, demo_scene, reviewers, may):
    login = {"users": {"rita": HASH}, "reviewers": reviewers}
    at = label_page(demo_scene, login)
    at.session_state["signed_in"] = "rita"
    at.run()
    assert not at.exception
    button(at, NEXT_UNREVIEWED).click().run()  # everyone may walk the set and see the status
    assert selected(at) == [0] and "Review: draft, not reviewed yet." in texts(at)
    offered = [b.label for b in at.button if b.label in (ACCEPT, REJECT)]
    assert offered == ([ACCEPT, REJECT] if may else [])
    assert (NOT_A_REVIEWER in texts(at)) is not may


def test_statistics_count_the_polygons_per_review_status(trial, env):
    data = trial.load("trial")
    first = data["features"][0]
    trial.apply("trial", [{**first, "properties": {**first["properties"], "review": "accepted"}}])
    at = page("stats").run()
    [review] = [t.value for t in at.dataframe if "status" in t.value.columns]
    assert dict(zip(review["status"], review["fields"], strict=True)) == {
        "draft": 3,
        "accepted": 1,
        "rejected": 0,
    }


def test_the_legend_shows_each_review_status_outlined_as_the_map_draws_it():
    samples = {
        verdict: (style, colour)
        for style, colour, verdict in re.findall(
            r'<span style="border:\d+px (\w+) (#\w+);[^"]*">(\w+)</span>', outlines_legend()
        )
    }
    assert list(samples) == ["accepted", "draft", "rejected"]
    assert samples["accepted"][0] == "solid" and samples["draft"][0] == "dashed"
    assert samples["rejected"] == ("dashed", REVIEW_OUTLINES["rejected"]["color"])
    assert samples["accepted"][1] == samples["draft"][1] != samples["rejected"][1]


def test_undo_and_redo_show_their_result_and_each_other_at_once(trial, demo_scene):
    """One run of the page per press: the set reverted, and both buttons as the stacks are."""
    at = label_page(demo_scene)
    button(at, NEXT_UNREVIEWED).click().run()
    button(at, ACCEPT).click().run()

    def shown() -> tuple[str, str, bool, bool]:
        return (
            reviews(trial)[0][0],
            table(at)["review"][0],
            button(at, "↶ Undo").disabled,
            button(at, "↷ Redo").disabled,
        )

    assert shown() == ("accepted", "accepted", False, True)
    button(at, "↶ Undo").click().run()
    assert shown() == ("draft", "draft", True, False) and "undone" in texts(at)
    button(at, "↷ Redo").click().run()
    assert shown() == ("accepted", "accepted", False, True) and "redone" in texts(at)
