"""The app's jobs on Ray (what ``RAY_ADDRESS`` selects), here on a local Ray instance."""

from __future__ import annotations

import numpy as np
import pytest

from runs.jobs import EnhanceRequest, JobManager
from runs.ray_jobs import ray_runner
from sr.cache import ResultCache
from sr.enhance import enhance
from tests.runs.test_jobs import raster, wait_for
from tests.sr.test_enhance import tiny


@pytest.fixture
def on_ray(tmp_path, monkeypatch):
    ray = pytest.importorskip("ray")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    cache = ResultCache(tmp_path)
    yield JobManager(cache, ray_runner(cache, "local", poll=0.1)), cache
    ray.shutdown()


def test_a_job_on_ray_reports_progress_and_fills_the_local_cache(on_ray):
    jobs, cache = on_ray
    job = jobs.submit(EnhanceRequest(raster(), "decrappify"))
    done = jobs.wait(job.key, timeout=120)
    assert done is not None and done.state == "done", done and done.error
    here = enhance(raster(), "decrappify", cache=cache, fit_dip=False)  # from the cache entries
    assert np.allclose(here.data, done.result.data, atol=1e-6)
    assert len(list(cache.root.glob("*.npz"))) == 2  # the bicubic and Decrappify stages


def test_a_job_on_ray_is_cancelled(on_ray):
    jobs, _ = on_ray
    area = tiny(np.random.default_rng(0).uniform(0.05, 0.3, (4, 64, 64)))
    job = jobs.submit(EnhanceRequest(area, "dip"))  # the fast preset: 1000 iterations
    wait_for(lambda: job.fraction > 0 or not job.active, timeout=120)
    assert job.state == "running", job.error
    jobs.cancel(job.key)
    assert jobs.wait(job.key, timeout=60).state == "cancelled"
