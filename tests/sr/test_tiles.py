import torch
import torch.nn.functional as F

from sr.tiles import tile_count, tiled


def bordered(t: torch.Tensor) -> torch.Tensor:
    """An operation with strong border effects (zero padding), the worst case for seams."""
    up = F.interpolate(t, scale_factor=2, mode="bilinear", align_corners=False)
    return F.avg_pool2d(F.pad(up, (3, 3, 3, 3)), 7, 1)


def test_no_seam_across_tile_borders():
    g = torch.Generator().manual_seed(0)
    x = F.avg_pool2d(torch.rand(1, 2, 100, 90, generator=g), 5, 1, 2) + 0.5
    whole = bordered(x)
    out = tiled(bordered, x, scale=2, tile=40, overlap=12)
    assert out.shape == whole.shape
    inner = (slice(None), slice(None), slice(8, -8), slice(8, -8))
    assert (out - whole)[inner].abs().max() < 0.02  # blended: close to the untiled result
    # the step between neighbouring columns is no larger at a tile border than elsewhere
    steps = (out[..., 1:] - out[..., :-1]).abs().mean(dim=(0, 1, 2))
    border = 2 * 26  # 90 columns: 3 tiles of 38 at 0, 26 and 52; the second starts at output 52
    assert steps[border - 4 : border + 4].max() < 2 * steps[8:-8].median()
    naive = torch.cat([bordered(x[..., :, :45]), bordered(x[..., :, 45:])], dim=-1)
    naive_steps = (naive[..., 1:] - naive[..., :-1]).abs().mean(dim=(0, 1, 2))
    assert naive_steps[86:94].max() > 4 * naive_steps[8:-8].median()  # unblended, it shows


def test_tile_count_and_small_inputs():
    x = torch.rand(1, 1, 100, 30)
    assert tile_count(x, 40, 12) == 4
    assert tile_count(torch.rand(1, 1, 256, 256), 160, 8) == 4  # 2 x 2 tiles of 132, not 3 x 3
    calls = []
    tiled(lambda t: t, x[..., :30, :], 1, 40, 12, lambda d, n: calls.append((d, n)))
    assert calls == [(1, 1)]
