"""A hostile crop class (as an imported file could carry) and rejection reason reach the map as
text, never as HTML.

The label map is rendered as the app renders it and opened in Chromium from a server on
127.0.0.1 that serves the repository's offline Leaflet assets at ``/app/static/``.
"""

import functools
import http.server
import threading
from pathlib import Path

from labels.features import new_feature
from labels.review import REJECTED, reviewed
from tests.e2e.mapping import poll
from tests.webmap.test_maps import html, image
from webmap.maps import label_map

ROOT = Path(__file__).resolve().parents[2]
ALL_IMAGES_DONE = "() => [...document.images].every(i => i.complete)"
HOSTILE = '<img src=x onerror="window.__xss = 1">'


def test_a_hostile_class_name_and_reason_are_shown_as_text_and_run_nothing(tmp_path, browser_page):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "static").symlink_to(ROOT / "static")
    img = image()
    (south, west), (north, east) = img.bounds
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    feature = new_feature(
        {"type": "Polygon", "coordinates": [ring]}, HOSTILE, "a", "S2", "original"
    )
    feature = reviewed(feature, REJECTED, "rita", HOSTILE)
    labels = {"type": "FeatureCollection", "features": [feature]}
    page_html = html(label_map(img, labels, {HOSTILE: "#ff0000"}))
    (tmp_path / "map.html").write_text(page_html)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = browser_page
        pending: set[object] = set()  # requests not answered yet
        page.on("request", lambda r: pending.add(r))
        page.on("requestfinished", lambda r: pending.discard(r))
        page.on("requestfailed", lambda r: pending.discard(r))
        page.goto(f"http://127.0.0.1:{server.server_port}/map.html")
        page.wait_for_selector("path.leaflet-interactive")
        page.hover("path.leaflet-interactive")  # as a user would: the tooltip opens
        tooltip = page.wait_for_selector(".leaflet-tooltip")
        # shown as the text they are: the class, its review and the reason
        assert tooltip.inner_text() == f"{HOSTILE} · rejected: {HOSTILE}"
        assert page.query_selector(".leaflet-tooltip img") is None
        # Every request answered and every image loaded or failed: an injected <img src=x>
        # would have run its onerror by now.
        poll(
            page,
            lambda: not pending and page.evaluate(ALL_IMAGES_DONE),
            lambda: f"requests or images still loading: {pending}",
            timeout=10,
        )
        assert page.evaluate("() => window.__xss") is None
    finally:
        server.shutdown()
