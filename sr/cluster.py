"""Where tiles and jobs run: this process, or Ray (a local instance, or a cluster).

- :func:`enhance_region` computes a region's tiles (:mod:`sr.region`) as Ray tasks: on a local
  Ray instance with ``workers`` worker processes by default, on an existing cluster when an
  address is given (``--address`` or ``RAY_ADDRESS``), GPUs taken as Ray resources when the
  cluster has them (one task per GPU). ``use_ray=False`` runs them here, one after another.
- :func:`ray_runner` runs the app's enhancement jobs (:mod:`sr.jobs`) as Ray tasks; their
  progress comes back through a small actor, their cache entries with their result.

Ray is imported only here and only when used. A local instance gets this repository on its
workers' ``PYTHONPATH``; a cluster gets it uploaded as the job's working directory (code and
weights; ``.venv``, ``data`` and ``static`` left out), so its nodes need only the packages of
``requirements.txt``. Input files must be readable from the workers: a path on a shared
filesystem, or the COGs of a STAC Item over HTTP.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from imagery.errors import UserError
from imagery.raster import Raster
from sr.cache import ResultCache
from sr.enhance import Progress, ProgressFn, enhance
from sr.jobs import EnhanceRequest, Runner
from sr.region import (
    RegionRequest,
    TileStore,
    enhance_tile,
    only_run,
    plan,
    tiles_folder,
    write_mosaic,
)

ROOT = Path(__file__).resolve().parents[1]
#: Left out of the code a cluster receives.
NOT_UPLOADED = [".venv", "data", "static", ".git", ".cache", "docs", "node_modules"]
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
    """Enhance ``request``'s whole scene into ``out_dir`` (see :mod:`sr.region`), skipping the
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


def connect(address: str | None, workers: int) -> bool:
    """Join the cluster at ``address``, or start a local instance of ``workers`` CPUs (and the
    GPUs here); returns whether this call started Ray (then the caller shuts it down)."""
    import ray

    if ray.is_initialized():
        return False
    if address and address != "local":
        ray.init(
            address=address,
            runtime_env={"working_dir": str(ROOT), "excludes": NOT_UPLOADED},
            log_to_driver=False,
        )
        return True
    paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))  # workers inherit it
    ray.init(
        num_cpus=workers,
        num_gpus=torch.cuda.device_count(),
        include_dashboard=False,
        log_to_driver=False,
    )
    return True


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
                keep(pending.pop(ref), *_result(ref))
        return time.perf_counter() - start
    finally:
        if started:
            ray.shutdown()


def _result(ref: Any) -> Any:
    """A task's value; a user error raised in the task is raised here as itself."""
    import ray

    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as err:
        if isinstance(err.cause, UserError):
            raise err.cause from None
        raise


class ProgressBox:
    """A Ray actor holding a job's latest progress, read by the process that waits for it."""

    def __init__(self) -> None:
        self.latest: Progress | None = None

    def report(self, progress: Progress) -> None:
        self.latest = progress

    def get(self) -> Progress | None:
        return self.latest


def enhance_with_entries(request: EnhanceRequest, box: Any) -> tuple[Raster, dict[str, Any]]:
    """Run a job's enhancement (on a Ray worker) with a cache of its own, and return the
    result with the cache entries made, for the app's cache."""
    with tempfile.TemporaryDirectory() as tmp:
        cache = ResultCache(Path(tmp))
        result = enhance(
            request.raster,
            request.pipeline,
            progress=lambda p: box.report.remote(p),
            preset=request.preset,
            cache=cache,
            consistent=request.consistent,
        )
        entries = {p.stem: cache.get(p.stem) for p in Path(tmp).glob("*.npz")}
    return result, entries


def ray_runner(cache: ResultCache, address: str | None, poll: float = 0.5) -> Runner:
    """Run the app's jobs as Ray tasks (a GPU each when the cluster has GPUs); their stages
    land in ``cache`` as local runs' do."""

    def run(request: EnhanceRequest, progress: ProgressFn) -> Raster:
        import ray

        connect(address, workers=os.cpu_count() or 1)
        gpus = 1 if ray.cluster_resources().get("GPU", 0) else 0  # type: ignore[no-untyped-call]
        box: Any = ray.remote(ProgressBox).options(num_cpus=0).remote()
        task = ray.remote(enhance_with_entries).options(num_gpus=gpus, max_retries=0)
        ref = task.remote(request, box)
        try:
            while True:
                ready, _ = ray.wait([ref], timeout=poll)
                latest = ray.get(box.get.remote())
                if latest is not None:
                    progress(latest)  # raises Cancelled once the job is cancelled
                if ready:
                    break
        except BaseException:
            ray.cancel(ref, force=True)
            raise
        finally:
            ray.kill(box)
        result, entries = _result(ref)
        for key, value in entries.items():
            if value is not None:
                cache.put(key, value)
        return result  # type: ignore[no-any-return]

    return run
