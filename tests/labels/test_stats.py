import pytest

from labels.geometry import area_ha
from labels.stats import area_by_class, areas, by_annotator, size_histogram
from tests.labels.conftest import load


def test_areas_by_class_and_annotator_add_up(label_set):
    collection = load(label_set)
    hectares = areas(collection)
    assert hectares == [area_ha(f["geometry"], "EPSG:32633") for f in collection["features"]]
    classes = area_by_class(collection)
    assert list(classes) == ["maize", "winter wheat"]  # sorted by name
    assert all(row["fields"] == 1 for row in classes.values())
    assert sum(row["hectares"] for row in classes.values()) == pytest.approx(sum(hectares))
    assert sum(row["share"] for row in classes.values()) == pytest.approx(1.0)
    assert set(by_annotator(collection)) == {"ana", "ben"}


def test_size_histogram_counts_every_field():
    bins = size_histogram([0.5, 1.0, 1.5, 4.0], bins=2)
    assert bins == [("0.50-2.25 ha", 3), ("2.25-4.00 ha", 1)]
    assert size_histogram([]) == []
