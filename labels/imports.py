"""Importing polygons into a label set from GeoJSON, GeoPackage or a zipped Shapefile, in any
CRS (reprojected to WGS84), with one property giving the crop class.

All or nothing: every feature is checked first; one bad feature or an unreadable file raises
:class:`LabelError` and the set is not touched.

A feature this tool wrote (an export of a set: its ``id`` property is one of our ids) keeps its
id, annotator, times and provenance; others become new features. :func:`unseen` leaves out the
features a set already holds (same id, or the same outline), so importing twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.geometry import shape

from labels.export import SHAPEFILE_NAMES
from labels.features import IMAGES, Feature, LabelError, as_geojson, new_feature

MAX_BYTES = 50 * 2**20  # uploads larger than 50 MB are refused
MAX_FEATURES = 100_000
MAX_MEMBERS = 100  # files in a zipped Shapefile (a Shapefile has 3 to 8)
SUFFIXES = (".geojson", ".json", ".gpkg", ".zip")
#: Properties of a feature this tool wrote that an import keeps.
PROVENANCE = (
    "annotator",
    "created",
    "updated",
    "scene_id",
    "image",
    "pipeline",
    "preset",
    "model_version",
    "note",
)
OUR_ID = re.compile(r"[0-9a-f]{32}")
#: Outlines closer than this (degrees, about 1 cm) are the same outline.
SAME_OUTLINE = 1e-7


def read_polygons(path: Path, class_field: str, annotator: str, scene_id: str) -> list[Feature]:
    """New label features for the polygons in ``path``.

    Raises:
        LabelError: wrong suffix, too large, unreadable, no CRS or one that is not known,
            coordinates that are not numbers or lie outside the CRS's area of use, no
            ``class_field``, a feature that is not a polygon or not valid, or too many features.
    """
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise LabelError(f"{path.name}: import GeoJSON, GeoPackage or a zipped Shapefile")
    if path.stat().st_size > MAX_BYTES:
        raise LabelError(f"{path.name} is larger than {MAX_BYTES // 2**20} MB")
    if suffix == ".zip":
        _check_zip(path)
    if suffix in (".geojson", ".json"):
        _check_geojson_crs(path)
    source = f"/vsizip/{path}" if suffix == ".zip" else str(path)
    try:
        frame = gpd.read_file(source, engine="pyogrio")
    except (DataSourceError, DataLayerError, ValueError, OSError, json.JSONDecodeError) as err:
        raise LabelError(f"cannot read {path.name}: {err}") from err
    if frame.crs is None:
        raise LabelError(f"{path.name} has no coordinate reference system")
    if len(frame) > MAX_FEATURES:
        raise LabelError(f"{path.name} has {len(frame)} features; the limit is {MAX_FEATURES}")
    if class_field not in frame.columns:
        fields = ", ".join(c for c in frame.columns if c != "geometry")
        raise LabelError(f"{path.name} has no field {class_field!r}; its fields: {fields}")
    if not np.isfinite(shapely.get_coordinates(frame.geometry.to_numpy())).all():
        raise LabelError(f"{path.name} has coordinates that are not numbers (NaN or infinite)")
    declared = frame.crs
    frame = frame.to_crs("EPSG:4326").rename(columns={v: k for k, v in SHAPEFILE_NAMES.items()})
    _check_area_of_use(path.name, declared, frame)
    features = []
    rows = frame.drop(columns="geometry").to_dict("records")
    for i, (geom, row) in enumerate(zip(frame.geometry, rows, strict=True)):
        if geom is None:
            raise LabelError(f"{path.name}: feature {i + 1} has no geometry")
        try:
            feature = new_feature(
                as_geojson(geom), str(row[class_field]), annotator, scene_id, "original"
            )
        except LabelError as err:
            raise LabelError(f"{path.name}: feature {i + 1}: {err}") from err
        features.append(_keep_provenance(feature, row))
    return features


def imported_area(features: list[Feature]) -> dict[str, Any]:
    """Set-level facts an import gives a set that has none: the box around its polygons
    (``area_bbox``, WGS84), so a set started empty gets an area to open."""
    if not features:
        return {}
    west, south, east, north = shapely.total_bounds([shape(f["geometry"]) for f in features])
    return {"area_bbox": [round(float(v), 6) for v in (west, south, east, north)]}


def unseen(features: list[Feature], collection: dict[str, Any]) -> tuple[list[Feature], int]:
    """The features the set does not hold yet (by id, or by the same outline within about a
    centimetre), and how many were left out."""
    ids = {f.get("id") for f in collection["features"]}
    outlines = {_outline(f["geometry"]) for f in collection["features"]}
    new = []
    for f in features:
        outline = _outline(f["geometry"])
        if f["id"] not in ids and outline not in outlines:
            new.append(f)
            ids.add(f["id"])
            outlines.add(outline)
    return new, len(features) - len(new)


def _outline(geometry: dict[str, Any]) -> bytes:
    geom = shapely.set_precision(shape(geometry), SAME_OUTLINE)
    return bytes(shapely.to_wkb(shapely.normalize(geom)))


def _keep_provenance(feature: Feature, row: dict[str, Any]) -> Feature:
    """``feature`` with the id and provenance of ``row`` when this tool wrote it."""
    fid = row.get("id")
    if not isinstance(fid, str) or not OUR_ID.fullmatch(fid):
        return feature
    props = feature["properties"]
    for key in PROVENANCE:
        value = row.get(key)
        if isinstance(value, dt.datetime) and not pd.isna(value):  # GDAL reads times as such
            stamp = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
            value = stamp.isoformat(timespec="seconds")
        if isinstance(value, str) and value.strip():
            props[key] = value
    if props["image"] not in IMAGES:
        props["image"] = "original"
    if props["image"] == "original":
        props.update(pipeline=None, preset=None, model_version=None)
    feature["id"] = props["id"] = fid
    return feature


def _check_geojson_crs(path: Path) -> None:
    """A GeoJSON ``crs`` member must name a CRS that is known (GDAL would read WGS84 instead)."""
    try:
        member = json.loads(path.read_bytes()).get("crs")
    except (ValueError, AttributeError, OSError):
        return  # not a GeoJSON object: the reader says so
    if member is None:
        return
    name = member.get("properties", {}).get("name") if isinstance(member, dict) else None
    try:
        CRS.from_user_input(name)
    except (CRSError, TypeError) as err:
        raise LabelError(
            f"{path.name} declares a coordinate reference system that is not known: {name!r}"
        ) from err


def _check_area_of_use(name: str, declared: CRS, frame: gpd.GeoDataFrame) -> None:
    """The features (``frame``, reprojected to WGS84) must lie where the ``declared`` CRS is meant
    for (with 1 degree to spare): a file in longitude/latitude that declares UTM would land near
    (0, 0) with no area."""
    area = declared.area_of_use
    if area is None or frame.geometry.is_empty.all():
        return
    west, south, east, north = frame.total_bounds
    slack = 1.0
    inside = (
        south >= area.south - slack
        and north <= area.north + slack
        and (area.west > area.east or (west >= area.west - slack and east <= area.east + slack))
    )
    if not inside:
        raise LabelError(
            f"{name}: the coordinates do not fit its coordinate reference system "
            f"({declared.to_string()}, meant for {area.name}): check the CRS the file declares"
        )


def _check_zip(path: Path) -> None:
    """Limits on what would be read, not on what was uploaded: a small zip can hold gigabytes.

    Raises:
        LabelError: not a zip, more than :data:`MAX_MEMBERS` files, or more than
            :data:`MAX_BYTES` once uncompressed.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as err:
        raise LabelError(f"{path.name} is not a readable zip file: {err}") from err
    if len(members) > MAX_MEMBERS:
        raise LabelError(f"{path.name} holds {len(members)} files; the limit is {MAX_MEMBERS}")
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_BYTES:
        raise LabelError(
            f"{path.name} unpacks to {unpacked / 2**20:.0f} MB; the limit is "
            f"{MAX_BYTES // 2**20} MB"
        )
