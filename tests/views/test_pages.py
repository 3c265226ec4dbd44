"""The pages, headless with AppTest (maps are unknown elements here; the browser test has them)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from shapely.geometry import box, mapping
from streamlit.testing.v1 import AppTest

from imagery.local import scenes_in_file
from imagery.read import read_area
from labels.features import new_feature
from labels.stats import areas
from runs.jobs import EnhanceRequest
from runs.service import manager
from sr.consistency import consistency
from sr.enhance import enhance
from tests.conftest import write_tif
from views.keys import CLASS_LABEL
from views.markdown import plain

AREA = (12.59, 52.475, 12.60, 52.48)
#: A name or id that, as Markdown, is an image another user's browser would fetch.
HOSTILE = "![t](http://127.0.0.1:9/x.png)"


def page(name: str) -> AppTest:
    """The app, opened on one of its pages (call ``run`` to render it)."""
    return AppTest.from_file("../../app.py", default_timeout=60).switch_page(
        f"views/pages/{name}.py"
    )


def texts(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("markdown", "success", "info", "warning", "error", "caption")
        for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


def enhance_and_wait(at: AppTest) -> None:
    """Press Enhance x4 and run the page again once the job has ended (as the panel does)."""
    [go] = [b for b in at.button if b.label == "Enhance x4"]
    go.click().run()
    for job in manager().jobs():
        manager().wait(job.key, timeout=300)
    at.run()


def test_area_page_without_scenes_says_what_to_do(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("SCENES_DIR", str(tmp_path))
    at = page("area").run()
    assert not at.exception
    assert "No local scene found" in texts(at)


def test_area_page_loads_the_drawn_area(env, demo_scene: Path):
    at = page("area")
    at.session_state["area"] = AREA
    at.run()
    assert at.selectbox[0].value.id == demo_scene.stem
    [load] = [b for b in at.button if b.label == "Load area"]
    load.click().run()
    assert not at.exception
    raster = at.session_state["original"]
    assert raster.data.shape[0] == 4 and raster.resolution == 10
    assert "Loaded" in texts(at)


def test_area_outside_every_scene_is_an_error(env):
    at = page("area")
    at.session_state["area"] = (2.0, 48.0, 2.05, 48.05)
    at.run()
    assert "No scene covers this area" in texts(at)


def test_enhance_page_asks_for_an_area_first(env):
    at = page("enhance").run()
    assert "Pick and load an area first" in texts(at)


def test_enhance_page_runs_bicubic_and_caches_it(env, demo_scene: Path):
    [scene] = scenes_in_file(demo_scene)
    at = page("enhance")
    at.session_state["scene"] = scene
    at.session_state["original"] = read_area(scene, AREA)
    at.run()
    assert at.selectbox[0].value == "decrappify"  # the default: learned, and quick on a CPU
    at.selectbox[0].select("bicubic").run()
    enhance_and_wait(at)
    assert not at.exception
    enhanced = at.session_state["enhanced"]
    assert enhanced.data.shape[1:] == tuple(
        4 * np.array(at.session_state["original"].data.shape[1:])
    )
    assert at.session_state["pipeline"] == "bicubic"
    assert "Enhanced with Bicubic" in texts(at)
    assert (
        at.session_state["consistency"].data.shape[1:]
        == at.session_state["original"].data.shape[1:]
    )
    assert len(list((env / "cache").glob("*.npz"))) == 1


def test_the_enhance_page_shows_how_the_result_on_screen_was_made(env, demo_scene: Path):
    """Issue 26, bug 5: with a DIP + Decrappify result on screen (after a reload, say), the
    boxes say so, so pressing Enhance x4 does not run another method."""
    [scene] = scenes_in_file(demo_scene)
    at = page("enhance")
    original = read_area(scene, AREA)
    shown = enhance(original)  # the pixels do not matter here
    for key, value in {
        "scene": scene,
        "original": original,
        "enhanced": shown,
        "consistency": consistency(original, shown),
        "pipeline": "dip+decrappify",
        "preset": "quality",
        "consistent": False,
    }.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception
    assert at.selectbox[0].value == "dip+decrappify"
    [preset] = [r for r in at.radio if r.label == "Preset"]
    assert preset.value == "quality"
    [consistent] = [c for c in at.checkbox if c.label.startswith("Faithful")]
    assert consistent.value is False


def test_label_page_needs_a_name_and_keeps_a_damaged_set(env, demo_scene: Path):
    [scene] = scenes_in_file(demo_scene)
    original = read_area(scene, AREA)
    labels = env / "labels"
    labels.mkdir()
    (labels / "bad.geojson").write_text("{oops")
    at = page("label")
    for key, value in {
        "scene": scene,
        "original": original,
        "area": AREA,
        "enhanced": enhance(original),
        "pipeline": "bicubic",
    }.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception
    assert "Enter your name as **Annotator**" in texts(at)
    assert [b.disabled for b in at.button if "Undo" in b.label or "Redo" in b.label] == [True] * 2
    [set_name] = [t for t in at.text_input if t.label == "Label set"]
    set_name.input("bad").run()
    assert "damaged and was kept" in texts(at)
    assert (labels / "bad.geojson").read_text() == "{oops"


def test_a_reload_keeps_the_class_and_the_suggest_mode(env, demo_scene: Path):
    """The class being drawn and click-a-field come back from the address (issue 26, bug 5),
    and stay in it while another page is open."""
    at = page("label")
    area = ",".join(map(str, AREA))
    at.query_params.update(
        scene=demo_scene.stem, area=area, set="field work", annotator="ana", **{"class": "maize"}
    )
    at.query_params["suggest"] = "1"
    at.run()
    assert not at.exception
    [crop] = [r for r in at.radio if r.label == CLASS_LABEL]
    [suggest] = [t for t in at.toggle if t.label.startswith("Suggest outlines")]
    assert crop.value == "maize" and suggest.value is True
    crop.set_value("barley").run()
    assert at.query_params["class"] == "barley" and at.query_params["suggest"] == "1"
    at.switch_page("views/pages/stats.py").run()
    assert at.query_params["class"] == "barley" and at.query_params["suggest"] == "1"
    at.switch_page("views/pages/label.py").run()
    [crop] = [r for r in at.radio if r.label == CLASS_LABEL]
    assert crop.value == "barley"


def enhance_page_with_small_dip(monkeypatch, demo_scene: Path, **config: int) -> AppTest:
    """The Enhance page on the demo area, the ``fast`` preset made small (and ``config``)."""
    import sr.dip

    small = sr.dip.DipConfig(channels=8, scales=2, skip_channels=2, input_channels=8, **config)
    monkeypatch.setitem(sr.dip.PRESETS, "fast", small)
    [scene] = scenes_in_file(demo_scene)
    at = page("enhance")
    for key, value in {"scene": scene, "area": AREA, "original": read_area(scene, AREA)}.items():
        at.session_state[key] = value
    return at.run()


def test_enhance_page_runs_dip_with_a_preset_and_offers_the_geotiff(env, demo_scene, monkeypatch):
    at = enhance_page_with_small_dip(monkeypatch, demo_scene, iterations=30, preview_every=10)
    at.selectbox[0].select("dip+decrappify").run()
    [preset] = [r for r in at.radio if r.label == "Preset"]
    assert preset.value == "fast" and not preset.disabled
    side = at.session_state["original"].width
    assert f"Deep Image Prior on this {side} x" in texts(at) and "on this machine" in texts(at)
    enhance_and_wait(at)
    assert not at.exception
    assert at.session_state["pipeline"] == "dip+decrappify"
    assert at.session_state["preset"] == "fast" and len(at.session_state["model_version"]) == 12
    text = texts(at)
    assert "preset fast" in text and "model " in text
    assert "Download the enhanced GeoTIFF" in str(at)


def test_a_true_colour_area_loads_and_enhances_without_near_infrared(env, demo_scene, monkeypatch):
    """An 8-bit TCI-style file (red, green, blue only): listed, loaded, enhanced, shown."""
    area = read_area(scenes_in_file(demo_scene)[0], AREA)
    tci = np.clip(np.round(area.data[:3] * 255 / 0.3), 1, 255).astype(np.uint8)
    origin = (area.transform.c, area.transform.f)
    write_tif(env / "scenes" / "tci.tif", tci, origin, descriptions=None, nodata=None)
    monkeypatch.setenv("SCENES_DIR", str(env / "scenes"))
    at = page("area")
    at.session_state["area"] = AREA
    at.run()
    assert at.selectbox[0].value.id == "tci"
    [load] = [b for b in at.button if b.label == "Load area"]
    load.click().run()
    assert not at.exception and "Loaded" in texts(at)
    assert at.session_state["original"].bands == ("B04", "B03", "B02")
    at.switch_page("views/pages/enhance.py").run()
    [colours] = [r for r in at.radio if r.label == "Colours"]
    assert colours.options == ["True colour"] and "needs near infrared" in colours.help
    enhance_and_wait(at)  # the default pipeline, Decrappify
    assert not at.exception
    assert at.session_state["enhanced"].bands == ("B04", "B03", "B02")
    assert "Enhanced with Decrappify" in texts(at)


def saved_set(env, demo_scene):
    from shapely.geometry import box, mapping

    from labels.features import new_feature
    from labels.store import LabelStore

    area = read_area(scenes_in_file(demo_scene)[0], AREA)
    grid = area.grid
    store = LabelStore(env / "labels")
    fields = [
        new_feature(mapping(box(12.591, 52.476, 12.594, 52.478)), "maize", "ana", "d", "original"),
        new_feature(mapping(box(12.595, 52.476, 12.598, 52.478)), "maize", "ben", "d", "original"),
        new_feature(
            mapping(box(12.591, 52.4785, 12.592, 52.4795)), "barley", "ana", "d", "original"
        ),
    ]
    store.apply("trial", fields, info={"scene_id": "d", "grid": grid})
    return store


def test_typing_a_sets_name_says_what_was_opened_and_warns_of_another_scene(env, demo_scene):
    """Issue 26, bug 4: opening an existing set by typing its name gave no word."""
    saved_set(env, demo_scene)  # "trial", made on scene "d"
    [scene] = scenes_in_file(demo_scene)
    at = page("label")
    for key, value in {"scene": scene, "original": read_area(scene, AREA), "area": AREA}.items():
        at.session_state[key] = value
    at.run()
    assert not at.sidebar.info  # the area's own default set: nothing typed
    [set_name] = [t for t in at.text_input if t.label == "Label set"]
    set_name.input("trial").run()
    [said] = [i.value for i in at.sidebar.info]
    assert "Opened the existing set “trial” (3 polygons)" in said
    assert "made on another scene (d)" in said
    at.run()
    [set_name] = [t for t in at.text_input if t.label == "Label set"]
    set_name.input("new fields").run()
    assert [i.value for i in at.sidebar.info] == [
        "New set “new fields”: it is saved with its first polygon."
    ]
    at.run()  # said once, not on every rerun
    assert not at.sidebar.info


def test_statistics_page_shows_area_per_crop_and_annotator(env, demo_scene):
    store = saved_set(env, demo_scene)
    at = page("stats").run()
    assert not at.exception
    tables = [t.value for t in at.dataframe]
    per_class = tables[0].set_index("crop class")
    assert list(per_class.index) == ["barley", "maize"]
    assert per_class.loc["maize", "fields"] == 2
    assert per_class.loc["maize", "hectares"] > 10 * per_class.loc["barley", "hectares"] / 3
    assert set(tables[1]["annotator"]) == {"ana", "ben"}
    assert [m.label for m in at.metric][:3] == ["Fields", "Labelled area", "Median field"]
    charts = [e for e in at.main if e.type == "vega_lite_chart"]
    by_class, sizes = [json.loads(e.proto.spec) for e in charts]
    bars = pa.ipc.open_stream(charts[0].proto.data.data).read_all().to_pylist()  # what is drawn
    assert {b["crop class"]: b["hectares"] for b in bars} == pytest.approx(
        dict(per_class["hectares"]), abs=0.01
    )
    scale = by_class["encoding"]["color"]["scale"]  # bars in the map's class colours
    assert dict(zip(scale["domain"], scale["range"], strict=True)) == {
        "barley": "#d95f02",
        "maize": "#1b9e77",
    }
    assert sizes["encoding"]["x"]["sort"] is None  # bins in size order, not sorted as text

    fourth = mapping(box(12.599, 52.476, 12.600, 52.477))  # an even count: the median is a mean
    store.apply("trial", [new_feature(fourth, "barley", "ben", "d", "original")])
    at = page("stats").run()
    ha = sorted(areas(store.load(store.names()[0])))
    [median] = [m.value for m in at.metric if m.label == "Median field"]
    assert median == f"{(ha[1] + ha[2]) / 2:.2f} ha" != f"{ha[2]:.2f} ha"


def test_sets_page_renames_deletes_and_offers_every_export(env, demo_scene):
    store = saved_set(env, demo_scene)
    at = page("sets").run()
    assert not at.exception
    assert "Mask, original grid (GeoTIFF)" in str(at) and "Shapefile (UTM, zip)" in str(at)
    assert "fiboa GeoParquet (WGS84)" in str(at)
    [new_name] = [t for t in at.text_input if t.label == "New name"]
    new_name.input("renamed").run()
    [rename] = [b for b in at.button if b.label == "Rename"]
    rename.click().run()
    assert store.names() == ["renamed"]
    [sure] = [c for c in at.checkbox if c.label.startswith("Yes, delete")]
    sure.check().run()
    [delete] = [b for b in at.button if b.label == "Delete set"]
    delete.click().run()
    assert store.names() == [] and len(list((env / "labels" / ".trash").glob("*.geojson"))) == 1


def test_sets_page_on_a_full_disk_says_so_and_keeps_the_set(env, demo_scene, monkeypatch):
    import errno

    import labels.setfile

    store = saved_set(env, demo_scene)
    before = store.path("trial").read_bytes()

    def disk_full(path, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(labels.setfile, "_write_atomic", disk_full)
    at = page("sets").run()
    [save] = [b for b in at.button if b.label == "Save classes"]
    save.click().run()
    assert not at.exception
    assert any("No space left on device" in e.value for e in at.error)
    [new] = [t for t in at.text_input if t.label == "Name of the new set"]
    new.input("second")  # in a form: the name goes with the click on Create
    [create] = [b for b in at.button if b.label == "Create"]
    create.click().run()
    assert not at.exception
    assert any(plain("could not be saved (No space left") in e.value for e in at.error)
    assert store.names() == ["trial"] and store.path("trial").read_bytes() == before


def test_a_job_started_on_enhance_finishes_while_the_user_labels(env, demo_scene, monkeypatch):
    at = enhance_page_with_small_dip(monkeypatch, demo_scene, iterations=200, preview_every=20)
    at.selectbox[0].select("dip").run()
    [go] = [b for b in at.button if b.label == "Enhance x4"]
    go.click().run()  # returns at once: the fit runs in the background
    assert not at.exception
    key = at.session_state["job"]
    assert at.session_state["enhanced"] is None
    assert "Enhancing in the background" in texts(at)
    assert "**Enhancement jobs**" in [m.value for m in at.sidebar.markdown]  # the panel
    assert [b for b in at.sidebar.button if b.label == "Cancel"]

    at.switch_page("views/pages/label.py").run()  # the user goes labelling meanwhile
    assert not at.exception
    assert at.session_state["job"] == key and at.session_state["enhanced"] is None
    assert "**Enhancement jobs**" in [m.value for m in at.sidebar.markdown]
    [image] = [r for r in at.sidebar.radio if r.label == "Draw on"]
    assert image.options == ["Original"]  # labelling on the original meanwhile
    job = manager().wait(key, timeout=300)
    assert job is not None and job.state == "done"
    at.run()  # the panel's next tick runs the page
    assert not at.exception
    assert at.session_state["enhanced"] is not None and at.session_state["pipeline"] == "dip"
    [image] = [r for r in at.sidebar.radio if r.label == "Draw on"]
    assert image.options == ["Enhanced", "Original"]  # the enhanced layer has appeared
    assert at.query_params["pipeline"] == "dip"


def test_cancel_in_the_panel_stops_the_job(env, demo_scene, monkeypatch):
    at = enhance_page_with_small_dip(monkeypatch, demo_scene)  # 2000 iterations: cancelled first
    at.selectbox[0].select("dip").run()
    [go] = [b for b in at.button if b.label == "Enhance x4"]
    go.click().run()
    key = at.session_state["job"]
    [cancel] = [b for b in at.sidebar.button if b.label == "Cancel"]
    cancel.click().run()
    job = manager().wait(key)
    assert job is not None and job.state == "cancelled"
    at.run()
    assert [w.value for w in at.warning if "cancelled" in w.value] == [
        "The enhancement was cancelled."  # once, not "cancelled: cancelled"
    ]
    assert at.session_state["enhanced"] is None


def test_two_sessions_asking_for_the_same_enhancement_share_one_job(env, demo_scene, monkeypatch):
    first = enhance_page_with_small_dip(monkeypatch, demo_scene, iterations=2000)
    second = enhance_page_with_small_dip(monkeypatch, demo_scene, iterations=2000)
    for at in (first, second):  # two users, the same area and pipeline
        at.selectbox[0].select("dip").run()
        [go] = [b for b in at.button if b.label == "Enhance x4"]
        go.click().run()
    key = first.session_state["job"]
    assert second.session_state["job"] == key
    assert [j.key for j in manager().jobs() if j.active] == [key]  # one computation
    manager().cancel(key)
    manager().wait(key)


def test_a_hostile_scene_id_in_the_address_is_warned_about_as_text(env):
    at = page("area")  # /area?scene=![t](http://127.0.0.1:9/x.png)&area=...
    at.query_params.update(scene=HOSTILE, area=",".join(map(str, AREA)))
    at.run()
    assert not at.exception
    [warning] = [w.value for w in at.warning]
    assert warning == plain(f"The scene {HOSTILE!r} is not among the local scenes.")
    assert "![t](" not in warning


def test_another_users_job_is_listed_with_their_name_as_text(env, demo_scene):
    [scene] = scenes_in_file(demo_scene)
    request = EnhanceRequest(read_area(scene, AREA), "bicubic", label=HOSTILE, by=HOSTILE)
    job = manager().wait(manager().submit(request).key)
    assert job is not None and job.state == "done"
    at = page("area").run()  # another session: the panel lists the job, ended just now
    assert not at.exception
    captions = [c.value for c in at.sidebar.caption]
    assert any(f"bicubic · by {plain(HOSTILE)}" in c for c in captions)
    assert not any("![t](" in c for c in captions)
    assert HOSTILE in [t.value for t in at.sidebar.text]  # the label, in plain text


def test_the_label_page_shows_class_names_as_text_and_refuses_a_bad_set_name(env, demo_scene):
    from labels.store import LabelStore

    store = LabelStore(env / "labels")
    store.apply("trial", info={"classes": {HOSTILE: "#ff0000", "<b>x</b>": "#00ff00"}})
    [scene] = scenes_in_file(demo_scene)
    at = page("label")
    for key, value in {
        "scene": scene,
        "original": read_area(scene, AREA),
        "area": AREA,
        "label_set": "trial",
    }.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception
    [classes] = [r for r in at.radio if r.label == CLASS_LABEL]
    assert classes.options == [f"1 {plain(HOSTILE)}", f"2 {plain('<b>x</b>')}"]
    [legend] = [m.value for m in at.sidebar.markdown if "<span" in m.value]  # raw HTML on
    assert plain(HOSTILE) in legend and "![t](" not in legend and "<b>" not in legend
    [set_name] = [t for t in at.text_input if t.label == "Label set"]
    set_name.input("../../etc/passwd").run()  # typed: refused before it reaches the store
    assert not at.exception
    assert any(plain("is not a usable label set name") in e.value for e in at.error)
    assert at.session_state["label_set"] == "trial" and store.names() == ["trial"]


def test_sets_page_with_more_classes_than_a_mask_holds_says_so_and_goes_on(env, demo_scene):
    from shapely.geometry import box, mapping

    from labels.features import new_feature

    store = saved_set(env, demo_scene)
    many = [
        new_feature(
            mapping(box(12.59 + i * 1e-5, 52.47, 12.59 + (i + 1) * 1e-5, 52.4701)),
            str(i),
            "ana",
            "d",
            "original",
        )
        for i in range(300)
    ]
    store.apply("trial", many)
    at = page("sets").run()
    assert not at.exception
    assert "a mask holds at most 255" in texts(at)
    assert {"Save classes", "Rename"} <= {b.label for b in at.button}  # the rest of the page
