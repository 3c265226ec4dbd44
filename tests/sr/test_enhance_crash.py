"""`python -m sr enhance` killed at any moment leaves the output as it was or complete."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import rasterio

from tests.conftest import write_tif

ROOT = Path(__file__).resolve().parents[2]


def enhance(src: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sr", "enhance", str(src), str(out), "--no-cache"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def complete(path: Path) -> bool:
    with rasterio.open(path) as ds:
        return ds.shape == (3072, 3072) and ds.read(1).min() > 0  # every pixel written


def test_a_killed_enhancement_never_leaves_a_half_written_output(tmp_path: Path):
    data = np.random.default_rng(0).integers(1, 15000, (4, 768, 768)).astype(np.uint16)
    src = write_tif(tmp_path / "in.tif", data)
    out = tmp_path / "out.tif"
    for round_ in range(6):
        if round_ == 3:  # from here on, a complete earlier result is there to be kept
            assert enhance(src, out).wait() == 0
        proc = enhance(src, out)
        time.sleep(1.8 + 0.5 * round_)  # from start-up to the end of the write (about 4 s)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if out.exists():
            assert complete(out)
        if round_ >= 3:
            assert out.exists()
    assert complete(out)
    assert src.read_bytes() == write_tif(tmp_path / "again.tif", data).read_bytes()
