"""The review of a label set: each polygon is a draft until a reviewer accepts or rejects it.

Properties of a feature (:func:`labels.features.new_feature` starts them as a draft):
    review: ``"draft"``, ``"accepted"`` or ``"rejected"``; a feature without it (a set written
        by an older version, a hand edit) is a draft;
    review_reason: why it was rejected (required then), None otherwise;
    reviewed_by, reviewed_at: who accepted or rejected it and when (UTC, ISO 8601), None for a
        draft.

A review is saved like any change (:meth:`labels.session.LabelSession.review`): journalled,
undoable, a conflict when the polygon changed meanwhile. A review judges one outline with one
class: when either changes afterwards (:func:`revised`, applied by the store to every change
but an undo or redo) the polygon is a draft again, and the journal keeps the old review.

Who may review is the app's business (``access.may_review``); here any named reviewer can.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from shapely.geometry import shape

from labels.features import CONTROL, UNREVIEWED, Feature, LabelError, now

STATUSES = ("draft", "accepted", "rejected")
DRAFT, ACCEPTED, REJECTED = STATUSES
#: The properties a review sets, in the order files show them.
FIELDS = tuple(UNREVIEWED)


def unreviewed() -> dict[str, Any]:
    """The review properties of a polygon nobody has reviewed (a copy)."""
    return dict(UNREVIEWED)


def status(feature: Feature) -> str:
    """The feature's review status; ``"draft"`` when it has none or an unknown one."""
    value = feature["properties"].get("review")
    return value if value in STATUSES else DRAFT


def reviewed(feature: Feature, verdict: str, reviewer: str, reason: str = "") -> Feature:
    """``feature`` with the review ``verdict`` by ``reviewer`` now (a copy).

    Args:
        feature: the polygon reviewed.
        verdict: one of :data:`STATUSES` (``"draft"`` takes a review back).
        reviewer: who reviews, recorded as ``reviewed_by``.
        reason: why it is rejected: required for ``"rejected"``, dropped otherwise.

    Raises:
        LabelError: an unknown verdict, no reviewer, a rejection without a reason, or a control
            character in the reason.
    """
    if verdict not in STATUSES:
        raise LabelError(f"a review is one of {', '.join(STATUSES)}, not {verdict!r}")
    if not reviewer.strip():
        raise LabelError("enter the reviewer's name (the Annotator field) to review")
    reason = " ".join(reason.split())  # one line, as tables and files show it
    if verdict == REJECTED and not reason:
        raise LabelError("give the reason for rejecting, so the annotator knows what to fix")
    if CONTROL.search(reason):
        raise LabelError("the reason holds a control character; remove it")
    review = unreviewed() | {"review": verdict}
    if verdict != DRAFT:
        review |= {"reviewed_by": reviewer.strip(), "reviewed_at": now()}
    if verdict == REJECTED:
        review["review_reason"] = reason
    return {**feature, "properties": {**feature["properties"], **review}}


def revised(old: Feature, new: Feature) -> Feature:
    """``new``, the next version of ``old``, as a draft again when it was reviewed and its
    outline or class changed without a new review (a review no longer applies to it)."""
    before, after = old["properties"], new["properties"]
    if status(old) == DRAFT or any(before.get(k) != after.get(k) for k in FIELDS):
        return new  # nothing to take back, or this change is itself a review
    same_class = before.get("crop_class") == after.get("crop_class")
    if same_class and shape(old["geometry"]).equals_exact(shape(new["geometry"]), 0):
        return new
    return {**new, "properties": {**after, **unreviewed()}}


def kept(values: dict[str, str | None]) -> dict[str, Any]:
    """The review properties read back from a file this tool wrote (as text, None when
    empty): kept when they make a review, else a draft (a rejection without its reason, an
    unknown status)."""
    verdict = values.get("review")
    if verdict not in STATUSES or verdict == DRAFT:
        return unreviewed()
    review = {k: values.get(k) for k in FIELDS}
    if verdict == REJECTED and not review["review_reason"]:
        return unreviewed()
    if verdict == ACCEPTED:
        review["review_reason"] = None
    return review


def unlabelled(feature: Feature, classes: Iterable[str]) -> bool:
    """Whether the feature needs a class: it has none, or one that is not in the set's class
    list ``classes`` (an import keeps classes the set does not list, and says so)."""
    crop = str(feature["properties"].get("crop_class") or "").strip()
    return not crop or crop not in set(classes)


def next_index(
    features: list[Feature], current: int | None, wanted: Callable[[Feature], bool]
) -> int | None:
    """The index of the first feature after ``current`` (None: from the start) that is
    ``wanted``, in the set's order, wrapping round to ``current`` itself last; None when no
    feature is wanted."""
    start = -1 if current is None else current
    for step in range(1, len(features) + 1):
        i = (start + step) % len(features)
        if wanted(features[i]):
            return i
    return None


def counts(features: Iterable[Feature]) -> dict[str, int]:
    """How many features have each status, every status listed (in :data:`STATUSES` order)."""
    found = dict.fromkeys(STATUSES, 0)
    for feature in features:
        found[status(feature)] += 1
    return found
