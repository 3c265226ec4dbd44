"""The label polygons on a Leaflet map: added one by one to the group Leaflet.draw edits
(:class:`EditableFeatures`), and brought up to date in place on a map already on screen
(:class:`LabelUpdate`, with what changed: :mod:`webmap.mirror`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import folium
from jinja2 import Template

from labels.review import ACCEPTED, DRAFT, REJECTED
from webmap.mirror import Delta
from webmap.scripts import PlainMacro

#: How each review status (``labels.review``) outlines a polygon, read on satellite imagery:
#: accepted solid in its class colour, draft dashed in it, rejected dashed dark red and thicker
#: (its class colour kept in the fill); a null colour is the class colour.
REVIEW_OUTLINES: dict[str, dict[str, Any]] = {
    ACCEPTED: {"color": None, "dashArray": None, "weight": 2},
    DRAFT: {"color": None, "dashArray": "5 5", "weight": 2},
    REJECTED: {"color": "#b2182b", "dashArray": "10 5", "weight": 3},
}

#: A feature's review status, as ``labels.review.status`` reads it: a missing or unknown one is
#: a draft.
_STATUS = f"""
function (f) {{
    var review = f.properties.review;
    return {json.dumps(list(REVIEW_OUTLINES))}.indexOf(review) >= 0 ? review : {json.dumps(DRAFT)};
}}
"""

#: How a label polygon is drawn: filled in its class colour, outlined as its review status says,
#: bold when its id is in ``selected``. Every option each time: ``setStyle`` keeps an option a
#: style leaves out (a dash once drawn).
_STYLE = f"""
function (f, colors, selected) {{
    var c = colors[f.properties.crop_class] || "#3388ff";
    var o = {json.dumps(REVIEW_OUTLINES)}[({_STATUS})(f)], bold = selected.indexOf(f.id) >= 0;
    return {{color: o.color || c, dashArray: o.dashArray, weight: bold ? 5 : o.weight,
            fill: true, fillColor: c, fillOpacity: bold ? 0.5 : 0.25}};
}}
"""

#: Add a GeoJSON collection's polygons one by one to ``group``, styled by ``_STYLE`` (the ids in
#: ``selected`` drawn bold), each with a tooltip set as text (class names and reasons come from
#: users and imported files, never HTML): its class and review status, a rejection's reason
#: too; ``added(id, layer)`` is told of each.
_ADD_FEATURES = f"""
function (data, colors, group, selected, added) {{
    var style = ({_STYLE}), status = ({_STATUS});
    L.geoJSON(data, {{
        style: function (f) {{ return style(f, colors, selected); }},
        onEachFeature: function (f, layer) {{
            var p = f.properties, label = document.createElement("span"), review = status(f);
            if (review === {json.dumps(REJECTED)} && p.review_reason) {{
                review += ": " + p.review_reason;
            }}
            label.textContent = [p.crop_class, review].filter(Boolean).join(" · ");
            layer.bindTooltip(label);
            group.addLayer(layer);
            if (added) {{ added(f.id, layer); }}
        }}
    }});
}}
"""


class EditableFeatures(PlainMacro):
    """Add GeoJSON polygons one by one to a feature group that Leaflet.draw edits.

    ``folium.GeoJson`` would add one layer group holding all polygons, which Leaflet.draw can
    neither edit nor delete one polygon of. Here each polygon becomes its own layer in ``group``
    and keeps its GeoJSON ``feature``, so the drawings that come back carry their properties (id).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        ("""
        + _ADD_FEATURES
        + """)({{ this.data|tojson }}, {{ this.colors|tojson }},
                                    {{ this.group.get_name() }}, [], null);
        {% endmacro %}
        """
    )

    def __init__(self, group: folium.FeatureGroup, data: dict[str, Any], colors: dict[str, str]):
        super().__init__()
        self._name = "EditableFeatures"
        self.group, self.data, self.colors = group, data, colors


class LabelUpdate(PlainMacro):
    """Bring the polygons of a label map already on screen (its ``window.labelGroup``, from
    :class:`DrawingAids`) to a set, in place: no rebuild, the view kept, unsaved drawings
    cleared. ``delta`` (:class:`webmap.mirror.Delta`) says what changed since the revision
    the map holds: a whole set (``base`` null) replaces what it holds, a change applies only on
    top of its ``base``; a map that holds neither ``base`` nor ``rev`` (it missed an update, or
    is a new frame) asks the page for the whole set: it reports ``label:resync`` as its last
    drawing, and no drawings. The polygons whose ids are in ``selected`` are drawn bold, and the
    map is moved to fit those in ``fit`` when they are new (the table's rows: moving the map
    rebuilt it, which scrolled the page to its top; polygons picked on the map are not fitted:
    the next one to pick would leave the view). Sent with streamlit-folium's
    ``feature_group_to_add``, which runs it whenever it changes; the drawings the map reports
    are then what it holds, the whole set, without a report of their own."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var group = window.labelGroup, data = window.__GLOBAL_DATA__;
            if (!group) { return; }
            var u = {{ this.delta_json }}, colors = {{ this.colors|tojson }};
            var chosen = {{ this.selected|tojson }}, style = ("""
        + _STYLE
        + """);
            var layers = window.labelLayers || {}, had = window.labelSelected || [];
            if (u.base !== null && window.labelRev !== u.base && window.labelRev !== u.rev) {
                if (data) {
                    data.all_drawings = null;
                    data.last_active_drawing = {type: "Feature", geometry: null,
                        properties: {event: "label:resync", stamp: Date.now()}};
                    window.map.fire("moveend");  // reported to the page (streamlit-folium)
                }
                return;
            }
            window.labelBatch(function () {  // DrawingAids sets it with labelGroup
                group.eachLayer(function (layer) {  // drawings not saved (or shown red instead)
                    if (!layer.feature || !layer.feature.id) { group.removeLayer(layer); }
                });
                if (window.labelRev === u.rev) { return; }
                if (u.base === null) { group.clearLayers(); layers = {}; }
                u.removed.concat(u.upserts.map(function (f) { return f.id; })).forEach(
                    function (id) {
                        if (layers[id]) { group.removeLayer(layers[id]); delete layers[id]; }
                    });
                ("""
        + _ADD_FEATURES
        + """)({type: "FeatureCollection", features: u.upserts}, colors, group, chosen,
                   function (id, layer) { layers[id] = layer; });
                window.labelLayers = layers;
                window.labelRev = u.rev;
            });
            had.concat(chosen).forEach(function (id) {  // bold now, or no longer
                if (layers[id]) { layers[id].setStyle(style(layers[id].feature, colors, chosen)); }
            });
            window.labelSelected = chosen;
            if (data) {
                data.all_drawings = group.toGeoJSON().features;
                if (data.previous_data) {  // no report of its own: the page knows what it sent
                    data.previous_data.all_drawings = data.all_drawings;
                }
            }
            var fitted = {{ this.fit|tojson }}, key = JSON.stringify(fitted);
            if (key !== window.labelFitted) {
                window.labelFitted = key;
                var fit = null;
                fitted.forEach(function (id) {
                    if (!layers[id]) { return; }
                    var b = layers[id].getBounds();
                    fit = fit ? fit.extend(b) : L.latLngBounds(b.getSouthWest(), b.getNorthEast());
                });
                if (fit && group._map) { group._map.fitBounds(fit); }
            }
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        delta: Delta,
        colors: dict[str, str],
        selected: Sequence[str] = (),
        fit: Sequence[str] = (),
    ):
        super().__init__()
        self._name = "LabelUpdate"
        # dumped once per update: streamlit-folium renders the script twice, and the page sends
        # the same update with every run until the set changes (thousands of polygons)
        self.delta_json, self.colors = delta.script_json, colors
        self.selected, self.fit = list(selected), list(fit)
