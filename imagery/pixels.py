"""What a raster's pixels mean: the one rule on pixel types, the band names a file's
descriptions give, the scale from stored values to reflectance, and nodata.

Integer files of 16 bits or more hold reflectance x 10000 (Sentinel-2 L2A/L1C digital numbers);
8-bit files of 3 bands are true-colour images (red, green, blue, like Sentinel-2's TCI) holding
reflectance x :data:`TCI_SCALE`, 0 marking nodata; float files hold reflectance."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from imagery.errors import ImageryError
from imagery.raster import BANDS, RGB

#: Stored values per unit of reflectance in integer files of 16 bits or more.
SCALE = 10000.0
#: Stored values per unit of reflectance in 8-bit true-colour files: 255 is reflectance 0.3 and
#: brighter pixels are clipped to it. ESA defines the TCI as reflectance coded from 1 to 255, 0
#: being reserved for no data, 255 at 0.3558 for L1C products and at 0.2 for L2A products
#: (https://sentinel.esa.int/web/sentinel/user-guides/sentinel-2-msi/definitions). A file does
#: not say its level, so one constant serves both: 0.3, the value ../shared/data/README.md gives
#: for the shared TCI chips and bench/real_use.py scored them with, between the two (16 % below
#: L1C's, 50 % above L2A's). Only absolute thresholds feel the difference (the cloud warning's
#: 0.2, Decrappify's input range); Deep Image Prior, the data-consistency step and the map's
#: percentile stretch do not depend on the scale.
TCI_SCALE = 255 / 0.3
#: The value that marks nodata in an 8-bit true-colour file, declared or not (ESA's TCI rule).
TCI_NODATA = 0
#: ESA's names of Sentinel-2 bands: B01 to B12 and B8A.
ESA_NAME = re.compile(r"B(0[1-9]|1[0-2]|8A)")
#: The lowest float reflectance taken as real: atmospheric correction (L2A offsets) can leave
#: dark pixels slightly negative; far below that the file holds something else.
MIN_REFLECTANCE = -0.1


def band_names(descriptions: Sequence[str | None], count: int) -> tuple[str, ...]:
    """The ESA names of a file's bands, from its band descriptions and band count: the
    descriptions when every band has one; but a file of 3 bands is red, green, blue (B04, B03,
    B02) unless its descriptions are all ESA names (so ``R, G, B`` or none read as B04, B03, B02);
    a file of 4 bands without descriptions is B04, B03, B02, B08 (the app's convention); others
    ``band1``, ``band2``..."""
    named = all(descriptions)
    if named and (count != len(RGB) or all(ESA_NAME.fullmatch(str(d)) for d in descriptions)):
        return tuple(str(d) for d in descriptions)
    if count == len(RGB):
        return RGB
    if count == len(BANDS):
        return BANDS
    return tuple(f"band{i + 1}" for i in range(count))


def check_pixel_type(name: str, dtype: np.dtype, count: int) -> None:
    """The one rule on what a raster's pixels may be, for every reader (``sr enhance``,
    ``enhance-region``, the app's scene list): reflectance x 10000 as 16-bit or wider integers,
    reflectance as floats, or a true-colour image of 3 bands of 8 bits (:data:`TCI_SCALE`).

    Raises:
        ImageryError: another type, or 8-bit pixels in other than 3 bands (a picture of another
            kind, a mask, or RGB with an alpha band).
    """
    tci = dtype == np.uint8 and count == len(RGB)
    if dtype.kind not in "uif" or (dtype.itemsize == 1 and not tci):
        raise ImageryError(
            f"{name} has {dtype} pixels in {count} band(s); accepted are reflectance x 10000 as "
            "16-bit integers (Sentinel-2 L1C/L2A), reflectance as floats, or a true-colour "
            "image of 3 bands of 8 bits (red, green, blue, like Sentinel-2's TCI)"
        )


def dn_scale(dtype: np.dtype) -> float:
    """Stored values per unit of reflectance in a file of ``dtype`` (one that
    :func:`check_pixel_type` accepts): :data:`TCI_SCALE` for 8 bits, :data:`SCALE` for wider
    integers, 1 for floats."""
    if dtype.kind == "f":
        return 1.0
    return TCI_SCALE if dtype.itemsize == 1 else SCALE


def tci_nodata(dtype: np.dtype) -> int | None:
    """The value that marks nodata in every file of ``dtype``, whatever the file declares:
    :data:`TCI_NODATA` for 8 bits, None for others (only the file's own nodata)."""
    return TCI_NODATA if dtype.itemsize == 1 else None


def check_reflectance(name: str, data: np.ndarray) -> None:
    """Float pixels must be reflectance (0-1, with L2A's slightly negative dark pixels).

    Raises:
        ImageryError: values above 2 (digital numbers stored as floats) or below
            :data:`MIN_REFLECTANCE`.
    """
    if not np.isfinite(data).any():
        return
    if np.nanmax(data) > 2:
        raise ImageryError(
            f"{name} holds floats up to {np.nanmax(data):.0f}: not reflectance (0-1); "
            "convert digital numbers with / 10000 or save them as uint16"
        )
    if np.nanmin(data) < MIN_REFLECTANCE:
        raise ImageryError(
            f"{name} holds floats down to {np.nanmin(data):.2f}: not reflectance (0-1)"
        )


def file_nodata(dtype: np.dtype) -> float:
    """The nodata value of every file written here: 0 for integer dtypes (a valid pixel is
    stored as 1 or more), NaN for floats."""
    return 0 if dtype.kind in "ui" else float("nan")
