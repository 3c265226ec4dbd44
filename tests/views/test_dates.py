"""The Label page's other date: offered only when the catalogue holds one of the same ground, read
on the area's grid when chosen, kept in the page's address, and the date a drawing records taken
only from the two shown."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import shape

from imagery.local import scenes_in_file
from imagery.read import read_area
from tests.conftest import write_tif
from tests.labels.test_suggest import FIELDS, ORIGIN, farmland, iou, lonlat, sown_alike
from tests.views.test_pages import AREA, page
from views.dates import BOTH, OTHER_DATE, drawn_on
from views.markdown import plain
from views.suggesting import ACCEPT, LARGER, SMALLER
from webmap.dates import TwoDates
from webmap.render import Overlay


def two_date_area(monkeypatch, tmp_path: Path) -> tuple[Path, str]:
    """A two-date file among the local scenes, and an area of its first date as the address
    says it."""
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    rng = np.random.default_rng(5)
    path = write_tif(scenes / "two.tif", rng.integers(300, 4000, (8, 40, 40)).astype(np.uint16),
                     descriptions=None)  # fmt: skip
    monkeypatch.setenv("SCENES_DIR", str(scenes))
    west, south, east, north = shape(scenes_in_file(path)[0].footprint).bounds
    return path, ",".join(map(str, (west + 0.001, south + 0.001, east - 0.001, north - 0.001)))


def test_the_other_date_is_offered_read_on_the_area_and_left_out_of_suggestions_at_first(
    env, monkeypatch, tmp_path: Path
):
    path, area = two_date_area(monkeypatch, tmp_path)
    second = scenes_in_file(path)[1]
    at = page("label")
    at.query_params.update(scene="two#1", area=area, annotator="ana")
    at.run()
    assert not at.exception
    [choice] = [s for s in at.selectbox if s.label == OTHER_DATE]
    assert choice.options == ["none", "two#2"] and choice.value == ""
    assert not [c for c in at.checkbox if c.label == BOTH]  # nothing to suggest from yet
    choice.set_value("two#2").run()
    assert not at.exception
    [both] = [c for c in at.checkbox if c.label == BOTH]
    assert both.value is False
    held = at.session_state["other_date"]["read"]["two#2"]
    expected = read_area(second, tuple(float(v) for v in area.split(",")))
    assert held.raster.transform == at.session_state["original"].transform
    np.testing.assert_array_equal(held.raster.data, expected.data)


def test_no_other_date_no_choice(env, demo_scene: Path):
    at = page("label")
    for key, value in {
        "scene": scenes_in_file(demo_scene)[0],
        "original": read_area(scenes_in_file(demo_scene)[0], AREA),
        "area": AREA,
    }.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception
    assert not [s for s in at.selectbox if s.label == OTHER_DATE]


def test_a_drawing_records_only_a_date_the_map_showed():
    dates = TwoDates(Overlay(b"", [[0, 0], [1, 1]]), ("a", "b"), ("two#1", "two#2"))
    drawn = {"type": "Feature", "geometry": None, "properties": {"date_shown": "two#2"}}
    saved = {"type": "Feature", "geometry": None, "properties": {"id": "x", "date_shown": "two#1"}}
    assert drawn_on([saved, drawn], dates) == "two#2"  # the new drawing's, not the saved one's
    assert drawn_on([drawn], None) is None  # one date on the map: nothing to record
    forged = {"type": "Feature", "geometry": None, "properties": {"date_shown": "<b>x</b>"}}
    assert drawn_on([forged], dates) is None
    assert drawn_on(None, dates) is None


def test_suggest_from_both_dates_finds_a_border_seen_only_on_the_other_date(
    env, monkeypatch, tmp_path: Path
):
    """Two neighbours sown alike on the loaded date, apart on the other: a click between them
    proposes both as one field, and with *Suggest from both dates* the clicked one alone."""
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    first, later = sown_alike(farmland()), farmland()
    dn = np.round(np.concatenate([first.data, later.data]) * 10_000).astype(np.uint16)
    write_tif(scenes / "two.tif", dn, origin=ORIGIN, descriptions=None)
    monkeypatch.setenv("SCENES_DIR", str(scenes))
    [scene, _] = scenes_in_file(scenes / "two.tif")
    at = page("label")
    area = ",".join(map(str, shape(scene.footprint).bounds))
    at.query_params.update(scene="two#1", area=area, annotator="ana", suggest="1")
    at.run()
    [choice] = [s for s in at.selectbox if s.label == OTHER_DATE]
    choice.set_value("two#2").run()
    lon, lat = lonlat(first, 60, 50)
    proposed = []
    for both in (False, True):
        [box] = [c for c in at.checkbox if c.label == BOTH]
        box.set_value(both).run()
        state = at.session_state["label_page"]
        at.session_state[state.map_key] = {"last_clicked": {"lat": lat, "lng": lon + both * 1e-9}}
        at.run()
        assert not at.exception
        proposed.append(at.session_state["label_page"].proposal)
    assert iou(proposed[0], first, (31, 80, 36, 120)) > 0.9  # the loaded date alone: one field
    assert iou(proposed[1], first, FIELDS[3]) > 0.9  # with the other date: the clicked one
    [box] = [c for c in at.checkbox if c.label == BOTH]
    box.set_value(False).run()  # an outline found with the other date is not stepped without it
    assert at.session_state["label_page"].proposal is None
    assert "click again" in at.session_state["label_page"].status
    assert all(b.disabled for b in at.button if b.label in (LARGER, SMALLER, ACCEPT))


def test_an_other_date_that_cannot_be_read_is_said_once_and_the_page_goes_on(
    env, monkeypatch, tmp_path: Path
):
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    rng = np.random.default_rng(6)
    tags = {"TILE_ID": "T33UUP"}
    for name in ("a", "b"):
        dn = rng.integers(300, 4000, (4, 40, 40)).astype(np.uint16)
        write_tif(scenes / f"{name}.tif", dn, tags=tags)
    monkeypatch.setenv("SCENES_DIR", str(scenes))
    [scene] = scenes_in_file(scenes / "a.tif")
    at = page("label")
    area = ",".join(map(str, shape(scene.footprint).buffer(-0.001).bounds))
    at.query_params.update(scene="a", area=area, annotator="ana")
    at.run()
    (scenes / "b.tif").unlink()  # gone since the catalogue was read
    [choice] = [s for s in at.selectbox if s.label == OTHER_DATE]
    choice.set_value("b").run()
    assert not at.exception
    assert [e.value for e in at.error] == [plain(at.session_state["other_date"]["read"]["b"])]
    assert "The other date cannot be read" in at.error[0].value
    assert not [c for c in at.checkbox if c.label == BOTH]
    at.run()  # still said on the next run, once
    assert len(at.error) == 1


def address(at) -> dict[str, str]:
    return {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}


def test_the_other_date_comes_back_with_the_address_and_none_takes_it_out(
    env, monkeypatch, tmp_path: Path
):
    at = page("label")
    at.query_params.update(
        scene="two#1", area=two_date_area(monkeypatch, tmp_path)[1], annotator="ana"
    )
    at.run()
    [choice] = [s for s in at.selectbox if s.label == OTHER_DATE]
    choice.set_value("two#2").run()
    assert address(at)["other"] == "two#2"

    reloaded = page("label")  # a reload: a new session with the same address
    reloaded.query_params.update(address(at))
    reloaded.run()
    assert not reloaded.exception and not reloaded.warning
    [choice] = [s for s in reloaded.selectbox if s.label == OTHER_DATE]
    assert choice.value == "two#2"
    assert [c for c in reloaded.checkbox if c.label == BOTH]  # read: the map has both dates
    assert reloaded.session_state["other_date"]["read"]["two#2"].scene.id == "two#2"
    reloaded.switch_page("views/pages/sets.py").run()  # kept while on another page
    assert address(reloaded)["other"] == "two#2"
    reloaded.switch_page("views/pages/label.py").run()
    [choice] = [s for s in reloaded.selectbox if s.label == OTHER_DATE]
    assert choice.value == "two#2"

    choice.set_value("").run()  # none
    assert not reloaded.exception
    assert "other" not in address(reloaded)


@pytest.mark.parametrize("other", ["two#1", "two#9", "<b>x</b>"])
def test_an_other_date_the_scene_does_not_have_is_not_restored_and_leaves_the_address(
    env, monkeypatch, tmp_path: Path, other: str
):
    at = page("label")
    at.query_params.update(
        scene="two#1", area=two_date_area(monkeypatch, tmp_path)[1], annotator="ana", other=other
    )
    at.run()
    assert not at.exception and not at.error and not at.warning
    [choice] = [s for s in at.selectbox if s.label == OTHER_DATE]
    assert choice.value == ""  # none
    assert "other" not in address(at)
    assert at.session_state["original"] is not None  # the area itself came back
