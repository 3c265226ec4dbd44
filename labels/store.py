"""Label sets on disk: one GeoJSON FeatureCollection per set in the label directory.

Saving never loses work:
- every write goes to a temporary file in the same folder, is fsynced and moved into place with
  ``os.replace``, so a crash at any moment leaves the previous or the new file, both complete;
- changes are applied, not whole files written: under an exclusive file lock the current file is
  read, the session's new, changed and deleted features are merged into it by feature id, and the
  result written. Two sessions saving the same set keep each other's features;
- a feature changed by two sessions is a conflict: the second change is not applied but
  reported (each feature carries a revision number, ``rev``);
- every change is appended to a journal (``.journal/<set>.jsonl``), from which a batch can be
  undone, a deleted polygon restored and a feature's history shown;
- a file that cannot be read as a label set is reported and never overwritten; a deleted set
  goes to ``.trash/``.
"""

from __future__ import annotations

import copy
import fcntl
import json
import os
import re
import unicodedata
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from labels import setfile
from labels.features import Feature, LabelError, now
from labels.geometry import area_ha, outline_key, set_crs

SUFFIX = ".geojson"
NAME = re.compile(r"\w[\w .-]{0,79}")


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


def check_name(name: str) -> str:
    """``name`` as a set is named: in Unicode's composed form (NFC), so ``été`` typed with
    combining accents is the set ``été``.

    Raises:
        LabelError: the name has characters other than letters, digits, space, ``_ . -``,
            does not start with a letter or digit, ends with a dot or a space, or is longer
            than 80 characters.
    """
    name = unicodedata.normalize("NFC", name)
    if not NAME.fullmatch(name) or name.endswith((".", " ")):
        raise LabelError(
            f"{name!r} is not a usable label set name: use letters, digits, spaces, "
            "'_', '.' and '-' (up to 80), starting with a letter or digit"
        )
    return name


