"""Choosing the torch device."""

from __future__ import annotations

import torch


def pick_device(preferred: str | None = None) -> torch.device:
    """``preferred`` when given (``"cpu"``, ``"cuda"``, ``"cuda:1"``), else CUDA when available,
    else the CPU.

    Raises:
        ValueError: CUDA was asked for and is not available.
    """
    if preferred:
        device = torch.device(preferred)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device {preferred!r} was asked for, but CUDA is not available here")
        return device
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
