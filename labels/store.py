"""Label sets on disk: one GeoJSON FeatureCollection per set in the label directory.

Saving never loses work:
- every write goes to a temporary file in the same folder, is fsynced and moved into place with
  ``os.replace``, so a crash at any moment leaves the previous or the new file, both complete;
- changes are applied, not whole files written: under an exclusive file lock the current file is
  read, the session's new, changed and deleted features are merged into it by feature id, and the
  result written. Two sessions saving the same set keep each other's features;
- a file that cannot be read as a label set is reported and never overwritten.
"""

from __future__ import annotations

import copy
import fcntl
import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from labels.features import Feature, LabelError, now

SUFFIX = ".geojson"
NAME = re.compile(r"\w[\w .-]{0,79}")


def labels_dir_from_env() -> Path:
    """The label directory: ``LABELS_DIR``, default ``data/labels``."""
    return Path(os.environ.get("LABELS_DIR", "data/labels"))


class LabelStore:
    """The label sets in one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        """The file of set ``name``.

        Raises:
            LabelError: the name has characters other than letters, digits, space, ``_ . -``,
                does not start with a letter or digit, or is longer than 80 characters.
        """
        if not NAME.fullmatch(name) or name.endswith((".", " ")):
            raise LabelError(
                f"{name!r} is not a usable label set name: use letters, digits, spaces, "
                "'_', '.' and '-' (up to 80), starting with a letter or digit"
            )
        return self.root / f"{name}{SUFFIX}"

    def names(self) -> list[str]:
        """Names of the existing sets, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(p.name[: -len(SUFFIX)] for p in self.root.glob(f"*{SUFFIX}"))

    def load(self, name: str) -> dict[str, Any]:
        """The set as a GeoJSON FeatureCollection; an empty one when it does not exist yet.

        Raises:
            LabelError: the file is damaged (it is left untouched).
        """
        path = self.path(name)
        if not path.exists():
            return {"type": "FeatureCollection", "label_set": {"name": name}, "features": []}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise LabelError(
                f"label set {name!r} ({path}) is damaged and was kept as it is: {err}"
            ) from err
        if (
            not isinstance(data, dict)
            or data.get("type") != "FeatureCollection"
            or not isinstance(data.get("features"), list)
        ):
            raise LabelError(
                f"label set {name!r} ({path}) is not a GeoJSON FeatureCollection; kept as it is"
            )
        return data

    def apply(
        self,
        name: str,
        upserts: Sequence[Feature] = (),
        deletes: Sequence[str] = (),
        info: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Merge changes into the set on disk and save it atomically; returns the saved set.

        Args:
            name: the set.
            upserts: features to add, or to replace where the id exists (``created`` is kept,
                ``updated`` set to now).
            deletes: ids of features to remove (ids not present are ignored).
            info: set-level facts (scene, area, creator) stored under ``label_set``, for keys
                not already there.

        Raises:
            LabelError: bad name or damaged file (then nothing is written).
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with self._lock(name):
            data = self.load(name)
            meta = data.setdefault("label_set", {"name": name})
            for key, value in (info or {}).items():
                meta.setdefault(key, value)
            meta.setdefault("created", now())
            by_id = {f.get("id"): f for f in data["features"]}
            for feature in upserts:
                old = by_id.get(feature["id"])
                if old is not None:
                    feature = copy.deepcopy(feature)
                    feature["properties"]["created"] = old["properties"].get("created")
                    feature["properties"]["updated"] = now()
                by_id[feature["id"]] = feature
            for fid in deletes:
                by_id.pop(fid, None)
            data["features"] = list(by_id.values())
            _write_atomic(self.path(name), data)
        return data

    @contextmanager
    def _lock(self, name: str) -> Iterator[None]:
        lock_path = self.root / f".{self.path(name).name}.lock"
        with open(lock_path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomic(path: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
