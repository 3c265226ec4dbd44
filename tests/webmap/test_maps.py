import re

import numpy as np
from affine import Affine
from rasterio.crs import CRS
from shapely.geometry import box, mapping

from imagery.raster import Raster
from labels.classes import CROP_CLASSES
from labels.features import new_feature
from webmap.dates import TwoDates
from webmap.maps import area_map, compare_map, label_map, label_update
from webmap.mirror import Delta
from webmap.render import overlay

URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


def html(m) -> str:
    return m.get_root().render()


def image():
    data = np.random.default_rng(1).uniform(0, 0.3, (4, 16, 16)).astype(np.float32)
    return overlay(Raster(data, CRS.from_epsg(32633), Affine(10, 0, 330000, 0, -10, 5822040)))


def test_maps_load_nothing_from_outside_the_app(monkeypatch):
    monkeypatch.delenv("BASEMAP_URL", raising=False)
    img = image()
    labels = {
        "type": "FeatureCollection",
        "features": [
            new_feature(
                {
                    "type": "Polygon",
                    "coordinates": [[[12.6, 52.47], [12.61, 52.47], [12.61, 52.48], [12.6, 52.47]]],
                },
                "maize",
                "a",
                "s",
                "enhanced",
            )
        ],
    }
    maps = [
        area_map(
            [("scene", {"type": "Point", "coordinates": [12.6, 52.47]})],
            [img],
            (12.5, 52.4, 12.6, 52.5),
            None,
        ),
        compare_map(img, img, labels, CROP_CLASSES, "enhanced"),
        label_map(img, labels, CROP_CLASSES),
    ]
    for m in maps:
        page = html(m)
        links = [u for u in URL.findall(page) if not u.startswith("data:")]
        assert links and all(u.startswith("/app/static/") for u in links), links
        assert "tile.openstreetmap" not in page
    assert "leaflet.draw.js" in html(maps[2]) and "L.Map.Sync.js" in html(maps[1])
    assert labels["features"][0]["id"] in html(maps[2])


def test_basemap_is_optional(monkeypatch):
    monkeypatch.setenv("BASEMAP_URL", "https://tiles.example/{z}/{x}/{y}.png")
    assert "tiles.example" in html(
        label_map(image(), {"type": "FeatureCollection", "features": []}, CROP_CLASSES)
    )


def test_refused_outlines_are_drawn_red_with_their_reason_as_text():
    img = image()
    (south, west), (north, east) = img.bounds
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    refused = [({"type": "Polygon", "coordinates": [ring]}, "a new polygon: <b>12</b> m²")]
    m = label_map(img, {"type": "FeatureCollection", "features": []}, {})
    label_update(Delta(None, 1), {}, refused).add_to(m)
    page = html(m)
    assert '"color": "#e41a1c"' in page and "dashArray" in page
    assert "&lt;b&gt;12&lt;/b&gt; m²" in page and "<b>12</b>" not in page


def test_a_suggested_outline_is_dashed_in_its_class_colour_and_lets_clicks_through():
    img = image()
    (south, west), (north, east) = img.bounds
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    m = label_map(img, {"type": "FeatureCollection", "features": []}, {})
    label_update(
        Delta(None, 1), {}, proposal=({"type": "Polygon", "coordinates": [ring]}, "#1b9e77")
    ).add_to(m)
    page = html(m)
    assert '"color": "#1b9e77"' in page and '"dashArray": "8 6"' in page
    assert '"interactive": false' in page


def test_area_map_outlines_the_sets_areas_and_shows_names_as_text():
    hostile = '<img src=x onerror="alert(1)">'
    bbox = (12.59, 52.475, 12.6, 52.48)
    page = html(area_map([(hostile, mapping(box(*bbox)))], [], None, None, [(hostile, bbox)]))
    assert page.count("#b15cff") == 1  # the set's area, dashed
    assert "&lt;img src=x" in page and "<img src=x" not in page


def test_a_scene_named_like_template_code_is_shown_as_its_name():
    """folium compiles a rendered tooltip as a Jinja template: braces go in as entities."""
    name = "S2 {{ 7 * 7 }} {% raw %}.tif"
    page = html(area_map([(name, mapping(box(12.59, 52.475, 12.6, 52.48)))], [], None, None))
    assert "&#123;&#123; 7 * 7 &#125;&#125; &#123;% raw %&#125;" in page and " 49 " not in page


def test_compare_maps_say_what_they_show_with_the_departures_colour_scale():
    img = image()
    empty = {"type": "FeatureCollection", "features": []}
    page = html(compare_map(img, img, empty, {}, "<b>Decrappify</b>", img, 0.02))
    assert page.count('"leaflet-bar map-note"') == 2
    assert "\\u2265 0.02" in page or "≥ 0.02" in page
    assert "<b>Decrappify</b>" not in page  # set as text


def test_a_second_date_is_a_second_image_with_names_as_text():
    """The other date's picture is on the map beside the loaded one; what the note says comes
    from file names and STAC ids, set as text (JSON in the script), never as HTML."""
    grid = CRS.from_epsg(32633), Affine(10, 0, 330000, 0, -10, 5822040)
    one, other = image(), overlay(Raster(np.full((4, 16, 16), 0.1, np.float32), *grid))
    empty = {"type": "FeatureCollection", "features": []}
    dates = TwoDates(other, ("<b>loaded</b>", "later"), ("a#1", "a#2"))
    page = html(label_map(one, empty, CROP_CLASSES, dates=dates))
    assert one.data_url in page and other.data_url in page
    assert "<b>loaded</b>" not in page and "\\u003cb\\u003eloaded" in page
    assert "toggleDate" in page and "date_shown" in page
    assert other.data_url not in html(label_map(one, empty, CROP_CLASSES))
