"""A two-field label set on the demo scene, shared by the export, import and CLI tests."""

import json
from pathlib import Path

import pytest
from shapely.geometry import box, mapping

from imagery.local import scenes_in_file
from imagery.read import read_area
from labels.features import new_feature
from labels.store import LabelStore

AREA = (12.59, 52.475, 12.60, 52.48)


@pytest.fixture
def label_set(tmp_path: Path, demo_scene: Path) -> Path:
    area = read_area(scenes_in_file(demo_scene)[0], AREA)
    grid = area.grid
    fields = [
        new_feature(
            mapping(box(12.591, 52.476, 12.594, 52.478)),
            "maize",
            "ana",
            "demo",
            "enhanced",
            "decrappify",
            None,
            "abc",
            False,  # without the data-consistency step
        ),
        new_feature(
            mapping(box(12.595, 52.476, 12.5985, 52.4785)),
            "winter wheat",
            "ben",
            "demo",
            "original",
        ),
    ]
    LabelStore(tmp_path).apply("trial", fields, info={"scene_id": "demo", "grid": grid})
    return tmp_path / "trial.geojson"


def load(path: Path):
    return json.loads(path.read_text())
