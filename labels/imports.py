"""Importing polygons into a label set from GeoJSON, a GeoPackage or a zipped Shapefile, in any
CRS (reprojected to WGS84), with one property giving the crop class.

The format is told by the file's content, never by its name, and each is read by one reader
only: GeoJSON is parsed here (no GDAL), a GeoPackage (SQLite with the GeoPackage application id)
by GDAL's GPKG driver after its tables are checked, and a zip by taking out the Shapefiles'
parts (``.shp`` checked by its header, ``.shx``, ``.dbf``, ``.prj``, ``.cpg``) alone, under names
of our own, for GDAL's Shapefile driver. Nothing else reaches GDAL, so no VRT, no SQL and no
reference to another file or a URL is ever followed; anything else is refused.

All or nothing: every feature is checked first; one bad feature or an unreadable file raises
:class:`LabelError` and the set is not touched. What is read is never changed silently: every
polygon layer of a file is imported, and what needed a decision (layers left out, ids given
again, numbers taken as class names) is reported.

Imported features are the importer's: ``annotator`` and ``imported_by`` name who imported them
and ``created`` says when. A feature this tool wrote (an export of a set: its ``id`` is one of
ours) keeps its id (so importing twice adds nothing), image and enhancement provenance and note;
its annotator and creation time are kept as ``source_annotator`` and ``source_created``.
"""

from __future__ import annotations

import datetime as dt
import json
import lzma
import math
import re
import sqlite3
import tempfile
import uuid
import zipfile
import zlib
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.errors import GEOSException
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from labels.export import SHAPEFILE_NAMES
from labels.features import IMAGES, Feature, LabelError, as_geojson, new_feature
from labels.setfile import OUR_ID
from labels.store import LabelStore

MAX_BYTES = 50 * 2**20  # uploads larger than 50 MB are refused
MAX_FEATURES = 100_000
MAX_MEMBERS = 100  # files in a zip (a Shapefile has 3 to 8)
#: The parts of a Shapefile taken out of a zip; every other member is left in it.
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
SHAPEFILE_MAGIC = b"\x00\x00\x27\x0a"  # file code 9994, big-endian
GEOPACKAGE_IDS = (b"GPKG", b"GP10", b"GP11")  # SQLite's application_id, at byte 68
#: The one virtual table a GeoPackage may hold: its spatial index, as GDAL and QGIS write it.
#: Any other (SpatiaLite's VirtualShape, GDAL's VirtualOGR, ...) can read files by path.
SPATIAL_INDEX = re.compile(
    r'\s*CREATE\s+VIRTUAL\s+TABLE\s+"?rtree_\w+"?\s+USING\s+rtree\s*'
    r"\(\s*id\s*,\s*minx\s*,\s*maxx\s*,\s*miny\s*,\s*maxy\s*\)\s*",
    re.I,
)
#: Properties of a feature this tool wrote that an import keeps as they are.
PROVENANCE = ("scene_id", "image", "pipeline", "preset", "model_version", "note")
#: The legacy GeoJSON ``crs`` names understood: EPSG codes and WGS84 longitude/latitude.
CRS_NAME = re.compile(
    r"(?:EPSG:|urn:ogc:def:crs:EPSG:[\d.]*:|https?://www\.opengis\.net/def/crs/EPSG/0/)(\d{4,6})"
    r"|(?:urn:ogc:def:crs:OGC:1\.3:CRS84|OGC:CRS84)"
)
FORMATS = "GeoJSON, a GeoPackage or a zipped Shapefile"


@dataclass
class Layer:
    """Features read from a file: where from, in what CRS, each as a geometry (``None`` when it
    has none) and its properties."""

    name: str
    crs: CRS | None
    rows: list[tuple[BaseGeometry | None, dict[str, Any]]]


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
    scene = store.load(name).get("label_set", {}).get("scene_id") or "import"
    features, notes = read_polygons(path, class_field, importer, scene)
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
    if path.stat().st_size > MAX_BYTES:
        raise LabelError(f"{path.name} is larger than {MAX_BYTES // 2**20} MB")
    kind = _format(path)
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "geojson":
            layers = [_geojson_layer(path)]
        elif kind == "gpkg":
            _check_geopackage(path)
            layers = _gdal_layers(path.name, [("", path)])
        else:
            layers = _gdal_layers(path.name, _shapefiles(path, Path(tmp)))
    notes: list[str] = []
    polygons = [layer for layer in layers if layer.rows]
    if len(layers) > 1:
        counts = ", ".join(f"{layer.name!r} ({len(layer.rows)})" for layer in layers)
        notes.append(f"{path.name} holds {len(layers)} layers of polygons, all imported: {counts}")
    if sum(len(layer.rows) for layer in polygons) > MAX_FEATURES:
        raise LabelError(f"{path.name} has more than {MAX_FEATURES} features")
    features: list[Feature] = []
    numbers = []
    for layer in polygons:
        where = f"{path.name}" + (f", layer {layer.name!r}" if len(layers) > 1 else "")
        for i, (geom, row, cls) in enumerate(_checked(where, layer, class_field), start=1):
            try:
                feature = new_feature(as_geojson(geom), cls, importer, scene_id, "original")
            except LabelError as err:  # numbered within its layer, as _checked numbers them
                raise LabelError(f"{where}: feature {i}: {err}") from err
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


