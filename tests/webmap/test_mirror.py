"""What the label map on screen is sent: the whole set once per map built, then only what
changed (a save, an undo), with the revision each update applies to; what the user edited on the
map is sent again when the save leaves it as it was; a map that asks gets the whole set."""

from __future__ import annotations

from pathlib import Path

from labels.features import new_feature
from labels.store import LabelStore
from tests.webmap.test_maps import html, image
from webmap.maps import label_map, label_update
from webmap.mirror import RESYNC, MapMirror


def square(i: int) -> dict:
    lon, lat, d = 12.59 + i * 0.001, 52.475, 0.0005
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def ids(features: list[dict]) -> list[str]:
    return [f["id"] for f in features]


def a_set(tmp_path: Path, n: int = 3) -> tuple[LabelStore, list[dict]]:
    store = LabelStore(tmp_path / "labels")
    features = [new_feature(square(i), "wheat", "Ann", "S2", "original") for i in range(n)]
    return store, store.apply("s", features, who="Ann").data["features"]


def test_a_map_built_anew_gets_the_whole_set_once_then_nothing_until_it_changes(tmp_path):
    store, features = a_set(tmp_path)
    mirror = MapMirror()
    first = mirror.update(0, features)
    assert first.base is None and ids(first.upserts) == ids(features) and first.removed == []
    again = mirror.update(0, features)
    assert again is first  # the same update: the map runs nothing again
    rebuilt = mirror.update(1, features)  # a new generation of the map (another image, a mode)
    assert rebuilt.base is None and ids(rebuilt.upserts) == ids(features)
    assert rebuilt.rev > first.rev


def test_a_map_back_from_another_page_gets_the_whole_set_in_its_first_run(tmp_path):
    """A new frame holds nothing: an update of what changed would make it ask for the whole set,
    two runs later. Unchanged, the set goes as the very update sent before (the browser may
    still hold its bytes)."""
    store, features = a_set(tmp_path)
    mirror = MapMirror()
    whole = mirror.update(0, features)
    assert mirror.update(0, features, fresh=True) is whole  # unchanged since
    saved = store.apply("s", [new_feature(square(9), "maize", "Ann", "S2", "original")], who="Ann")
    changed = saved.data["features"]
    assert mirror.update(0, changed).base == whole.rev  # the change, to the map on screen
    anew = mirror.update(0, changed, fresh=True)  # then another page, and back
    assert anew.base is None and ids(anew.upserts) == ids(changed) and anew.rev > whole.rev


def test_after_a_save_only_the_added_and_edited_polygons_go_and_the_deleted_ids(tmp_path):
    store, features = a_set(tmp_path)
    mirror = MapMirror()
    whole = mirror.update(0, features)
    added = new_feature(square(9), "maize", "Ann", "S2", "original")
    edited = {**features[0], "geometry": square(5)}
    saved = store.apply("s", [added, edited], [features[1]["id"]], who="Ann")
    delta = mirror.update(0, saved.data["features"])
    assert delta.base == whole.rev and delta.rev == whole.rev + 1
    assert sorted(ids(delta.upserts)) == sorted([added["id"], features[0]["id"]])
    assert delta.removed == [features[1]["id"]]
    assert features[2]["id"] not in str(delta.as_json())  # unchanged: not sent

    # an undo brings back what was: the edited polygon as it was, the deleted one, the added
    # one removed; and nothing else
    undone = store.revert("s", saved.batch, who="Ann").data["features"]
    back = mirror.update(0, undone)
    assert back.base == delta.rev and back.rev == delta.rev + 1
    assert sorted(ids(back.upserts)) == sorted([features[0]["id"], features[1]["id"]])
    assert [f["geometry"] for f in back.upserts if f["id"] == features[0]["id"]] == [
        features[0]["geometry"]
    ]
    assert back.removed == [added["id"]]


def test_the_update_sent_to_the_map_holds_only_what_changed(tmp_path):
    store, features = a_set(tmp_path, n=20)
    mirror = MapMirror()
    m = label_map(image(), {"type": "FeatureCollection", "features": []}, {})
    mirror.update(0, features)
    edited = {**features[3], "properties": {**features[3]["properties"], "crop_class": "rye"}}
    delta = mirror.update(0, store.apply("s", [edited], who="Ann").data["features"])
    label_update(delta, {"rye": "#123456"}).add_to(m)
    page = html(m)
    assert features[3]["id"] in page
    assert not any(f["id"] in page for f in features if f["id"] != features[3]["id"])


def test_a_polygon_edited_on_the_map_but_not_saved_is_sent_back_as_it_is_in_the_set(tmp_path):
    _, features = a_set(tmp_path)
    mirror = MapMirror()
    mirror.update(0, features)
    mirror.touched([features[0]["id"]], [features[1]["id"]])  # moved, deleted; both refused
    delta = mirror.update(0, features)
    assert sorted(ids(delta.upserts)) == sorted(ids(features[:2])) and delta.removed == []
    assert mirror.update(0, features).upserts == delta.upserts  # sent once, then unchanged


def test_a_map_that_missed_an_update_asks_for_and_gets_the_whole_set_once(tmp_path):
    _, features = a_set(tmp_path)
    mirror = MapMirror()
    mirror.update(0, features)
    asks = {"last_active_drawing": {"properties": {"event": RESYNC, "stamp": 7}}}
    mirror.read(asks)
    whole = mirror.update(0, features)
    assert whole.base is None and ids(whole.upserts) == ids(features)
    mirror.read(asks)  # the same report, read again on the next run: not another whole set
    assert mirror.update(0, features) is whole


def test_class_names_and_notes_reach_the_map_as_written_not_as_template_code(tmp_path):
    """A class or note that looks like Jinja is text: the map's script holds it as written
    (branca compiled each rendered script as a template, so ``{{ 7 * 7 }}`` became 49)."""
    store = LabelStore(tmp_path / "labels")
    odd = new_feature(square(0), "{{ 7 * 7 }}", "Ann", "S2", "original")
    odd["properties"].update(review="rejected", review_reason="{% raw %}")
    features = store.apply("s", [odd], who="Ann").data["features"]
    m = label_map(image(), {"type": "FeatureCollection", "features": []}, {})
    label_update(MapMirror().update(0, features), {}).add_to(m)
    page = html(m)
    assert "{{ 7 * 7 }}" in page and "{% raw %}" in page


def test_the_map_is_sent_what_it_draws_and_reports_and_the_rest_stays_on_the_server(tmp_path):
    """Class, review and id (style, tooltip, report): notes, names and times are not sent (half
    the bytes of a set sent whole); the page reads them from the set."""
    store = LabelStore(tmp_path / "labels")
    field = new_feature(square(0), "wheat", "Ann", "S2", "original")
    field["properties"].update(note="private note", review="rejected", review_reason="too big")
    features = store.apply("s", [field], who="Ann").data["features"]
    sent = MapMirror().update(0, features).as_json()["upserts"]
    assert sent == [
        {
            "type": "Feature",
            "id": field["id"],
            "geometry": features[0]["geometry"],
            "properties": {
                "id": field["id"],
                "crop_class": "wheat",
                "review": "rejected",
                "review_reason": "too big",
            },
        }
    ]
    m = label_map(image(), {"type": "FeatureCollection", "features": []}, {})
    label_update(MapMirror().update(0, features), {}).add_to(m)
    page = html(m)
    assert "too big" in page and "private note" not in page and "Ann" not in page
