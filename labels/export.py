"""Exporting a label set: GeoJSON, GeoPackage (UTM), zipped Shapefile, CSV with WKT, fiboa
GeoParquet (:mod:`labels.fiboa`), and a class-id raster mask aligned to the image grid or to any
raster's grid, for training segmentation models.

Coordinates written as text are rounded to about 1 cm (:func:`labels.features.on_grid`): GeoJSON
and CSV (WGS84) to 7 decimals, with validity kept. Binary formats keep the double: the
GeoPackage's and Shapefile's UTM coordinates are those of the set's (its 7-decimal grid
reprojected), which rounding to 1 cm would not shorten and would move off that grid, so a file
imported again would no longer match the set's outlines; GeoParquet holds the set's own WGS84
coordinates. The saved set keeps its coordinates as they are (neighbours share vertices
exactly). The CSV is GDAL's GeoCSV: a ``WKT`` column that GDAL (and so geopandas, QGIS) takes as
the geometry unasked, with a ``.prj`` (the CRS) and a ``.csvt`` (the column types) beside it.

Every export is written in a hidden folder beside its target and moved into place when whole
(with a mask's legend), like a save: a full disk or a kill leaves the file that was there, never
a truncated or empty one. What a format cannot hold is refused, never cut: a Shapefile field
holds at most 254 bytes of text.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyarrow as pa
import rasterio
from affine import Affine
from pyogrio.errors import DataLayerError, DataSourceError
from rasterio.crs import CRS
from rasterio.errors import RasterioError
from rasterio.features import rasterize
from shapely.geometry import Polygon, shape

from imagery.errors import ImageryError
from imagery.geotiff import write_geotiff
from imagery.memory import shortfall
from labels.classes import safe_colour, set_classes
from labels.features import LabelError, as_geojson, on_grid
from labels.fiboa import write_parquet
from labels.geometry import set_crs

FORMATS = (".geojson", ".gpkg", ".zip", ".csv", ".parquet", ".tif")
#: Shapefile field names are at most 10 characters.
SHAPEFILE_NAMES = {
    "model_version": "model_ver",
    "crop_class": "crop_class",
    "imported_by": "import_by",
    "source_annotator": "src_annot",
    "source_created": "src_create",
    "review_reason": "rej_reason",
    "reviewed_by": "review_by",
    "reviewed_at": "review_at",
}
#: The most bytes of text a Shapefile (dBase) field holds.
SHAPEFILE_TEXT = 254


def to_frame(collection: dict[str, Any]) -> gpd.GeoDataFrame:
    """The set's features as a GeoDataFrame in EPSG:4326, one row per feature."""
    features = collection["features"]
    rows = [dict(f["properties"]) for f in features]
    geoms = [shape(f["geometry"]) for f in features]
    return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")


def export(
    collection: dict[str, Any], out: Path, image: str = "enhanced", like: Path | None = None
) -> Path:
    """Write the set to ``out``; the suffix chooses the format (see :data:`FORMATS`).

    ``image`` chooses the grid of a ``.tif`` mask: ``"enhanced"`` (2.5 m) or ``"original"``;
    ``like``, a raster, puts the mask on that raster's grid instead (its CRS, transform and
    size), for any set.

    Raises:
        LabelError: unknown format, an empty set, no grid recorded for a mask, a ``like`` raster
            that cannot be opened or that the set does not overlap, what the format cannot
            hold, or the disk refused the write (then ``out`` is as it was).
    """
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise LabelError(f"cannot export to {out.name}: use one of {', '.join(FORMATS)}")
    if like is not None and suffix != ".tif":
        raise LabelError(f"a raster's grid (like {like.name}) is for a .tif mask, not {out.name}")
    if suffix != ".geojson" and not collection["features"]:
        raise LabelError("the label set has no polygons to export")
    try:
        with tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent) as tmp:
            staged = Path(tmp) / out.name
            _write(collection, staged, suffix, image, like)
            for part in sorted(Path(tmp).iterdir(), key=lambda p: p == staged):  # out last
                with open(part, "rb") as handle:
                    os.fsync(handle.fileno())
                os.replace(part, out.parent / part.name)
    except (
        OSError,
        DataSourceError,
        DataLayerError,
        RasterioError,
        ImageryError,
        pa.ArrowException,
    ) as err:
        reason = getattr(err, "strerror", None) or err
        raise LabelError(
            f"{out.name} could not be written ({reason}); nothing was replaced"
        ) from err
    return out


