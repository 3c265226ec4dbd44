"""Importing polygons into a label set from GeoJSON, a GeoPackage, a zipped Shapefile or
GeoParquet (fiboa's among them), in any CRS (reprojected to WGS84), with one property giving the
crop class.

The file is read by :mod:`labels.readers` (the format told by its content, one reader each,
nothing followed outside the file); here what it holds is checked and made label features.

All or nothing: every feature is checked first; one bad feature or an unreadable file raises
:class:`LabelError` and the set is not touched. What is read is never changed silently: every
polygon layer of a file is imported, and what needed a decision (layers left out, ids given
again, numbers taken as class names) is reported.

Imported features are the importer's: ``annotator`` and ``imported_by`` name who imported them
and ``created`` says when. A feature this tool wrote (an export of a set: its ``id`` is one of
ours) keeps its id (so importing twice adds nothing), image and enhancement provenance, note and
``source`` (``suggested`` for an outline suggested from the image) and review
(:func:`labels.review.kept`); its annotator and creation time are kept as ``source_annotator``
and ``source_created``.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from labels.classes import set_classes
from labels.features import (
    IMAGES,
    Feature,
    LabelError,
    as_geojson,
    new_feature,
    polygon_geometry,
)
from labels.readers import MAX_FEATURES, Layer, read_layers
from labels.review import FIELDS, kept
from labels.setfile import OUR_ID
from labels.store import LabelStore

#: Properties of a feature this tool wrote that an import keeps as they are.
PROVENANCE = (
    "scene_id", "image", "pipeline", "preset", "model_version", "note", "source", "date_shown"
)  # fmt: skip


@dataclass
class Report:
    """What an import did: features added, features left out as already in the set, the set's
    size after, and what needed a decision (one sentence each)."""

    imported: int
    present: int
    in_set: int
    notes: list[str] = field(default_factory=list)

    def message(self) -> str:
        """What the import did, as the user is told it (plain text that quotes the file)."""
        notes = "".join(f" {note[0].upper()}{note[1:]}." for note in self.notes)
        if self.imported:
            left_out = f"; {self.present} already in this set were left out" if self.present else ""
            return f"Imported {self.imported} polygons{left_out}.{notes}"
        if self.present:
            return (
                f"Nothing was imported: all {self.present} polygons are already in this set "
                f"(the same id or the same outline).{notes}"
            )
        return "Nothing was imported: the file holds no polygons."


def import_file(
    store: LabelStore, name: str, path: Path, class_field: str, importer: str
) -> Report:
    """Add the polygons of ``path`` to set ``name`` as ``importer``'s, leaving out those the set
    holds already (decided under the set's lock, so simultaneous imports add them once).

    Raises:
        LabelError: see :func:`read_polygons`, and a save the disk refused.
    """
    current = store.load(name)
    scene = current.get("label_set", {}).get("scene_id") or "import"
    features, notes = read_polygons(path, class_field, importer, scene)
    notes += match_classes(features, list(set_classes(current)))
    saved = store.apply(name, features, info=imported_area(features), who=importer, new_only=True)
    return Report(saved.applied, saved.present, len(saved.data["features"]), notes)


def read_polygons(
    path: Path, class_field: str, importer: str, scene_id: str
) -> tuple[list[Feature], list[str]]:
    """New label features for the polygons in ``path``, and notes on what needed a decision.

    Raises:
        LabelError: a format not allowed, too large, unreadable, no CRS or one that is not
            known, coordinates that are not numbers, in degrees under a CRS in metres, or
            outside the CRS's area of use, no ``class_field``, a feature without a geometry or
            a class, one that is not a polygon or not valid, or too many features.
    """
    layers = read_layers(path)
    notes: list[str] = []
    if len(layers) > 1:
        counts = ", ".join(f"{layer.name!r} ({len(layer.rows)})" for layer in layers)
        notes.append(f"{path.name} holds {len(layers)} layers of polygons, all imported: {counts}")
    features: list[Feature] = []
    numbers = []
    for where, geom, row, cls in _rows(path.name, layers, class_field):
        try:
            feature = new_feature(as_geojson(geom), cls, importer, scene_id, "original")
        except LabelError as err:
            raise LabelError(f"{where}: {err}") from err
        features.append(_keep_provenance(feature, row, importer))
        if not isinstance(row[class_field], str):
            numbers.append(cls)
    if numbers:
        notes.append(
            f"the field {class_field!r} holds numbers: {len(numbers)} became class names "
            f"such as {numbers[0]!r}"
        )
    again = _unique_ids(features)
    if again:
        notes.append(
            f"{again} features had the id of an earlier one in the file: each was given a new id"
        )
    return features, notes


def read_labels(path: Path, class_field: str | None = "crop_class") -> dict[str, Any]:
    """The polygons of ``path`` as a FeatureCollection in WGS84, read, checked and repaired as
    an import reads them (:func:`read_polygons`: the same formats, limits and refusals) but
    added to no set, each with two properties: ``crop_class`` (from ``class_field``; empty when
    it is None, for outlines whose class does not matter) and ``annotator`` (the file's own,
    empty when it has none). For comparing files (:mod:`labels.agreement`) and learning the
    size of the fields outlined (``labels suggest --labelled``).

    Raises:
        LabelError: as :func:`read_polygons`.
    """
    features: list[Feature] = []
    for where, geom, row, cls in _rows(path.name, read_layers(path), class_field):
        try:
            geometry = polygon_geometry(as_geojson(geom))
        except LabelError as err:
            raise LabelError(f"{where}: {err}") from err
        annotator = _text(row.get("annotator")) or ""
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {"crop_class": cls, "annotator": annotator},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def match_classes(features: list[Feature], known: list[str]) -> list[str]:
    """Give each feature's class the set's spelling when it differs only in case or surrounding
    spaces ("Maize " is the set's "maize"; classes spelled apart are counted apart), the same
    for classes the set does not have (the first spelling met); notes on what was changed and
    on classes not in ``known``, which are imported as they are."""
    spelling = {c.strip().casefold(): c for c in known}
    respelled: dict[str, str] = {}
    unknown: dict[str, int] = {}
    for feature in features:
        props = feature["properties"]
        cls = props["crop_class"]
        canonical = spelling.setdefault(cls.strip().casefold(), cls.strip())
        if canonical != cls:
            respelled[cls] = canonical
            props["crop_class"] = canonical
        if canonical not in known:
            unknown[canonical] = unknown.get(canonical, 0) + 1
    notes = []
    if respelled:
        pairs = ", ".join(f"{a!r} -> {b!r}" for a, b in sorted(respelled.items()))
        notes.append(f"classes spelled differently were given one spelling: {pairs}")
    if unknown:
        names = ", ".join(f"{c!r} ({n})" for c, n in sorted(unknown.items()))
        notes.append(
            f"classes not in this set's list were imported as they are: {names}; add them to "
            "the set's classes to give them a colour and a key"
        )
    return notes


def imported_area(features: list[Feature]) -> dict[str, Any]:
    """Set-level facts an import gives a set that has none: the box around its polygons
    (``area_bbox``, WGS84), so a set started empty gets an area to open."""
    if not features:
        return {}
    west, south, east, north = shapely.total_bounds([shape(f["geometry"]) for f in features])
    return {"area_bbox": [round(float(v), 6) for v in (west, south, east, north)]}


def _rows(
    name: str, layers: list[Layer], class_field: str | None
) -> Iterator[tuple[str, BaseGeometry, dict[str, Any], str]]:
    """Each feature of the ``layers`` of file ``name`` in WGS84, with its row and class name
    ("" without a ``class_field``), once every one of its layer is usable, and where it is for
    messages (the file, the layer when there are several, its number within the layer)."""
    polygons = [layer for layer in layers if layer.rows]
    if sum(len(layer.rows) for layer in polygons) > MAX_FEATURES:
        raise LabelError(f"{name} has more than {MAX_FEATURES} features")
    for layer in polygons:
        where = name + (f", layer {layer.name!r}" if len(layers) > 1 else "")
        for i, (geom, row, cls) in enumerate(_checked(where, layer, class_field), start=1):
            yield f"{where}: feature {i}", geom, row, cls


def _checked(
    where: str, layer: Layer, class_field: str | None
) -> list[tuple[BaseGeometry, dict[str, Any], str]]:
    """The layer's features in WGS84 with their class names ("" without a ``class_field``),
    once every one is usable."""
    if layer.crs is None:
        raise LabelError(f"{where} has no coordinate reference system")
    if class_field is not None and not any(class_field in row for _, row in layer.rows):
        fields = sorted({k for _, row in layer.rows for k in row if k != "geometry"})
        raise LabelError(f"{where} has no field {class_field!r}; its fields: {', '.join(fields)}")
    for i, (geom, _) in enumerate(layer.rows, start=1):
        if geom is None or geom.is_empty:
            raise LabelError(f"{where}: feature {i} has no geometry")
    geoms = np.array([geom for geom, _ in layer.rows], dtype=object)
    coords = shapely.get_coordinates(geoms)
    if not np.isfinite(coords).all():
        raise LabelError(f"{where} has coordinates that are not numbers (NaN or infinite)")
    declared = layer.crs
    if not (declared.is_geographic or declared.is_projected):
        raise LabelError(
            f"{where} declares {declared.to_string()}, which is not a map's coordinate "
            "reference system (longitude/latitude or a projection); reproject it"
        )
    if declared.is_projected and len(coords) and (np.abs(coords) <= [180, 90]).all():
        raise LabelError(
            f"{where}: the coordinates look like longitude/latitude in degrees, but the file "
            f"declares {declared.to_string()} (metres); declare EPSG:4326 or reproject it"
        )
    to_wgs84 = Transformer.from_crs(declared, "EPSG:4326", always_xy=True)
    geoms = shapely.transform(geoms, lambda xy: np.column_stack(to_wgs84.transform(*xy.T)))
    if not np.isfinite(shapely.get_coordinates(geoms)).all():
        raise LabelError(f"{where} has coordinates outside what {declared.to_string()} covers")
    _check_area_of_use(where, declared, geoms)
    return [
        (geom, row, _class_name(where, i, row.get(class_field), class_field) if class_field else "")
        for i, (geom, (_, row)) in enumerate(zip(geoms, layer.rows, strict=True), start=1)
    ]


def _class_name(where: str, i: int, value: Any, class_field: str) -> str:
    """A feature's class as text: numbers as written (``3``, not ``3.0``); none, NaN, a list or
    an object refused."""
    missing = (
        f"{where}: feature {i} has no crop class in {class_field!r}; give every feature one, "
        "or choose the field that holds them"
    )
    if not pd.api.types.is_scalar(value) or value is None or pd.isna(value):
        raise LabelError(missing)
    if isinstance(value, bool | np.bool_):
        raise LabelError(f"{where}: feature {i} has a crop class that is true/false, not a name")
    if isinstance(value, float | np.floating) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    text = str(value)
    if not text.strip():
        raise LabelError(missing)
    return text


def _keep_provenance(feature: Feature, row: dict[str, Any], importer: str) -> Feature:
    """``feature`` (``importer``'s) marked as imported, with the id and provenance of ``row``
    when this tool wrote it."""
    props = feature["properties"]
    props["imported_by"] = importer
    fid = row.get("id")
    if not isinstance(fid, str) or not OUR_ID.fullmatch(fid):
        return feature
    text = {k: _text(v) for k, v in row.items()}
    for key in PROVENANCE:
        if text.get(key):
            props[key] = text[key]
    if props["image"] not in IMAGES:
        props["image"] = "original"
    if props["image"] == "original":
        props.update(pipeline=None, preset=None, model_version=None, consistent=None)
    else:
        props["consistent"] = _flag(row.get("consistent"))
    props.update(kept({k: text.get(k) for k in FIELDS}))
    for key in ("annotator", "created"):  # who drew it and when, where it came from
        origin = text.get(f"source_{key}") or text.get(key)
        if origin:
            props[f"source_{key}"] = origin
    feature["id"] = props["id"] = fid
    return feature


def _flag(value: Any) -> bool | None:
    """A yes/no property as this tool wrote it: a boolean, or its text in formats without one
    (GeoPackage and Shapefile columns mixing it with None hold ``"True"``/``"False"``)."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    return {"true": True, "false": False}.get(str(value).strip().lower())


def _text(value: Any) -> str | None:
    """A property value as text, a time GDAL read as such in ISO 8601 (UTC when unzoned)."""
    if isinstance(value, dt.datetime) and not pd.isna(value):
        stamp = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return stamp.isoformat(timespec="seconds")
    return value if isinstance(value, str) and value.strip() else None


def _unique_ids(features: list[Feature]) -> int:
    """Give a new id to each feature whose id an earlier one has; returns how many."""
    seen: set[str] = set()
    again = 0
    for f in features:
        if f["id"] in seen:
            f["id"] = f["properties"]["id"] = uuid.uuid4().hex
            again += 1
        seen.add(f["id"])
    return again


def _check_area_of_use(where: str, declared: CRS, geoms: np.ndarray) -> None:
    """The features (reprojected to WGS84) must lie where the ``declared`` CRS is meant for
    (with 1 degree to spare): a file in longitude/latitude that declares UTM would land near
    (0, 0) with no area."""
    area = declared.area_of_use
    if area is None or not len(geoms):
        return
    west, south, east, north = shapely.total_bounds(geoms)
    slack = 1.0
    inside = (
        south >= area.south - slack
        and north <= area.north + slack
        and (area.west > area.east or (west >= area.west - slack and east <= area.east + slack))
    )
    if not inside:
        raise LabelError(
            f"{where}: the coordinates do not fit its coordinate reference system "
            f"({declared.to_string()}, meant for {area.name}): check the CRS the file declares"
        )
