"""The development set of click-a-field: crop fields outlined by eye on four real scenes.

``bench/data/fields/<region>.geojson`` (with a ``.png`` of the outlines over the scene) hold
fields outlined on the 10 m true- and false-colour images by developer sessions that did not see
the suggestion method: Denmark (Zealand, May 2017), the demo scene (Brandenburg, February 2017),
Virginia (USA) and Madagascar (central highlands, February 2017): Europe, North America and
Africa. Coordinates are pixels (column, row) of the 10 m image; each file names its scene.

Each field belongs to one half, fixed by its id alone before any setting was chosen on the set
(:func:`half`): settings may be tuned on ``"tune"``; claims are made on ``"held-out"`` only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.transform import Affine
from shapely import affinity
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from imagery.raster import BANDS, Raster

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "bench" / "data" / "fields"
#: Files without georeferencing are given this grid: 10 m pixels of a UTM zone (the method
#: works in metres; where on Earth does not matter to it).
NOGEO_CRS = CRS.from_epsg(32633)
NOGEO_TRANSFORM = Affine(10.0, 0.0, 500_000.0, 0.0, -10.0, 6_000_000.0)


@dataclass(frozen=True)
class Field:
    """One outlined field: its id, region, the half it belongs to, and its outline in the
    scene's CRS (shapely)."""

    id: str
    region: str
    half: str
    outline: BaseGeometry


def regions() -> list[str]:
    """The regions of the set, by file name."""
    return sorted(p.stem for p in FOLDER.glob("*.geojson"))


def half(field_id: str) -> str:
    """``"tune"`` or ``"held-out"``: the parity of the first byte of the id's SHA-256."""
    return "tune" if hashlib.sha256(field_id.encode()).digest()[0] % 2 == 0 else "held-out"


def scene(region: str) -> tuple[Raster, list[Field]]:
    """The region's 10 m image (bands B04, B03, B02, B08; reflectance) and its fields."""
    collection: dict[str, Any] = json.loads((FOLDER / f"{region}.geojson").read_text())
    path = (ROOT / collection["scene"]).resolve()
    with rasterio.open(path) as ds:
        data = ds.read([1, 2, 3, 4]).astype(np.float32) / 10_000
        crs, transform = ds.crs or NOGEO_CRS, ds.transform if ds.crs else NOGEO_TRANSFORM
    data[data == 0] = np.nan  # nodata 0, as the app reads these files
    a, b, c, d, e, f = transform.a, transform.b, transform.d, transform.e, transform.c, transform.f
    fields = [
        Field(
            str(feature["id"]),
            region,
            half(str(feature["id"])),
            affinity.affine_transform(shape(feature["geometry"]), [a, b, c, d, e, f]),
        )
        for feature in collection["features"]
    ]
    return Raster(data, crs, transform, BANDS), fields
