"""Click inside a field, get its outline: a polygon suggested from the image alone, offline.

A field on a Sentinel-2 image is a patch of near-uniform colour and NDVI bounded by sharper
edges. From the clicked pixel, regions are grown over the connected pixels whose colour (and
NDVI, when the image has B08; its hue, on a true-colour image) lies within a tolerance of the
click's, joined through neighbours that differ by at most half that tolerance (a sharp step
between two pixels is a border), for a sweep of tolerances.
The region kept is the most stable one (in the manner of maximally stable extremal regions): a
field's border holds while the tolerance rises, until the region leaks into a neighbour. Once a
few fields are labelled on the image (:data:`LEARN_FROM`), among regions about as stable the one
nearer their typical area is kept. It is opened (no bridges one pixel wide), its holes are
filled, and it is simplified to a polygon with few vertices, widened by half a pixel (the border
runs through the mixed pixels around the field's own). When what is left is too small or narrow
for a field (the region kept was a sliver: a small plot, a stripe inside a field), the next best
regions are tried, others that keep the clicked pixel and whose median colour lies near the
click's (a click on a road joins the fields beside it only far from their colour, and stays
refused as narrow).
Images with pixels finer than 10 m (the enhanced one) are averaged to about 10 m
first: measured, that gives better outlines than finer pixels, and is several times faster.
The first settings were chosen on the hand-drawn outlines in
``bench/data/austria_fields.geojson``; later ones (:data:`BORDER_STEP`, :data:`SIZE_WEIGHT`, the
hues of :func:`_hues`; the fallback under :data:`MAX_AREA_M2` and the confidence checked) on the
tuning half of the development set (``bench/fields.py``), and results are reported on its
held-out half (``python -m bench.suggest``; the numbers are in docs/benchmarks.md).

With a second date of the same area (optional), a border in either date is a border: a pixel
joins the region only when it lies within the tolerance of the click's pixel on both dates
(where the second date has no data, the first decides alone). Measured on the Austria fields, it
did not help (they were outlined on the first date): docs/benchmarks.md."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from affine import Affine
from rasterio.enums import Resampling
from rasterio.features import shapes
from rasterio.transform import rowcol
from rasterio.warp import transform, transform_geom
from scipy import ndimage
from shapely.geometry import Point, Polygon, box, mapping, shape
from shapely.geometry.base import BaseGeometry

from imagery.raster import Raster, on_grid_of
from labels.edits import NewPolygonRules, new_polygon
from labels.features import INSIDE, LabelError, as_geojson
from labels.geometry import from_crs, project_to

#: Outlines are found on pixels of about this size (smaller ones are averaged first).
WORK_M = 10.0
#: Each feature's spread over the image is measured on at most about this many pixels.
SPREAD_PIXELS = 1024 * 1024
#: Half the side of the first window looked at around the click; doubled while the region
#: reaches the window's edge (fields larger than the view), up to :data:`MOST_WINDOW_M`.
WINDOW_M = 400.0
#: Half the side of the largest window: a region still at its edge 3.2 km from the click is
#: no field of at most :data:`MAX_AREA_M2` but a strip along a road or river, and is cut
#: there (a larger window would cost up to 0.6 s a click on a 2048 px image).
MOST_WINDOW_M = 3200.0
#: Tolerances swept, in units of the image's own spread of each band (5-95 %).
TOLERANCES = np.geomspace(0.01, 0.8, 40)
#: Bridges narrower than this between two regions are cut.
OPEN_M = 10.0
#: The outline is simplified to within this of the pixels' staircase (and at least 3/4 of a
#: pixel): about 9 vertices a field, measured, at no cost in IoU.
SIMPLIFY_M = 12.0
#: Two neighbouring pixels are joined only when their features differ by at most this share
#: of the tolerance (:func:`_joined`). Chosen on the development set's tuning half (0.35, 0.5,
#: 0.7; docs/benchmarks.md).
BORDER_STEP = 0.5
#: The stable region sought is at least this large: smaller ones are specks inside a field.
MIN_STABLE_M2 = 3000.0
#: The smallest field suggested, and the thinnest (twice area over perimeter).
MIN_AREA_M2 = 1000.0
MIN_WIDTH_M = 20.0
#: Once this many fields are labelled on the image, their typical area (geometric mean) counts
#: in the choice: among regions about as stable, the one nearer it in area is proposed (a patch
#: of another shade inside a field often holds as well as the field). The region proposed is
#: then the one of least log(growth) + :data:`SIZE_WEIGHT` x log(area / typical)^2: a region a
#: tenth or ten times the typical area must hold its border 1.3 times better. Chosen on the
#: development set's tuning half; a fixed typical area (10 ha) did as well there but lowered
#: the Austria fields (3 ha) by 0.06-0.09 of mean IoU (docs/benchmarks.md).
LEARN_FROM = 5
SIZE_WEIGHT = 0.05
#: The typical area is learned from at most this many fields, the last labelled on the image.
LEARN_AT_MOST = 100
#: No region larger than this is proposed: where the most stable region is larger (it leaked
#: across low-contrast borders: winter fields), the most stable one under it is, with a lower
#: confidence.
MAX_AREA_M2 = 2_000_000.0
#: Larger and Smaller (``step``): each step is an outline at least this many times larger (or
#: smaller) in area than the one before it.
STEP_AREA = 1.4
#: Widened and opened outlines keep their corners square.
MITRE: dict[str, Any] = {"join_style": "mitre", "mitre_limit": 2}
NARROW = "too small or narrow for a field: a road, a path or a hedge?"
#: What is left at the click once the outline is cut against the labelled polygons is a sliver.
LEFT_NARROW = "what is left here beside the labelled polygons is too small or narrow for a field"
LABELLED = "this field is already labelled (select it in the table to change it)"


@dataclass(frozen=True)
class Suggestion:
    """The outline around a point (a GeoJSON Polygon in WGS84), or None and why not; with the
    outline, how sure the method is of it (:func:`_confidence`, 0-1)."""

    geometry: dict[str, Any] | None
    reason: str = ""
    confidence: float | None = None

    def feature(self) -> dict[str, Any]:
        props: dict[str, Any] = {"reason": self.reason}
        if self.geometry:
            props = {"source": "suggested", "confidence": round(self.confidence or 0.0, 2)}
        return {"type": "Feature", "geometry": self.geometry, "properties": props}


def suggest(
    raster: Raster,
    lon: float,
    lat: float,
    second: Raster | None = None,
    step: int = 0,
    typical_m2: float | None = None,
) -> Suggestion:
    """The field around the point (lon, lat) on ``raster`` (bands B04, B03, B02, and B08 when
    present), or an empty :class:`Suggestion` with a reason a user can act on.

    ``second``: the same area on another date (the same bands; any grid, resampled onto the
    one the outline is found on), whose borders count too (see the module docstring).
    ``step``: the annotator's Larger (+1, +2 ...) or Smaller (-1 ...) from the outline first
    proposed: the regions grown around the same click at the next tolerances up (or down), each
    outline at least :data:`STEP_AREA` times larger (or smaller) in area than the one before
    (:func:`_stepped`); counted from the region chosen (the one proposed first, unless that
    was a sliver).
    ``typical_m2``: the typical area of the fields already labelled on the image (square
    metres, :func:`typical_area`), or None.

    Raises:
        ValueError: a ``typical_m2`` that is not a positive number.
    """
    return next(suggestions(raster, lon, lat, second, (step,), typical_m2))


def suggestions(
    raster: Raster,
    lon: float,
    lat: float,
    second: Raster | None = None,
    steps: Sequence[int] = (0,),
    typical_m2: float | None = None,
) -> Iterator[Suggestion]:
    """:func:`suggest` at each of ``steps``, found as they are asked for, from one sweep of the
    regions around the click (the page asks for the next when clipping makes a step's outline
    the one shown). The steps are meant to go one way from 0 (1, 2, 3 or -1, -2): a window
    grown for a larger step holds the smaller ones, but can give a region grown in it a
    slightly other confidence than a fresh click would."""
    [x], [y] = transform("EPSG:4326", raster.crs, [lon], [lat])
    raster = _coarsened(raster, lat)
    row, col = rowcol(raster.transform, x, y)
    refusal = _refusal(raster, row, col)
    if refusal:
        yield from [Suggestion(None, refusal)] * len(steps)
        return
    pixel_m = _pixel_metres(raster, lat)
    dates = [_Features.of(raster)]
    if second is not None:
        dates.append(_Features.of(_on_grid(second, raster)))
    half = max(8, round(WINDOW_M / pixel_m))
    most = max(half, round(MOST_WINDOW_M / pixel_m))
    size = (raster.height, raster.width)
    sizes = (max(4, round(MIN_STABLE_M2 / pixel_m**2)), round(MAX_AREA_M2 / pixel_m**2))
    if typical_m2 is not None and not (np.isfinite(typical_m2) and typical_m2 > 0):
        raise ValueError(f"a typical area must be a positive number of square metres: {typical_m2}")
    typical = typical_m2 / pixel_m**2 if typical_m2 else None

    def look(half: int) -> tuple[_Sweep, _Place, tuple[int, int, int, int], bool]:
        """The regions grown in the window of ``half`` pixels either side of the click, where
        that window is, and whether it is the last one (the whole image, or the largest)."""
        r0, c0 = max(0, row - half), max(0, col - half)
        r1, c1 = min(raster.height, row + half + 1), min(raster.width, col + half + 1)
        (first, valid), *others = [f.window(r0, r1, c0, c1) for f in dates]
        window = [first] + [np.where(v, f, np.nan) for f, v in others]
        sweep = _grow(window, valid, row - r0, col - c0, sizes, typical)
        unit = abs(raster.transform.a) / pixel_m  # CRS units a metre
        place = _Place(raster.transform @ Affine.translation(c0, r0), Point(x, y), unit, pixel_m)
        return (
            sweep,
            place,
            (r0, c0, r1, c1),
            half >= most or (r0, c0, r1, c1) == (0, 0, raster.height, raster.width),
        )

    while True:
        sweep, place, bounds, last = look(half)
        if last or not _touches_inner_edge(sweep.regions[sweep.chosen], bounds, size):
            break
        half = min(2 * half, most)
    at = (row - bounds[0], col - bounds[1])
    first = _first(sweep, place, at, lambda r: not last and _touches_inner_edge(r, bounds, size))
    if first is None:
        yield from [Suggestion(None, NARROW)] * len(steps)
        return
    for step in steps:
        if not step:
            yield _found(raster, place, first[1], first[2])
            continue
        # The tolerance of each region does not depend on the window: a window grown for a
        # larger region holds the first one, at the same index (but for a speck under the
        # click, :func:`_grow`, whose neighbour's region the window's edge can cut).
        while True:
            stepped = _stepped(sweep, place, at, (first[0], first[1].area), step)
            if stepped is None or last:
                break
            if not _touches_inner_edge(sweep.regions[stepped[0]], bounds, size):
                break
            half = min(2 * half, most)
            sweep, place, bounds, last = look(half)
            at = (row - bounds[0], col - bounds[1])
        if stepped is None:
            more = "larger" if step > 0 else "smaller"
            yield Suggestion(None, f"no {more} outline is found around this point")
            continue
        i, outline = stepped
        yield _found(raster, place, outline, _confidence(float(sweep.growth[i]), leaked=False))


def _refusal(raster: Raster, row: int, col: int) -> str:
    """Why nothing is outlined at pixel (row, col), or "" when something may be."""
    if not (0 <= row < raster.height and 0 <= col < raster.width):
        return "the point is outside the image"
    if not np.isfinite(raster.data[:, row, col]).all():
        return "no data at this point (outside the scene, or masked clouds)"
    if _is_water(raster, row, col):
        return "this looks like water, not a field"
    return ""


def _first(
    sweep: _Sweep, place: _Place, at: tuple[int, int], cut: Callable[[np.ndarray], bool]
) -> tuple[int, Any, float] | None:
    """The region proposed first, its outline and the confidence in it: the one chosen,
    or when that is a sliver or a speck another that holds the click and that the window's
    edge does not ``cut``; None when none is wide enough for a field."""
    outline = place.outline(sweep.regions[sweep.chosen], *at, nearest=True)
    if outline is not None:
        return sweep.chosen, outline, sweep.confidence
    for i in sweep.others():
        # another region that holds the click, unless the window's edge cuts it (it was grown
        # at another tolerance than the window was sized for)
        if cut(sweep.regions[i]):
            continue
        outline = place.outline(sweep.regions[i], *at, nearest=False)
        if outline is not None:
            return i, outline, _confidence(float(sweep.growth[i]), leaked=True)
    return None


def _stepped(
    sweep: _Sweep, place: _Place, at: tuple[int, int], start: tuple[int, float], step: int
) -> Any:
    """The outline ``step`` times Larger (positive) or Smaller (negative) than the one first
    proposed (``start``: its index in the sweep and its area, CRS units): the regions grown at
    the next tolerances up (or down), each outline at least :data:`STEP_AREA` times larger
    (smaller) in area than the one before it (a region that opens to the same outline is passed
    over, as is one too narrow for a field); as ``(index, outline)``, or None when there are
    not that many."""
    index, last = start
    pixel = abs(place.transform.a * place.transform.e)  # CRS units squared
    up = step > 0
    went = 0
    for i in range(index + 1, len(sweep.regions)) if up else range(index - 1, -1, -1):
        area = sweep.areas[i] * pixel
        if not np.isfinite(sweep.growth[i]) or (area < last * 1.1 if up else area > last):
            continue  # not proposable, or no larger (smaller) than the last outline
        outline = place.outline(sweep.regions[i], *at, nearest=False)
        if outline is None or (outline.area / last if up else last / outline.area) < STEP_AREA:
            continue
        went, last = went + 1, outline.area
        if went == abs(step):
            return i, outline
    return None


def _found(raster: Raster, place: _Place, outline: Any, confidence: float) -> Suggestion:
    """``outline`` (CRS units) cut to the image, as a :class:`Suggestion`."""
    (x0, y0), (x1, y1) = raster.transform * (0, 0), raster.transform * (raster.width, raster.height)
    image = box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    outline = _piece_at(outline.intersection(image), place.click)  # widened past the edge
    return Suggestion(transform_geom(raster.crs, "EPSG:4326", mapping(outline)), "", confidence)


@dataclass(frozen=True)
class _Place:
    """Where a window of regions lies: its transform, the click (CRS units), CRS units a metre,
    and metres a pixel."""

    transform: Affine
    click: Point
    unit: float
    pixel_m: float

    def outline(self, region: np.ndarray, row: int, col: int, nearest: bool) -> Any:
        """``region`` opened, filled and simplified to the polygon at the click and widened by
        half a pixel, or None when what is left is too small or narrow for a field (before the
        widening). Without ``nearest`` the click's pixel must be left by the opening (no part
        nearby stands in for it)."""
        found = ndimage.find_objects(region.astype(np.uint8))
        if not found or found[0] is None:
            return None
        # Only the region's box (and a margin for the opening) is looked at.
        r0, c0 = max(0, found[0][0].start - 2), max(0, found[0][1].start - 2)
        region, row, col = (
            region[r0 : found[0][0].stop + 2, c0 : found[0][1].stop + 2],
            row - r0,
            col - c0,
        )
        cleaned = _clean(region, row, col, self.pixel_m)
        if cleaned is None or not (nearest or cleaned[row, col]):
            return None
        tolerance = max(0.75 * self.pixel_m, SIMPLIFY_M) * self.unit
        outline = _polygon(
            cleaned, self.transform @ Affine.translation(c0, r0), self.click, tolerance
        )
        area_m2, width_m = (
            outline.area / self.unit**2,
            2 * outline.area / outline.length / self.unit,
        )
        if area_m2 < MIN_AREA_M2 or width_m < MIN_WIDTH_M:
            return None
        # The region holds the pixels of the field's own colour; its border lies in the mixed
        # pixels around them, on average through their middle.
        return outline.buffer(0.5 * self.pixel_m * self.unit, **MITRE)


def proposal(
    raster: Raster,
    lon: float,
    lat: float,
    others: list[dict[str, Any]],
    rules: NewPolygonRules,
    second: Raster | None = None,
    step: int = 0,
) -> Suggestion:
    """The outline around (lon, lat) as Accept would save it, next to the polygons ``others``
    already labelled (WGS84 GeoJSON): :func:`suggest` (with the ``second`` date and the
    annotator's Larger / Smaller ``step``, if any), then
    :func:`labels.edits.new_polygon` (snapped, cut to the image, clipped off ``others`` when
    ``rules.clip``). Of what clipping leaves, only the piece at the click is proposed, never a
    MultiPolygon of slivers. Returned with :func:`suggest`'s confidence.

    Raises:
        LabelError: the click is inside a labelled polygon (nothing is proposed), no outline was
            found (the reason), or what is left at the click is too small or narrow.
    """
    found = next(proposals(raster, lon, lat, others, rules, second, (step,)))
    if found.geometry is None:
        raise LabelError(found.reason)
    return found


def proposals(
    raster: Raster,
    lon: float,
    lat: float,
    others: list[dict[str, Any]],
    rules: NewPolygonRules,
    second: Raster | None = None,
    steps: Sequence[int] = (0,),
) -> Iterator[Suggestion]:
    """:func:`proposal` at each of ``steps``, found as they are asked for, from one sweep
    (:func:`suggestions`); where there is none, a :class:`Suggestion` without an outline says
    why."""
    click = Point(lon, lat)
    if any(shape(o).covers(click) for o in others):
        yield from [Suggestion(None, LABELLED)] * len(steps)
        return
    typical = typical_area(others, raster, rules.crs)
    for found in suggestions(raster, lon, lat, second, steps, typical):
        try:
            yield _clipped(found, raster, click, others, rules)
        except LabelError as err:
            yield Suggestion(None, str(err))


def typical_area(labelled: list[dict[str, Any]], raster: Raster, crs: str) -> float | None:
    """The typical area (square metres, measured in ``crs``: the geometric mean) of the fields
    of ``labelled`` (WGS84 GeoJSON geometries) whose centre lies on ``raster``, the last
    :data:`LEARN_AT_MOST` of them; None when there are fewer than :data:`LEARN_FROM`. Only
    fields whose first vertex lies on the image or near it are made shapely geometries (read
    from the coordinates: a set of thousands costs a few milliseconds)."""
    if len(labelled) < LEARN_FROM:
        return None
    firsts = [_first_vertex(g) for g in labelled]
    kept = [i for i, v in enumerate(firsts) if v is not None]
    if len(kept) < LEARN_FROM:
        return None
    lons, lats = zip(*(firsts[i] for i in kept), strict=True)
    near = [kept[i] for i in np.flatnonzero(_on_image(raster, lons, lats, margin=0.25))]
    recent = np.array([shape(labelled[i]) for i in near[-2 * LEARN_AT_MOST :]], dtype=object)
    if recent.size < LEARN_FROM:
        return None
    centres = shapely.centroid(recent)
    on = _on_image(raster, shapely.get_x(centres), shapely.get_y(centres), margin=0.0)
    areas = shapely.area(project_to(recent[on], crs))[-LEARN_AT_MOST:]
    areas = areas[areas > 0]
    if areas.size < LEARN_FROM:
        return None
    return float(np.exp(np.log(areas).mean()))


def _first_vertex(geometry: dict[str, Any]) -> tuple[float, float] | None:
    """The first vertex of a GeoJSON Polygon or MultiPolygon, read from its coordinates; None for
    another type or coordinates that hold none."""
    try:
        coords = geometry["coordinates"]
        kind = geometry["type"]
        first = (
            coords[0][0]
            if kind == "Polygon"
            else coords[0][0][0]
            if kind == "MultiPolygon"
            else None
        )
        return (float(first[0]), float(first[1])) if first is not None else None
    except (IndexError, KeyError, TypeError, ValueError):
        return None


def _on_image(raster: Raster, lons: Any, lats: Any, margin: float) -> np.ndarray:
    """Which WGS84 points lie on ``raster``, or within ``margin`` times its size of it."""
    xs, ys = transform("EPSG:4326", raster.crs, list(lons), list(lats))
    cols, rows = ~raster.transform * (np.asarray(xs), np.asarray(ys))
    h, w = margin * raster.height, margin * raster.width
    return np.asarray(
        (cols >= -w) & (cols < raster.width + w) & (rows >= -h) & (rows < raster.height + h)
    )


def _clipped(
    found: Suggestion,
    raster: Raster,
    click: Point,
    others: list[dict[str, Any]],
    rules: NewPolygonRules,
) -> Suggestion:
    """``found`` as Accept would save it next to ``others`` (:func:`proposal`).

    Raises:
        LabelError: as :func:`proposal`.
    """
    if found.geometry is None:
        raise LabelError(found.reason)
    try:
        geom = shape(new_polygon(found.geometry, others, rules))
    except LabelError as err:
        raise LabelError(LABELLED if str(err) == INSIDE else str(err)) from err
    # Clipped against a labelled polygon, the outline (widened by half a pixel) can keep strips
    # that wide along it: they are opened away, and the piece at the click is kept.
    band = 0.3 * _pixel_metres(raster, click.y) * _work_factor(raster, click.y)
    clipped, at = project_to(geom, rules.crs), project_to(click, rules.crs)
    opened = clipped.buffer(-band).buffer(band, **MITRE).intersection(clipped)
    metric = _piece_at(opened, at)
    if (
        metric.is_empty
        or metric.distance(at) > band  # the click's piece went
        or metric.area < MIN_AREA_M2
        or 2 * metric.area / metric.length < MIN_WIDTH_M
    ):
        cut = clipped.area < 0.98 * project_to(shape(found.geometry), rules.crs).area
        raise LabelError(LEFT_NARROW if cut else NARROW)  # a labelled field took the rest
    return Suggestion(as_geojson(from_crs(metric, rules.crs)), "", found.confidence)


def _piece_at(geom: BaseGeometry, click: Point) -> Any:
    """The polygon of ``geom`` nearest the click (``geom`` itself when it is one piece; empty
    when it is empty)."""
    pieces = [
        g for g in getattr(geom, "geoms", [geom]) if g.geom_type == "Polygon" and not g.is_empty
    ]
    return min(pieces, key=click.distance) if pieces else Polygon()


def _work_factor(raster: Raster, lat: float) -> int:
    """How many of ``raster``'s pixels a side make one pixel of what outlines are found on
    (:func:`_coarsened`): 1 for 10 m pixels and coarser."""
    return max(1, int(WORK_M // _pixel_metres(raster, lat)))


def _coarsened(raster: Raster, lat: float) -> Raster:
    """``raster`` averaged over blocks of pixels to about :data:`WORK_M` a pixel, when its
    pixels are smaller (the enhanced image): as good an outline, several times faster."""
    factor = _work_factor(raster, lat)
    if factor < 2:
        return raster
    c, h, w = raster.data.shape
    h, w = h // factor * factor, w // factor * factor
    # Rows of blocks, then columns (four times faster than a mean over both axes of the
    # blocks at once); NaN where any pixel of the block has no data.
    rows = _added(np.moveaxis(raster.data[:, :h, :w].reshape(c, h // factor, factor, w), 2, -1))
    data = _added(rows.reshape(c, h // factor, w // factor, factor)) / (factor * factor)
    return Raster(data, raster.crs, raster.transform @ Affine.scale(factor), raster.bands)


def _added(parts: np.ndarray) -> np.ndarray:
    """``parts`` added over their last axis, one slice after another (a few slices of a large
    array: faster than ``sum`` over that axis)."""
    total = parts[..., 0].copy()
    for i in range(1, parts.shape[-1]):
        total += parts[..., i]
    return total


def _on_grid(second: Raster, raster: Raster) -> Raster:
    """``second`` on ``raster``'s grid: as it is when it lies on it, else averaged (or
    interpolated) onto it; NaN where it has no data."""
    same = second.crs == raster.crs and second.transform.almost_equals(raster.transform)
    if same and second.data.shape[1:] == raster.data.shape[1:]:
        return second
    finer = second.resolution < raster.resolution and second.crs == raster.crs
    return on_grid_of(second, raster, Resampling.average if finer else Resampling.bilinear)


def _pixel_metres(raster: Raster, lat: float) -> float:
    size = abs(raster.transform.a)
    return size if raster.crs.is_projected else size * 111_320 * np.cos(np.radians(lat))


@dataclass(frozen=True)
class _Features:
    """What regions are grown on (:func:`_channels`: the bands and NDVI, or the bands and hues
    of a true-colour image), each divided by its spread over the image (5-95 %), computed for
    the window looked at only: a click on a large image does not compute them over all of it.
    The spreads are measured on at most :data:`SPREAD_PIXELS` pixels of the image, on a regular
    grid of its rows and columns (all of them for an image of up to 1024 x 1024 px)."""

    raster: Raster
    spreads: tuple[float, ...]

    @classmethod
    def of(cls, raster: Raster) -> _Features:
        every = max(1, int(np.ceil(np.sqrt(raster.height * raster.width / SPREAD_PIXELS))))
        sample = raster.data[:, ::every, ::every]
        valid = np.all(np.isfinite(sample), axis=0)
        spreads = []
        for band in _channels(sample, raster.bands):
            lo, hi = np.percentile(band[valid], (5, 95)) if valid.any() else (0.0, 1.0)
            spreads.append(max(float(hi - lo), 1e-4))
        return cls(raster, tuple(spreads))

    def window(self, r0: int, r1: int, c0: int, c1: int) -> tuple[np.ndarray, np.ndarray]:
        """The features of rows r0 to r1 and columns c0 to c1 (0 where there is no data), and
        where there is data."""
        data = self.raster.data[:, r0:r1, c0:c1]
        valid = np.all(np.isfinite(data), axis=0)
        out = [
            np.where(valid, band, 0.0) / spread
            for band, spread in zip(_channels(data, self.raster.bands), self.spreads, strict=True)
        ]
        return np.stack(out).astype(np.float32), valid


def _channels(data: np.ndarray, bands: Sequence[str]) -> list[np.ndarray]:
    """The bands B04, B03, B02 of ``data`` (named ``bands``) and NDVI, or for a true-colour image
    (no B08) the bands and the logarithms of red and blue over green (:func:`_hues`)."""
    channels = [data[bands.index(b)] for b in ("B04", "B03", "B02") if b in bands]
    if "B08" in bands:
        channels.append(_ndvi(data[bands.index("B08")], data[bands.index("B04")]))
    elif len(channels) == 3:
        channels += _hues(*channels)
    return channels


def _ndvi(nir: np.ndarray, red: np.ndarray) -> np.ndarray:
    return np.asarray((nir - red) / np.maximum(nir + red, 1e-3))


def _hues(red: np.ndarray, green: np.ndarray, blue: np.ndarray) -> list[np.ndarray]:
    """log(red / green) and log(blue / green): a field's hue apart from its brightness, which
    stands in for NDVI where there is no near-infrared band (green crops against bare soil of
    the same brightness). Chosen on the development set's tuning half, true-colour only: median
    IoU 0.698 -> 0.738 against the bands alone (docs/benchmarks.md)."""
    floor = 1e-3  # about one count of an 8-bit true-colour file
    low = [np.maximum(band, floor) for band in (red, green, blue)]
    return [np.log(low[0] / low[1]), np.log(low[2] / low[1])]


def _is_water(raster: Raster, row: int, col: int) -> bool:
    if "B08" not in raster.bands:
        return False
    nir = raster.data[raster.bands.index("B08"), row, col]
    red = raster.data[raster.bands.index("B04"), row, col]
    return bool(nir < 0.1 and _ndvi(nir, red) < 0.05)


@dataclass(frozen=True)
class _Sweep:
    """The regions grown around a click at each of :data:`TOLERANCES`; ``growth``: how much each
    one's area grows between the tolerances either side (inf where it is too small or too large
    to propose); ``areas``: their pixels (at least 1); ``score``: what chooses among them, the
    least first (the log of the growth, and the distance from a typical area when there is one:
    :func:`_grow`); ``chosen``: the one proposed first; ``features``, ``seed``: the first date's
    features and their median around the click."""

    regions: list[np.ndarray]
    areas: np.ndarray
    growth: np.ndarray
    score: np.ndarray
    chosen: int
    confidence: float
    features: np.ndarray
    seed: np.ndarray

    def others(self) -> list[int]:
        """The other proposable regions (smaller or larger) that the click's pixels stand for,
        best ``score`` first: the distance between the click's features and the region's median
        at most half the region's tolerance (a click on a road joins its fields only at a
        tolerance near the road's distance from them, far from their median)."""
        return [
            int(i)
            for i in np.argsort(self.score, kind="stable")
            if i != self.chosen and np.isfinite(self.growth[i]) and self._typical(int(i))
        ]

    def _typical(self, i: int) -> bool:
        centre = np.nanmedian(self.features[:, self.regions[i]], axis=1)
        return bool(np.sqrt(((centre - self.seed) ** 2).sum()) <= 0.5 * TOLERANCES[i])


