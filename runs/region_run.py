"""A whole region's run: the tiles an earlier run left to do, computed in this process or as
Ray tasks, then the mosaic (what a region is and a tile's work: :mod:`runs.region`).

The tiles run on a local Ray instance with ``workers`` worker processes by default, on an
existing cluster when an address is given (``--address`` or ``RAY_ADDRESS``; see
:mod:`runs.ray_cluster`), GPUs taken as Ray resources when the cluster has them (one task per
GPU). ``use_ray=False`` runs them here, one after another.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from runs.ray_cluster import connect, task_result
from runs.region import (
    RegionRequest,
    TileStore,
    enhance_tile,
    only_run,
    plan,
    tiles_folder,
    write_mosaic,
)

#: Tiles queued per worker beyond the one it runs, so no worker waits for the driver.
QUEUED_PER_WORKER = 1

TileReport = Callable[[int, int, int], None]  # (tiles done, tiles in all, tiles skipped)


@dataclass
class RegionResult:
    """What a region run did: the COG written, tiles computed and skipped, seconds spent on
    tiles (from Ray's start to the last tile; the mosaic left out), and the peak resident
    memory (MiB) of each worker process that computed some."""

    cog: Path
    computed: int
    skipped: int
    seconds: float
    peak_mib: dict[int, float] = field(default_factory=dict)

    @property
    def tiles_per_second(self) -> float:
        return self.computed / self.seconds if self.seconds > 0 else 0.0


def enhance_region(
    request: RegionRequest,
    out_dir: Path,
    workers: int = 2,
    address: str | None = None,
    on_tile: TileReport | None = None,
    use_ray: bool = True,
) -> RegionResult:
    """Enhance ``request``'s whole scene into ``out_dir`` (see :mod:`runs.region`), skipping the
    tiles an earlier run of the same request finished.

    Raises:
        UserError: the scene cannot be read, a tile could not be enhanced (its message), or
            another run is writing the same output.
    """
    grid = plan(request)
    with only_run(out_dir, request.name):
        store = TileStore(tiles_folder(out_dir, request.name), request.identity())
        total = len(grid.windows)
        finished = store.done(total)
        todo = [i for i in range(total) if i not in finished]
        report = on_tile or (lambda done, all_, skipped: None)
        report(len(finished), total, len(finished))
        peaks: dict[int, float] = {}

        def keep(index: int, data: np.ndarray, pid: int, peak: float) -> None:
            store.put(index, data)
            peaks[pid] = max(peaks.get(pid, 0.0), peak)
            finished.add(index)
            report(len(finished), total, total - len(todo))

        if use_ray and todo:
            seconds = _tiles_on_ray(request, grid, todo, workers, address, keep)
        else:
            start = time.perf_counter()
            for i in todo:
                keep(i, *enhance_tile(request, grid.windows[i], grid.dtype))
            seconds = time.perf_counter() - start
        cog = write_mosaic(request, grid, store, out_dir)
        store.remove()
        return RegionResult(cog, len(todo), total - len(todo), seconds, peaks)


def _tiles_on_ray(
    request: RegionRequest,
    grid: Any,
    todo: list[int],
    workers: int,
    address: str | None,
    keep: Callable[[int, np.ndarray, int, float], None],
) -> float:
    """Compute the tiles ``todo`` on Ray; returns the seconds they took (Ray's start left out)."""
    import ray

    started = connect(address, workers)
    start = time.perf_counter()
    try:
        resources = ray.cluster_resources()  # type: ignore[no-untyped-call]
        gpus = int(resources.get("GPU", 0))
        slots = gpus or int(resources.get("CPU", workers))
        # A local instance: the machine's cores shared among its workers; a cluster: one each.
        threads = max(1, (os.cpu_count() or 1) // workers) if started and not address else 1
        task = ray.remote(enhance_tile).options(
            num_cpus=1, num_gpus=1 if gpus else 0, max_retries=2
        )
        shared = ray.put(request)
        device = "cuda" if gpus else "cpu"
        queue, pending = list(todo), dict[Any, int]()
        while queue or pending:
            while queue and len(pending) < slots * (1 + QUEUED_PER_WORKER):
                i = queue.pop(0)
                ref = task.remote(shared, grid.windows[i], grid.dtype, device, threads)
                pending[ref] = i
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                keep(pending.pop(ref), *task_result(ref))
        return time.perf_counter() - start
    finally:
        if started:
            ray.shutdown()
