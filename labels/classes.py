"""Crop classes offered when labelling, with the colour each is drawn in.

Each label set keeps its own editable list under ``label_set.classes``; new sets start with
:data:`CROP_CLASSES`.
"""

import re
from typing import Any

CROP_CLASSES: dict[str, str] = {
    "winter wheat": "#e6ab02",
    "maize": "#1b9e77",
    "barley": "#d95f02",
    "rapeseed": "#ffff33",
    "sugar beet": "#e7298a",
    "potatoes": "#a6761d",
    "grassland": "#66a61e",
    "fallow": "#999999",
    "other": "#7570b3",
}


def set_classes(collection: dict[str, Any]) -> dict[str, str]:
    """The class list of a set (name -> colour), the default one when it has none."""
    classes = collection.get("label_set", {}).get("classes")
    return dict(classes) if isinstance(classes, dict) and classes else dict(CROP_CLASSES)


def safe_colour(colour: str, default: str = "#3388ff") -> str:
    """``colour`` if it is a hex colour ``#rrggbb``, else ``default``: colours
    come from users and imported files and are written into HTML and styles."""
    return colour if re.fullmatch(r"#[0-9a-fA-F]{6}", str(colour)) else default