def _grow(
    dates: list[np.ndarray],
    valid: np.ndarray,
    row: int,
    col: int,
    sizes: tuple[int, int],
    typical: float | None,
) -> _Sweep:
    """The most stable region around (row, col) among those grown at each tolerance, of
    ``sizes`` (least, most pixels): the one whose area changes least between the tolerances
    either side of it (a field's border holds while the tolerance rises, until the region leaks
    into a neighbour), and among those about as stable the one nearer the ``typical`` area of
    the fields labelled on the image, in pixels, when it is known (:data:`SIZE_WEIGHT`); and
    the confidence in it (:func:`_confidence`). ``dates``: the ``(C, H, W)`` features of each
    date (NaN where a second date has no data); a pixel's distance from the click is the
    largest of its dates', and so is the step between two neighbours (:func:`_joined`)."""
    distance = np.full(valid.shape, np.nan, np.float32)
    seeds = []
    for features in dates:
        near = features[:, max(0, row - 2) : row + 3, max(0, col - 2) : col + 3]
        if np.isnan(near).all():  # a second date without data at the click: no say here
            continue
        seeds.append(np.nanmedian(near, (1, 2)))
        distance = np.fmax(distance, np.sqrt(((features - seeds[-1][:, None, None]) ** 2).sum(0)))
    steps = _steps(dates)
    regions, areas = [], []
    speck: tuple[int, int] | None = None
    box = None
    for tol in TOLERANCES:
        inside = valid & (distance <= tol)
        reach, box = _reach(inside, (row, col), box)
        region = _joined(reach, box, steps, tol, (row, col), speck)
        area = int(region.sum())
        nearest = _nearest(inside, steps, (row, col)) if speck is None and area == 1 else None
        if nearest is not None:
            # The clicked pixel is within the tolerance but no neighbour is joined to it: when
            # the neighbour nearest its colour is joined to a region of its own (an odd pixel
            # in a field, not a pixel of a road, whose neighbours along it are as alone), the
            # clicked pixel is joined to it from here on.
            joined = _joined(reach, box, steps, tol, (row, col), nearest)
            if joined.sum() >= sizes[0]:
                speck, region, area = nearest, joined, int(joined.sum())
        regions.append(region)
        areas.append(max(area, 1))
    a = np.asarray(areas, float)
    growth = np.r_[a[1] / a[0], a[2:] / a[:-2], a[-1] / a[-2]]
    growth[a < sizes[0]] = np.inf
    leaked = bool(a[np.argmin(growth)] > sizes[1])  # the most stable region is too large
    growth[a > sizes[1]] = np.inf
    score = np.log(growth)
    if typical:
        score += SIZE_WEIGHT * np.log(a / typical) ** 2
    if np.isinf(growth).all():  # all specks or all too large: the largest region not too large
        fits = np.flatnonzero(a <= sizes[1])
        chosen = int(fits[-1]) if fits.size else 0
        return _Sweep(regions, a, growth, score, chosen, 0.0, dates[0], seeds[0])
    chosen = int(np.argmin(score))
    confidence = _confidence(float(growth[chosen]), leaked)
    return _Sweep(regions, a, growth, score, chosen, confidence, dates[0], seeds[0])


