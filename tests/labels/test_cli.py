import json
import socket
import stat

import pytest
import rasterio

from labels.cli import main
from labels.export import export
from labels.features import LabelError
from tests.labels.conftest import load


def test_bad_imports_change_nothing(label_set, tmp_path, capsys):
    before = label_set.read_text()
    bad = tmp_path / "bad.geojson"
    bad.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"properties": {"crop_class": "maize"}, "geometry": {"type": "Point", '
        '"coordinates": [12.6, 52.47]}}]}'
    )
    assert main(["import", str(bad), str(label_set)]) == 1
    assert "feature 1: only polygons" in capsys.readouterr().err
    (tmp_path / "junk.gpkg").write_bytes(b"junk")
    assert main(["import", str(tmp_path / "junk.gpkg"), str(label_set)]) == 1
    assert (
        "junk.gpkg is not GeoJSON, a GeoPackage, a zipped Shapefile or GeoParquet"
        in capsys.readouterr().err
    )
    assert main(["import", str(label_set), str(label_set), "--class-field", "kind"]) == 1
    assert "no field 'kind'" in capsys.readouterr().err
    assert label_set.read_text() == before
    with pytest.raises(LabelError, match="use one of"):
        export(load(label_set), tmp_path / "x.kml")


def test_cli_stats_export_import(label_set, tmp_path, capsys):
    assert main(["stats", str(label_set)]) == 0
    out = capsys.readouterr().out
    assert "| maize | 1 |" in out and "| winter wheat | 1 |" in out
    assert main(["export", str(label_set), str(tmp_path / "o.zip")]) == 0
    capsys.readouterr()
    target = tmp_path / "other.geojson"
    assert main(["import", str(tmp_path / "o.zip"), str(target)]) == 0
    assert json.loads(capsys.readouterr().out) == {"imported": 2, "already_in_set": 0, "in_set": 2}
    area = json.loads(target.read_text())["label_set"]["area_bbox"]  # the new set's area
    assert area == pytest.approx([12.591, 52.476, 12.5985, 52.4785], abs=1e-6)
    assert main(["import", str(tmp_path / "o.zip"), str(target)]) == 0  # the same file again
    assert json.loads(capsys.readouterr().out) == {"imported": 0, "already_in_set": 2, "in_set": 2}


def test_export_never_overwrites_the_set_and_missing_things_get_one_line(
    label_set, tmp_path, capsys
):
    before = label_set.read_text()
    cases = [
        (["export", str(label_set), str(label_set)], "is the label set itself"),
        (["export", str(label_set), str(tmp_path / "no" / "out.gpkg")], "does not exist"),
        (["stats", str(tmp_path / "missing.geojson")], "there is no label set"),
        (["export", str(tmp_path / "missing.geojson"), str(tmp_path / "o.gpkg")], "no label set"),
    ]
    for argv, message in cases:
        assert main(argv) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0]
    assert label_set.read_text() == before