def imported_area(features: list[Feature]) -> dict[str, Any]:
    """Set-level facts an import gives a set that has none: the box around its polygons
    (``area_bbox``, WGS84), so a set started empty gets an area to open."""
    if not features:
        return {}
    west, south, east, north = shapely.total_bounds([shape(f["geometry"]) for f in features])
    return {"area_bbox": [round(float(v), 6) for v in (west, south, east, north)]}


def _format(path: Path) -> str:
    """``"geojson"``, ``"gpkg"`` or ``"zip"``, from the first bytes of the file."""
    with open(path, "rb") as handle:
        head = handle.read(100)
    if head.startswith(b"SQLite format 3\x00"):
        if head[68:72] in GEOPACKAGE_IDS:
            return "gpkg"
        raise LabelError(f"{path.name} is an SQLite database but not a GeoPackage")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "geojson"
    raise LabelError(
        f"{path.name} is not {FORMATS} (told by its content, whatever its name); "
        "save it as one of them, for example with QGIS"
    )


def _geojson_layer(path: Path) -> Layer:
    """The features of a GeoJSON FeatureCollection (or one Feature), parsed here."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise LabelError(f"{path.name} is not valid GeoJSON: {err}") from err
    kind = data.get("type") if isinstance(data, dict) else None
    if kind == "FeatureCollection" and isinstance(data.get("features"), list):
        items = data["features"]
    elif kind == "Feature":
        items = [data]
    else:
        raise LabelError(f"{path.name} is JSON but not a GeoJSON FeatureCollection or Feature")
    crs = _geojson_crs(path.name, data.get("crs"))
    if len(items) > MAX_FEATURES:
        raise LabelError(f"{path.name} has {len(items)} features; the limit is {MAX_FEATURES}")
    rows: list[tuple[BaseGeometry | None, dict[str, Any]]] = []
    for i, item in enumerate(items, start=1):
        props = item.get("properties") if isinstance(item, dict) else None
        if not isinstance(item, dict) or item.get("type") != "Feature":
            raise LabelError(f"{path.name}: feature {i} is not a GeoJSON Feature")
        if not isinstance(props, dict | None):
            raise LabelError(f"{path.name}: feature {i} has properties that are not an object")
        props = dict(props or {})
        if item.get("id") is not None:
            props.setdefault("id", item["id"])
        rows.append((_shape(path.name, i, item.get("geometry")), props))
    return Layer("", crs, rows)


def _shape(name: str, i: int, geometry: Any) -> BaseGeometry | None:
    if geometry is None:
        return None
    try:
        geom: BaseGeometry = shape(geometry)
    except (
        ValueError,
        TypeError,
        AttributeError,
        KeyError,
        IndexError,
        OverflowError,
        GEOSException,
    ) as err:
        raise LabelError(f"{name}: feature {i} has a malformed geometry: {err}") from err
    return geom


def _geojson_crs(name: str, member: Any) -> CRS:
    """WGS84 unless a legacy ``crs`` member names another CRS by its EPSG code; coordinates are
    always taken as x (longitude or easting) first, as GeoJSON writes them."""
    if member is None:
        return CRS.from_epsg(4326)
    props = member.get("properties") if isinstance(member, dict) else None
    text = props.get("name") if isinstance(props, dict) else None
    found = CRS_NAME.fullmatch(text) if isinstance(text, str) else None
    if found is None:
        raise LabelError(
            f"{name} declares a coordinate reference system that is not an EPSG code: {text!r}; "
            "remove its 'crs' member if the coordinates are longitude/latitude"
        )
    try:
        return CRS.from_epsg(int(found.group(1))) if found.group(1) else CRS.from_epsg(4326)
    except CRSError as err:
        raise LabelError(
            f"{name} declares a coordinate reference system that is not known: {text!r}"
        ) from err


def _check_geopackage(path: Path) -> None:
    """A GeoPackage's tables are read with SQLite first: a virtual table other than the spatial
    index (``rtree``) could make GDAL read other files, and is refused."""
    uri = f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as db:
            tables = db.execute("SELECT name, sql FROM sqlite_master").fetchall()
    except sqlite3.DatabaseError as err:
        raise LabelError(f"{path.name} is a damaged GeoPackage: {err}") from err
    for name, sql in tables:
        if re.search(r"\bVIRTUAL\b", sql or "", re.I) and not SPATIAL_INDEX.fullmatch(sql):
            raise LabelError(
                f"{path.name} holds a virtual table ({name!r}) that is not a spatial index; "
                "such a table can read other files. Save its layers to a new GeoPackage "
                "(QGIS: Export)"
            )


def _shapefiles(path: Path, folder: Path) -> list[tuple[str, Path]]:
    """Take the Shapefiles out of a zip into ``folder`` under names of our own.

    Returns:
        Each Shapefile's name in the zip and the path of its ``.shp`` in ``folder``.

    Raises:
        LabelError: not a zip, over the limits (:data:`MAX_MEMBERS` files, :data:`MAX_BYTES`
            unpacked), a ``.shp`` that is not one or lacks its ``.shx`` or ``.dbf``, or none.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise LabelError(
                    f"{path.name} holds {len(members)} files; the limit is {MAX_MEMBERS}"
                )
            unpacked = sum(m.file_size for m in members)
            if unpacked > MAX_BYTES:
                raise LabelError(
                    f"{path.name} unpacks to {unpacked / 2**20:.0f} MB; the limit is "
                    f"{MAX_BYTES // 2**20} MB"
                )
            parts: dict[str, dict[str, zipfile.ZipInfo]] = {}
            for m in members:
                stem, dot, ext = m.filename.rpartition(".")
                if dot and f".{ext.lower()}" in SHAPEFILE_PARTS and not m.is_dir():
                    parts.setdefault(stem, {})[f".{ext.lower()}"] = m
            found = []
            for k, (stem, files) in enumerate(sorted(parts.items())):
                if ".shp" not in files:
                    continue
                missing = [e for e in (".shx", ".dbf") if e not in files]
                if missing:
                    raise LabelError(f"{path.name}: {stem}.shp lacks its {' and '.join(missing)}")
                for ext, member in files.items():
                    (folder / f"layer{k}{ext}").write_bytes(archive.read(member))
                if (folder / f"layer{k}.shp").read_bytes()[:4] != SHAPEFILE_MAGIC:
                    raise LabelError(f"{path.name}: {stem}.shp is not a Shapefile")
                found.append((stem.rpartition("/")[2], folder / f"layer{k}.shp"))
    except (
        zipfile.BadZipFile,
        OSError,
        EOFError,
        NotImplementedError,  # a compression zipfile does not know
        RuntimeError,  # an encrypted member
        zlib.error,
        lzma.LZMAError,
    ) as err:
        raise LabelError(f"{path.name} is not a readable zip file: {err}") from err
    if not found:
        raise LabelError(f"{path.name} holds no Shapefile (a .shp with its .shx and .dbf)")
    return found


