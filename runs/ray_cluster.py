"""Joining Ray: a cluster at an address, or a local instance started here.

Ray is imported only inside these functions, when used. A local instance gets this repository
on its workers' ``PYTHONPATH``; a cluster gets it uploaded as the job's working directory (code
and weights; ``.venv``, ``data`` and ``static`` left out), so its nodes need only the packages of
``requirements.txt``. Input files must be readable from the workers: a path on a shared
filesystem, or the COGs of a STAC Item over HTTP.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from imagery.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
#: Left out of the code a cluster receives.
NOT_UPLOADED = [".venv", "data", "static", ".git", ".cache", "docs", "node_modules"]


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


def task_result(ref: Any) -> Any:
    """A task's value; a user error raised in the task is raised here as itself."""
    import ray

    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as err:
        if isinstance(err.cause, UserError):
            raise err.cause from None
        raise
