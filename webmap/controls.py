"""Small Leaflet elements of our own: an opacity slider, fitting the view, snapping and keys for
drawing, a swipe bar and notes (the label polygons themselves: :mod:`webmap.label_layers`)."""

from __future__ import annotations

from typing import Any

import folium
import folium.plugins
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template


class OpacityControl(MacroElement):
    """A slider in the map's corner that sets the opacity of one layer (0-100 %)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var layer = {{ this.layer.get_name() }};
            var ctl = L.control({position: "topright"});
            ctl.onAdd = function () {
                var div = L.DomUtil.create("div", "leaflet-bar opacity-control");
                div.style.background = "white";
                div.style.padding = "4px 8px";
                div.innerHTML = '<label style="font: 12px sans-serif">{{ this.title }} ' +
                    '<input type="range" min="0" max="100" value="{{ this.start }}"></label>';
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                div.querySelector("input").addEventListener("input", function (e) {
                    layer.setOpacity(e.target.value / 100);
                });
                layer.setOpacity({{ this.start }} / 100);
                return div;
            };
            ctl.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, layer: folium.raster_layers.ImageOverlay, title: str, start: int = 100):
        super().__init__()
        self._name = "OpacityControl"
        self.layer, self.title, self.start = layer, title, start


class FitWhenSized(MacroElement):
    """Fit the map to ``bounds`` once the page has given it its final size.

    Streamlit sizes the component's frame after the map script ran, so folium's ``fit_bounds``
    fits a map of the wrong width; this fits again a moment later."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        setTimeout(function () {
            {{ this._parent.get_name() }}.invalidateSize();
            {{ this._parent.get_name() }}.fitBounds({{ this.bounds|tojson }});
        }, 400);
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]]):
        super().__init__()
        self._name = "FitWhenSized"
        self.bounds = bounds


