"""What the label map on screen holds, and what to send it so that it shows a set: only the
polygons added or changed and the ids removed since what it was last sent, never the whole set
again (the whole set goes once, to a map built anew).

Each update names the revision it applies to (``base``) and the one it makes (``rev``); the map
applies it only on top of ``base`` (:class:`webmap.label_layers.LabelUpdate`). No Streamlit here:
the page keeps a :class:`MapMirror` in its state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from jinja2.utils import htmlsafe_json_dumps

Feature = dict[str, Any]
#: What a map that cannot apply an update reports as its last drawing (with a ``stamp``).
RESYNC = "label:resync"
#: The properties the map uses (its style, its tooltip, the id it reports back): the rest of a
#: polygon's record stays on the server (half the bytes of a set sent whole; the page reads an
#: edited polygon's record from the set, not from the map: ``labels.edits.diff_drawings``).
SHOWN = ("id", "crop_class", "review", "review_reason")


def as_shown(feature: Feature) -> Feature:
    """``feature`` with only the properties the map uses."""
    props = feature.get("properties") or {}
    return {
        "type": "Feature",
        "id": feature["id"],
        "geometry": feature["geometry"],
        "properties": {k: props[k] for k in SHOWN if k in props},
    }


@dataclass(frozen=True)
class Delta:
    """One update of the label map's polygons.

    Attributes:
        base: the revision the map must hold for this update to apply; None: a whole set, which
            replaces whatever the map holds.
        rev: the revision the map holds once it is applied (the same as ``base`` when no
            polygon changed: only the selection, refused drawings or proposal did).
        upserts: polygons new or changed since ``base`` (WGS84 GeoJSON features with an id).
        removed: ids of polygons gone since ``base``.
    """

    base: int | None
    rev: int
    upserts: list[Feature] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The update as the map's script reads it (polygons with :data:`SHOWN` properties)."""
        return {
            "base": self.base,
            "rev": self.rev,
            "upserts": [as_shown(f) for f in self.upserts],
            "removed": self.removed,
        }

    @cached_property
    def script_json(self) -> str:
        """:meth:`as_json` as JSON safe inside a script, made once: an update is sent again with
        every run of the page until the set changes (the whole set, after a page switch)."""
        return str(htmlsafe_json_dumps(self.as_json()))


def fingerprint(feature: Feature) -> str:
    """What tells two versions of a polygon apart: the store's revision of it (``rev``, raised
    by every save that changes it: geometry, class, review, note) and its time; without one, its
    whole GeoJSON, keys sorted (that cost 0.3 s for each new version of a set of 5,000)."""
    props = feature.get("properties") or {}
    if props.get("rev") is not None:
        return f"rev {props['rev']} {props.get('updated')}"
    return json.dumps(feature, sort_keys=True)


@dataclass
class MapMirror:
    """What the label map on screen was sent, per generation of the map.

    Attributes:
        generation: the map generation (the page's ``map_rev``) this mirrors; -1: none yet.
        held: id -> :func:`fingerprint` of each polygon the map holds.
        rev: the revision of what the map holds.
        last: the update last sent: sent again unchanged until the set changes (the map runs
            an update only when it differs from the one before).
        target: the feature list ``last`` was made for (the same object: compared by identity).
        resynced: the stamp of the last request for the whole set that was read.
    """

    generation: int = -1
    held: dict[str, str] = field(default_factory=dict)
    rev: int = 0
    last: Delta | None = None
    target: list[Feature] | None = None
    resynced: int | None = None

    def update(self, generation: int, features: list[Feature], fresh: bool = False) -> Delta:
        """The update that brings the map of ``generation`` to ``features``: the whole set for
        a generation not seen before or a ``fresh`` map (a new frame, back from another page:
        the whole set sent last when the set is unchanged, so that the browser may still hold
        it), else what changed since the last update."""
        whole = self.last is not None and self.last.base is None and features is self.target
        if fresh and not whole:  # sent at once: an update it cannot apply costs two more runs
            self.forget()
        if generation != self.generation:
            self.generation, self.rev = generation, self.rev + 1
            self.held = {f["id"]: fingerprint(f) for f in features}
            self.last, self.target = Delta(None, self.rev, list(features)), features
            return self.last
        if self.last is not None and features is self.target:
            return self.last
        now = {f["id"]: fingerprint(f) for f in features}
        upserts = [f for f in features if self.held.get(f["id"]) != now[f["id"]]]
        removed = [fid for fid in self.held if fid not in now]
        base = self.rev
        if upserts or removed:
            self.rev += 1
        self.held, self.target = now, features
        self.last = Delta(base, self.rev, upserts, removed)
        return self.last

    def touched(self, changed: list[str], deleted: list[str]) -> None:
        """The user moved (``changed``) or deleted polygons on the map: what it holds of them is
        no longer what it was sent, so the next update sends them again if the set still has
        them (an edit that was refused or lost to another session's)."""
        if not changed and not deleted:
            return
        for fid in changed:
            if fid in self.held:
                self.held[fid] = ""
        for fid in deleted:
            self.held.pop(fid, None)
        self.target = None

    def read(self, report: dict[str, Any]) -> None:
        """Read the map's last ``report`` (streamlit-folium's value): a map that missed an update,
        or a new frame of it (after a page switch), asks for the whole set (``label:resync``,
        :class:`webmap.label_layers.LabelUpdate`), sent once per request."""
        last = report.get("last_active_drawing") or {}
        asked = last.get("properties") or {}
        if asked.get("event") == RESYNC and asked.get("stamp") != self.resynced:
            self.resynced = asked.get("stamp")
            self.forget()

    def forget(self) -> None:
        """The map on screen holds nothing of the set (a new frame): the next update is the
        whole set."""
        self.generation = -1
