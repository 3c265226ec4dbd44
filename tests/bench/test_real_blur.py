"""bench.real_blur: the slanted-edge fit recovers a known blur and refuses what is not an edge."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from bench.real_blur import find_edges, mtf_at_nyquist, sigma_from_mtf
from sr.degrade import downsample, gaussian_kernel


def degraded(hr: np.ndarray, sigma_hr: float, noise: float, seed: int = 0) -> np.ndarray:
    """``hr`` (2-D, 2.5 m px) x4 down by the project's sensor model, plus Gaussian noise."""
    t = torch.from_numpy(hr.astype(np.float32))[None, None]
    lr = downsample(t, gaussian_kernel(4, sigma_hr), 4)[0, 0].numpy()
    return lr + noise * np.random.default_rng(seed).standard_normal(lr.shape).astype(np.float32)


def slanted_step(angle_deg: float, size: int = 64) -> np.ndarray:
    """``(4 size, 4 size)`` 2.5 m image of a straight step from 0.05 to 0.30 reflectance near the
    centre, its normal ``angle_deg`` from the columns; each pixel the mean of 4 x 4 samples."""
    n = 4 * size
    y, x = (np.mgrid[: 4 * n, : 4 * n] + 0.5) / 4 - n / 2
    a = math.radians(angle_deg)
    step = 0.05 + 0.25 * (x * math.cos(a) + y * math.sin(a) > 0.3)
    return step.reshape(n, 4, n, 4).mean(axis=(1, 3))


@pytest.mark.parametrize(
    ("sigma_hr", "angle_deg", "noise"),
    [(2.0, 8.0, 0.003), (1.5, 33.0, 0.003), (3.0, 100.0, 0.003), (2.0, 60.0, 0.01)],
)
def test_recovers_known_blur(sigma_hr: float, angle_deg: float, noise: float) -> None:
    image = degraded(slanted_step(angle_deg), sigma_hr, noise)
    edges, _ = find_edges(image, 20)
    # the 2.5 m pixel's own footprint adds 1/12 px^2 of 2.5 m to the Gaussian's variance
    expected = math.sqrt(sigma_hr**2 + 1 / 12) / 4  # 10 m px
    assert edges, "no edge found"
    for edge in edges:
        assert edge.sigma == pytest.approx(expected, rel=0.10)
        assert math.degrees(edge.angle) % 180 == pytest.approx(angle_deg % 180, abs=1.0)


def test_refuses_a_thin_line() -> None:
    """A road: a 7.5 m bright line on a dark field is no step, on either side."""
    n = 256
    y, x = (np.mgrid[:n, :n] + 0.5) - n / 2
    u = x * math.cos(0.2) + y * math.sin(0.2)
    hr = np.where(np.abs(u) < 1.5, 0.30, 0.05)
    edges, failed = find_edges(degraded(hr, 2.0, 0.003), 20)
    assert not edges
    assert sum(failed.values()) > 0


def test_mtf_conversion() -> None:
    """The sensor model's sigma of 5 m has the transfer sr.degrade states (0.29 at Nyquist)."""
    assert mtf_at_nyquist(0.5) == pytest.approx(0.29, abs=0.005)
    assert mtf_at_nyquist(sigma_from_mtf(0.26)) == pytest.approx(0.26)