def _gdal_layers(name: str, sources: list[tuple[str, Path]]) -> list[Layer]:
    """The polygon layers of checked GeoPackage or Shapefile ``sources`` (a name shown to the
    user, the file); layers without polygons are left out, and none at all is refused."""
    layers, others = [], []
    try:
        for shown, source in sources:
            for layer, kind in pyogrio.list_layers(source):
                label = shown or str(layer)
                if kind is None or "Polygon" not in str(kind) and kind != "Unknown":
                    others.append(f"{label!r} ({kind or 'no geometry'})")
                    continue
                frame = gpd.read_file(source, layer=layer, engine="pyogrio")
                if frame.crs is None:
                    raise LabelError(f"{name}: layer {label!r} has no coordinate reference system")
                frame = frame.rename(columns={v: k for k, v in SHAPEFILE_NAMES.items()})
                rows = frame.drop(columns="geometry").to_dict("records")
                layers.append(Layer(label, frame.crs, list(zip(frame.geometry, rows, strict=True))))
    except (DataSourceError, DataLayerError, ValueError, OSError) as err:
        raise LabelError(f"cannot read {name}: {err}") from err
    if not layers:
        raise LabelError(f"{name} holds no layer of polygons; its layers: {', '.join(others)}")
    return layers


def _checked(
    where: str, layer: Layer, class_field: str
) -> list[tuple[BaseGeometry, dict[str, Any], str]]:
    """The layer's features in WGS84 with their class names, once every one is usable."""
    if layer.crs is None:
        raise LabelError(f"{where} has no coordinate reference system")
    if not any(class_field in row for _, row in layer.rows):
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
        (geom, row, _class_name(where, i, row.get(class_field), class_field))
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
        props.update(pipeline=None, preset=None, model_version=None)
    for key in ("annotator", "created"):  # who drew it and when, where it came from
        origin = text.get(f"source_{key}") or text.get(key)
        if origin:
            props[f"source_{key}"] = origin
    feature["id"] = props["id"] = fid
    return feature


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
