"""What the command lines print: text a user or a file supplied, with control characters shown
as escapes (``\\x1b``), so a class name or a file name cannot move the cursor, set the terminal's
title or clear the screen (docs/safety.md)."""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

#: C0 controls but newline, DEL, and C1 controls (``\x9b`` starts a sequence on some terminals).
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def safe(text: object) -> str:
    """``text`` as a string with every control character but the newline written as an escape
    (``\\x1b``, ``\\t``): what prints is what the value holds."""
    return CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


def say(text: object, file: TextIO | None = None) -> None:
    """Print ``text`` made :func:`safe` (to stdout unless ``file`` is given)."""
    print(safe(text), file=file or sys.stdout)


class SafeFormatter(logging.Formatter):
    """Log records made :func:`safe`, for the command lines' logs (file names, messages)."""

    def format(self, record: logging.LogRecord) -> str:
        return safe(super().format(record))


def log_to_terminal(level: int = logging.INFO) -> None:
    """The command lines' logging: plain messages on stderr, control characters escaped."""
    handler = logging.StreamHandler()
    handler.setFormatter(SafeFormatter("%(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
