"""Results on disk, addressed by their content: the same request twice costs nothing.

The key hashes the input pixels, georeferencing and bands, the pipeline, preset and scale, the
weights' hash and :data:`CODE_VERSION` (raise it whenever a pipeline's output changes). Values
are ``.npy`` files written to a temporary file and moved into place with ``os.replace``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

from imagery.raster import Raster

CODE_VERSION = "1"


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

    def get(self, key: str) -> np.ndarray | None:
        path = self.root / f"{key}.npy"
        try:
            data: np.ndarray = np.load(path, allow_pickle=False)
            return data
        except (OSError, ValueError):
            return None

    def put(self, key: str, data: np.ndarray) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                np.save(handle, data, allow_pickle=False)
            os.replace(tmp, self.root / f"{key}.npy")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
