"""Enhancements as background jobs: submitting returns at once, the work runs elsewhere.

A :class:`JobManager` (one per result cache in a process: :func:`runs.service.manager`) runs
each request on a worker thread of its device: the GPU one job at a time per device, the CPU
``SR_CPU_JOBS`` at a time (default 1: two torch jobs on a 2-core machine slow each other
several-fold). Where the work itself runs is the runner's business: in this process
(:func:`local_runner`) or on a Ray cluster (:mod:`runs.ray_jobs`, chosen when ``RAY_ADDRESS``
is set).

Jobs are keyed by the request (:attr:`EnhanceRequest.key`: the pixels and georeferencing and
:func:`sr.enhance.result_name`), so identical requests from two sessions share one computation.
The registry lives in the process and on disk (``<cache>/jobs/<key>.json``): a page switch or a
browser reload finds its job again; a job left running by a server that stopped is listed as
interrupted. Results land in the result cache
(every stage, as :func:`sr.enhance.enhance` caches them) and stay in memory, with their departure
from the measurement (:func:`sr.consistency.consistency`), for the last :data:`KEPT_RESULTS`
jobs. A page reload asks for its result with :meth:`JobManager.from_cache`: the job still
running, or the result taken from the cache without fitting Deep Image Prior.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import settings
from imagery.errors import UserError
from imagery.raster import Raster
from sr.cache import ResultCache
from sr.consistency import consistency
from sr.device import pick_device
from sr.enhance import DEFAULT_PRESET, Progress, ProgressFn, enhance, result_name

log = logging.getLogger(__name__)

#: Finished jobs whose result stays in memory until the sessions waiting take it (64 MB for the
#: x4 of a 512 px area); every stage stays in the cache.
KEPT_RESULTS = 4
#: Finished jobs listed (the oldest are forgotten, on disk too).
KEPT_JOBS = 30
#: Seconds between writes of a running job's progress to disk.
SAVE_EVERY = 2.0
#: The time left is foretold by the pace of the last quarter of the time run (at least
#: :data:`RECENT_MIN_S`), not of the whole: a machine that got busier (or quieter) mid-job
#: shows in it at once (``python -m bench.job_estimate``).
RECENT_SHARE, RECENT_MIN_S = 0.25, 15.0
ACTIVE = ("queued", "running")


class Cancelled(Exception):
    """Raised inside a job's progress report once the job is cancelled: the work stops there."""


@dataclass(frozen=True, eq=False)
class EnhanceRequest:
    """What to enhance and how (see :func:`sr.enhance.enhance`), and for whom (``label``: the
    area, ``by``: who asked)."""

    raster: Raster
    pipeline: str
    preset: str = DEFAULT_PRESET
    consistent: bool = True
    label: str = ""
    by: str = ""
    scale: int = 4

    @property
    def key(self) -> str:
        """The request's identity: its raster and :func:`sr.enhance.result_name`."""
        name = result_name(self.pipeline, self.preset, self.scale, self.consistent)
        return ResultCache.key(self.raster, "job", *name)


Runner = Callable[[EnhanceRequest, ProgressFn], Raster]


def run_request(
    request: EnhanceRequest,
    cache: ResultCache,
    device: str | None = None,
    progress: ProgressFn | None = None,
    fit_dip: bool = True,
) -> Raster:
    """Enhance ``request`` here with ``cache`` (the arguments of :func:`sr.enhance.enhance`)."""
    return enhance(
        request.raster,
        request.pipeline,
        request.scale,
        device,
        progress,
        request.preset,
        cache,
        request.consistent,
        fit_dip,
    )


def local_runner(cache: ResultCache, device: str | None = None) -> Runner:
    """Run requests in this process, with ``cache``."""

    def run(request: EnhanceRequest, progress: ProgressFn) -> Raster:
        return run_request(request, cache, device, progress)

    return run