def test_stats_shows_control_characters_as_escapes(label_set, capsys):
    data = load(label_set)  # a set edited by hand: its class sets the title and clears the screen
    data["features"][0]["properties"]["crop_class"] = "maize\x1b]0;pwned\x07\x1b[2J"
    label_set.write_text(json.dumps(data))
    assert main(["stats", str(label_set)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "| maize\\x1b]0;pwned\\x07\\x1b[2J | 1 |" in out


def test_export_never_replaces_what_is_not_a_regular_file(label_set, tmp_path, capsys):
    path = tmp_path / "x.geojson"  # a socket, as /dev/full would be, without risking that one
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        assert main(["export", str(label_set), str(path)]) == 1
    assert "x.geojson exists and is not a regular file" in capsys.readouterr().err
    assert stat.S_ISSOCK(path.stat().st_mode)


def test_cli_parquet_round_trip_and_a_mask_like_the_set_image(label_set, tmp_path, capsys):
    parquet = tmp_path / "fields.parquet"
    assert main(["export", str(label_set), str(parquet)]) == 0
    target = tmp_path / "imported.geojson"
    assert main(["import", str(parquet), str(target)]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["imported"] == 2
    assert main(["export", str(target), str(tmp_path / "m.tif")]) == 1  # no grid of its own
    assert "--like RASTER" in capsys.readouterr().err
    assert main(["export", str(label_set), str(tmp_path / "grid.tif"), "--image", "original"]) == 0
    like = ["--like", str(tmp_path / "grid.tif")]
    assert main(["export", str(target), str(tmp_path / "m.tif"), *like]) == 0
    with rasterio.open(tmp_path / "m.tif") as ds, rasterio.open(tmp_path / "grid.tif") as ref:
        assert ds.transform == ref.transform and (ds.read(1) == ref.read(1)).all()
    capsys.readouterr()
    assert main(["export", str(target), str(tmp_path / "m.tif"), "--like", str(parquet)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot open fields.parquet as a raster" in err[0]


def test_a_mask_grid_chosen_two_ways_is_refused_not_half_ignored(label_set, tmp_path, capsys):
    """``--image`` was ignored when ``--like`` was given: the mask came out on the other grid
    than the one asked for, silently."""
    assert main(["export", str(label_set), str(tmp_path / "grid.tif"), "--image", "original"]) == 0
    both = ["--image", "original", "--like", str(tmp_path / "grid.tif")]
    with pytest.raises(SystemExit) as exit_:
        main(["export", str(label_set), str(tmp_path / "m.tif"), *both])
    assert exit_.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
    assert not (tmp_path / "m.tif").exists()


def test_agreement_of_a_set_with_its_geopackage_and_with_a_moved_copy(label_set, tmp_path, capsys):
    gpkg = tmp_path / "same.gpkg"  # the same polygons in another format and CRS (UTM)
    assert main(["export", str(label_set), str(gpkg)]) == 0
    capsys.readouterr()
    assert main(["agreement", str(label_set), str(gpkg)]) == 0
    out = capsys.readouterr().out
    result = json.loads(out)
    assert list(result) == ["matched", "only_a", "only_b", "mean_iou", "class_agreement"]
    assert result["matched"] == 2 and result["only_a"] == result["only_b"] == 0
    assert result["mean_iou"] == pytest.approx(1.0, abs=1e-6)
    assert result["class_agreement"] == 1.0

    data = load(label_set)  # another annotator's set: the maize field drawn as barley, a
    maize, wheat = data["features"]  # sixth of its width to the east; the wheat field missed
    maize["properties"]["crop_class"] = "barley"
    [ring] = maize["geometry"]["coordinates"]
    maize["geometry"]["coordinates"] = [[[x + 0.0005, y] for x, y in ring]]  # 0.003 degrees wide
    other = tmp_path / "other.geojson"
    other.write_text(json.dumps({"type": "FeatureCollection", "features": [maize]}))
    assert main(["agreement", str(label_set), str(other)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["matched"], result["only_a"], result["only_b"]) == (1, 1, 0)
    assert result["mean_iou"] == pytest.approx(5 / 7, abs=0.01)  # 5 sixths over 7 sixths
    assert result["class_agreement"] == 0.0


def test_agreement_of_two_annotators_of_one_set(label_set, capsys):
    assert main(["agreement", str(label_set), "--annotators", "ana", "ben"]) == 0
    out = capsys.readouterr().out  # ana's maize and ben's wheat field do not meet
    assert out.strip() == (
        '{"matched": 0, "only_a": 1, "only_b": 1, "mean_iou": null, "class_agreement": null}'
    )


def test_agreement_refuses_with_one_line(label_set, tmp_path, capsys):
    (tmp_path / "junk.gpkg").write_bytes(b"junk")
    cases = [
        (["agreement", str(label_set), str(tmp_path / "missing.geojson")], "there is no file"),
        (["agreement", str(label_set), str(tmp_path / "junk.gpkg")], "junk.gpkg is not GeoJSON"),
        (["agreement", str(label_set)], "give a second file B, or --annotators"),
        (
            ["agreement", str(label_set), "--annotators", "ana", "eve"],
            "no polygon of annotator 'eve' in trial.geojson; its annotators: 'ana', 'ben'",
        ),
        (["agreement", str(label_set), str(label_set), "--class-field", "kind"], "no field 'kind'"),
    ]
    for argv, message in cases:
        assert main(argv) == 1
        out, err = capsys.readouterr()
        assert out == ""
        assert len(err.strip().splitlines()) == 1 and message in err, err
