import numpy as np
import torch

from imagery.raster import Raster
from sr.consistency import consistency, departure, make_consistent
from sr.enhance import enhance


def test_consistency_flags_what_the_satellite_did_not_see(area):
    good = enhance(area, "bicubic", 4, "cpu")
    shifted = Raster(np.roll(good.data, 12, axis=2), good.crs, good.transform, good.bands)
    assert float(np.nanmean(consistency(area, shifted).data)) > 2 * float(
        np.nanmean(consistency(area, good).data)
    )


def test_data_consistency_makes_the_result_reproduce_the_measurement(area, tiny_dip):
    lr = torch.from_numpy(area.data)[None]
    before = torch.nn.functional.interpolate(lr, scale_factor=4, mode="bicubic")
    after = make_consistent(before, lr, 4)
    assert departure(before, lr, 4) > 1e-3  # bicubic does not reproduce the 10 m pixels
    assert departure(after, lr, 4) < 0.05 * departure(before, lr, 4)
    faithful = enhance(area, "dip", 4, "cpu")
    free = enhance(area, "dip", 4, "cpu", consistent=False)
    as_tensor = [torch.from_numpy(r.data)[None] for r in (faithful, free)]
    assert departure(as_tensor[0], lr, 4) < 0.2 * departure(as_tensor[1], lr, 4)
