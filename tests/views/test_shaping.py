"""The Label page's selection on the map (views.shaping), without Streamlit: clicks in select
mode toggle the polygon under them, in the order picked, after the table's rows."""

from __future__ import annotations

import pytest
from shapely.geometry import box, mapping

from labels.features import new_feature
from views import shaping
from views.label_state import LabelPageState


@pytest.fixture(autouse=True)
def session(monkeypatch):
    monkeypatch.setattr(shaping.st, "session_state", {})


def field(west: float, crop: str = "maize") -> dict:
    return new_feature(
        mapping(box(west, 52.476, west + 0.002, 52.478)), crop, "ana", "d", "original"
    )


def click(lon: float, n: int = 0) -> dict:
    return {"lng": lon, "lat": 52.477 + n * 1e-6}


def ids(features: list[dict]) -> list[str]:
    return [f["id"] for f in features]


def test_clicks_toggle_the_polygon_under_them_in_the_order_picked():
    a, b = field(12.591), field(12.593)
    shown, state = {"features": [a, b]}, LabelPageState()
    assert shaping.selection(state, shown, "s", None) == []
    assert ids(shaping.selection(state, shown, "s", click(12.594))) == [b["id"]]
    assert ids(shaping.selection(state, shown, "s", click(12.594))) == [b["id"]]  # read once
    assert ids(shaping.selection(state, shown, "s", click(12.592))) == [b["id"], a["id"]]
    assert ids(shaping.selection(state, shown, "s", click(12.5945, 1))) == [a["id"]]  # off again
    assert ids(shaping.selection(state, shown, "s", click(12.6))) == [a["id"]]  # on no polygon
    state.remount()  # a map built anew: the same point clicked again is a new click
    assert shaping.selection(state, shown, "s", click(12.5945, 1)) == [a, b]


def test_the_tables_rows_come_first_and_gone_polygons_or_another_set_drop_out():
    a, b, c = field(12.591), field(12.593), field(12.595)
    shown, state = {"features": [a, b, c]}, LabelPageState()
    shaping.selection(state, shown, "s", click(12.596))
    shaping.selection(state, shown, "s", click(12.594))
    state.zoom((0, 1))  # rows a and b chosen in the table
    assert ids(shaping.selection(state, shown, "s", None)) == [a["id"], b["id"], c["id"]]
    state.zoom(())
    assert ids(shaping.with_picks([], [a, b])) == [b["id"]]  # c deleted meanwhile
    assert shaping.selection(state, {"features": [a, b]}, "other", None) == []


def test_the_selection_is_described_with_class_names_as_text():
    one = shaping.describe([field(12.591, "<b>maize</b>")])
    assert "<b>" not in one and "split" in one and "hole" in one
    assert shaping.describe([field(12.591), field(12.593, "wheat")]).startswith(
        "2 selected (maize, wheat): merge"
    )
