"""Label sets on disk: one GeoJSON FeatureCollection per set in the label directory.

Saving never loses work:
- every write goes to a temporary file in the same folder, is fsynced and moved into place with
  ``os.replace``, so a crash at any moment leaves the previous or the new file, both complete;
- changes are applied, not whole files written: under an exclusive file lock
  (:mod:`labels.lock`) the current file is read, the session's new, changed and deleted features
  are merged into it by feature id, and the result written. Two sessions saving the same set
  keep each other's features;
- a feature changed by two sessions is a conflict: the second change is not applied but
  reported (each feature carries a revision number, ``rev``);
- every change is appended to a journal (``.journal/<set>.jsonl``, :mod:`labels.journal`),
  from which a batch can be undone, a deleted polygon restored and a feature's history shown;
- a file that cannot be read as a label set is reported and never overwritten; a deleted set
  goes to ``.trash/``.
"""

from __future__ import annotations

import copy
import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from labels import setfile
from labels.features import Feature, LabelError, now
from labels.geometry import area_ha, outline_key, set_crs
from labels.journal import Journal
from labels.lock import locked, refused
from labels.names import check_name
from labels.review import revised

SUFFIX = ".geojson"


@dataclass
class Saved:
    """What a save did: the id of this batch of changes (for undo), the ids not changed because
    someone else changed them first, how many changes were applied, how many new features were
    left out as already in the set (``new_only``), and the set as saved (its file's text;
    ``data`` parses it when asked)."""

    batch: str
    conflicts: list[str] = field(default_factory=list)
    applied: int = 0
    text: bytes = b""
    present: int = 0

    @cached_property
    def data(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.text)
        return result