class LabelStore:
    """The label sets in one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        """The file of set ``name``.

        Raises:
            LabelError: the name is not usable (:func:`check_name`).
        """
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
    ) -> Saved:
        """Merge changes into the set on disk, save it atomically and journal them.

        Args:
            name: the set.
            upserts: features to add, or to replace where the id exists (``created`` is kept,
                ``updated`` set to now, ``rev`` raised by one); ``area_ha`` is set, in the
                set's UTM zone.
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
        with _refused("saved"):  # a full disk, a lost folder, a read-only mount
            self.root.mkdir(parents=True, exist_ok=True)
            with self._lock(name):
                if new_only:
                    upserts = _absent(setfile.read(path, name), upserts, saved)
                self._apply(
                    path, name, upserts, deletes, info or {}, expected, (who, reverts), saved
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
    ) -> None:
        new_file = not path.exists()
        current = setfile.read(path, name)
        meta = dict(current.meta.get("label_set") or {"name": name})
        for key, value in info.items():
            meta.setdefault(key, value)
        meta.setdefault("created", now())
        self._drop_unsaved(name, meta.get("journal_bytes"))
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
        if not entries and not new_file:
            saved.text = current.text()
            return
        journal_size = None
        try:
            if entries:  # journal first (write-ahead): a crash between the two writes leaves
                # the journal ahead of the set; the set records how much of it it includes
                journal_size = self._journal(name, saved.batch, author, entries)
                meta["journal_bytes"] = self._journal_path(name).stat().st_size
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
                os.truncate(self._journal_path(name), journal_size)
            raise
        saved.applied = len(entries)

    def update_info(self, name: str, info: dict[str, Any]) -> dict[str, Any]:
        """Set (overwrite) set-level facts such as the class list; returns the saved set.

        Raises:
            LabelError: bad name, damaged file, or the disk refused the write.
        """
        with _refused("saved"), self._lock(name):
            current = setfile.read(self.path(name), name)
            meta = {**current.meta.get("label_set", {"name": name}), **info}
            text = setfile.write(
                self.path(name), replace(current, meta={**current.meta, "label_set": meta})
            )
        return setfile.parse(text, name, self.path(name))

    def history(self, name: str) -> list[dict[str, Any]]:
        """The set's journal, oldest first: one entry per change with its ``batch``, ``time``,
        ``who``, ``op`` (add, edit, delete), feature ``id``, and the feature ``before`` and
        ``after``. Entries of changes that never reached the set (a writer killed between its
        two writes) and lines cut by a crash are left out."""
        path = self._journal_path(name)
        if not path.exists():
            return []
        with open(path, "rb") as handle:
            text = handle.read(_journal_bytes(setfile.header(self.path(name))))
        entries = []
        for line in text.decode("utf-8", errors="replace").splitlines():
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut by a crash: the set file itself is complete
        return entries

    def revert(self, name: str, batch: str, who: str = "") -> Saved:
        """Undo one batch of changes (redo: revert the revert). Features changed since by
        someone else are left alone and returned as conflicts."""
        entries = self._batch(name, batch)
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
        return self.apply(name, upserts, deletes, expected=expected, who=who, reverts=batch)

    def undo_stacks(self, name: str, who: str, limit: int = 100) -> tuple[list[str], list[str]]:
        """What Undo and Redo step through for ``who`` in this set, rebuilt from the journal (so
        they survive a reload): the batches to revert for undo and for redo, newest last, as the
        Label page keeps them (an undo's revert goes on the redo stack, a redo's on the undo
        stack; a new change clears redo)."""
        undo: list[str] = []
        redo: list[str] = []
        seen: set[str] = set()
        for entry in self.history(name):
            batch = str(entry.get("batch"))
            if entry.get("who") != who or batch in seen:
                continue
            seen.add(batch)
            reverted = entry.get("reverts")
            if reverted and undo and undo[-1] == reverted:
                undo.pop()
                redo.append(batch)
            elif reverted and redo and redo[-1] == reverted:
                redo.pop()
                undo.append(batch)
            else:
                undo.append(batch)
                redo.clear()
        return undo[-limit:], redo[-limit:]

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
        with _refused("renamed"), self._lock(old), self._lock(new):
            if not src.exists():
                raise LabelError(f"there is no label set {old!r}")
            if dst.exists():
                raise LabelError(f"a label set {new!r} exists already")
            os.replace(src, dst)
            try:
                if self._journal_path(old).exists():
                    os.replace(self._journal_path(old), self._journal_path(new))
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
        with _refused("deleted"), self._lock(name):
            trash.mkdir(parents=True, exist_ok=True)
            if not src.exists():
                raise LabelError(f"there is no label set {name!r}")
            dst = trash / f"{name}.{stamp}{SUFFIX}"
            os.replace(src, dst)
            if self._journal_path(name).exists():
                os.replace(self._journal_path(name), trash / f"{name}.{stamp}.journal.jsonl")
        return dst

    def _batch(self, name: str, batch: str) -> list[dict[str, Any]]:
        """The journal entries of one batch, oldest first. A batch's lines are written together,
        and undo is of recent batches: the journal is searched from its end."""
        path = self._journal_path(name)
        if not path.exists():
            return []
        start = json.dumps({"batch": batch})[:-1].encode("utf-8")  # how its lines begin
        found = []
        for line in _lines_backward(path, _journal_bytes(setfile.header(self.path(name)))):
            if line.startswith(start):
                try:
                    found.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
            elif found:
                break
        return found[::-1]

    def _drop_unsaved(self, name: str, included: Any) -> None:
        """Cut the journal back to what the set includes (its ``label_set.journal_bytes``): what
        lies beyond was written by a save killed before it wrote the set."""
        path = self._journal_path(name)
        if isinstance(included, int) and path.exists() and path.stat().st_size > included:
            os.truncate(path, included)

    def _journal_path(self, name: str) -> Path:
        return self.root / ".journal" / f"{self.path(name).stem}.jsonl"

    def _journal(
        self,
        name: str,
        batch: str,
        author: tuple[str, str | None],
        entries: list[tuple[str, str, Any, Any]],
    ) -> int:
        """Append the entries; returns the journal's size before, for a rollback. A last line
        torn by an earlier failure is closed first, so it is never glued to these."""
        path = self._journal_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        stamp, (who, reverts) = now(), author
        undoing = {"reverts": reverts} if reverts else {}
        lines = "".join(
            json.dumps(
                {
                    "batch": batch,
                    "time": stamp,
                    "who": who,
                    "op": op,
                    "id": fid,
                    "before": before,
                    "after": after,
                    **undoing,
                },
                ensure_ascii=False,
            )
            + "\n"
            for op, fid, before, after in entries
        )
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                lines = "\n" + lines
            data = lines.encode("utf-8")
            try:
                while data:  # unbuffered: nothing is left to flush after a failure
                    data = data[os.write(fd, data) :]
                os.fsync(fd)
            except OSError:
                os.ftruncate(fd, size)
                raise
        finally:
            os.close(fd)
        return size

    @contextmanager
    def _lock(self, name: str) -> Iterator[None]:
        lock_path = self.root / f".{self.path(name).name}.lock"
        with open(lock_path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            # Temporary files of this set are only written under this lock: any left now is
            # from a writer that was killed, and its set file is the last complete one.
            mine = re.compile(rf"\.{re.escape(self.path(name).name)}\.[a-z0-9_]{{8}}\.tmp")
            for stale in self.root.glob(f".{self.path(name).name}.*.tmp"):
                if mine.fullmatch(stale.name):  # not another set whose name starts alike
                    stale.unlink(missing_ok=True)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


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


@contextmanager
def _refused(what: str) -> Iterator[None]:
    """An ``OSError`` (a full disk, a read-only or lost folder) as one clear ``LabelError``."""
    try:
        yield
    except OSError as err:
        raise LabelError(
            f"the set could not be {what} ({err.strerror or err}); nothing was changed"
        ) from err


def _journal_bytes(meta: dict[str, Any] | None) -> int:
    """How much of the journal the set includes; -1 (all of it) when it does not say."""
    included = ((meta or {}).get("label_set") or {}).get("journal_bytes")
    return included if isinstance(included, int) and included >= 0 else -1


def _lines_backward(path: Path, end: int, chunk: int = 1 << 20) -> Iterator[bytes]:
    """The lines of the file's first ``end`` bytes (all of it when ``end`` is -1), last first."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        pos = size if end < 0 else min(end, size)
        rest = b""
        while pos > 0:
            step = min(chunk, pos)
            pos -= step
            handle.seek(pos)
            lines = (handle.read(step) + rest).split(b"\n")
            rest = lines[0]
            yield from reversed(lines[1:])
        yield rest
