"""The address codec: working state to query parameters and back, and what is left out why."""

from __future__ import annotations

import pytest

from views.address import Address, Made, decode, encode, usable_area, usable_view

PIPELINES, PRESETS = ("bicubic", "dip"), ("fast", "quality")
AREA = (12.59, 52.475, 12.6, 52.48)


def test_the_working_state_comes_back_from_its_address():
    address = Address(
        scene="S2A_T33UUU",
        source="stac",
        area=AREA,
        made=Made("dip", "quality", consistent=False),
        coming=Made("bicubic"),
        other="S2A_T33UUU_20240801",
        label_set="été fields",
        view=([52.4775, 12.595], 15),
        annotator="ana",
        crop_class="sugar beet",
        suggest=True,
    )
    params = encode(address)
    assert params == {
        "scene": "S2A_T33UUU",
        "source": "stac",
        "area": "12.590000,52.475000,12.600000,52.480000",
        "pipeline": "dip",
        "preset": "quality",
        "consistent": "0",
        "next": "bicubic,,1",
        "other": "S2A_T33UUU_20240801",
        "set": "été fields",
        "view": "52.477500,12.595000,15",
        "annotator": "ana",
        "class": "sugar beet",
        "suggest": "1",
    }
    assert decode(params, PIPELINES, PRESETS) == (address, {})


def test_an_enhancement_on_its_way_that_the_app_does_not_know_is_left_out():
    params = encode(Address(scene="demo", area=AREA, made=Made("dip"), coming=Made("dip")))
    for bad in ("esrgan,,1", "dip,slow,1", "dip", "dip,fast,1,x"):
        address, left_out = decode({**params, "next": bad}, PIPELINES, PRESETS)
        assert address.coming is None and address.made == Made("dip") and not left_out


def test_a_local_scene_and_a_consistent_enhancement_are_the_defaults_and_left_unwritten():
    params = encode(Address(scene="demo", area=AREA, made=Made("bicubic")))
    assert set(params) == {"scene", "area", "pipeline"}
    address, left_out = decode(params, PIPELINES, PRESETS)
    assert address.source == "local" and address.made == Made("bicubic", None, True)
    assert not left_out


def test_a_scene_without_its_area_and_an_enhancement_without_both_are_not_written():
    assert encode(Address(scene="demo", made=Made("bicubic"), other="demo#2")) == {}
    assert encode(Address(label_set="trial")) == {"set": "trial"}


@pytest.mark.parametrize(
    "area",
    [
        "-inf,-inf,inf,inf",
        "-1e308,-1e308,1e308,1e308",
        "12.6,52.48,12.59,52.475",
        "1,2,3",
        "a,b,c,d",
    ],
)
def test_an_area_that_is_not_four_numbers_in_range_is_left_out_and_said(area):
    address, left_out = decode({"scene": "demo", "area": area}, PIPELINES, PRESETS)
    assert address.area is None
    assert left_out == {
        "area": "The address holds an area that is not four numbers west, south, east, north "
        "in degrees (west < east within -180..180, south < north within -90..90); pick it again."
    }


@pytest.mark.parametrize("name", ["../../etc/passwd", ".hidden", "x" * 81, "trial."])
def test_a_set_name_the_store_refuses_is_left_out_and_said(name):
    address, left_out = decode({"set": name}, PIPELINES, PRESETS)
    assert address.label_set is None
    assert left_out["set"].startswith("The label set in the address was left out: ")
    assert "is not a usable label set name" in left_out["set"]


@pytest.mark.parametrize("view", ["nan,12,15", "52,12,99", "91,0,3", "52,12", "a,b,c"])
def test_a_view_that_is_not_latitude_longitude_and_zoom_is_left_out_and_said(view):
    address, left_out = decode({"view": view}, PIPELINES, PRESETS)
    assert address.view is None
    assert "not latitude, longitude and zoom (0-" in left_out["view"]


@pytest.mark.parametrize(
    "params", [{"pipeline": "magic"}, {"pipeline": "dip", "preset": "huge"}, {"preset": "fast"}]
)
def test_an_enhancement_this_app_does_not_know_is_left_out_silently(params):
    address, left_out = decode({"scene": "demo", "area": "1,2,3,4", **params}, PIPELINES, PRESETS)
    assert address.made is None and address.area == (1.0, 2.0, 3.0, 4.0) and not left_out


def test_an_annotator_is_cut_to_80_characters_and_an_empty_one_is_none():
    assert decode({"annotator": "a" * 100}, PIPELINES, PRESETS)[0].annotator == "a" * 80
    assert decode({"annotator": ""}, PIPELINES, PRESETS)[0].annotator is None


def test_usable_area_and_view_take_numbers_in_range_only():
    assert usable_area(["12.5", 52, "12.6", 52.1]) == (12.5, 52.0, 12.6, 52.1)
    assert usable_area([0, 0, 0, 1]) is None and usable_area(None) is None
    assert usable_view("52.5,12.5,14.9") == ([52.5, 12.5], 14)
    assert usable_view("") is None
