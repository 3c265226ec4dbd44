"""The Statistics page's Agreement section, headless with AppTest."""

from __future__ import annotations

import pytest
from shapely.geometry import box, mapping

from labels.agreement import agreement, of_annotator
from labels.features import new_feature
from labels.store import LabelStore
from tests.views.test_pages import HOSTILE, page, saved_set, texts


def shown(at) -> dict[str, str]:
    """The Agreement section's metrics as the page shows them."""
    names = ["Matched", "Only in A", "Only in B", "Mean IoU", "Class agreement"]
    return {m.label: m.value for m in at.metric if m.label in names}


def test_agreement_of_two_annotators_of_the_set(env, demo_scene):
    store = saved_set(env, demo_scene)  # ana: maize and barley; ben: maize beside ana's
    over = mapping(box(12.5912, 52.476, 12.594, 52.478))  # ben's outline of ana's maize field
    far = mapping(box(12.599, 52.479, 12.5995, 52.4795))  # a name that is Markdown's image
    store.apply(
        "trial",
        [
            new_feature(over, "barley", "ben", "d", "original"),
            new_feature(far, "maize", HOSTILE, "d", "original"),
        ],
    )
    at = page("stats").run()
    assert not at.exception
    [compare] = [r for r in at.radio if r.label == "Compare"]
    assert compare.value == "Two annotators of this set"
    [who_a] = [s for s in at.selectbox if s.label == "Annotator A"]
    assert who_a.options == [HOSTILE, "ana", "ben"]  # as the table above lists them
    who_a.select("ana").run()
    [who_b] = [s for s in at.selectbox if s.label == "Annotator B"]
    who_b.select("ben").run()
    assert HOSTILE not in texts(at)  # in the boxes only, never as Markdown
    data = store.load("trial")
    iou = agreement(of_annotator(data, "ana"), of_annotator(data, "ben"))["mean_iou"]
    assert iou == pytest.approx(0.28 / 0.3, abs=0.01)  # in degrees 0.0028 over 0.003 wide
    assert shown(at) == {
        "Matched": "1",
        "Only in A": "1",  # ana's barley
        "Only in B": "1",  # ben's maize beside it
        "Mean IoU": f"{iou:.2f}",
        "Class agreement": "0%",  # maize against barley
    }
    who_b.select("ana").run()  # one annotator against herself
    assert shown(at)["Matched"] == "2" and shown(at)["Class agreement"] == "100%"


def test_agreement_of_this_set_and_another(env, demo_scene):
    store = saved_set(env, demo_scene)
    moved = mapping(box(12.5915, 52.476, 12.5945, 52.478))  # ana's maize, a sixth to the east
    other = "eve field work"
    LabelStore(env / "labels").apply(other, [new_feature(moved, "maize", "eve", "d", "original")])
    at = page("stats")
    at.session_state["label_set"] = "trial"
    at.run()
    [compare] = [r for r in at.radio if r.label == "Compare"]
    compare.set_value("This set (A) and another (B)").run()
    assert not at.exception
    [set_b] = [s for s in at.selectbox if s.label == "Set B"]
    assert set_b.value == other and set_b.options == [other]  # every set but A
    result = agreement(store.load("trial"), store.load(other))
    assert shown(at) == {
        "Matched": "1",
        "Only in A": "2",
        "Only in B": "0",
        "Mean IoU": f"{result['mean_iou']:.2f}",
        "Class agreement": "100%",
    }
    assert result["mean_iou"] == pytest.approx(5 / 7, abs=0.01)


def test_agreement_says_when_there_is_nothing_to_compare(env, demo_scene):
    field = mapping(box(12.591, 52.476, 12.594, 52.478))
    LabelStore(env / "labels").apply("solo", [new_feature(field, "maize", "ana", "d", "original")])
    at = page("stats").run()
    assert "Only one annotator has labelled this set." in texts(at)
    [compare] = [r for r in at.radio if r.label == "Compare"]
    compare.set_value("This set (A) and another (B)").run()
    assert not at.exception
    assert "There is no other label set." in texts(at)
    assert shown(at) == {}
    (env / "labels" / "broken.geojson").write_text("{oops")  # a set B that cannot be read
    at.session_state["label_set"] = "solo"  # A stays the set being labelled
    at.run()
    assert not at.exception
    [set_b] = [s for s in at.selectbox if s.label == "Set B"]
    assert set_b.value == "broken"
    assert "damaged and was kept" in texts(at) and shown(at) == {}
