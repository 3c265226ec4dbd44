"""A warning for cloudy areas: enhancing clouds (or snow) sharpens nothing a user can label.

A pixel counts as cloud-like when it is bright in all visible bands (B04, B03 and B02 above 0.2
reflectance: thick cloud and snow; fields, soil, water and forest stay below). A coarse rule, not a
cloud mask: it says where to look, and nothing is removed.
"""

from __future__ import annotations

import numpy as np

from imagery.raster import Raster

BRIGHT = 0.2
WARN_FRACTION = 0.2


def cloudy_fraction(raster: Raster) -> float:
    """Share of the valid pixels that are cloud-like, in [0, 1] (0 without visible bands)."""
    if not all(b in raster.bands for b in ("B04", "B03", "B02")):
        return 0.0
    vis = np.stack([raster.band(b) for b in ("B04", "B03", "B02")])
    valid = np.isfinite(vis).all(axis=0)
    if not valid.any():
        return 0.0
    bright = (np.nan_to_num(vis, nan=0.0) > BRIGHT).all(axis=0) & valid
    return float(bright.sum() / valid.sum())


def cloud_warning(raster: Raster) -> str | None:
    """A message when more than 20 % of the area looks like cloud, else None."""
    share = cloudy_fraction(raster)
    if share <= WARN_FRACTION:
        return None
    return (
        f"About {share:.0%} of this area is bright in all visible bands (cloud or snow): "
        "enhancement cannot recover the ground there. Choose a clearer acquisition if you can."
    )
