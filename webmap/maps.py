"""The app's three maps: picking an area, comparing images, drawing labels.

All maps start with no basemap: the imagery is the background and nothing is fetched from the
internet. ``BASEMAP_URL`` (an XYZ tile template) adds a basemap for users who are online.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import folium
import folium.plugins
from branca.element import MacroElement
from jinja2 import Template
from shapely.geometry import box, mapping

import settings
from imagery.scene import BBox
from webmap.controls import (
    DrawingAids,
    FitWhenSized,
    MapNote,
    OpacityControl,
    ReportAtOnce,
    SideBySide,
)
from webmap.dates import TwoDates, add_second_date
from webmap.label_layers import EditableFeatures, LabelUpdate
from webmap.mirror import Delta
from webmap.offline import use_local_assets
from webmap.render import Overlay
from webmap.scripts import ImageOverlay, tooltip_text

use_local_assets()

MAX_ZOOM = 20
#: How a drawing that was not saved is shown: dashed red, not filled in, not editable.
REFUSED_STYLE = {"color": "#e41a1c", "weight": 3, "dashArray": "6 4", "fillOpacity": 0.1}
#: How a suggested outline waiting to be accepted is shown: dashed in its class colour.
PROPOSAL_STYLE = {"weight": 3, "dashArray": "8 6", "fillOpacity": 0.15, "interactive": False}
#: How the areas of existing label sets are outlined on the Area map.
SET_AREA_STYLE = {"color": "#b15cff", "weight": 2, "dashArray": "4 4", "fill": False}
NO_SHAPES = {"polyline": False, "circle": False, "marker": False, "circlemarker": False}
#: The polygon tool of the label map: no self-crossing outline, the area shown while drawing
#: (m², then ha from 10 000 m²).
POLYGON_TOOL = {"allowIntersection": False, "showArea": True, "metric": ["ha", "m"]}
#: The line tool of the label map, to split the selected polygon (dark orange, no fill).
SPLIT_LINE = {"polyline": {"shapeOptions": {"color": "#d95f02", "weight": 3}, "metric": True}}


class NoZoomKeys(MacroElement):
    """The label map's keys are the page's (``views.keys``: + and - step a suggested outline,
    1-9 choose the class): Leaflet's zoom keys (+, - and, on its list of key codes, 6) are taken
    off its keyboard handler, which sets them once, when the map is made. The zoom buttons, the
    wheel and the arrow keys still move the map."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.keyboard._zoomKeys = {};
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "NoZoomKeys"


def _map_options() -> dict[str, Any]:
    # quarter zoom steps: an area fills the map instead of leaving up to half of it empty
    return {"tiles": None, "max_zoom": MAX_ZOOM, "control_scale": True, "zoom_snap": 0.25}


def _add_basemap(m: folium.Map) -> None:
    url = settings.basemap_url()
    if url:
        folium.TileLayer(url, attr="basemap", max_zoom=MAX_ZOOM, max_native_zoom=19).add_to(m)


def _image(img: Overlay, name: str, pane: str = "overlayPane") -> ImageOverlay:
    return ImageOverlay(img.data_url, img.bounds, name=name, interactive=False, pane=pane)


def area_map(
    footprints: list[tuple[str, dict[str, Any]]],
    previews: list[Overlay],
    area: BBox | None,
    view: list[list[float]] | None,
    set_areas: Sequence[tuple[str, BBox]] = (),
) -> folium.Map:
    """Scene footprints (GeoJSON geometries with a label), scene previews, the areas of the label
    sets (name and box), the chosen area, and a rectangle tool to pick a new area. ``view`` is
    ``[[south, west], [north, east]]`` to show. Names are shown as text, never as HTML."""
    m = folium.Map(**_map_options())
    _add_basemap(m)
    for img in previews:
        _image(img, "preview").add_to(m)
    for label, geometry in footprints:
        folium.GeoJson(
            geometry,
            style_function=lambda _: {"color": "#ffcc00", "weight": 2, "fill": False},
            tooltip=tooltip_text(label),
        ).add_to(m)
    for name, bbox in set_areas:
        folium.GeoJson(
            mapping(box(*bbox)),
            style_function=lambda _: SET_AREA_STYLE,
            tooltip=tooltip_text(f"label set {name}"),
        ).add_to(m)
    if area is not None:
        folium.GeoJson(
            mapping(box(*area)),
            style_function=lambda _: {"color": "#00e5ff", "weight": 3, "fill": False},
            tooltip="chosen area",
        ).add_to(m)
    folium.plugins.Draw(
        draw_options={**NO_SHAPES, "polygon": False, "rectangle": {"showArea": False}},
        edit_options={"edit": False, "remove": False},
    ).add_to(m)
    if view:
        m.fit_bounds(view)
        FitWhenSized(view).add_to(m)
    return m


