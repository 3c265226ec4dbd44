"""What a label set may be called: one rule, for the store's file names and the page's address."""

from __future__ import annotations

import re
import unicodedata

from labels.features import LabelError

NAME = re.compile(r"\w[\w .-]{0,79}")


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
