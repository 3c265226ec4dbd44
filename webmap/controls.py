"""Small Leaflet elements of our own: editable label polygons and an opacity slider."""

from __future__ import annotations

from typing import Any

import folium
from branca.element import MacroElement
from jinja2 import Template


class EditableFeatures(MacroElement):
    """Add GeoJSON polygons one by one to a feature group that Leaflet.draw edits.

    ``folium.GeoJson`` would add one layer group holding all polygons, which Leaflet.draw can
    neither edit nor delete one polygon of. Here each polygon becomes its own layer in ``group``
    and keeps its GeoJSON ``feature``, so the drawings that come back carry their properties (id).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.geoJSON({{ this.data|tojson }}, {
            style: function (f) {
                var colors = {{ this.colors|tojson }};
                var c = colors[f.properties.crop_class] || "#3388ff";
                return {color: c, weight: 2, fill: true, fillOpacity: 0.25};
            },
            onEachFeature: function (f, layer) {
                // text, never HTML: class names come from users and imported files
                var label = document.createElement("span");
                label.textContent = String(f.properties.crop_class || "");
                layer.bindTooltip(label);
                {{ this.group.get_name() }}.addLayer(layer);
            }
        });
        {% endmacro %}
        """
    )

    def __init__(self, group: folium.FeatureGroup, data: dict[str, Any], colors: dict[str, str]):
        super().__init__()
        self._name = "EditableFeatures"
        self.group, self.data, self.colors = group, data, colors


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
