"""How well an enhancement job's time is foretold: the Enhance page's estimate before it starts,
and the job panel's "about ... to go" while it runs, against the time it really took.

One Deep Image Prior job (pipeline ``dip``, preset ``fast``, the consistency step) on a square of
the demo scene, run by the app's :class:`runs.jobs.JobManager` with an empty cache, sampled
every half second. Two runs:

- ``steady``: the machine as it is;
- ``load arrives``: when the job is 30 % done, a second torch process (matrix products on every
  core, as a second enhancement would be) starts and runs until the job ends: the case of the
  page's estimate made on an idle machine that then got busy.

For each run: the page's estimate and the real time, and the panel's forecast of the time left
against the real time left, at the samples where the real time left is at least
:data:`MIN_LEFT` of the whole (near the end a second's error is a large factor): median and worst
factor (max(forecast / real, real / forecast)), the share of them within :data:`WITHIN`, and
how long after the load arrived the forecast was last off by more than that (a forecast from
the pace so far cannot know of a load before it comes: at that moment it is off by the whole
slow-down, whatever the method).

``.venv/bin/python -m bench.job_estimate [--side 96]`` (about 10 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio

from imagery.raster import Raster
from runs.jobs import EnhanceRequest, JobManager
from settings import DEMO_SCENE
from sr.cache import ResultCache
from sr.enhance import estimate_seconds

PRESET = "fast"
LOAD_AT = 0.30  # fraction of the job done when the load arrives
MIN_LEFT = 0.10  # samples scored: real time left at least this share of the whole
WITHIN = 1.5  # the factor the forecast should keep within (issue 26)
BUSY = (
    "import torch\na = torch.rand(1024, 1024)\nprint('ready', flush=True)\n"
    "while True:\n    a = torch.tanh(a @ a)\n"
)


def area(side: int) -> Raster:
    window = ((200, 200 + side), (600, 600 + side))  # farmland of the demo scene
    with rasterio.open(DEMO_SCENE) as ds:
        data = ds.read(window=window).astype(np.float32) / 10000
        return Raster(data, ds.crs, ds.window_transform(window))


def run(raster: Raster, load: bool) -> dict[str, float]:
    """One job from submission to its end, sampled; what the estimates said and how it went."""
    estimate = estimate_seconds(raster.height, raster.width, "dip", 4, PRESET)
    samples: list[tuple[float, float, float | None]] = []  # (time, fraction, forecast left)
    busy: subprocess.Popen[bytes] | None = None
    arrived = None  # when the load arrived
    with tempfile.TemporaryDirectory() as tmp:
        manager = JobManager(ResultCache(Path(tmp)))
        job = manager.submit(EnhanceRequest(raster, "dip", PRESET), "cpu")
        try:
            while job.active:
                now = time.time()
                if job.state == "running":
                    samples.append((now, job.fraction, job.remaining(now)))
                if load and busy is None and job.fraction >= LOAD_AT:
                    busy = subprocess.Popen([sys.executable, "-c", BUSY], stdout=subprocess.PIPE)
                    assert busy.stdout is not None
                    busy.stdout.readline()  # torch imported: the load starts now
                    arrived = time.time()
                time.sleep(0.5)
        finally:
            if busy is not None:
                busy.kill()
                busy.wait()
    if job.state != "done" or job.started is None or job.finished is None:
        raise SystemExit(f"the job ended {job.state}: {job.error or job.message}")
    total = job.finished - job.started
    scored = [
        (t, max(f / (job.finished - t), (job.finished - t) / f))
        for t, _, f in samples
        if f and job.finished - t >= MIN_LEFT * total
    ]
    factors = [factor for _, factor in scored]
    off = [t for t, factor in scored if factor > WITHIN and arrived is not None and t >= arrived]
    return {
        "estimate": estimate,
        "total": total,
        "median": float(np.median(factors)) if factors else float("nan"),
        "worst": max(factors, default=float("nan")),
        "within": sum(factor <= WITHIN for factor in factors) / max(len(factors), 1),
        # how long after the load arrived the forecast was last off by more than WITHIN
        "settled": (max(off, default=arrived) - arrived) if arrived is not None else float("nan"),
        "scored": len(factors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--side", type=int, default=96, help="the square's side, 10 m px")
    args = parser.parse_args()
    raster = area(args.side)
    load = os.getloadavg()[0]
    print(f"{args.side} x {args.side} px of the demo scene, dip / {PRESET}, CPU; load {load:.1f}")
    print(
        "| run | page's estimate (s) | real time (s) | estimate / real "
        f"| panel: median factor | panel: worst factor | panel: within {WITHIN} "
        "| panel: last off after the load (s) | samples |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, busy in (("steady", False), ("load arrives", True)):
        r = run(raster, busy)
        print(
            f"| {name} | {r['estimate']:.0f} | {r['total']:.0f} | "
            f"{r['estimate'] / r['total']:.2f} | {r['median']:.2f} | {r['worst']:.2f} | "
            f"{r['within']:.0%} | {r['settled']:.1f} | {r['scored']:.0f} |"
        )


if __name__ == "__main__":
    main()
