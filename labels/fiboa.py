"""A label set as fiboa GeoParquet (field boundaries other tools read), and such a file read back.

Follows fiboa core v0.2.0, https://github.com/fiboa/specification/blob/v0.2.0/core/README.md and
its GeoParquet encoding (``geoparquet/README.md`` and ``geoparquet/datatypes.md`` there): the
collection (``fiboa_version``, ``fiboa_extensions``) as JSON in the Parquet metadata key
``fiboa``; required fields ``id`` and ``geometry`` (WKB, GeoParquet ``geo`` metadata) not
nullable; ``area`` (hectares) and ``perimeter`` (metres) as 32-bit floats, measured in the set's
UTM zone; ``determination_method`` one of ``manual``, ``driven``, ``surveyed``,
``administrative``, ``auto-operation``, ``auto-imagery``, ``unknown``;
``determination_datetime`` as a UTC timestamp in milliseconds. The crop class is in the Crop
extension v0.1.0 (the version for fiboa 0.2), https://github.com/fiboa/crop-extension/blob/v0.1.0/README.md:
``crop:code`` and ``crop:name`` (the class name: a set's classes are names) and the required
``crop:code_list``, here the set's class list itself as a ``data:`` URL (RFC 2397) of a CSV with
the extension's columns ``original_code``, ``original_name``, ``translated_name``. Every other
property of a feature is kept as ``labeller:<name>``, typed in ``fiboa_custom_schemas`` (as
fiboa-cli records columns outside the schemas). Geometry stays in WGS84 longitude/latitude (the
core's default CRS), the set's own coordinates, so an export imported again is the same set.

fiboa 0.3.0 (2025, an extension of Vecorel) renames ``determination_method`` to
``determination:method``, replaces ``area`` (ha) by ``metrics:area`` (m²) and ``fiboa_version``
by ``schemas``; fiboa-cli's ``improve`` command upgrades 0.2 files to it.

Reading: the format is Parquet (told by its first bytes); only what pyarrow reads from this one
file is used (a column chunk stored in another file is refused), within the limits of
:mod:`labels.readers`, checked from the file's footer before any data is read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.errors import GEOSException
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from labels.features import Feature, LabelError
from labels.geometry import project_to, set_crs

FIBOA_VERSION = "0.2.0"
CROP_EXTENSION = "https://fiboa.github.io/crop-extension/v0.1.0/schema.yaml"
#: The prefix of the columns that hold this tool's own properties.
NAMESPACE = "labeller:"
#: The GeoParquet version of the ``geo`` metadata written (https://geoparquet.org).
GEOPARQUET_VERSION = "1.1.0"
#: Columns a file may have (a label set has about 20).
MAX_COLUMNS = 1000


def write_parquet(collection: dict[str, Any], out: Path, classes: list[str]) -> None:
    """Write the set's features to ``out`` as fiboa GeoParquet (see the module's docstring).

    Args:
        collection: the label set (WGS84 GeoJSON features with their properties).
        out: the Parquet file to write.
        classes: the set's class names, in the order of its class list, for ``crop:code_list``.
    """
    features = collection["features"]
    geoms = np.array([shape(f["geometry"]) for f in features], dtype=object)
    local = project_to(geoms, set_crs(collection))
    meta = collection.get("label_set") or {}
    observed = _observed(meta.get("scene_date"))
    code_list = _code_list(classes)
    columns: dict[str, pa.Array] = {
        "id": pa.array([f["id"] for f in features], pa.string()),
        "geometry": pa.array(shapely.to_wkb(geoms), pa.binary()),
        "area": pa.array(shapely.area(local) / 10_000, pa.float32()),
        "perimeter": pa.array(shapely.length(local), pa.float32()),
        "determination_method": pa.array([_method(f["properties"]) for f in features]),
        "determination_datetime": pa.array(
            [  # the scene's date, for what was seen on the scene (not imported outlines)
                observed
                if f["properties"].get("scene_id") == meta.get("scene_id")
                and _method(f["properties"]) != "unknown"
                else None
                for f in features
            ],
            pa.timestamp("ms", tz="UTC"),
        ),
        "crop:code": pa.array([f["properties"]["crop_class"] for f in features], pa.string()),
        "crop:name": pa.array([f["properties"]["crop_class"] for f in features], pa.string()),
        "crop:code_list": pa.array([code_list] * len(features), pa.string()),
    }
    custom = _own_columns(features)
    columns.update({name: array for name, (array, _) in custom.items()})
    required = ("id", "geometry", "crop:code", "crop:code_list")
    schema = pa.schema(
        [
            pa.field(name, array.type, nullable=name not in required)
            for name, array in columns.items()
        ]
    )
    fiboa = {
        "fiboa_version": FIBOA_VERSION,
        "fiboa_extensions": [CROP_EXTENSION],
        "id": meta.get("name") or out.stem,
        "title": f"Label set {meta.get('name') or out.stem}",
        "fiboa_custom_schemas": {
            "required": [],
            "properties": {name: {"type": kind} for name, (_, kind) in custom.items()},
        },
    }
    metadata = {"geo": json.dumps(_geo(geoms)), "fiboa": json.dumps(fiboa, ensure_ascii=False)}
    table = pa.Table.from_arrays(list(columns.values()), schema=schema.with_metadata(metadata))
    pq.write_table(table, out)


def _method(props: dict[str, Any]) -> str:
    """fiboa's ``determination_method`` of a feature: an outline suggested from the image and
    accepted is ``auto-imagery``, one imported from a file this tool did not write ``unknown``,
    one drawn here ``manual``."""
    if props.get("source") == "suggested":
        return "auto-imagery"
    if props.get("imported_by") and not props.get("source_annotator"):
        return "unknown"
    return "manual"


def _observed(scene_date: Any) -> dt.datetime | None:
    """When the fields were seen: the acquisition of the set's scene (a date alone is taken at
    00:00 UTC), or ``None`` when the set does not record it."""
    try:
        stamp = dt.datetime.fromisoformat(str(scene_date))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def _code_list(classes: list[str]) -> str:
    """The class list as the Crop extension's code list: a CSV in a ``data:`` URL."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["original_code", "original_name", "translated_name"])
    writer.writerows([name, name, ""] for name in classes)
    return "data:text/csv;charset=utf-8," + quote(text.getvalue())


