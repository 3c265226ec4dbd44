"""A second date on the label map: the same area on another date, one of the two shown at a
time, switched with a key (crops are told apart by how they change).

Both images are part of the map from its build, and the switch only changes their opacity in the
browser: the map is not built again (which would wipe a polygon being drawn), the polygons and
the drawing tools stay as they are, and the switch is instant. Which date is shown is kept in
the page around the map, so a map built anew (another image drawn on, suggest mode) shows the
same one.
"""

from __future__ import annotations

from dataclasses import dataclass

import folium
from branca.element import MacroElement
from jinja2 import Template

from webmap.render import Overlay
from webmap.scripts import ImageOverlay


@dataclass(frozen=True)
class TwoDates:
    """The other date of the area on a label map, and what the map says of each date.

    Attributes:
        image: the other date's picture, over the same ground as the loaded image.
        names: what the map's note calls the loaded date and the other (text, never HTML).
        ids: what new polygons record as ``date_shown`` for each (the acquisitions' ids).
    """

    image: Overlay
    names: tuple[str, str]
    ids: tuple[str, str]


class DateSwitch(MacroElement):
    """``window.toggleDate()`` (the page's D key) shows the other of two image layers; a note in
    the map's corner says which date is shown (as text); a polygon or line drawn gets the shown
    date's id as its ``date_shown`` property, which the map reports with it."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var layers = [{{ this.first.get_name() }}, {{ this.second.get_name() }}];
            var names = {{ this.dates.names|tojson }}, ids = {{ this.dates.ids|tojson }};
            var key = JSON.stringify(ids), shown = 0, store = window;
            try { store = window.parent.document; } catch (err) {}
            if (store.__dateShown && store.__dateShown.key === key) {
                shown = store.__dateShown.shown;
            }
            var note = L.control({position: "bottomright"});
            note.onAdd = function () {
                var div = L.DomUtil.create("div", "leaflet-bar date-note");
                div.style.cssText = "background: white; padding: 3px 8px; font: 12px sans-serif";
                return div;
            };
            note.addTo(map);
            function show() {
                layers.forEach(function (layer, i) { layer.setOpacity(i === shown ? 1 : 0); });
                note.getContainer().textContent = "Date shown: " + names[shown] +
                    (shown ? " (other date)" : " (loaded)") + ". D switches.";
                note.getContainer().dataset.shown = ids[shown];
                store.__dateShown = {key: key, shown: shown};
            }
            window.toggleDate = function () { shown = 1 - shown; show(); };
            map.on("draw:created", function (e) {
                e.layer.feature = e.layer.feature || {type: "Feature", properties: {}};
                e.layer.feature.properties.date_shown = ids[shown];
            });
            show();
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        first: folium.raster_layers.ImageOverlay,
        second: folium.raster_layers.ImageOverlay,
        dates: TwoDates,
    ):
        super().__init__()
        self._name = "DateSwitch"
        self.first, self.second, self.dates = first, second, dates


def add_second_date(
    m: folium.Map, first: folium.raster_layers.ImageOverlay, dates: TwoDates
) -> None:
    """Add the other date's image to ``m`` (hidden until switched to) and the switch between it
    and ``first``, the loaded date's image layer, which must be on ``m`` already."""
    second = ImageOverlay(
        dates.image.data_url, dates.image.bounds, name="other date", interactive=False
    )
    second.add_to(m)
    DateSwitch(first, second, dates).add_to(m)
