"""The lock a label set is changed under, and a refused write said as one :class:`LabelError`."""

from __future__ import annotations

import fcntl
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from labels.features import LabelError


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the exclusive lock of the set file ``path`` (``.<file>.lock`` beside it, across
    processes); the temporary files a killed writer left are removed first."""
    folder, name = path.parent, path.name
    with open(folder / f".{name}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        # Temporary files of this set are only written under this lock: any left now is
        # from a writer that was killed, and its set file is the last complete one.
        mine = re.compile(rf"\.{re.escape(name)}\.[a-z0-9_]{{8}}\.tmp")
        for stale in folder.glob(f".{name}.*.tmp"):
            if mine.fullmatch(stale.name):  # not another set whose name starts alike
                stale.unlink(missing_ok=True)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def refused(what: str) -> Iterator[None]:
    """An ``OSError`` (a full disk, a read-only or lost folder) as one clear ``LabelError``."""
    try:
        yield
    except OSError as err:
        raise LabelError(
            f"the set could not be {what} ({err.strerror or err}); nothing was changed"
        ) from err