@dataclass
class Job:
    """One request's computation as the panel shows it. ``state`` is one of queued, running,
    done, failed, cancelled, interrupted (the server stopped while it ran)."""

    key: str
    label: str
    by: str
    pipeline: str
    preset: str
    consistent: bool
    device: str
    state: str = "queued"
    fraction: float = 0.0
    message: str = "waiting for a worker"
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    error: str = ""
    preview: Raster | None = None  # the image forming (DIP), of the tile being fitted
    result: Raster | None = None
    departure: Raster | None = None  # the result's departure from the input (``consistency``)
    cancel_event: threading.Event = field(default_factory=threading.Event)
    pace: list[tuple[float, float]] = field(default_factory=list)  # (time, fraction), recent

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    def elapsed(self, now: float | None = None) -> float:
        """Seconds it has run (0 while queued)."""
        if self.started is None:
            return 0.0
        end = self.finished or (time.time() if now is None else now)
        return end - self.started

    def advance(self, fraction: float, now: float | None = None) -> None:
        """Record the progress ``fraction`` (0-1) made by ``now``."""
        now = time.time() if now is None else now
        self.fraction = min(max(fraction, 0.0), 1.0)
        if not self.pace or now - self.pace[-1][0] >= 0.5:
            self.pace.append((now, self.fraction))
        since = self._recent_since(now) - 1.0
        while len(self.pace) > 2 and self.pace[1][0] < since:
            self.pace.pop(0)

    def _recent_since(self, now: float) -> float:
        """When the recent progress that foretells the rest began (:data:`RECENT_SHARE`)."""
        return now - max(RECENT_MIN_S, RECENT_SHARE * self.elapsed(now))

    def remaining(self, now: float | None = None) -> float | None:
        """Seconds still to go (None before 2 %): the work left at the pace of the recent
        progress (:data:`RECENT_SHARE`; the whole run's while it is shorter than that)."""
        if self.state != "running" or self.fraction < 0.02:
            return None
        now = time.time() if now is None else now
        since = self._recent_since(now)
        then, done = next(((t, f) for t, f in self.pace if t >= since), (now, self.fraction))
        if self.fraction <= done:  # no progress of late: the whole run's pace
            return self.elapsed(now) * (1 - self.fraction) / self.fraction
        return (now - then) * (1 - self.fraction) / (self.fraction - done)

    def record(self) -> dict[str, Any]:
        names = ("key", "label", "by", "pipeline", "preset", "consistent", "device", "state")
        times = ("fraction", "message", "submitted", "started", "finished", "error")
        return {n: getattr(self, n) for n in (*names, *times)}


