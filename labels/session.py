"""A label session: one label set in one store, worked on by one annotator.

What the Label and Label sets pages and ``python -m labels`` do to a set goes through it, so each
change is written once: save the map's edits, undo and redo, reclassify, delete, note, restore,
review, import a file. A change to features the user was shown carries the revisions they saw
(``shown``), so a feature changed meanwhile by someone else is a conflict, not overwritten
(:meth:`labels.store.LabelStore.apply`).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labels.edits import Edits
from labels.features import Feature, LabelError
from labels.imports import Report, import_file
from labels.journal import undo_stacks
from labels.review import reviewed
from labels.store import SUFFIX, LabelStore, Saved

#: Who imported, when the session has no annotator.
IMPORTER = "import"


@dataclass(frozen=True)
class LabelSession:
    """Set ``name`` of ``store``, changed by ``annotator`` (recorded with each change).

    Raises:
        LabelError: the store refuses the name (:meth:`labels.store.LabelStore.path`).
    """

    store: LabelStore
    name: str
    annotator: str = ""

    def __post_init__(self) -> None:
        self.store.path(self.name)

    @classmethod
    def of_file(cls, path: Path, annotator: str = "") -> LabelSession:
        """The session of the set file ``path`` (``<folder>/<name>.geojson``).

        Raises:
            LabelError: ``path`` is not named as a label set.
        """
        if path.suffix != SUFFIX:
            raise LabelError(f"{path} is not a label set ({SUFFIX} file)")
        return cls(LabelStore(path.parent), path.name[: -len(SUFFIX)], annotator)

    def load(self) -> dict[str, Any]:
        """The set as a GeoJSON FeatureCollection (empty when it does not exist yet)."""
        return self.store.load(self.name)

    def create(self) -> Saved:
        """Start the set empty, recording who created it."""
        return self.store.apply(self.name, info={"created_by": self.annotator})

    def undo_stacks(self) -> tuple[list[str], list[str]]:
        """This annotator's batches to revert for Undo and for Redo, newest last, from the
        journal (:func:`labels.journal.undo_stacks`)."""
        return undo_stacks(self.store.history(self.name), self.annotator)

    def save(self, edits: Edits, shown: dict[str, Any], info: dict[str, Any]) -> Saved:
        """Save the map's ``edits`` (:func:`labels.edits.plan_edits`) of the features in
        ``shown``; ``info`` is what a new set records about where it was made. Edits holding a
        shape edit (``edits.notes``) are saved whole or, when a polygon they change was changed
        meanwhile by someone else, not at all."""
        return self.store.apply(
            self.name,
            edits.upserts,
            edits.deletes,
            info,
            revs(shown),
            self.annotator,
            whole=bool(edits.notes),
        )

    def reclassify(self, features: list[Feature], crop_class: str, shown: dict[str, Any]) -> Saved:
        """Give ``features`` (of ``shown``) the class ``crop_class``."""
        changed = [
            {**f, "properties": {**f["properties"], "crop_class": crop_class}} for f in features
        ]
        return self.store.apply(self.name, changed, expected=revs(shown), who=self.annotator)

    def delete(self, features: list[Feature], shown: dict[str, Any]) -> Saved:
        """Delete ``features`` (of ``shown``); :meth:`restore` brings one back."""
        ids = [f["id"] for f in features]
        return self.store.apply(self.name, deletes=ids, expected=revs(shown), who=self.annotator)

    def note(self, feature: Feature, text: str, shown: dict[str, Any]) -> Saved:
        """Set the note of ``feature`` (of ``shown``) to ``text``."""
        edit = {**feature, "properties": {**feature["properties"], "note": text}}
        return self.store.apply(self.name, [edit], expected=revs(shown), who=self.annotator)

    def review(
        self, features: list[Feature], verdict: str, shown: dict[str, Any], reason: str = ""
    ) -> Saved:
        """Accept or reject ``features`` (of ``shown``) as the session's annotator, with the
        ``reason`` a rejection needs (:func:`labels.review.reviewed`).

        Raises:
            LabelError: the review is refused (nothing is saved), or the save failed.
        """
        changed = [reviewed(f, verdict, self.annotator, reason) for f in features]
        return self.store.apply(self.name, changed, expected=revs(shown), who=self.annotator)

    def revert(self, batch: str) -> Saved:
        """Undo one batch of changes; reverting the revert redoes it."""
        return self.store.revert(self.name, batch, who=self.annotator)

    def restore(self, feature: Feature) -> Saved:
        """Bring back a deleted feature (:meth:`labels.store.LabelStore.deleted`)."""
        return self.store.apply(self.name, [feature], who=self.annotator)

    def save_classes(self, classes: dict[str, str]) -> dict[str, Any]:
        """Replace the set's classes (name -> ``#rrggbb``); returns the saved set."""
        return self.store.update_info(self.name, {"classes": classes})

    def import_file(self, path: Path, class_field: str) -> Report:
        """Add the polygons of ``path`` that the set does not hold yet, as the annotator's
        (:func:`labels.imports.import_file`).

        Raises:
            LabelError: the file is refused (nothing is imported) or the save failed.
        """
        return import_file(self.store, self.name, path, class_field, self.annotator or IMPORTER)

    def import_upload(self, filename: str, content: bytes, class_field: str) -> Report:
        """:meth:`import_file` for an upload: ``content`` is put in a temporary file first. The
        format is told by the content; ``filename`` only names the file in messages.

        Raises:
            LabelError: as :meth:`import_file`, and an upload that cannot be written or read.
        """
        shown = "".join(c if c.isalnum() or c in "._- " else "_" for c in filename)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / (shown.strip(". ")[-100:] or "upload")
                path.write_bytes(content)
                return self.import_file(path, class_field)
        except OSError as err:  # a full temporary folder: the file never reached the import
            raise LabelError(f"the upload could not be read ({err.strerror or err})") from err


def revs(shown: dict[str, Any]) -> dict[str, int]:
    """The revision of each feature of the set ``shown`` (a FeatureCollection) by id."""
    return {f["id"]: int(f["properties"].get("rev", 1)) for f in shown["features"]}