def _write(
    collection: dict[str, Any], out: Path, suffix: str, image: str, like: Path | None
) -> None:
    if suffix == ".geojson":
        features = [
            {**f, "geometry": as_geojson(shape(f["geometry"]))} for f in collection["features"]
        ]
        data = {"type": "FeatureCollection", "features": features}
        out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return
    if suffix == ".parquet":
        write_parquet(collection, out, list(class_ids(collection)))
        return
    frame = to_frame(collection)
    if suffix == ".gpkg":
        frame.to_crs(set_crs(collection)).to_file(out, driver="GPKG", layer="labels")
    elif suffix == ".zip":
        _write_shapefile_zip(frame.to_crs(set_crs(collection)), out)
    elif suffix == ".csv":
        geoms = on_grid(np.asarray(frame.geometry.array, dtype=object))
        frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
        frame.to_file(out, driver="CSV", layer_options={"GEOMETRY": "AS_WKT", "CREATE_CSVT": "YES"})
    else:
        write_mask(collection, frame, out, image, like)


def _write_shapefile_zip(frame: gpd.GeoDataFrame, out: Path) -> None:
    """The set as ``labels.shp`` and its parts in a zip.

    Raises:
        LabelError: a field name or a text longer than a Shapefile holds.
    """
    frame = frame.rename(columns=SHAPEFILE_NAMES)
    for column in frame.columns.drop("geometry"):
        if len(column) > 10:
            raise LabelError(
                f"a Shapefile's field names have at most 10 characters, and {column!r} is "
                "longer; export a GeoPackage or GeoJSON instead"
            )
        long = [v for v in frame[column] if isinstance(v, str) and len(v.encode()) > SHAPEFILE_TEXT]
        if long:
            raise LabelError(
                f"a Shapefile holds at most {SHAPEFILE_TEXT} bytes of text in a field, and "
                f"{column!r} holds {len(long)} longer value(s) (such as {long[0][:30]!r}...); "
                "export a GeoPackage or GeoJSON instead, or shorten them"
            )
    with tempfile.TemporaryDirectory() as tmp:
        frame.to_file(Path(tmp) / "labels.shp", engine="pyogrio", encoding="UTF-8")
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for part in sorted(Path(tmp).iterdir()):
                z.write(part, part.name)


def class_ids(collection: dict[str, Any]) -> dict[str, int]:
    """Class name -> id in the mask: the set's class list in its order (1, 2, ...), then classes
    used but not listed, sorted; 0 is unlabelled. Sets with the same class list get the same ids.

    Raises:
        LabelError: more than 255 classes (the mask is 8-bit).
    """
    listed = list(set_classes(collection))
    used = {f["properties"]["crop_class"] for f in collection["features"]}
    names = listed + sorted(used - set(listed))
    if len(names) > 255:
        raise LabelError(f"the set has {len(names)} classes; a mask holds at most 255")
    return {name: i + 1 for i, name in enumerate(names)}


