"""Choosing the torch device."""

from __future__ import annotations

import torch

from sr.errors import EnhanceError


def pick_device(preferred: str | None = None) -> torch.device:
    """``preferred`` when given (``"cpu"``, ``"cuda"``, ``"cuda:1"``), else CUDA when available,
    else the CPU.

    Raises:
        EnhanceError: not a device name, or CUDA was asked for and is not available.
    """
    if preferred:
        try:
            device = torch.device(preferred)
        except RuntimeError as err:
            raise EnhanceError(f"unknown device {preferred!r}; use cpu, cuda or cuda:N") from err
        if device.type not in ("cpu", "cuda"):
            raise EnhanceError(f"device {preferred!r} is not supported; use cpu, cuda or cuda:N")
        if device.type == "cuda" and not torch.cuda.is_available():
            raise EnhanceError(
                f"device {preferred!r} was asked for, but CUDA is not available here"
            )
        return device
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