def _own_columns(features: list[Feature]) -> dict[str, tuple[pa.Array, str]]:
    """Every property but ``id`` and ``crop_class`` (in fiboa's columns) as a column
    ``labeller:<name>``, with its fiboa type."""
    keys = dict.fromkeys(k for f in features for k in f["properties"])
    return {
        NAMESPACE + key: _column([f["properties"].get(key) for f in features])
        for key in keys
        if key not in ("id", "crop_class")
    }


def _column(values: list[Any]) -> tuple[pa.Array, str]:
    """A property as a typed column and its fiboa type: whole numbers as int64, numbers as
    double, true/false as boolean, anything else as text (lists and objects as JSON)."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pa.array(values, pa.bool_()), "boolean"
    numbers = [v for v in present if isinstance(v, int | float) and not isinstance(v, bool)]
    if present and len(numbers) == len(present):
        if all(isinstance(v, int) and -(2**63) <= v < 2**63 for v in numbers):
            return pa.array(values, pa.int64()), "int64"
        return pa.array([None if v is None else float(v) for v in values], pa.float64()), "double"
    text = [v if isinstance(v, str) or v is None else json.dumps(v) for v in values]
    return pa.array(text, pa.string()), "string"


def _geo(geoms: np.ndarray) -> dict[str, Any]:
    """GeoParquet's ``geo`` metadata of WKB polygons in WGS84 (written as PROJJSON, x being the
    longitude as GeoParquet says whatever the CRS's axis order)."""
    kinds = sorted({g.geom_type for g in geoms})
    bbox = [float(v) for v in shapely.total_bounds(geoms)] if len(geoms) else []
    column = {
        "encoding": "WKB",
        "geometry_types": kinds,
        "crs": CRS.from_epsg(4326).to_json_dict(),
        "bbox": bbox,
    }
    return {
        "version": GEOPARQUET_VERSION,
        "primary_column": "geometry",
        "columns": {"geometry": column},
    }


def read_parquet(
    path: Path, max_rows: int, max_bytes: int
) -> tuple[CRS, list[tuple[BaseGeometry | None, dict[str, Any]]]]:
    """The CRS and features (geometry, properties) of a GeoParquet file.

        Properties are the file's columns, with this tool's ``labeller:<name>`` columns as
        ``<name>`` and the Crop extension's ``crop:name`` also as ``crop_class`` (when the file has
        no column of that name), so an export comes back as the features it was made of.

        Raises:
            LabelError: not a readable Parquet file, more than ``max_rows`` features or
    :data:`MAX_COLUMNS` columns, more than ``max_bytes`` once decompressed, data stored in
                another file, no GeoParquet ``geo`` metadata, a geometry encoding other than WKB,
                no CRS or one that is not known, or a geometry that is not WKB.
    """
    name = path.name
    try:
        with open(path, "rb") as handle:
            parquet = pq.ParquetFile(handle)
            _check_size(name, parquet.metadata, max_rows, max_bytes)
            column, crs = _geometry_column(name, parquet.schema_arrow.metadata or {})
            text = [
                f.name
                for f in parquet.schema_arrow
                if f.name != column and (pa.types.is_string(f.type) or pa.types.is_binary(f.type))
            ]
        with open(path, "rb") as handle:  # text kept dictionary-encoded until measured
            table = _read_bounded(name, pq.ParquetFile(handle, read_dictionary=text), max_bytes)
    except (pa.ArrowException, OSError) as err:
        raise LabelError(f"{name} is not a readable Parquet file: {err}") from err
    if column not in table.column_names:
        raise LabelError(f"{name}: its geometry column {column!r} is missing")
    try:
        geoms = shapely.from_wkb(table[column].to_numpy(zero_copy_only=False))
    except (GEOSException, TypeError, ValueError) as err:
        raise LabelError(f"{name}: the column {column!r} does not hold WKB: {err}") from err
    rows = [_properties(row) for row in table.drop_columns([column]).to_pylist()]
    return crs, list(zip(geoms, rows, strict=True))


