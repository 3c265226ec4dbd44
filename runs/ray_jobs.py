"""The app's enhancement jobs (:mod:`runs.jobs`) as Ray tasks, a GPU each when the cluster has
GPUs: their progress comes back through a small actor, their cache entries with their result.
Ray is imported only when a job runs (:mod:`runs.ray_cluster`)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from imagery.raster import Raster
from runs.jobs import EnhanceRequest, Runner, run_request
from runs.ray_cluster import connect, task_result
from sr.cache import ResultCache
from sr.enhance import Progress, ProgressFn


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
        result = run_request(request, cache, progress=lambda p: box.report.remote(p))
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
        result, entries = task_result(ref)
        for key, value in entries.items():
            if value is not None:
                cache.put(key, value)
        return result  # type: ignore[no-any-return]

    return run
