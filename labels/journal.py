"""The journal of a label set: every change to the set, one JSON line each, in
``.journal/<set>.jsonl`` beside it.

Written ahead of the set (:meth:`labels.store.LabelStore.apply`): a crash between the two
writes leaves the journal ahead of the set, and the set records how much of the journal it
includes (``label_set.journal_bytes``), so what lies beyond is cut (:meth:`Journal.cut`) or
skipped when read. A batch of changes is undone from its lines, a deleted polygon restored and
a feature's history shown.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from labels import setfile
from labels.features import now

#: One change: ``op`` (add, edit, delete), feature id, the feature before and after.
Entry = tuple[str, str, Any, Any]


class Journal:
    """The journal of the set file ``set_path`` (neither may exist yet)."""

    def __init__(self, set_path: Path) -> None:
        self.set_path = set_path
        self.path = set_path.parent / ".journal" / f"{set_path.stem}.jsonl"

    def append(self, batch: str, author: tuple[str, str | None], entries: list[Entry]) -> int:
        """Append the ``entries`` of ``batch`` by ``author`` (who, and the batch it reverts);
        returns the journal's size before, for :meth:`truncate`. A last line torn by an earlier
        failure is closed first, so it is never glued to these.

        Raises:
            OSError: the disk refused the write (the journal is as it was).
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
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
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
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

    def truncate(self, size: int) -> None:
        """Cut the journal back to ``size`` bytes (what :meth:`append` returned)."""
        os.truncate(self.path, size)

    def cut(self, included: Any) -> None:
        """Cut the journal back to what the set includes (its ``label_set.journal_bytes``): what
        lies beyond was written by a save killed before it wrote the set."""
        if isinstance(included, int) and self.path.exists() and self.path.stat().st_size > included:
            os.truncate(self.path, included)

    def entries(self) -> list[dict[str, Any]]:
        """The entries the set includes, oldest first: one per change with its ``batch``,
        ``time``, ``who``, ``op`` (add, edit, delete), feature ``id``, and the feature ``before``
        and ``after``. Entries of changes that never reached the set (a writer killed between
        its two writes) and lines cut by a crash are left out."""
        if not self.path.exists():
            return []
        with open(self.path, "rb") as handle:
            text = handle.read(self._included())
        entries = []
        for line in text.decode("utf-8", errors="replace").splitlines():
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut by a crash: the set file itself is complete
        return entries

    def batch(self, batch: str) -> list[dict[str, Any]]:
        """The entries of one batch the set includes, oldest first. A batch's lines are written
        together, and undo is of recent batches: the journal is searched from its end."""
        if not self.path.exists():
            return []
        start = json.dumps({"batch": batch})[:-1].encode("utf-8")  # how its lines begin
        found = []
        for line in _lines_backward(self.path, self._included()):
            if line.startswith(start):
                try:
                    found.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
            elif found:
                break
        return found[::-1]

    def _included(self) -> int:
        """How much of the journal the set includes; -1 (all of it) when it does not say."""
        size = ((setfile.header(self.set_path) or {}).get("label_set") or {}).get("journal_bytes")
        return size if isinstance(size, int) and size >= 0 else -1


def undo_stacks(
    entries: list[dict[str, Any]], who: str, limit: int = 100
) -> tuple[list[str], list[str]]:
    """What Undo and Redo step through for ``who``, from the journal's ``entries`` (so they
    survive a reload): the batches to revert for undo and for redo, newest last, as the Label
    page keeps them (an undo's revert goes on the redo stack, a redo's on the undo stack; a new
    change clears redo)."""
    undo: list[str] = []
    redo: list[str] = []
    seen: set[str] = set()
    for entry in entries:
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
