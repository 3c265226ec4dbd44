"""Reading a file to import: GeoJSON, a GeoPackage, a zipped Shapefile or GeoParquet, told by its
content.

The format is told by the file's content, never by its name, and each is read by one reader
only: GeoJSON is parsed here (no GDAL), a GeoPackage (SQLite with the GeoPackage application id)
by GDAL's GPKG driver after its tables are checked, a zip by taking out the Shapefiles'
parts (``.shp`` checked by its header, ``.shx``, ``.dbf``, ``.prj``, ``.cpg``) alone, under names
of our own, for GDAL's Shapefile driver, and GeoParquet (fiboa's, or any with WKB geometries) by
pyarrow (:func:`labels.fiboa.read_parquet`, no GDAL) after its footer is checked. Nothing else
reaches GDAL, so no VRT, no SQL and no reference to another file or a URL is ever followed;
anything else is refused.
:mod:`labels.imports` checks what is read and makes label features of it.
"""

from __future__ import annotations

import json
import lzma
import re
import sqlite3
import tempfile
import zipfile
import zlib
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import geopandas as gpd
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.errors import GEOSException
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from labels.export import SHAPEFILE_NAMES
from labels.features import LabelError
from labels.fiboa import read_parquet

MAX_BYTES = 50 * 2**20  # uploads larger than 50 MB are refused (and zips, Parquet, unpacked)
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
#: The legacy GeoJSON ``crs`` names understood: EPSG codes and WGS84 longitude/latitude.
CRS_NAME = re.compile(
    r"(?:EPSG:|urn:ogc:def:crs:EPSG:[\d.]*:|https?://www\.opengis\.net/def/crs/EPSG/0/)(\d{4,6})"
    r"|(?:urn:ogc:def:crs:OGC:1\.3:CRS84|OGC:CRS84)"
)
FORMATS = "GeoJSON, a GeoPackage, a zipped Shapefile or GeoParquet"
PARQUET_MAGIC = b"PAR1"


@dataclass
class Layer:
    """Features read from a file: where from, in what CRS, each as a geometry (``None`` when it
    has none) and its properties."""

    name: str
    crs: CRS | None
    rows: list[tuple[BaseGeometry | None, dict[str, Any]]]


def read_layers(path: Path) -> list[Layer]:
    """The layers of ``path``, in the format its first bytes tell; a GeoPackage's or a zip's
    layers without polygons are left out.

    Raises:
        LabelError: larger than :data:`MAX_BYTES`, a format not allowed, unreadable, a
            GeoPackage with a virtual table that is not a spatial index, a zip or a Parquet
            file over the limits, a zip without a Shapefile, a Parquet file without GeoParquet
            metadata, a layer without a CRS, or no layer of polygons.
    """
    if path.stat().st_size > MAX_BYTES:
        raise LabelError(f"{path.name} is larger than {MAX_BYTES // 2**20} MB")
    kind = _format(path)
    if kind == "geojson":
        return [_geojson_layer(path)]
    if kind == "gpkg":
        _check_geopackage(path)
        return _gdal_layers(path.name, [("", path)])
    if kind == "parquet":
        return [Layer("", *read_parquet(path, MAX_FEATURES, MAX_BYTES))]
    with tempfile.TemporaryDirectory() as tmp:
        return _gdal_layers(path.name, _shapefiles(path, Path(tmp)))


def _format(path: Path) -> str:
    """``"geojson"``, ``"gpkg"``, ``"zip"`` or ``"parquet"``, from the first bytes of the file."""
    with open(path, "rb") as handle:
        head = handle.read(100)
    if head.startswith(b"SQLite format 3\x00"):
        if head[68:72] in GEOPACKAGE_IDS:
            return "gpkg"
        raise LabelError(f"{path.name} is an SQLite database but not a GeoPackage")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
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
