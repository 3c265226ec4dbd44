"""A whole region enhanced in tiles: the plan, one tile's work, the resumable tile store, the
Cloud-Optimised GeoTIFF mosaic and its STAC Item.

The tiles are anchored to the raster's own grid: tile ``(i, j)`` covers rows ``i * tile`` to
``(i + 1) * tile`` and the same for columns, so a rerun (or another machine) cuts the same
tiles. Each tile is enhanced with :data:`HALO` pixels of context read around it on every side
(where the raster has them) and cropped back to its core, so no seam shows and the mosaic
matches :func:`sr.enhance.enhance` of the whole raster (within 0.001 reflectance: the networks'
and the consistency step's reach is a few pixels; within a tile they are the same function).
Deep Image Prior fits each tile's read window, as ``sr enhance`` fits its own tiles.

Finished tiles are kept as compressed ``.npz`` files of the output's dtype in a hidden folder
beside the output (``.<name>_x4.tiles``) with the request they belong to; a run started again
skips them. One run at a time writes an output: a second one for the same ``OUT_DIR`` and name
is refused while the first holds the lock (``.<name>_x4.lock``), and the first thing a run does
under it is remove what a killed run left (half-written tiles, the mosaic's staging folder).
The mosaic is written from the tiles one at a time, so no process ever holds the
whole region: memory per worker depends on the tile size only. Where the tiles are computed
(this process, or Ray tasks on a cluster) is :mod:`runs.region_run`'s business.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import glob
import json
import logging
import os
import re
import resource
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pystac
import torch
from affine import Affine
from pystac.extensions.projection import ProjectionExtension
from rasterio.transform import array_bounds
from rasterio.warp import transform_bounds
from rasterio.windows import Window
from shapely.geometry import box, mapping

from imagery.geotiff import to_dtype, write_cog
from imagery.pixels import dn_scale
from imagery.read import read_window, scene_grid
from imagery.scene import Scene
from imagery.stac_bands import describe_bands
from sr.cache import CODE_VERSION, save_npz
from sr.enhance import (
    DEFAULT_PRESET,
    MIN_SIZE,
    PIPELINES,
    enhance,
    model_version,
    result_name,
    result_tags,
    uses_dip,
)
from sr.errors import EnhanceError

log = logging.getLogger(__name__)

#: Input pixels of context read around a tile on each side.
HALO = 16
#: What a tile store holds when no run was killed in it: its tiles and its request.
TILE_FILE = re.compile(r"\d{6}\.npz|request\.json")


@dataclass(frozen=True)
class RegionRequest:
    """What to enhance: a scene (a local file's or a STAC Item's bands B04, B03, B02, B08, or a
    local true-colour file's B04, B03, B02), the output's base name, and how."""

    scene: Scene
    name: str
    pipeline: str = "decrappify"
    preset: str = DEFAULT_PRESET
    tile: int = 256
    halo: int = HALO
    scale: int = 4
    consistent: bool = True

    @property
    def dip_preset(self) -> str | None:
        """The Deep Image Prior preset, when the pipeline uses DIP."""
        return self.preset if uses_dip(self.pipeline) else None

    def identity(self) -> dict[str, Any]:
        """What makes the tiles: a store holding tiles of another identity is not reused."""
        return {
            "bands": [asdict(b) for b in self.scene.bands],
            "result": result_name(self.pipeline, self.preset, self.scale, self.consistent),
            "tile": self.tile,
            "halo": self.halo,
            "code": CODE_VERSION,
        }


@dataclass(frozen=True)
class Plan:
    """The region's grid and its tiles (windows of the input, in input pixels)."""

    width: int
    height: int
    crs: Any
    transform: Affine
    dtype: np.dtype
    windows: tuple[Window, ...]


def plan(request: RegionRequest) -> Plan:
    """The tiles of the request's scene.

    Raises:
        EnhanceError: unknown pipeline, a tile under twice :data:`sr.enhance.MIN_SIZE`, or a
            raster smaller than :data:`sr.enhance.MIN_SIZE`.
        ImageryError: the scene cannot be read.
    """
    if request.pipeline not in PIPELINES:
        raise EnhanceError(
            f"unknown pipeline {request.pipeline!r}; choose one of {list(PIPELINES)}"
        )
    if request.tile < 2 * MIN_SIZE:
        raise EnhanceError(f"a tile must be at least {2 * MIN_SIZE} px, not {request.tile}")
    width, height, crs, transform, dtype = scene_grid(request.scene)
    if min(width, height) < MIN_SIZE:
        raise EnhanceError(f"the raster is {width} x {height} px; at least {MIN_SIZE} are needed")
    t = request.tile
    windows = tuple(
        Window(col, row, min(t, width - col), min(t, height - row))
        for row in range(0, height, t)
        for col in range(0, width, t)
    )
    return Plan(width, height, crs, transform, dtype, windows)


def enhance_tile(
    request: RegionRequest,
    core: Window,
    dtype: np.dtype,
    device: str | None = None,
    threads: int | None = None,
) -> tuple[np.ndarray, int, float]:
    """Enhance one tile: read it with its halo, enhance, crop back to the core.

    Returns:
        ``(C, scale * h, scale * w)`` values of ``dtype`` (as :func:`imagery.geotiff.to_dtype`
        stores reflectance), the process id, and its peak resident memory in MiB so far.
    """
    if threads:
        torch.set_num_threads(threads)
    h = request.halo
    wanted = Window(core.col_off - h, core.row_off - h, core.width + 2 * h, core.height + 2 * h)
    raster = read_window(request.scene, wanted)
    s = request.scale
    left = int(core.col_off - max(wanted.col_off, 0))
    top = int(core.row_off - max(wanted.row_off, 0))
    if np.isfinite(raster.data).all(axis=0).any():
        out = enhance(
            raster,
            request.pipeline,
            s,
            device,
            preset=request.preset,
            consistent=request.consistent,
        ).data
    else:  # nothing measured here: the tile stays nodata
        out = np.full((raster.data.shape[0], s * raster.height, s * raster.width), np.nan)
    crop = out[:, s * top : s * (top + core.height), s * left : s * (left + core.width)]
    values, _ = to_dtype(crop, dtype)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return values, os.getpid(), peak


class TileStore:
    """Finished tiles of one request in a folder, each written atomically."""

    def __init__(self, folder: Path, identity: dict[str, Any]) -> None:
        """Open (or start) the store; tiles of another request in it are removed first."""
        self.folder = folder
        record = folder / "request.json"
        text = json.dumps(identity, sort_keys=True)
        if folder.is_dir() and (not record.exists() or record.read_text() != text):
            log.warning("%s holds tiles of another request: starting again", folder)
            shutil.rmtree(folder)
        folder.mkdir(parents=True, exist_ok=True)
        record.write_text(text)

    def path(self, index: int) -> Path:
        return self.folder / f"{index:06d}.npz"

    def get(self, index: int) -> np.ndarray | None:
        """A finished tile, or None (missing or unreadable: computed again)."""
        try:
            with np.load(self.path(index), allow_pickle=False) as entry:
                return np.asarray(entry["data"])
        except (OSError, ValueError, KeyError, EOFError):
            return None

    def done(self, count: int) -> set[int]:
        """The tiles stored (written atomically: a file there is whole)."""
        return {i for i in range(count) if self.path(i).exists()}

    def put(self, index: int, data: np.ndarray) -> None:
        save_npz(self.path(index), compressed=True, data=data)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def tiles_folder(out_dir: Path, name: str) -> Path:
    return out_dir / f".{name}_x4.tiles"


@contextmanager
def only_run(out_dir: Path, name: str) -> Iterator[None]:
    """Hold ``OUT_DIR/<name>_x4``'s lock for the whole run, and remove first what a killed run
    left: the mosaic's staging folder (``.<name>_x4.tif.*``) and unfinished tile files.

    Raises:
        EnhanceError: another run holds the lock.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / f".{name}_x4.lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise EnhanceError(
                f"another enhance-region run is writing {out_dir / f'{name}_x4.tif'}; wait "
                "for it to end, or give this one another OUT_DIR"
            ) from None
        for staging in out_dir.glob(f".{glob.escape(name)}_x4.tif.*"):
            shutil.rmtree(staging, ignore_errors=True)
        tiles = tiles_folder(out_dir, name)
        for part in tiles.iterdir() if tiles.is_dir() else []:
            if not TILE_FILE.fullmatch(part.name):
                part.unlink(missing_ok=True)
        yield


def write_mosaic(request: RegionRequest, grid: Plan, store: TileStore, out_dir: Path) -> Path:
    """Write ``OUT_DIR/<name>_x4.tif`` (a COG) from the finished tiles and
    ``OUT_DIR/<name>_x4.json`` (its STAC Item); returns the COG's path."""
    s = request.scale
    bands = tuple(b.name for b in request.scene.bands)
    transform = grid.transform @ Affine.scale(1 / s)

    def blocks() -> Iterator[tuple[Window, np.ndarray]]:
        for i, w in enumerate(grid.windows):
            data = store.get(i)
            if data is None:  # damaged since: removed, so that the next run computes it again
                store.path(i).unlink(missing_ok=True)
                raise EnhanceError(f"tile {i} in {store.folder} was unreadable; run again")
            yield Window(w.col_off * s, w.row_off * s, w.width * s, w.height * s), data

    tags = result_tags(request.scene, request.pipeline, request.preset)
    cog = out_dir / f"{request.name}_x4.tif"
    shape = (len(bands), grid.height * s, grid.width * s)
    write_cog(cog, shape, grid.dtype, grid.crs, transform, blocks(), bands, tags)
    write_item(request, grid, cog)
    return cog


def write_item(request: RegionRequest, grid: Plan, cog: Path) -> None:
    """The STAC Item of the mosaic, beside it (``<name>_x4.json``), its asset a relative link
    whose bands are named and scaled by the ``eo`` and ``raster`` extensions
    (:func:`imagery.stac_bands.describe_bands`: loaded by name, value x scale = reflectance)."""
    s = request.scale
    gsd = abs(grid.transform.a) / s
    bounds = array_bounds(grid.height, grid.width, grid.transform)  # (west, south, east, north)
    bbox = list(transform_bounds(grid.crs, "EPSG:4326", *bounds, densify_pts=21))
    date = request.scene.date
    when = (
        dt.datetime.combine(date, dt.time(), dt.UTC) if date else dt.datetime.now(dt.UTC)
    )  # an input of unknown date: when it was enhanced (the property says so)
    item = pystac.Item(
        id=f"{request.name}_x4",
        geometry=mapping(box(*bbox)),
        bbox=bbox,
        datetime=when,
        properties={
            "gsd": gsd,
            "sr:pipeline": request.pipeline,
            "sr:preset": request.dip_preset,
            "sr:model_version": model_version(request.pipeline),
            "sr:scale": s,
            "sr:source": request.scene.id,
            "sr:datetime_is_processing_time": date is None,
        },
    )
    proj = ProjectionExtension.ext(item, add_if_missing=True)
    proj.epsg = grid.crs.to_epsg()
    proj.shape = [grid.height * s, grid.width * s]
    proj.transform = list(grid.transform @ Affine.scale(1 / s))[:6]
    names = [b.name for b in request.scene.bands]
    asset = pystac.Asset(
        href=f"./{cog.name}",
        media_type=pystac.MediaType.COG,
        roles=["data"],
        title=f"{', '.join(names)} x{s}, reflectance"
        + (f" x {dn_scale(grid.dtype):.6g}" if grid.dtype.kind in "ui" else ""),
    )
    item.add_asset("enhanced", asset)
    describe_bands(asset, names, grid.dtype, gsd)
    path = cog.with_suffix(".json")
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(item.to_dict(include_self_link=False, transform_hrefs=False)))
    os.replace(tmp, path)
