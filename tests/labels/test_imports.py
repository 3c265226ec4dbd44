from shapely.geometry import shape

from labels.export import export
from labels.imports import read_polygons
from tests.labels.conftest import load


def test_import_round_trip_from_another_crs(label_set, tmp_path):
    gpkg = export(load(label_set), tmp_path / "x.gpkg")
    features = read_polygons(gpkg, "crop_class", "importer", "demo")
    original = {
        f["properties"]["crop_class"]: shape(f["geometry"]) for f in load(label_set)["features"]
    }
    for f in features:
        back = shape(f["geometry"])
        assert back.symmetric_difference(original[f["properties"]["crop_class"]]).area < 1e-10
        assert f["properties"]["annotator"] == "importer"
