"""Background enhancement jobs: submit returns at once; progress, cancel, dedup, restart."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from runs.jobs import EnhanceRequest, Job, JobManager, local_runner
from sr.cache import ResultCache
from sr.consistency import consistency
from sr.enhance import Progress, enhance
from sr.errors import NotCached
from tests.sr.test_enhance import tiny


def raster(seed: int = 0):
    return tiny(np.random.default_rng(seed).uniform(0.05, 0.3, (4, 16, 16)))


class Gate:
    """A runner that reports progress step by step, each step when the test lets it."""

    def __init__(self, steps: int = 4) -> None:
        self.steps, self.calls = steps, 0
        self.go = threading.Semaphore(0)

    def __call__(self, request: EnhanceRequest, progress) -> object:
        self.calls += 1
        for i in range(self.steps):
            self.go.acquire(timeout=10)
            progress(Progress((i + 1) / self.steps, f"step {i + 1}", np.zeros((4, 2, 2))))
        return enhance(request.raster, "bicubic")


def wait_for(condition, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def test_submit_returns_at_once_and_the_result_lands_in_the_cache(tmp_path):
    jobs = JobManager(ResultCache(tmp_path))
    job = jobs.submit(EnhanceRequest(raster(), "decrappify", label="area", by="ana"))
    assert job.state in ("queued", "running")
    done = jobs.wait(job.key)
    assert done is not None and done.state == "done", done and done.error
    assert done.result is not None and done.result.data.shape == (4, 64, 64)
    assert done.fraction == 1.0 and done.elapsed() > 0 and done.by == "ana"
    assert list(tmp_path.glob("*.npz"))  # the stages are in the result cache
    again = enhance(raster(), "decrappify", cache=ResultCache(tmp_path), fit_dip=False)
    assert np.array_equal(again.data, done.result.data, equal_nan=True)
    assert done.departure is not None  # the result's departure from the input, on its grid
    expected = consistency(raster(), done.result, 4)
    assert np.array_equal(done.departure.data, expected.data, equal_nan=True)
    assert done.departure.transform == raster().transform


def test_a_reload_takes_the_job_or_the_cache_and_never_fits_dip(tmp_path):
    gate = Gate(steps=1)
    jobs = JobManager(ResultCache(tmp_path), gate)
    with pytest.raises(NotCached):  # nothing computed yet: a reload does not start the fit
        jobs.from_cache(EnhanceRequest(raster(), "dip"))
    running = jobs.submit(EnhanceRequest(raster(), "dip"))
    assert jobs.from_cache(EnhanceRequest(raster(), "dip")) is running  # the session waits
    gate.go.release()
    jobs.wait(running.key)
    assert jobs.from_cache(EnhanceRequest(raster(), "dip")) is running  # its result at hand

    restarted = JobManager(ResultCache(tmp_path))  # the result no longer in memory
    restored = restarted.from_cache(EnhanceRequest(raster(1), "decrappify", scale=2))
    assert restored.state == "done" and restored.result is not None
    assert restored.result.data.shape == (4, 32, 32)
    assert restored.departure is not None and restored.departure.data.shape == (1, 16, 16)
    assert restarted.get(restored.key) is None  # taken from the cache: not listed as a job


def test_a_request_is_named_as_its_result_is():
    key = EnhanceRequest(raster(), "decrappify", "fast").key
    assert key == EnhanceRequest(raster(), "decrappify", "quality").key  # no DIP: no preset
    assert key != EnhanceRequest(raster(), "decrappify", consistent=False).key
    assert key != EnhanceRequest(raster(), "decrappify", scale=2).key
    assert key != EnhanceRequest(raster(1), "decrappify").key
    bicubic = EnhanceRequest(raster(), "bicubic").key
    assert bicubic == EnhanceRequest(raster(), "bicubic", consistent=False).key


def test_progress_preview_and_remaining_time_are_reported(tmp_path):
    gate = Gate()
    jobs = JobManager(ResultCache(tmp_path), gate)
    job = jobs.submit(EnhanceRequest(raster(), "dip"))
    gate.go.release()
    wait_for(lambda: job.fraction == 0.25)
    assert job.state == "running" and job.message == "step 1" and job.preview is not None
    time.sleep(0.05)
    assert job.remaining() is not None and job.remaining() > 0
    for _ in range(3):
        gate.go.release()
    assert jobs.wait(job.key).state == "done"
    assert job.preview is None and job.remaining() is None


def test_identical_requests_share_one_computation(tmp_path):
    gate = Gate(steps=1)
    jobs = JobManager(ResultCache(tmp_path), gate)
    first = jobs.submit(EnhanceRequest(raster(), "dip", by="ana"))
    second = jobs.submit(EnhanceRequest(raster(), "dip", by="ben"))  # another session, same pixels
    other = jobs.submit(EnhanceRequest(raster(), "dip", preset="quality"))
    assert second is first and other is not first
    gate.go.release()
    gate.go.release()
    assert jobs.wait(first.key).state == "done" and jobs.wait(other.key).state == "done"
    assert gate.calls == 2
    assert jobs.submit(EnhanceRequest(raster(), "dip")) is first  # done: not computed again


def test_cancel_stops_a_running_job_and_a_queued_one(tmp_path):
    gate = Gate()
    jobs = JobManager(ResultCache(tmp_path), gate, cpu_workers=1)
    running = jobs.submit(EnhanceRequest(raster(0), "dip"))
    queued = jobs.submit(EnhanceRequest(raster(1), "dip"))
    gate.go.release()
    wait_for(lambda: running.fraction > 0)
    assert queued.state == "queued"
    jobs.cancel(queued.key)
    jobs.cancel(running.key)
    gate.go.release()  # the next report finds the job cancelled and stops the work
    assert jobs.wait(running.key).state == "cancelled"
    assert queued.state == "cancelled" and gate.calls == 1
    assert running.result is None
    again = jobs.submit(EnhanceRequest(raster(0), "dip"))  # asked again: a new computation
    assert again is not running and again.active
    jobs.cancel(again.key)
    gate.go.release()
    jobs.wait(again.key)


def test_a_failed_job_says_why(tmp_path):
    jobs = JobManager(ResultCache(tmp_path), local_runner(ResultCache(tmp_path)))
    bands = tiny(np.full((4, 16, 16), 0.1))
    job = jobs.submit(EnhanceRequest(bands, "no-such-pipeline"))
    assert jobs.wait(job.key).state == "failed"
    assert "unknown pipeline" in job.error


def test_the_registry_survives_a_server_restart(tmp_path):
    gate = Gate(steps=2)
    jobs = JobManager(ResultCache(tmp_path), gate)
    done = jobs.submit(EnhanceRequest(raster(0), "dip", label="area one"))
    gate.go.release()
    gate.go.release()
    jobs.wait(done.key)
    left = jobs.submit(EnhanceRequest(raster(1), "dip", label="area two"))
    gate.go.release()
    wait_for(lambda: left.fraction > 0)

    restarted = JobManager(ResultCache(tmp_path), gate)  # a new server process, same cache
    states = {j.label: j.state for j in restarted.jobs()}
    assert states == {"area one": "done", "area two": "interrupted"}
    jobs.cancel(left.key)
    gate.go.release()
    jobs.wait(left.key)


def test_a_damaged_registry_record_is_skipped(tmp_path):
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "bad.json").write_text("{oops")
    assert JobManager(ResultCache(tmp_path)).jobs() == []


def test_cpu_jobs_run_side_by_side_when_allowed(tmp_path):
    gate = Gate(steps=1)
    jobs = JobManager(ResultCache(tmp_path), gate, cpu_workers=2)
    a = jobs.submit(EnhanceRequest(raster(0), "dip"))
    b = jobs.submit(EnhanceRequest(raster(1), "dip"))
    wait_for(lambda: a.state == "running" and b.state == "running")
    gate.go.release()
    gate.go.release()
    assert jobs.wait(a.key).state == "done" and jobs.wait(b.key).state == "done"


def test_gpu_jobs_queue_one_at_a_time_while_cpu_work_goes_on(tmp_path, monkeypatch):
    import torch

    monkeypatch.setattr("runs.jobs.pick_device", lambda d: torch.device(d or "cpu"))  # a fake GPU
    gate = Gate(steps=1)
    jobs = JobManager(ResultCache(tmp_path), gate, cpu_workers=1)
    first = jobs.submit(EnhanceRequest(raster(0), "dip"), device="cuda:0")
    second = jobs.submit(EnhanceRequest(raster(1), "dip"), device="cuda:0")
    on_cpu = jobs.submit(EnhanceRequest(raster(2), "dip"), device="cpu")
    wait_for(lambda: first.state == "running" and on_cpu.state == "running")
    assert second.state == "queued" and first.device == "cuda:0" and on_cpu.device == "cpu"
    for _ in range(3):
        gate.go.release()
    assert all(jobs.wait(j.key).state == "done" for j in (first, second, on_cpu))


def test_time_left_follows_the_pace_of_late_when_the_machine_gets_busy():
    """10 % a minute for 5 minutes, then the machine gets busy: 2.5 % a minute for 4 minutes.
    The half left takes 20 minutes at the new pace; the whole run's average would say 9."""
    job = Job("k", "", "", "dip", "fast", True, "cpu", state="running", started=0.0)
    for second in range(0, 301, 5):
        job.advance(second / 600, now=float(second))
    for second in range(305, 541, 5):
        job.advance(0.5 + (second - 300) / 2400, now=float(second))
    left = job.remaining(now=540.0)
    truth = (1 - job.fraction) * 2400
    assert left is not None and truth / 1.1 < left < truth * 1.1
    average = 540 * (1 - job.fraction) / job.fraction
    assert average < truth / 1.5  # what the whole run's pace said


def test_time_left_of_a_steady_job_is_its_pace():
    job = Job("k", "", "", "dip", "fast", True, "cpu", state="running", started=0.0)
    for second in range(0, 121, 2):
        job.advance(second / 400, now=float(second))
    assert job.remaining(now=120.0) == pytest.approx(280.0, rel=0.02)
