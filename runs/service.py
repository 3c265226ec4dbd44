"""The process's job manager of each result cache, with the runner the settings ask for: Ray
when ``RAY_ADDRESS`` is set (:mod:`runs.ray_jobs`, imported only then), this process otherwise."""

from __future__ import annotations

import threading
from pathlib import Path

import settings
from runs.jobs import JobManager
from sr.cache import ResultCache

_managers: dict[Path, JobManager] = {}
_managers_lock = threading.Lock()


def manager(cache_root: Path | None = None) -> JobManager:
    """The process's job manager of a result cache (default ``SR_CACHE_DIR``): on a Ray cluster
    when ``RAY_ADDRESS`` is set, in this process otherwise."""
    root = (cache_root or settings.cache_dir()).resolve()
    with _managers_lock:
        if root not in _managers:
            cache = ResultCache(root)
            runner = None
            if settings.ray_address():
                from runs.ray_jobs import ray_runner  # Ray is imported only when asked for

                runner = ray_runner(cache, settings.ray_address())
            _managers[root] = JobManager(cache, runner)
        return _managers[root]
