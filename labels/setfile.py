"""A label set's file: GeoJSON with one feature per line, and what this process knows of it.

Every save rewrites the whole file, so the file on disk is always the complete, current set that
QGIS or any GeoJSON reader opens. What a save does not do is read and encode the whole set again:
the set this process last wrote or read is kept as the encoded line of each feature and reused
while the file on disk is still that one (same inode, size, modification time and first line).
A save encodes only its changed features; what stays proportional to the set is copying its bytes
to disk (docs/benchmarks.md, "Saving label sets: time by set size").
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labels.features import Feature, LabelError

#: The ids this tool gives features (UUID4 hex).
OUR_ID = re.compile(r"[0-9a-f]{32}")
#: Sets whose lines this process keeps (the app's sessions usually share one or two).
KEPT = 8
_TAIL = b"\n]}\n"
#: The most of a file's first line read to see whether it changed, or to read its header.
FIRST_LINE = 1 << 16


@dataclass
class SetFile:
    """A set as encoded lines: ``meta`` (every member but ``features``) and, by feature id, the
    feature's JSON line and its ``rev``. Mutated only under the set's lock."""

    meta: dict[str, Any]
    lines: dict[str, bytes]
    revs: dict[str, Any]

    def feature(self, fid: str) -> Feature:
        result: Feature = json.loads(self.lines[fid])
        return result

    def put(self, feature: Feature) -> None:
        """Add the feature, or replace the one with its id (keeping its place)."""
        self.lines[feature["id"]] = _encode(feature)
        self.revs[feature["id"]] = feature["properties"].get("rev")

    def drop(self, fid: str) -> None:
        del self.lines[fid], self.revs[fid]

    def text(self) -> bytes:
        """The whole file."""
        body = b",\n".join(self.lines.values())
        return _header(self.meta) + (b"\n" + body if body else b"") + _TAIL


@dataclass
class _Kept:
    setfile: SetFile
    stamp: tuple[int, int, int, bytes]


_kept: OrderedDict[Path, _Kept] = OrderedDict()
_kept_lock = threading.Lock()


def parse(text: bytes | str, name: str, path: Path) -> dict[str, Any]:
    """The set in ``text`` as a FeatureCollection.

    Raises:
        LabelError: not JSON, not a FeatureCollection, or a feature or ``label_set`` that is not
            usable (a hand edit); the message names the set and says the file was kept.
    """
    try:
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
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
    problem = _damage(data)
    if problem:
        raise LabelError(f"label set {name!r} ({path}) {problem}; kept as it is")
    _give_ids(data["features"])
    return data


def read(path: Path, name: str) -> SetFile:
    """The set at ``path`` for changing it (call under the set's lock): the kept lines when the
    file is the one this process last wrote or read, else the file parsed; an empty set (with
    ``label_set.name``) when there is no file.

    Raises:
        LabelError: see :func:`parse`; ``OSError`` when the file cannot be read.
    """
    key = path.resolve()
    stamp = _stamp(path)
    if stamp is None:
        _drop(key)
        return SetFile({"type": "FeatureCollection", "label_set": {"name": name}}, {}, {})
    with _kept_lock:
        kept = _kept.get(key)
        if kept is not None and kept.stamp == stamp:
            _kept.move_to_end(key)
            return kept.setfile
    data = parse(path.read_bytes(), name, path)
    features = data.pop("features")
    setfile = SetFile(data, {}, {})
    for feature in features:
        setfile.put(feature)
    _keep(key, setfile, stamp)
    return setfile


def write(path: Path, setfile: SetFile) -> bytes:
    """Write the set atomically (temporary file in the same folder, fsync, rename, fsync of the
    folder) and keep its lines for the next save; returns what was written. On any failure the
    file is as it was and nothing is kept (the caller's ``setfile`` may hold unsaved changes)."""
    key = path.resolve()
    text = setfile.text()
    try:
        _write_atomic(path, text)
        stamp = _stamp(path)
    except BaseException:
        _drop(key)
        raise
    if stamp is not None:
        _keep(key, setfile, stamp)
    return text


def header(path: Path) -> dict[str, Any] | None:
    """Every member but the features, read from the first line alone; ``None`` for a file not
    written one feature per line (by hand, or by an older version) or not readable."""
    try:
        with open(path, "rb") as handle:
            first = handle.readline(FIRST_LINE).rstrip(b"\n")
    except OSError:
        return None
    opening = b', "features": ['
    if not first.endswith(opening):
        return None
    try:
        meta = json.loads(first[: -len(opening)] + b"}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return meta if isinstance(meta, dict) else None


def _header(meta: dict[str, Any]) -> bytes:
    return json.dumps(meta, ensure_ascii=False).encode("utf-8")[:-1] + b', "features": ['


def _encode(feature: Feature) -> bytes:
    return json.dumps(feature, ensure_ascii=False).encode("utf-8")


def _stamp(path: Path) -> tuple[int, int, int, bytes] | None:
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            first = handle.readline(FIRST_LINE)
    except FileNotFoundError:
        return None
    return info.st_ino, info.st_size, info.st_mtime_ns, first


def _keep(key: Path, setfile: SetFile, stamp: tuple[int, int, int, bytes]) -> None:
    with _kept_lock:
        _kept[key] = _Kept(setfile, stamp)
        _kept.move_to_end(key)
        while len(_kept) > KEPT:
            _kept.popitem(last=False)


def forget(path: Path) -> None:
    """Drop what this process keeps of the set at ``path`` (it is read again next time)."""
    _drop(path.resolve())


def _drop(key: Path) -> None:
    with _kept_lock:
        _kept.pop(key, None)


def _damage(data: dict[str, Any]) -> str:
    """What makes a (hand-edited) set unusable, or ``""``: every feature must be an object with
    a geometry object and a properties object; ``label_set`` must be an object."""
    if not isinstance(data.get("label_set", {}), dict):
        return "has a 'label_set' that is not an object"
    for i, f in enumerate(data["features"], start=1):
        if not isinstance(f, dict):
            return f"has a feature {i} that is not an object"
        if not isinstance(f.get("geometry"), dict):
            return f"has a feature {i} without a geometry"
        if not isinstance(f.get("properties"), dict):
            return f"has a feature {i} without properties"
    return ""


def _give_ids(features: list[Feature]) -> None:
    """Every feature gets a text ``id`` no other in the set has. A set saved back by QGIS or GDAL
    has no ``id`` members: the ``id`` property is taken when it is one of ours. A feature with
    no usable id, or the id of an earlier one (a polygon duplicated in QGIS keeps its ``id``
    property), gets one made from the feature and its place: the same at every read until the
    set is saved with it."""
    seen: set[str] = set()
    for i, f in enumerate(features):
        fid = f.get("id")
        if not isinstance(fid, str) or not fid or fid in seen:
            fid = f["properties"].get("id")
            if not (isinstance(fid, str) and OUR_ID.fullmatch(fid)) or fid in seen:
                seed = json.dumps([i, f], sort_keys=True, default=str).encode("utf-8")
                fid = hashlib.sha256(seed).hexdigest()[:32]
            f["id"] = f["properties"]["id"] = fid
        seen.add(fid)


def _write_atomic(path: Path, text: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text)
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
