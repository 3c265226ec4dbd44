"""Results on disk, addressed by their content: the same request twice costs nothing.

The key hashes the input pixels, georeferencing and bands, the pipeline, preset and scale, the
weights' hash and :data:`CODE_VERSION` (raise it whenever a pipeline's output changes). Values
are ``.npz`` files holding the array and a SHA-256 of it, written to a temporary file and moved
into place with ``os.replace``; an entry whose checksum or shape does not match is computed again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from imagery.raster import Raster

CODE_VERSION = "3"

log = logging.getLogger(__name__)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex (weights versions, training records)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class ResultCache:
    """A folder of cached arrays."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @staticmethod
    def key(raster: Raster, *parts: str) -> str:
        h = hashlib.sha256()
        h.update(np.ascontiguousarray(raster.data).tobytes())
        h.update(str(raster.data.shape).encode())
        h.update(raster.crs.to_wkt().encode())
        h.update(repr(tuple(raster.transform)).encode())
        h.update("|".join((*raster.bands, *parts, CODE_VERSION)).encode())
        return h.hexdigest()

    def get(self, key: str, shape: tuple[int, ...] | None = None) -> np.ndarray | None:
        """The stored array, or None when it is missing, unreadable, not of ``shape``, or its
        bytes no longer match the checksum stored with them (then it is computed again)."""
        path = self.root / f"{key}.npz"
        try:
            with np.load(path, allow_pickle=False) as entry:
                data: np.ndarray = entry["data"]
                checksum = str(entry["sha256"])
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return None
        if shape is not None and data.shape != tuple(shape):
            log.warning("cache entry %s has shape %s, not %s: recomputing", key, data.shape, shape)
            return None
        if _checksum(data) != checksum:
            log.warning("cache entry %s does not match its checksum: recomputing", key)
            return None
        return data

    def put(self, key: str, data: np.ndarray) -> None:
        """Store ``data`` with its checksum (atomically: a temporary file, then a rename). A
        cache that cannot be written (a full disk, a read-only folder) is said in the log and
        skipped: the result is not lost for it, only not kept."""
        try:
            save_npz(self.root / f"{key}.npz", data=data, sha256=np.array(_checksum(data)))
        except OSError as err:
            log.warning(
                "warning: the result could not be cached in %s (%s); it is not kept for next time",
                self.root,
                err.strerror or err,
            )


def save_npz(path: Path, compressed: bool = False, **arrays: Any) -> None:
    """Write arrays to an ``.npz`` file atomically: a temporary file beside it, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            if compressed:
                np.savez_compressed(handle, **arrays)
            else:
                np.savez(handle, **arrays)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _checksum(data: np.ndarray) -> str:
    """SHA-256 of an array's shape, dtype and bytes."""
    h = hashlib.sha256(f"{data.shape}|{data.dtype.str}".encode())
    h.update(np.ascontiguousarray(data).tobytes())
    return h.hexdigest()
