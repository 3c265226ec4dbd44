"""Point folium at the Leaflet files that set-up installs in ``static/`` (served at /app/static).

folium loads Leaflet, its plugins, jQuery, Bootstrap and icon fonts from CDNs; with no internet
the map stays blank. The maps here use no awesome-marker icons, so only Leaflet, Leaflet.draw (with
Leaflet.Snap and Leaflet.GeometryUtil), Leaflet.Sync and leaflet-side-by-side are needed, each
from the app's own static folder.
"""

from __future__ import annotations

import folium
import folium.plugins

from webmap.controls import SideBySide

STATIC_URL = "/app/static"


def use_local_assets(base: str = STATIC_URL) -> None:
    """Make every map and plugin used by the app load its JavaScript and CSS from ``base``."""
    folium.Map.default_js = [("leaflet", f"{base}/leaflet.js")]
    folium.Map.default_css = [("leaflet_css", f"{base}/leaflet.css")]
    folium.plugins.Draw.default_js = [
        ("leaflet_draw_js", f"{base}/leaflet.draw.js"),
        ("leaflet_geometryutil_js", f"{base}/leaflet.geometryutil.js"),  # for Leaflet.Snap
        ("leaflet_snap_js", f"{base}/leaflet.snap.js"),
    ]
    folium.plugins.Draw.default_css = [("leaflet_draw_css", f"{base}/leaflet.draw.css")]
    folium.plugins.DualMap.default_js = [("Leaflet.Sync", f"{base}/L.Map.Sync.js")]
    SideBySide.default_js = [("leaflet_side_by_side_js", f"{base}/leaflet-side-by-side.js")]
    SideBySide.default_css = [
        ("leaflet_side_by_side_css", f"{base}/leaflet-side-by-side.css"),
        ("leaflet_side_by_side_range_css", f"{base}/leaflet-side-by-side-range.css"),
    ]