class LabelStore:
    """The label sets in one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        """The file of set ``name``; :class:`LabelError` for a name :func:`check_name` refuses."""
        return self.root / f"{check_name(name)}{SUFFIX}"

    def names(self) -> list[str]:
        """Names of the existing sets, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(p.name[: -len(SUFFIX)] for p in self.root.glob(f"*{SUFFIX}"))

    def areas(self) -> list[tuple[str, tuple[float, float, float, float]]]:
        """The sets that record their area (``label_set.area_bbox``), with it; read from each
        file's first line, so sets written by hand or by an older version are left out until
        their next save."""
        found = []
        for name in self.names():
            meta = setfile.header(self.path(name)) or {}
            bbox = (meta.get("label_set") or {}).get("area_bbox")
            if isinstance(bbox, list) and len(bbox) == 4:
                try:
                    west, south, east, north = (float(v) for v in bbox)
                except (TypeError, ValueError):
                    continue
                found.append((name, (west, south, east, north)))
        return found

    def load(self, name: str) -> dict[str, Any]:
        """The set as a GeoJSON FeatureCollection; an empty one when it does not exist yet.

        Raises:
            LabelError: the file is damaged or cannot be read (it is left untouched).
        """
        path = self.path(name)
        if not path.exists():
            return {"type": "FeatureCollection", "label_set": {"name": name}, "features": []}
        try:
            text = path.read_bytes()
        except OSError as err:
            raise LabelError(f"label set {name!r} ({path}) cannot be read: {err}") from err
        return setfile.parse(text, name, path)

    def apply(
        self,
        name: str,
        upserts: Sequence[Feature] = (),
        deletes: Sequence[str] = (),
        info: dict[str, Any] | None = None,
        expected: dict[str, int] | None = None,
        who: str = "",
        reverts: str | None = None,
        new_only: bool = False,
        whole: bool = False,
    ) -> Saved:
        """Merge changes into the set on disk, save it atomically and journal them.

        Args:
            name: the set.
            upserts: features to add, or to replace where the id exists (``created`` is kept,
                ``updated`` set to now, ``rev`` raised by one, a reviewed polygon whose outline
                or class changed is a draft again: :func:`labels.review.revised`); ``area_ha``
                is set, in the set's UTM zone.
            deletes: ids of features to remove (ids not present are ignored).
            info: set-level facts (scene, area, creator) stored under ``label_set``, for keys
                not already there.
            expected: for features this session loaded, the ``rev`` it saw. A change to a
                feature whose ``rev`` on disk differs (someone else changed it meanwhile) is a
                conflict: it is not applied and its id is returned in ``conflicts``.
            who: the annotator, for the journal.
            reverts: the batch these changes undo (:meth:`revert`), for the journal.
            new_only: leave out the upserts the set already holds (the same id, or the same
                outline within about a centimetre), decided under the lock, so imports of one
                file at the same time add it once; counted in ``present``.
            whole: apply all the changes or, when one is a conflict, none (a split's pieces
                without the delete of the polygon they were cut from would overlap it).

        A set that does not exist yet is created, even with no change (so a new set can be
        started empty). The time taken grows with the changes, not with the set, but for
        copying the set's bytes to disk (:mod:`labels.setfile`).

        Raises:
            LabelError: bad name, damaged file, or the disk refused the write (then nothing
                is changed).
        """
        expected = expected or {}
        saved = Saved(batch=uuid.uuid4().hex)
        path = self.path(name)
        with refused("saved"):  # a full disk, a lost folder, a read-only mount
            self.root.mkdir(parents=True, exist_ok=True)
            with locked(path):
                if new_only:
                    upserts = _absent(setfile.read(path, name), upserts, saved)
                self._apply(
                    path, name, upserts, deletes, info or {}, expected, (who, reverts), saved, whole
                )
        return saved

    def _apply(
        self,
        path: Path,
        name: str,
        upserts: Sequence[Feature],
        deletes: Sequence[str],
        info: dict[str, Any],
        expected: dict[str, int],
        author: tuple[str, str | None],
        saved: Saved,
        whole: bool = False,
    ) -> None:
        new_file = not path.exists()
        current = setfile.read(path, name)
        meta = dict(current.meta.get("label_set") or {"name": name})
        for key, value in info.items():
            meta.setdefault(key, value)
        meta.setdefault("created", now())
        log = self.journal(name)
        log.cut(meta.get("journal_bytes"))
        first = [current.feature(next(iter(current.lines)))] if current.lines else upserts[:1]
        crs = set_crs({"label_set": meta, "features": first})
        entries: list[tuple[str, str, Any, Any]] = []

        def conflict(fid: str) -> bool:
            seen = expected.get(fid)
            if seen is not None and (fid not in current.lines or current.revs[fid] != seen):
                saved.conflicts.append(fid)
                return True
            return False

        for feature in upserts:
            if conflict(feature["id"]):
                continue
            old = current.feature(feature["id"]) if feature["id"] in current.lines else None
            feature = copy.deepcopy(feature)
            if old is not None and author[1] is None:  # an undo or redo restores a review too
                feature = revised(old, feature)
            props = feature["properties"]
            props["area_ha"] = round(area_ha(feature["geometry"], crs), 4)
            if old is not None:
                props["created"] = old["properties"].get("created")
                props["updated"] = now()
                props["rev"] = int(old["properties"].get("rev", 1)) + 1
            else:
                props.setdefault("rev", 1)
            entries.append(("edit" if old else "add", feature["id"], old, feature))
        for fid in deletes:
            if fid in current.lines and not conflict(fid):
                entries.append(("delete", fid, current.feature(fid), None))
        if whole and saved.conflicts:
            entries = []
        if not entries and not new_file:
            saved.text = current.text()
            return
        journal_size = None
        try:
            if entries:  # journal first (write-ahead): a crash between the two writes leaves
                # the journal ahead of the set; the set records how much of it it includes
                journal_size = log.append(saved.batch, author, entries)
                meta["journal_bytes"] = log.path.stat().st_size
            current.meta["label_set"] = meta
            for op, fid, _, after in entries:
                if op == "delete":
                    current.drop(fid)
                else:
                    current.put(after)
            saved.text = setfile.write(path, current)
        except BaseException as err:  # the kept lines may hold changes the file lacks: drop them
            setfile.forget(path)
            if isinstance(err, OSError) and journal_size is not None:  # undo the journal too
                log.truncate(journal_size)
            raise
        saved.applied = len(entries)

    def update_info(self, name: str, info: dict[str, Any]) -> dict[str, Any]:
        """Set (overwrite) set-level facts such as the class list; returns the saved set.

        Raises:
            LabelError: bad name, damaged file, or the disk refused the write.
        """
        with refused("saved"), locked(self.path(name)):
            current = setfile.read(self.path(name), name)
            meta = {**current.meta.get("label_set", {"name": name}), **info}
            text = setfile.write(
                self.path(name), replace(current, meta={**current.meta, "label_set": meta})
            )
        return setfile.parse(text, name, self.path(name))

    def history(self, name: str) -> list[dict[str, Any]]:
        """The set's journal, oldest first (:meth:`labels.journal.Journal.entries`)."""
        return self.journal(name).entries()

    def revert(self, name: str, batch: str, who: str = "") -> Saved:
        """Undo one batch of changes (redo: revert the revert). Features changed since by
        someone else are left alone and returned as conflicts; a batch that deleted polygons and
        added or changed others (a split, a merge: :mod:`labels.shapes`) is undone whole or,
        with a conflict, not at all, so no undo leaves a polygon over its pieces."""
        entries = self.journal(name).batch(batch)
        upserts, deletes, expected = [], [], {}
        for e in reversed(entries):
            if e["op"] == "add":
                deletes.append(e["id"])
                expected[e["id"]] = e["after"]["properties"]["rev"]
            elif e["op"] == "delete":
                upserts.append(e["before"])
            else:
                upserts.append(e["before"])
                expected[e["id"]] = e["after"]["properties"]["rev"]
        ops = {e["op"] for e in entries}
        whole = "delete" in ops and len(ops) > 1
        return self.apply(
            name, upserts, deletes, expected=expected, who=who, reverts=batch, whole=whole
        )

    def deleted(self, name: str) -> list[Feature]:
        """Features deleted from the set and not restored, most recent first."""
        alive = {f["id"] for f in self.load(name)["features"]}
        gone: dict[str, Feature] = {}
        for e in self.history(name):
            if e["op"] == "delete" and e["id"] not in alive:
                gone[e["id"]] = e["before"]
        return list(reversed(gone.values()))

    def rename(self, old: str, new: str) -> None:
        """Rename a set and its journal.

        Raises:
            LabelError: a bad name, ``old`` missing, ``new`` taken, or the disk refused.
        """
        src, dst = self.path(old), self.path(new)
        with refused("renamed"), locked(src), locked(dst):
            if not src.exists():
                raise LabelError(f"there is no label set {old!r}")
            if dst.exists():
                raise LabelError(f"a label set {new!r} exists already")
            os.replace(src, dst)
            try:
                if self.journal(old).path.exists():
                    os.replace(self.journal(old).path, self.journal(new).path)
            except OSError:
                os.replace(dst, src)  # set and journal keep one name
                raise

    def delete(self, name: str) -> Path:
        """Move a set (and its journal) to the ``.trash`` folder; returns where it went.

        Raises:
            LabelError: a bad name, no such set, or the disk refused (the set stays).
        """
        src = self.path(name)
        trash = self.root / ".trash"
        stamp = now().replace(":", "")
        with refused("deleted"), locked(src):
            trash.mkdir(parents=True, exist_ok=True)
            if not src.exists():
                raise LabelError(f"there is no label set {name!r}")
            dst = trash / f"{name}.{stamp}{SUFFIX}"
            os.replace(src, dst)
            if self.journal(name).path.exists():
                os.replace(self.journal(name).path, trash / f"{name}.{stamp}.journal.jsonl")
        return dst

    def journal(self, name: str) -> Journal:
        """The journal of set ``name``."""
        return Journal(self.path(name))


def _absent(current: setfile.SetFile, upserts: Sequence[Feature], saved: Saved) -> list[Feature]:
    """The ``upserts`` whose id and outline are neither in the set nor earlier among them; how
    many were left out goes to ``saved.present``."""
    ids = set(current.lines)
    outlines = {outline_key(current.feature(fid)["geometry"]) for fid in current.lines}
    new = []
    for feature in upserts:
        outline = outline_key(feature["geometry"])
        if feature["id"] not in ids and outline not in outlines:
            new.append(feature)
            ids.add(feature["id"])
            outlines.add(outline)
    saved.present = len(upserts) - len(new)
    return new