class JobManager:
    """Background enhancement jobs of one result cache (see the module docstring)."""

    def __init__(
        self, cache: ResultCache, runner: Runner | None = None, cpu_workers: int | None = None
    ) -> None:
        self.cache = cache
        self.runner = runner or local_runner(cache)
        self.cpu_workers = cpu_workers or settings.cpu_jobs()
        self.registry = cache.root / "jobs"
        self._jobs: dict[str, Job] = {}
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._lock = threading.Lock()
        self._load()

    def submit(self, request: EnhanceRequest, device: str | None = None) -> Job:
        """Queue ``request`` and return its job at once; a request already queued, running or
        done (result still at hand) returns that job instead of computing it twice.

        Raises:
            EnhanceError: no such device.
        """
        dev = str(pick_device(device))
        key = request.key  # hashes the pixels: once, and outside the lock
        with self._lock:
            job = self._jobs.get(key)
            if job and (job.active or (job.state == "done" and job.result is not None)):
                return job
            job = Job(
                key,
                request.label,
                request.by,
                request.pipeline,
                request.preset,
                request.consistent,
                dev,
            )
            self._jobs[job.key] = job
            self._save(job)
            pool = self._pools.get(dev)
            if pool is None:
                workers = self.cpu_workers if dev == "cpu" else 1  # a GPU: one job at a time
                pool = ThreadPoolExecutor(workers, thread_name_prefix=f"sr-job-{dev}")
                self._pools[dev] = pool
            pool.submit(self._run, job, request)
            self._forget_old()
        return job

    def get(self, key: str) -> Job | None:
        with self._lock:
            return self._jobs.get(key)

    def from_cache(self, request: EnhanceRequest) -> Job:
        """``request``'s job while it is queued or running, or done with its result: the job's
        own when at hand, else taken from the cache here without fitting Deep Image Prior (the
        other stages take seconds and are computed when missing; the job is not listed).

        Raises:
            NotCached: the Deep Image Prior fit is not in the cache.
            EnhanceError: what :func:`sr.enhance.enhance` refuses.
        """
        job = self.get(request.key)
        if job is not None and (job.active or job.result is not None):
            return job
        job = Job(
            request.key,
            request.label,
            request.by,
            request.pipeline,
            request.preset,
            request.consistent,
            str(pick_device(None)),
            state="done",
            fraction=1.0,
            message="from the cache",
        )
        job.result = run_request(request, self.cache, job.device, fit_dip=False)
        job.departure = consistency(request.raster, job.result, request.scale)
        return job

    def jobs(self) -> list[Job]:
        """All jobs known, the newest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.submitted, reverse=True)

    def cancel(self, key: str) -> None:
        """Stop a queued or running job (for everyone who asked for it)."""
        with self._lock:
            job = self._jobs.get(key)
            if job is None or not job.active:
                return
            job.cancel_event.set()
            if job.state == "queued":
                self._finish(job, "cancelled", "cancelled before it started")

    def wait(self, key: str, timeout: float = 60.0) -> Job | None:
        """The job once it is no longer active, or as it is after ``timeout`` seconds."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            job = self.get(key)
            if job is None or not job.active:
                return job
            time.sleep(0.05)
        return self.get(key)

    def _run(self, job: Job, request: EnhanceRequest) -> None:
        with self._lock:
            if job.cancel_event.is_set() or job.state != "queued":
                return
            job.state, job.started, job.message = "running", time.time(), "starting"
            self._save(job)
        last_save = [time.monotonic()]

        def report(p: Progress) -> None:
            if job.cancel_event.is_set():
                raise Cancelled
            with self._lock:
                job.advance(p.fraction)
                job.message = p.message
                if p.preview is not None:
                    src = request.raster
                    job.preview = Raster(
                        p.preview.astype(np.float32), src.crs, src.transform, src.bands
                    )
                if time.monotonic() - last_save[0] > SAVE_EVERY:
                    last_save[0] = time.monotonic()
                    self._save(job)

        result, departure, state, error = None, None, "failed", ""
        try:
            result = self.runner(request, report)
            departure, state = consistency(request.raster, result, request.scale), "done"
        except Cancelled:
            state = "cancelled"
        except UserError as err:
            error = str(err)
        except MemoryError:
            error = "not enough memory: enhance a smaller area"
        except Exception as err:  # noqa: BLE001 - a worker thread must record every failure
            log.exception("job %s failed", job.key)
            error = f"{type(err).__name__}: {err}"
        with self._lock:
            if result is not None:
                job.result, job.departure, job.fraction = result, departure, 1.0
            self._finish(job, state, state, error)
            self._drop_old_results()

    def _finish(self, job: Job, state: str, message: str, error: str = "") -> None:
        job.state, job.message, job.error, job.finished = state, message, error, time.time()
        job.preview = None
        self._save(job)

    def _drop_old_results(self) -> None:
        done = [j for j in self._jobs.values() if j.result is not None]
        for old in sorted(done, key=lambda j: j.finished or 0)[:-KEPT_RESULTS]:
            old.result = old.departure = None

    def _forget_old(self) -> None:
        ended = sorted((j for j in self._jobs.values() if not j.active), key=lambda j: j.submitted)
        for old in ended[: max(0, len(self._jobs) - KEPT_JOBS)]:
            del self._jobs[old.key]
            (self.registry / f"{old.key}.json").unlink(missing_ok=True)

    def _save(self, job: Job) -> None:
        """Write the job's record atomically; a full disk costs the record, not the job."""
        path = self.registry / f"{job.key}.json"
        tmp = path.with_suffix(".tmp")
        try:
            self.registry.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(job.record()))
            os.replace(tmp, path)
        except OSError as err:
            log.warning("could not record job %s: %s", job.key, err)

    def _load(self) -> None:
        """Jobs recorded by earlier servers: finished ones as they ended, running ones as
        interrupted (their threads died with that server)."""
        for path in sorted(self.registry.glob("*.json")) if self.registry.is_dir() else []:
            try:
                record = json.loads(path.read_text())
                job = Job(**record)
            except (OSError, ValueError, TypeError) as err:
                log.warning("ignoring the job record %s: %s", path.name, err)
                continue
            if job.active:
                job.state, job.message = "interrupted", "the server stopped while it ran"
                job.finished = job.finished or time.time()
                self._save(job)
            self._jobs[job.key] = job