class DrawingAids(MacroElement):
    """New polygons and lines snap to the vertices and edges of the polygons in ``group``
    (Leaflet.Snap, within ``pixels`` on screen); Enter finishes the polygon or line being drawn,
    Backspace removes its last point, Esc cancels it, and a note at the map's foot shows while a
    polygon is open; ``toggleLabels()`` (the page's H key) hides or shows the polygons; a click
    on the same pixel as the last one is reported again."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var draw = {{ this.draw.get_name() }}, group = {{ this.group.get_name() }};
            var snap = {guideLayers: [group], snapDistance: {{ this.pixels }}, snapVertices: true};
            draw.setDrawingOptions({polygon: snap, polyline: snap});
            var line = draw._toolbars.draw._modes.polyline;
            if (line) { line.button.title = "Draw a line across the selected polygon to split it"; }
            var map = {{ this.draw._parent.get_name() }};
            // Leaflet.Snap hooks the mouse marker when the tool is enabled, before Leaflet.draw
            // 1.0 has settled it: watch the marker of each drawing afresh, a moment later.
            map.on("draw:drawstart", function () {
                var mode = draw._toolbars.draw._activeMode;
                if (!mode || !mode.handler._snap_on_enabled) { return; }
                setTimeout(function () {
                    if (!mode.handler._mouseMarker) { return; }
                    delete mode.handler._snapper;
                    mode.handler._snap_on_enabled();
                }, 0);
            });
            // The map's report names each polygon of the set it was sent, and not edited here,
            // by its id alone: streamlit-folium sends the report with every run of the page,
            // and the page copied and parsed it each time (thousands of polygons: megabytes).
            // An edit saved in the toolbar marks its polygons before streamlit-folium's own
            // handler reads them; the page's update replaces them (labels.edits.diff_drawings).
            map.on("draw:edited", function (e) {
                e.layers.eachLayer(function (layer) { layer.labelEdited = true; });
            });
            group.toGeoJSON = function (precision) {
                var features = [];
                group.eachLayer(function (layer) {
                    var f = layer.feature, id = f && f.properties && f.properties.id;
                    features.push(id && !layer.labelEdited
                        ? {type: "Feature", properties: {id: id}, geometry: null}
                        : layer.toGeoJSON(precision));
                });
                return {type: "FeatureCollection", features: features};
            };
            // Every deletion or edit saved in the toolbar is a new report, even one that leaves
            // the same drawings as an earlier one (deleting the only polygon twice, an undo
            // between): streamlit-folium sends only what differs from what it last sent, and
            // the page tells a new report from the same one read again by this stamp.
            map.on("draw:deleted draw:edited", function (e) {
                if (window.__GLOBAL_DATA__) {
                    window.__GLOBAL_DATA__.last_active_drawing = {
                        type: "Feature", geometry: null,
                        properties: {event: e.type, stamp: Date.now()}
                    };
                }
            });
            // A second click on the same pixel (to unselect what the first one selected) must
            // reach the page too, but streamlit-folium sends only a value that differs from the
            // last one sent: every other click is moved by 1e-9 degrees (0.1 mm). This runs
            // before streamlit-folium's own click handler, which reads the same event.
            var nudge = 0;
            map.on("click", function (e) {
                nudge = 1 - nudge;
                e.latlng = L.latLng(e.latlng.lat, e.latlng.lng + nudge * 1e-9);
            });
            // Leaflet.Snap measured every polygon at each move of the mouse while drawing (0.1-0.2
            // s a move with 5,000): it gets those whose box is within snapping distance (its own
            // buffer is computed as zero: not used).
            group.searchBuffer = function (latlng) {
                var p = map.latLngToLayerPoint(latlng), d = {{ this.pixels }};
                var near = L.latLngBounds(map.layerPointToLatLng(p.subtract([d, d])),
                                          map.layerPointToLatLng(p.add([d, d])));
                var found = [];
                group.eachLayer(function (layer) {
                    if (!layer.getBounds || near.intersects(layer.getBounds())) {
                        found.push(layer);
                    }
                });
                return found;
            };
            window.labelGroup = group;  // for label_layers.LabelUpdate, which updates it
            // Leaflet.draw counts the whole group each time a polygon is added or removed (to
            // enable its edit and delete buttons): a set of thousands added one by one took
            // most of a second. Changes made within labelBatch are counted once, at the end.
            window.labelBatch = function (change) {
                var edit = draw._toolbars.edit, check = edit && edit._checkDisabled;
                var quiet = check && group.listens("layeradd", check, edit);
                if (quiet) { group.off("layeradd layerremove", check, edit); }
                try {
                    change();
                } finally {
                    if (quiet) {
                        group.on("layeradd layerremove", check, edit);
                        check.call(edit);
                    }
                }
            };
            window.toggleLabels = function () {
                if (map.hasLayer(group)) { map.removeLayer(group); } else { map.addLayer(group); }
            };
            map.getContainer().ownerDocument.addEventListener("keydown", function (e) {
                var mode = draw._toolbars.draw._activeMode;
                if (!mode) { return; }
                if (e.key === "Enter" && mode.handler.completeShape) {
                    mode.handler.completeShape();
                } else if (e.key === "Backspace" && mode.handler.deleteLastVertex) {
                    mode.handler.deleteLastVertex();
                } else if (e.key === "Escape") {
                    mode.handler.disable();
                }
            });
            // While a polygon is open, a line at the map's foot says so and how to close it: a
            // closing click lost on the toolbar's Finish bar otherwise leaves the drawing open,
            // and the next field's points go on into it.
            var note = L.control({position: "bottomleft"});
            note.onAdd = function () {
                var div = L.DomUtil.create("div", "leaflet-bar drawing-note");
                div.style.cssText = "display: none; background: #fff8c4; padding: 3px 8px; " +
                    "font: 12px sans-serif";
                return div;
            };
            note.addTo(map);
            function tell() {
                var mode = draw._toolbars.draw._activeMode, n = 0;
                if (mode && mode.handler._markers) { n = mode.handler._markers.length; }
                var div = note.getContainer();
                div.style.display = mode ? "block" : "none";
                div.textContent = "Drawing a polygon: " + n + (n === 1 ? " point" : " points") +
                    ". Enter or a click on the first point closes it; Backspace removes the " +
                    "last point; Esc cancels.";
            }
            map.on("draw:drawstart draw:drawvertex draw:drawstop draw:created", function () {
                setTimeout(tell, 0);
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, draw: folium.plugins.Draw, group: folium.FeatureGroup, pixels: int = 12):
        super().__init__()
        self._name = "DrawingAids"
        self.draw, self.group, self.pixels = draw, group, pixels


class ReportAtOnce(MacroElement):
    """A polygon closed, or an edit or deletion saved in the toolbar, reaches the page at once:
    streamlit-folium (0.27, pinned) reports what the map did 250 ms after its last event
    (a debounce meant for panning), a quarter of a second added to every save. This reports the
    same value the moment streamlit-folium's own handlers have read the event, and records it as
    sent, so the debounced report that follows finds nothing new to send. The value is built as
    streamlit-folium builds it (``updateComponentValue``); should an upgrade change that, the
    debounced report still goes out, one run later."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            function report() {
                var data = window.__GLOBAL_DATA__;
                if (!data) { return; }
                var wrap = function (x) {
                    return x && data.wrap_longitude ? map.wrapLatLng(x) : x;
                };
                var bounds = map.getBounds();
                var all = {
                    last_clicked: wrap(data.lat_lng_clicked),
                    last_object_clicked: wrap(data.last_object_clicked),
                    last_object_clicked_count: data.last_object_clicked_count,
                    last_object_clicked_tooltip: data.last_object_clicked_tooltip,
                    last_object_clicked_popup: data.last_object_clicked_popup,
                    all_drawings: data.all_drawings,
                    last_active_drawing: data.last_active_drawing,
                    last_geocoder_result: data.last_geocoder_result,
                    bounds: bounds && data.wrap_longitude ? map.wrapLatLngBounds(bounds) : bounds,
                    zoom: map.getZoom(),
                    last_circle_radius: data.last_circle_radius,
                    last_circle_polygon: data.last_circle_polygon,
                    center: wrap(map.getCenter()),
                    selected_layers: Object.values(data.selected_layers),
                    selected_tags: data.selected_tags
                };
                var value = {};
                Object.keys(all).forEach(function (k) {
                    if (!data.returned_objects || data.returned_objects.indexOf(k) >= 0) {
                        value[k] = all[k];
                    }
                });
                if (JSON.stringify(data.previous_data) === JSON.stringify(value)) { return; }
                data.previous_data = value;
                window.parent.postMessage({isStreamlitMessage: true,
                    type: "streamlit:setComponentValue", value: value, dataType: "json"}, "*");
            }
            // After every handler of the event (streamlit-folium's included) has run. Clicks
            // stay debounced: a double-click (a zoom) must not select and unselect a polygon.
            map.on("draw:created draw:edited draw:deleted", function () {
                setTimeout(report, 0);
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "ReportAtOnce"


class SideBySide(JSCSSMixin, MacroElement):
    """A swipe bar over ``right`` (an image overlay in its own map pane, ``pane``): right of the
    bar it shows, left of it what lies beneath (leaflet-side-by-side clips the pane)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }}, layer = {{ this.right.get_name() }};
            var pane = map.getPane({{ this.pane|tojson }});
            layer.getContainer = function () { return pane; };  // clipped as a whole pane
            L.control.sideBySide([], layer).addTo(map);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, right: Any, pane: str):
        super().__init__()
        self._name = "SideBySide"
        self.right, self.pane = right, pane


class MapNote(MacroElement):
    """A note in a corner of the map: a title, and optionally a colour scale from ``low`` to
    ``high`` (CSS colours) with its two end labels. All text is set as text, never as HTML."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var note = L.control({position: {{ this.position|tojson }}});
            note.onAdd = function () {
                var div = L.DomUtil.create("div", "leaflet-bar map-note");
                div.style.cssText = "background: white; padding: 3px 8px; font: 12px sans-serif";
                var title = document.createElement("div");
                title.textContent = {{ this.title|tojson }};
                div.appendChild(title);
                {% if this.scale %}
                var bar = document.createElement("div");
                bar.style.cssText = "height: 8px; width: 140px; margin-top: 3px; background: " +
                    "linear-gradient(to right, " + {{ this.scale[0]|tojson }} + ", " +
                    {{ this.scale[1]|tojson }} + ")";
                var ends = document.createElement("div");
                ends.style.cssText = "display: flex; justify-content: space-between";
                [{{ this.scale[2]|tojson }}, {{ this.scale[3]|tojson }}].forEach(function (t) {
                    var s = document.createElement("span"); s.textContent = t; ends.appendChild(s);
                });
                div.appendChild(bar); div.appendChild(ends);
                {% endif %}
                return div;
            };
            note.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        title: str,
        position: str = "bottomright",
        scale: tuple[str, str, str, str] | None = None,
    ):
        super().__init__()
        self._name = "MapNote"
        self.title, self.position, self.scale = title, position, scale