def _read_bounded(name: str, parquet: pq.ParquetFile, max_bytes: int) -> pa.Table:
    """The file's table, read a row group at a time while what it decodes to stays under
    ``max_bytes``: a dictionary-encoded text counted once per row, not once (the footer's sizes
    count a repeated string once, and they are the writer's word)."""
    parts, used = [], 0
    for i in range(parquet.num_row_groups):
        part = parquet.read_row_group(i)
        used += _decoded_bytes(part)
        if used > max_bytes:
            raise LabelError(f"{name} unpacks to more than the limit of {max_bytes // 2**20} MB")
        parts.append(part)
    return pa.concat_tables(parts) if parts else parquet.schema_arrow.empty_table()


def _decoded_bytes(table: pa.Table) -> int:
    """Bytes ``table`` takes once every dictionary-encoded value is written out row by row."""
    total = 0
    for chunk in (c for column in table.columns for c in column.chunks):
        if pa.types.is_dictionary(chunk.type):
            lengths = pc.binary_length(chunk.dictionary)
            total += int(pc.sum(pc.take(lengths, chunk.indices)).as_py() or 0)
        else:
            total += chunk.nbytes
    return total


def _check_size(name: str, meta: pq.FileMetaData, max_rows: int, max_bytes: int) -> None:
    """Refuse, from the footer alone, a file with too many rows or columns, one that
    decompresses to more than ``max_bytes``, and one whose data lies in another file."""
    if meta.num_rows > max_rows:
        raise LabelError(f"{name} has {meta.num_rows} features; the limit is {max_rows}")
    if meta.num_columns > MAX_COLUMNS:
        raise LabelError(f"{name} has {meta.num_columns} columns; the limit is {MAX_COLUMNS}")
    unpacked = 0
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        for j in range(group.num_columns):
            chunk = group.column(j)
            if chunk.file_path:
                raise LabelError(f"{name} keeps its data in another file; it is not read")
            unpacked += chunk.total_uncompressed_size
    if unpacked > max_bytes:
        raise LabelError(
            f"{name} unpacks to {unpacked / 2**20:.0f} MB; the limit is {max_bytes // 2**20} MB"
        )


def _geometry_column(name: str, metadata: dict[bytes, bytes]) -> tuple[str, CRS]:
    """The primary geometry column and its CRS, from the GeoParquet ``geo`` metadata."""
    if b"geo" not in metadata:
        raise LabelError(
            f"{name} is Parquet without GeoParquet metadata ('geo'), so no column is declared "
            "a geometry; write it with geopandas (to_parquet), GDAL or fiboa-cli"
        )
    try:
        geo = json.loads(metadata[b"geo"])
        column = geo["primary_column"]
        spec = geo["columns"][column]
        encoding = spec["encoding"]
    except (ValueError, KeyError, TypeError) as err:
        raise LabelError(f"{name} has damaged GeoParquet metadata: {err!r}") from err
    if str(encoding).upper() != "WKB":
        raise LabelError(
            f"{name} stores its geometries as {encoding!r}; only WKB is read (geopandas "
            "to_parquet writes it)"
        )
    if "crs" not in spec:
        return str(column), CRS.from_user_input("OGC:CRS84")  # GeoParquet's default
    if spec["crs"] is None:
        raise LabelError(f"{name}: its geometries have no coordinate reference system")
    try:
        return str(column), CRS.from_user_input(spec["crs"])
    except CRSError as err:
        raise LabelError(
            f"{name} declares a coordinate reference system that is not known"
        ) from err


def _properties(row: dict[str, Any]) -> dict[str, Any]:
    """A row's properties as the importer reads them (see :func:`read_parquet`)."""
    props = {k: v for k, v in row.items() if not k.startswith(NAMESPACE)}
    for key, value in row.items():
        if key.startswith(NAMESPACE):
            props.setdefault(key.removeprefix(NAMESPACE), value)
    if "crop:name" in props:
        props.setdefault("crop_class", props["crop:name"])
    return props
