"""The working state in the page's address: a reload or a shared link reopens the same place."""

from __future__ import annotations

import numpy as np
import pytest

from tests.views.test_pages import AREA, enhance_and_wait, page
from views.markdown import plain


def area_loaded_and_enhanced(pipeline: str, preset: str | None = None, wait: bool = True):
    """Draw (as the Area page stores it), load and enhance (``wait``: until the job has ended):
    what a user did before reloading."""
    at = page("area")
    at.session_state["area"] = AREA
    at.run()
    [load] = [b for b in at.button if b.label == "Load area"]
    load.click().run()
    at.switch_page("views/pages/enhance.py").run()
    at.selectbox[0].select(pipeline).run()
    if preset:
        at.radio[0].set_value(preset).run()
    if wait:
        enhance_and_wait(at)
    else:
        [go] = [b for b in at.button if b.label == "Enhance x4"]
        go.click().run()
    assert not at.exception
    return at


def test_the_address_holds_the_area_the_enhancement_the_set_and_the_annotator(env, demo_scene):
    at = area_loaded_and_enhanced("decrappify")
    at.sidebar.text_input[0].input("ana").run()
    at.session_state["label_set"] = "trial"
    at.run()
    params = dict(at.query_params)
    flat = {k: v[0] if isinstance(v, list) else v for k, v in params.items()}
    assert flat["scene"] == demo_scene.stem and flat["pipeline"] == "decrappify"
    assert [float(v) for v in flat["area"].split(",")] == list(AREA)
    assert flat["set"] == "trial" and flat["annotator"] == "ana"

    reopened = page("label")  # a reload: a new session with the same address
    for key, value in flat.items():
        reopened.query_params[key] = value
    reopened.run()
    assert not reopened.exception
    state = reopened.session_state
    assert state["scene"].id == demo_scene.stem and state["area"] == AREA
    assert np.array_equal(state["original"].data, at.session_state["original"].data, True)
    assert np.array_equal(state["enhanced"].data, at.session_state["enhanced"].data, True)
    assert state["pipeline"] == "decrappify" and state["label_set"] == "trial"
    assert state["annotator"] == "ana"


def test_a_reload_never_starts_a_deep_image_prior_fit(env, demo_scene):
    reopened = page("enhance")
    reopened.query_params.update(
        scene=demo_scene.stem, area=",".join(map(str, AREA)), pipeline="dip", preset="fast"
    )
    reopened.run()
    assert not reopened.exception
    assert reopened.session_state["original"] is not None
    assert reopened.session_state["enhanced"] is None
    assert any(plain("not in the cache: enhance it again") in w.value for w in reopened.warning)


def test_an_address_that_does_not_fit_says_so_and_opens_empty(env):
    reopened = page("area")
    reopened.query_params.update(scene="no such scene", area="1,2,3,4")
    reopened.run()
    assert not reopened.exception
    assert reopened.session_state["original"] is None
    assert any("not among the local scenes" in w.value for w in reopened.warning)


def test_a_sets_area_opens_from_the_label_sets_page(env, demo_scene):
    from labels.store import LabelStore

    LabelStore(env / "labels").apply(
        "trial", info={"scene_id": demo_scene.stem, "area_bbox": list(AREA)}
    )
    at = page("sets").run()
    [go] = [b for b in at.button if b.label == "Open this set's area"]
    go.click().run()
    assert not at.exception
    assert at.session_state["area"] == AREA and at.session_state["original"] is not None
    assert [t.value for t in at.title] == ["Label fields"]


def test_the_labelling_maps_view_comes_back_with_the_address(env, demo_scene):
    reopened = page("label")
    reopened.query_params.update(
        scene=demo_scene.stem,
        area=",".join(map(str, AREA)),
        annotator="ana",
        view="52.4775,12.595,17",
    )
    reopened.run()
    assert not reopened.exception
    assert reopened.session_state["label_page"].view == ([52.4775, 12.595], 17)
    params = {k: v[0] if isinstance(v, list) else v for k, v in reopened.query_params.items()}
    assert [float(v) for v in params["view"].split(",")] == [52.4775, 12.595, 17]  # kept there


def test_an_area_of_a_stac_acquisition_comes_back_from_the_catalogue(
    env, demo_scene, tmp_path, monkeypatch
):
    from tests.imagery.stac_server import demo_catalogue

    with demo_catalogue(tmp_path / "cogs", demo_scene) as server:
        monkeypatch.setenv("STAC_URL", server.url)
        reopened = page("label")
        reopened.query_params.update(
            scene="S2A_33UUU_20240614_0_L2A", source="stac", area=",".join(map(str, AREA))
        )
        reopened.run()
        assert not reopened.exception
        state = reopened.session_state
        assert state["scene"].id == "S2A_33UUU_20240614_0_L2A" and state["scene"].source == "stac"
        assert state["original"] is not None and state["area"] == AREA
        assert server.searches[-1]["ids"] == ["S2A_33UUU_20240614_0_L2A"]
    gone = page("label")  # the catalogue cannot be reached: said, and the page opens empty
    gone.query_params.update(scene="x", source="stac", area=",".join(map(str, AREA)))
    gone.run()
    assert any("cannot be found again" in w.value for w in gone.warning)
    assert gone.session_state["original"] is None


