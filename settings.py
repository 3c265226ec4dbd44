"""Every environment variable the project reads, with its default: the README's table.

Read at call time (not import time), so a test or a long-running server sees the current value.
Paths are relative to the working directory (the repository root for ``make run``).
"""

from __future__ import annotations

import os
from pathlib import Path

#: The demo scene built at set-up (``make setup``; the Makefile names the same file).
DEMO_SCENE = Path("data/scenes/S2_T33UUU_20170216_L1C_demo.tif")
#: The Decrappify weights shipped with the code.
SHIPPED_WEIGHTS = Path(__file__).resolve().parent / "sr" / "weights" / "decrappify-lite0.pt"


def shared_data_dir() -> Path:
    """``SHARED_DATA_DIR``: the real Sentinel-2 data for training, tests and benchmarks (never
    copied into the repository); default ``../shared/data`` beside the checkout."""
    return Path(os.environ.get("SHARED_DATA_DIR", "../shared/data"))


def scene_dirs() -> list[Path]:
    """``SCENES_DIR``: local scene folders, ``os.pathsep``-separated; default ``data/scenes``."""
    value = os.environ.get("SCENES_DIR", str(DEMO_SCENE.parent))
    return [Path(p) for p in value.split(os.pathsep) if p]


def labels_dir() -> Path:
    """``LABELS_DIR``: where label sets are saved; default ``data/labels``."""
    return Path(os.environ.get("LABELS_DIR", "data/labels"))


def cache_dir() -> Path:
    """``SR_CACHE_DIR``: the result cache; default ``data/cache``."""
    return Path(os.environ.get("SR_CACHE_DIR", "data/cache"))


def decrappify_weights() -> Path:
    """``SR_DECRAPPIFY_WEIGHTS``: the Decrappify weights file; default the shipped one."""
    return Path(os.environ.get("SR_DECRAPPIFY_WEIGHTS", SHIPPED_WEIGHTS))


def stac_url() -> str:
    """``STAC_URL``: the STAC API searched online; default Earth Search v1."""
    return os.environ.get("STAC_URL", "https://earth-search.aws.element84.com/v1")


def stac_collection() -> str:
    """``STAC_COLLECTION``: its collection; default ``sentinel-2-l2a``."""
    return os.environ.get("STAC_COLLECTION", "sentinel-2-l2a")


def basemap_url() -> str | None:
    """``BASEMAP_URL``: an XYZ tile template for a basemap; default none (offline)."""
    return os.environ.get("BASEMAP_URL") or None


def cpu_jobs() -> int:
    """``SR_CPU_JOBS``: enhancement jobs the app runs at once on the CPU; default 1 (two torch
    jobs on a 2-core machine slow each other several-fold). GPU jobs run one at a time per GPU."""
    return max(1, int(os.environ.get("SR_CPU_JOBS", "1")))


def ray_address() -> str | None:
    """``RAY_ADDRESS``: a Ray cluster the app's jobs and ``runs enhance-region`` run on (Ray's own
    variable; ``auto`` finds a local one); default none: jobs run in the app's process."""
    return os.environ.get("RAY_ADDRESS") or None