def legend(collection: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The mask's legend: id (as text) -> class name and colour (``#rrggbb``)."""
    colours = set_classes(collection)
    table = {"0": {"class": "unlabelled", "colour": "#000000"}}
    for name, i in class_ids(collection).items():
        table[str(i)] = {"class": name, "colour": safe_colour(colours.get(name, ""), "#7f7f7f")}
    return table


def write_mask(
    collection: dict[str, Any],
    frame: gpd.GeoDataFrame,
    out: Path,
    image: str,
    like: Path | None = None,
) -> None:
    """A uint8 GeoTIFF of class ids on the grid of the set's original image, of its x4
    enhancement, or of the raster ``like``, with the legend in its tags (``CLASS_<id>``) and as
    its colour table, and beside it as ``<name>.classes.json``.

    Raises:
        LabelError: no grid (none recorded, or ``like`` unreadable or without a CRS), a grid
            larger than the memory allows, or no polygon on it.
    """
    crs, transform, width, height = raster_grid(like) if like else _image_grid(collection, image)
    table = legend(collection)
    ids = {entry["class"]: int(i) for i, entry in table.items() if i != "0"}
    local = frame.to_crs(crs.to_wkt())
    footprint = Polygon(
        [transform * xy for xy in ((0, 0), (width, 0), (width, height), (0, height))]
    )
    inside = local[local.intersects(footprint)]
    where = like.name if like else f"the {image} image"
    if inside.empty:
        raise LabelError(f"the label set does not overlap {where}: no polygon lies on its grid")
    shapes = [(g, ids[c]) for g, c in zip(inside.geometry, inside["crop_class"], strict=True)]
    mask = rasterize(shapes, (height, width), transform=transform, fill=0, dtype="uint8")
    if not mask.any():
        raise LabelError(
            f"no polygon of the label set covers the centre of a pixel of {where}: its pixels "
            "are larger than the fields"
        )
    tags = {f"CLASS_{i}": entry["class"] for i, entry in table.items()}
    colours = {int(i): (*_rgb(entry["colour"]), 255) for i, entry in table.items()}
    write_geotiff(out, mask[np.newaxis], crs, transform, None, ("class_id",), tags, colours)
    legend_path(out).write_text(json.dumps(table, indent=1, ensure_ascii=False), encoding="utf-8")


def _image_grid(collection: dict[str, Any], image: str) -> tuple[CRS, Affine, int, int]:
    """The grid of the set's original image, or of its x4 enhancement."""
    grid = collection.get("label_set", {}).get("grid")
    if not grid:
        raise LabelError(
            "this label set records no image grid; a mask needs one (from the command line, "
            "one on a raster's grid: labels export SET OUT.tif --like RASTER)"
        )
    scale = 4 if image == "enhanced" else 1
    transform = Affine(*grid["transform"][:6]) @ Affine.scale(1 / scale)
    return (
        CRS.from_user_input(grid["crs"]),
        transform,
        grid["width"] * scale,
        grid["height"] * scale,
    )


def raster_grid(path: Path) -> tuple[CRS, Affine, int, int]:
    """The grid (CRS, transform, width, height) of any raster GDAL opens; its pixels are not read.

    Raises:
        LabelError: it cannot be opened, has no CRS or no transform, or a mask of its size needs
            more memory than there is.
    """
    try:
        with rasterio.open(path) as ds:
            crs, transform, width, height = ds.crs, ds.transform, ds.width, ds.height
    except (RasterioError, OSError) as err:
        raise LabelError(f"cannot open {path.name} as a raster: {err}") from err
    if crs is None:
        raise LabelError(f"{path.name} has no coordinate reference system; a mask needs one")
    if not (crs.is_geographic or crs.is_projected):
        raise LabelError(
            f"{path.name} is not on a map (its coordinate reference system is neither "
            "geographic nor projected); a mask needs one"
        )
    if transform == Affine.identity():
        raise LabelError(f"{path.name} has no georeferencing (geotransform); a mask needs one")
    short = shortfall(width * height * 2)  # the mask and its copy when written
    if short:
        raise LabelError(f"a mask on the grid of {path.name} ({width} x {height} px) {short}")
    return crs, transform, width, height


def legend_path(mask: Path) -> Path:
    """Where the legend of a mask GeoTIFF is written."""
    return mask.with_name(f"{mask.stem}.classes.json")


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