def test_a_reload_while_the_job_runs_waits_for_it(env, demo_scene, monkeypatch):
    import sr.dip
    from runs.service import manager

    endless = sr.dip.DipConfig(channels=8, scales=2, skip_channels=2, input_channels=8)
    monkeypatch.setitem(sr.dip.PRESETS, "fast", endless)
    at = area_loaded_and_enhanced("dip", wait=False)
    key = at.session_state["job"]
    address = {k: v[0] if isinstance(v, list) else v for k, v in dict(at.query_params).items()}
    assert address["pipeline"] == "dip" and address["preset"] == "fast"  # the job on its way

    reopened = page("enhance")  # a reload while it runs: the same address, a new session
    reopened.query_params.update(address)
    reopened.run()
    assert not reopened.exception
    assert reopened.session_state["job"] == key
    assert not reopened.warning  # not "not in the cache": it is on its way
    assert "Enhancing in the background" in "".join(i.value for i in reopened.info)
    manager().cancel(key)
    manager().wait(key)


def test_a_result_on_screen_stays_while_another_enhancement_runs_and_after_a_reload(
    env, demo_scene, monkeypatch
):
    # Issue 26, bug 5: a finished Decrappify result left "Draw on" and Compare while DIP ran.
    import sr.dip
    from runs.service import manager

    endless = sr.dip.DipConfig(channels=8, scales=2, skip_channels=2, input_channels=8)
    monkeypatch.setitem(sr.dip.PRESETS, "fast", endless)
    at = area_loaded_and_enhanced("decrappify")
    shown = at.session_state["enhanced"].data
    at.selectbox[0].select("dip").run()
    at.radio[0].set_value("fast").run()
    [go] = [b for b in at.button if b.label == "Enhance x4"]
    go.click().run()
    key = at.session_state["job"]
    assert np.array_equal(at.session_state["enhanced"].data, shown, True)
    address = {k: v[0] if isinstance(v, list) else v for k, v in dict(at.query_params).items()}
    assert address["pipeline"] == "decrappify" and address["next"] == "dip,fast,1"

    reopened = page("label")  # a reload while DIP runs
    reopened.query_params.update(address)
    reopened.run()
    assert not reopened.exception
    assert [w.value for w in reopened.warning if "Annotator" not in w.value] == []
    assert reopened.session_state["job"] == key  # still waited for
    assert reopened.session_state["pipeline"] == "decrappify"
    assert np.array_equal(reopened.session_state["enhanced"].data, shown, True)
    [draw_on] = [r for r in reopened.sidebar.radio if r.label == "Draw on"]
    assert draw_on.options == ["Enhanced", "Original"]
    manager().cancel(key)
    manager().wait(key)


AREA_RULE_SAID = "The address holds an area that is not four numbers west, south, east, north"
VIEW_SAID = "The address holds a map view that is not latitude, longitude and zoom"


@pytest.mark.parametrize(
    ("part", "said"),
    [
        ({"set": "../../etc/passwd"}, "The label set in the address was left out: '../../etc"),
        ({"area": "-inf,-inf,inf,inf"}, AREA_RULE_SAID),
        ({"area": "-1e308,-1e308,1e308,1e308"}, AREA_RULE_SAID),
        ({"area": "12.6,52.48,12.59,52.475"}, AREA_RULE_SAID),  # corners swapped
        ({"view": "nan,nan,5"}, VIEW_SAID),
        ({"view": "52.4775,12.595,inf"}, VIEW_SAID),
    ],
)
def test_an_unusable_part_of_the_address_is_left_out_with_one_warning(env, demo_scene, part, said):
    reopened = page("label")  # /label?scene=...&area=...&annotator=ana, one part replaced
    reopened.query_params.update(scene=demo_scene.stem, area=",".join(map(str, AREA)))
    reopened.query_params.update(annotator="ana", **part)
    reopened.run()
    assert not reopened.exception
    [warning] = reopened.warning
    assert warning.value.startswith(plain(said))
    state = reopened.session_state
    assert (state["original"] is None) == ("area" in part)  # the rest of the address is used
    assert state["label_set"] in (None, demo_scene.stem)  # never the refused name
    assert "map_view" not in state  # a view left out: the map opens on the area
    assert "label_page" not in state or state["label_page"].view is None


def test_a_second_area_opens_its_own_image_and_not_the_first_scenes_default_set():
    """Issue 26, bug 4: the labelling map fits the new image, and the old scene's default set
    is not opened on another scene; a set the annotator chose is kept. The other date chosen
    for the first area is none again."""
    from types import SimpleNamespace

    from views.label_state import LabelPageState
    from views.workspace import OTHER_KEY, default_set_name, replace_area

    first, second = SimpleNamespace(id="S2A first/scene"), SimpleNamespace(id="S2B_second")
    for chosen, kept in ((default_set_name(first), None), ("farm", "farm")):
        label_page = LabelPageState(view=([52.47, 12.59], 16))
        state = {"original": object(), "scene": first, "label_set": chosen}
        state |= {"label_page": label_page, "map_view": ([52.47, 12.59], 16), OTHER_KEY: "x#2"}
        rev = label_page.map_rev
        replace_area(state, second, AREA, object())
        assert state["label_set"] == kept and state["scene"] is second
        assert OTHER_KEY not in state
        assert label_page.view is None and label_page.map_rev == rev + 1  # fitted anew
        assert state["map_view"] is None
    fresh = {"original": None, "scene": None, "label_set": "from the address"}
    fresh["map_view"] = ([52.47, 12.59], 16)  # a new session's area keeps the address's
    fresh[OTHER_KEY] = "S2B_second#2"
    replace_area(fresh, second, AREA, object())
    assert fresh["label_set"] == "from the address" and fresh["map_view"] is not None
    assert fresh[OTHER_KEY] == "S2B_second#2"