def compare_map(
    original: Overlay,
    enhanced: Overlay,
    labels: dict[str, Any],
    colors: dict[str, str],
    title: str,
    consistency: Overlay | None = None,
    consistency_max: float = 0.02,
) -> folium.plugins.DualMap:
    """Original (left) and enhanced (right) on two maps that pan and zoom together; on the right
    the enhanced image lies over the original with an opacity slider and a swipe bar (the original
    left of it); on the left the consistency map, when given, with a slider starting at 0 and its
    colour scale (0 to ``consistency_max`` reflectance). Labels show on both; each map says what
    it shows."""
    dual = folium.plugins.DualMap(**_map_options())
    # on the right, both images sit below the labels' pane (400), the enhanced one on top
    folium.map.CustomPane("original", z_index=398).add_to(dual.m2)
    folium.map.CustomPane("enhanced", z_index=399).add_to(dual.m2)
    _add_basemap(dual.m1)
    _image(original, "original").add_to(dual.m1)
    _add_basemap(dual.m2)
    _image(original, "original", pane="original").add_to(dual.m2)
    top = _image(enhanced, title, pane="enhanced")
    top.add_to(dual.m2)
    OpacityControl(top, "enhanced").add_to(dual.m2)
    SideBySide(top, "enhanced").add_to(dual.m2)
    MapNote(f"Enhanced: {title} (swipe: original left of the bar)").add_to(dual.m2)
    if consistency is not None:
        heat = _image(consistency, "consistency")
        heat.add_to(dual.m1)
        OpacityControl(heat, "departure from 10 m", start=0).add_to(dual.m1)
        scale = ("rgba(255,255,0,0.1)", "rgba(255,0,0,0.9)", "0", f"≥ {consistency_max:g}")
        MapNote("Original, 10 m · departure from it (reflectance)", scale=scale).add_to(dual.m1)
    else:
        MapNote("Original, 10 m").add_to(dual.m1)
    for m in (dual.m1, dual.m2):
        group = folium.FeatureGroup(name="labels")
        group.add_to(m)
        EditableFeatures(group, labels, colors).add_to(m)
    dual.m1.fit_bounds(original.bounds)
    FitWhenSized(original.bounds).add_to(dual.m1)
    return dual


def label_update(
    delta: Delta,
    colors: dict[str, str],
    refused: Sequence[tuple[dict[str, Any], str]] = (),
    selected: Sequence[str] = (),
    proposal: tuple[dict[str, Any], str] | None = None,
    fit: Sequence[str] = (),
) -> folium.FeatureGroup:
    """What the label map on screen shows now, for streamlit-folium's ``feature_group_to_add``:
    the set's polygons that changed since the map was last sent them (``delta``, from
    :meth:`webmap.mirror.MapMirror.update`: they replace the editable ones in place; those
    whose ids are in ``selected`` bold, the map moved to those in ``fit`` when they are new),
    the outlines that were not saved, dashed red (not editable) with the reason as tooltip
    (text, never HTML), and a suggested outline ``(geometry, colour)`` waiting to be accepted,
    dashed (clicks go through it to the map)."""
    update = folium.FeatureGroup(name="update")
    LabelUpdate(delta, colors, selected, fit).add_to(update)
    if proposal is not None:
        geometry, colour = proposal
        folium.GeoJson(
            {"type": "Feature", "geometry": geometry, "properties": {}},
            style_function=lambda _: {**PROPOSAL_STYLE, "color": colour},
            name="proposal",
        ).add_to(update)
    for geometry, reason in refused:
        folium.GeoJson(
            {"type": "Feature", "geometry": geometry, "properties": {}},
            style_function=lambda _: REFUSED_STYLE,
            tooltip=folium.Tooltip(tooltip_text(reason)),
            name="refused",
        ).add_to(update)
    return update


def label_map(
    image: Overlay,
    labels: dict[str, Any],
    colors: dict[str, str],
    view: tuple[list[float], int] | list[list[float]] | None = None,
    dates: TwoDates | None = None,
) -> folium.Map:
    """One image with the set's polygons, editable and deletable, a polygon tool that shows
    the area while drawing, and a line tool (to split the selected polygon, :mod:`labels.shapes`).
    With ``dates``, the same area on another date too, switched with the image
    (:mod:`webmap.dates`).

    ``view``: ``(centre [lat, lon], zoom)`` to keep where the user was, or bounds
    ``[[south, west], [north, east]]`` to show; default the image. Later changes of the polygons
    are sent to the map on screen by :func:`label_update`, without building it again."""
    if isinstance(view, tuple):
        m = folium.Map(location=view[0], zoom_start=view[1], **_map_options())
    else:
        m = folium.Map(**_map_options())
    NoZoomKeys().add_to(m)
    _add_basemap(m)
    first = _image(image, "image")
    first.add_to(m)
    if dates is not None:
        add_second_date(m, first, dates)
    group = folium.FeatureGroup(name="labels")
    group.add_to(m)
    EditableFeatures(group, labels, colors).add_to(m)
    draw = folium.plugins.Draw(
        feature_group=group,
        draw_options={**NO_SHAPES, **SPLIT_LINE, "rectangle": False, "polygon": POLYGON_TOOL},
        edit_options={"edit": True, "remove": True},
    )
    draw.add_to(m)
    DrawingAids(draw, group).add_to(m)
    ReportAtOnce().add_to(m)
    if not isinstance(view, tuple):
        m.fit_bounds(view or image.bounds)
        FitWhenSized(view or image.bounds).add_to(m)
    return m
