"""Processing large images in overlapping tiles, blended so that no seam shows.

Each tile is processed alone; in the overlap the two results are averaged with weights that
ramp linearly from one tile to the next, after ignoring the outer quarter of the overlap where
a tile's own border effects live (Real-ESRGAN's tile padding, with blending), so the output has
no step at tile borders.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

TileFn = Callable[[torch.Tensor], torch.Tensor]


def spans(size: int, tile: int, overlap: int) -> tuple[list[int], int]:
    """The starts and the common length of the fewest tiles of at most ``tile`` px that cover
    ``size`` px with at least ``overlap`` px shared, spread evenly (so no tile is mostly overlap:
    256 px in tiles of up to 160 are 2 tiles of 132, not 2 of 160)."""
    if size <= tile:
        return [0], size
    n = math.ceil((size - overlap) / (tile - overlap))
    length = math.ceil((size + (n - 1) * overlap) / n)
    return [i * (size - length) // (n - 1) for i in range(n)], length


def tile_count(x: torch.Tensor, tile: int, overlap: int) -> int:
    """How many tiles :func:`tiled` cuts ``x`` into."""
    return len(spans(x.shape[-2], tile, overlap)[0]) * len(spans(x.shape[-1], tile, overlap)[0])


def _ramp(length: int, fade: int, at_start: bool, at_end: bool) -> torch.Tensor:
    w = torch.ones(length)
    if fade > 0:
        margin = fade // 4
        ramp = (torch.arange(fade, dtype=torch.float32) + 0.5 - margin) / max(fade - 2 * margin, 1)
        ramp = ramp.clamp(1e-3, 1.0)
        if at_start:
            w[:fade] = ramp
        if at_end:
            w[-fade:] = ramp.flip(0)
    return w


def tiled(
    fn: TileFn,
    x: torch.Tensor,
    scale: int,
    tile: int,
    overlap: int,
    on_tile: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """Apply ``fn`` (``(1, C, h, w)`` -> ``(1, C', h * scale, w * scale)``) over tiles of ``x``.

    Args:
        x: ``(1, C, H, W)``.
        scale: the factor ``fn`` enlarges by (1 for a refinement at the same size).
        tile: tile side in input pixels.
        overlap: pixels shared by neighbouring tiles (input pixels; < tile).
        on_tile: called with (tiles done, tiles in all) after each tile.
    """
    _, _, h, w = x.shape
    (ys, th), (xs, tw) = spans(h, tile, overlap), spans(w, tile, overlap)
    if len(ys) == 1 and len(xs) == 1:
        out = fn(x)
        if on_tile:
            on_tile(1, 1)
        return out
    out = torch.zeros(0)
    weight = torch.zeros(1, 1, h * scale, w * scale, device=x.device)
    total, done = len(ys) * len(xs), 0
    for y0 in ys:
        for x0 in xs:
            y = fn(x[:, :, y0 : y0 + th, x0 : x0 + tw])
            if out.numel() == 0:
                out = torch.zeros(1, y.shape[1], h * scale, w * scale, device=x.device)
            fade = overlap * scale
            wy = _ramp(th * scale, fade, y0 > 0, y0 + th < h)
            wx = _ramp(tw * scale, fade, x0 > 0, x0 + tw < w)
            wt = (wy[:, None] * wx[None, :]).to(x.device)[None, None]
            sl = (..., slice(y0 * scale, (y0 + th) * scale), slice(x0 * scale, (x0 + tw) * scale))
            out[sl] += y * wt
            weight[sl] += wt
            done += 1
            if on_tile:
                on_tile(done, total)
    return out / weight