def _steps(dates: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """How far each pixel's features lie from the next pixel's across and down (the largest of
    the dates'; a date without data at either has no say)."""
    across = np.zeros_like(dates[0][0, :, 1:])
    down = np.zeros_like(dates[0][0, 1:, :])
    for features in dates:
        across = np.fmax(across, np.sqrt(np.nansum(np.diff(features, axis=2) ** 2, 0)))
        down = np.fmax(down, np.sqrt(np.nansum(np.diff(features, axis=1) ** 2, 0)))
    return across, down


def _nearest(
    inside: np.ndarray, steps: tuple[np.ndarray, np.ndarray], at: tuple[int, int]
) -> tuple[int, int] | None:
    """The neighbour of pixel ``at`` nearest it in features (as a row and column offset),
    among those within the tolerance (``inside``); None when ``at`` or all four are not."""
    row, col = at
    if not inside[row, col]:
        return None
    across, down = steps
    near = []
    if col > 0 and inside[row, col - 1]:
        near.append((across[row, col - 1], (0, -1)))
    if col + 1 < inside.shape[1] and inside[row, col + 1]:
        near.append((across[row, col], (0, 1)))
    if row > 0 and inside[row - 1, col]:
        near.append((down[row - 1, col], (-1, 0)))
    if row + 1 < inside.shape[0] and inside[row + 1, col]:
        near.append((down[row, col], (1, 0)))
    return min(near)[1] if near else None


def _reach(
    inside: np.ndarray, at: tuple[int, int], last: tuple[int, int, int, int] | None
) -> tuple[np.ndarray, tuple[int, int, int, int] | None]:
    """The pixels of ``inside`` connected to pixel ``at`` (row, column), and their box (first
    and last + 1 row and column; ``last`` when there are none). ``last``: the box of those at
    the tolerance below, which these hold: they are labelled first in that box grown by its
    size on each side, and in the whole window only when they reach that box's edge (four to
    ten times faster than the whole window at every tolerance of a large window)."""
    row, col = at
    if not inside[row, col]:
        return np.zeros_like(inside), last
    h, w = inside.shape
    boxes = [(0, h, 0, w)]
    if last is not None:
        r0, r1, c0, c1 = last
        boxes.insert(0, (max(0, 2 * r0 - r1), min(h, 2 * r1 - r0), max(0, 2 * c0 - c1),
                         min(w, 2 * c1 - c0)))  # fmt: skip
    for r0, r1, c0, c1 in boxes:
        labels, _ = ndimage.label(inside[r0:r1, c0:c1])
        part = labels == labels[row - r0, col - c0]
        if not _touches_inner_edge(part, (r0, c0, r1, c1), (h, w)):
            break
    reach = np.zeros_like(inside)
    reach[r0:r1, c0:c1] = part
    rows, cols = np.flatnonzero(part.any(1)), np.flatnonzero(part.any(0))
    return reach, (r0 + rows[0], r0 + rows[-1] + 1, c0 + cols[0], c0 + cols[-1] + 1)


def _joined(
    reach: np.ndarray,
    bounds: tuple[int, int, int, int] | None,
    steps: tuple[np.ndarray, np.ndarray],
    tolerance: float,
    at: tuple[int, int],
    speck: tuple[int, int] | None,
) -> np.ndarray:
    """The pixels of ``reach`` (within ``tolerance`` of the click and connected to it; their
    box ``bounds``: :func:`_reach`) joined to the clicked pixel ``at`` (row, column) through
    neighbours whose features differ by at most :data:`BORDER_STEP` times the tolerance
    (``steps``: :func:`_steps`): a sharp step is a border even where both sides lie within the
    tolerance of the click (a narrow track or a row of mixed pixels between two fields of near
    colours). ``speck``: the offset of a neighbour within the tolerance that the clicked pixel
    (an odd one, :func:`_grow`) is joined to whatever the step to it."""
    row, col = at
    region = reach
    if bounds is None or not region[row, col]:
        return region
    # Cutting the sharp steps can only split the region: only its box is looked at again.
    r0, r1, c0, c1 = bounds
    box = region[r0:r1, c0:c1]
    across, down = steps[0][r0:r1, c0 : c1 - 1], steps[1][r0 : r1 - 1, c0:c1]
    # Pixels at even rows and columns, each link to the next pixel across at an odd column and
    # down at an odd row: labelled together, pixels are joined through links that hold.
    limit = BORDER_STEP * tolerance
    pairs = box[:, :-1] & box[:, 1:], box[:-1] & box[1:]
    held = pairs[0] & (across <= limit), pairs[1] & (down <= limit)
    if np.array_equal(held[0], pairs[0]) and np.array_equal(held[1], pairs[1]):
        return region  # no sharp step inside the region
    grid = np.zeros((2 * box.shape[0] - 1, 2 * box.shape[1] - 1), bool)
    grid[::2, ::2] = box
    grid[::2, 1::2], grid[1::2, ::2] = held
    centre = (2 * (row - r0), 2 * (col - c0))
    if speck is not None:  # the neighbour is within the tolerance: in the region's box
        grid[centre[0] + speck[0], centre[1] + speck[1]] = True
    linked, _ = ndimage.label(grid)
    joined = np.zeros_like(reach)
    joined[r0:r1, c0:c1] = linked[::2, ::2] == linked[centre]
    return joined


def _confidence(growth: float, leaked: bool) -> float:
    """How sure the method is of a region (0-1): 1 for a border that holds while the tolerance
    doubles (the area does not grow), falling as the area grows with it (``growth``: the ratio
    of areas at the tolerances either side), halved when the most stable region was too large to
    propose (``leaked``: the border that held is not this one)."""
    return float(np.clip(1.0 / growth, 0.0, 1.0)) * (0.5 if leaked else 1.0)


def _touches_inner_edge(
    region: np.ndarray, window: tuple[int, int, int, int], size: tuple[int, int]
) -> bool:
    """Whether the region reaches an edge of its window (first row and column, last + 1) that
    is not the edge of the image (of ``size``: height, width) the window lies in."""
    r0, c0, r1, c1 = window
    return bool(
        (r0 > 0 and region[0].any())
        or (c0 > 0 and region[:, 0].any())
        or (r1 < size[0] and region[-1].any())
        or (c1 < size[1] and region[:, -1].any())
    )


def _clean(region: np.ndarray, row: int, col: int, pixel_m: float) -> np.ndarray | None:
    radius = max(1, round(OPEN_M / 2 / pixel_m))
    disk = _disk(radius)
    opened = ndimage.binary_opening(region, disk)
    labels, n = ndimage.label(opened)
    if n == 0:
        return None
    keep = labels[row, col]
    if keep == 0:  # the click was on a sliver the opening removed: the nearest part instead
        dist, (rr, cc) = ndimage.distance_transform_edt(labels == 0, return_indices=True)
        keep = labels[rr[row, col], cc[row, col]]
        if dist[row, col] > 2 * radius:
            return None
    return np.asarray(ndimage.binary_fill_holes(labels == keep))


def _disk(radius: int) -> np.ndarray:
    y, x = np.ogrid[-radius : radius + 1, -radius : radius + 1]
    return np.asarray(x * x + y * y <= radius * radius + radius)


def _polygon(region: np.ndarray, window_transform: Any, click: Point, tolerance: float) -> Any:
    """The part of ``region`` nearest the click as a polygon, simplified within ``tolerance``
    (CRS units)."""
    parts: list[BaseGeometry] = [
        shape(g) for g, _ in shapes(region.astype(np.uint8), region, transform=window_transform)
    ]
    outline = min(parts, key=lambda p: p.distance(click))
    return outline.simplify(tolerance).buffer(0)
