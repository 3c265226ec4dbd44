"""A STAC API and COG server on 127.0.0.1 for tests: item search and HTTP range requests.

It answers like Earth Search: a landing page that conforms to item search, ``POST /search``
filtered by bbox, ids and ``eo:cloud_cover``, items whose band assets (``red``, ``green``, ``blue``,
``nir``) are COGs that the same server serves with ``Range`` support.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import rasterio
from shapely.geometry import box, shape

from imagery.local import scenes_in_file


class StacServer:
    def __init__(self, folder: Path, items: list[dict[str, Any]]) -> None:
        self.folder, self.items = folder, items
        self.searches: list[dict[str, Any]] = []
        self.ranges: list[str] = []
        self.bytes_sent: dict[str, int] = {}
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> StacServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def landing(self) -> dict[str, Any]:
        return {
            "type": "Catalog",
            "id": "test-stac",
            "stac_version": "1.0.0",
            "description": "test server",
            "conformsTo": [
                "https://api.stacspec.org/v1.0.0/core",
                "https://api.stacspec.org/v1.0.0/item-search",
                "https://api.stacspec.org/v1.0.0/item-search#query",
            ],
            "links": [
                {"rel": "self", "href": f"{self.url}/", "type": "application/json"},
                {"rel": "root", "href": f"{self.url}/", "type": "application/json"},
                {
                    "rel": "search",
                    "href": f"{self.url}/search",
                    "type": "application/geo+json",
                    "method": "POST",
                },
            ],
        }

    def search(self, body: dict[str, Any]) -> dict[str, Any]:
        self.searches.append(body)
        found = self.items
        if body.get("bbox"):
            found = [i for i in found if shape(i["geometry"]).intersects(box(*body["bbox"]))]
        if body.get("ids"):
            found = [i for i in found if i["id"] in body["ids"]]
        lte = (body.get("query") or {}).get("eo:cloud_cover", {}).get("lte")
        if lte is not None:
            found = [i for i in found if i["properties"]["eo:cloud_cover"] <= lte]
        return {"type": "FeatureCollection", "features": found, "links": []}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _json(self, data: dict[str, Any]) -> None:
                raw = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                self._json(server.search(body))

            def do_HEAD(self) -> None:
                self._file(head=True)

            def do_GET(self) -> None:
                if self.path.rstrip("/") == "" or self.path.startswith("/?"):
                    self._json(server.landing())
                elif self.path.startswith("/cogs/"):
                    self._file(head=False)
                elif self.path.startswith("/items/"):  # an item by its own URL
                    found = [i for i in server.items if i["id"] == self.path.split("/")[-1]]
                    self._json(found[0]) if found else self.send_error(404)
                else:
                    self.send_error(404)

            def _file(self, head: bool) -> None:
                path = server.folder / Path(self.path).name
                if not path.is_file():
                    self.send_error(404)
                    return
                data = path.read_bytes()
                match = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
                if match:
                    server.ranges.append(self.headers["Range"])
                    start = int(match[1])
                    end = min(int(match[2]) if match[2] else len(data) - 1, len(data) - 1)
                    part = data[start : end + 1]
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
                else:
                    part = data
                    self.send_response(200)
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Type", "image/tiff")
                self.send_header("Content-Length", str(len(part)))
                self.end_headers()
                if not head:
                    self.wfile.write(part)
                    server.bytes_sent[path.name] = server.bytes_sent.get(path.name, 0) + len(part)

        return Handler


ASSETS = {"red": "B04", "green": "B03", "blue": "B02", "nir": "B08"}


def make_item(item_id: str, cloud: float, footprint: dict[str, Any], url: str) -> dict[str, Any]:
    assets = {
        key: {
            "href": f"{url}/cogs/{band}.tif",
            "type": "image/tiff; application=geotiff; profile=cloud-optimized",
            "roles": ["data"],
            "raster:bands": [{"nodata": 0, "data_type": "uint16", "scale": 0.0001, "offset": -0.1}],
        }
        for key, band in ASSETS.items()
    }
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": item_id,
        "geometry": footprint,
        "bbox": list(shape(footprint).bounds),
        "properties": {
            "datetime": "2024-06-17T10:15:59Z",
            "eo:cloud_cover": cloud,
            "grid:code": "MGRS-33UUU",
        },
        "links": [],
        "assets": assets,
        "collection": "sentinel-2-l2a",
    }


@contextmanager
def demo_catalogue(cogs: Path, demo_scene: Path) -> Iterator[StacServer]:
    """The demo scene's bands as COGs in ``cogs``, served with two items over it (5 % and 60 %
    cloud), while the context lasts."""
    cogs.mkdir()
    with rasterio.open(demo_scene) as ds:
        profile = {
            "crs": ds.crs,
            "transform": ds.transform,
            "width": ds.width,
            "height": ds.height,
            "count": 1,
            "dtype": "uint16",
            "nodata": 0,
        }
        for i, band in enumerate(ds.descriptions, start=1):
            with rasterio.open(
                cogs / f"{band}.tif",
                "w",
                driver="COG",
                blocksize=256,
                compress="deflate",
                **profile,
            ) as out:
                out.write(ds.read(i), 1)
    [local] = scenes_in_file(demo_scene)
    server = StacServer(cogs, [])
    server.items = [
        make_item("S2B_33UUU_20240617_0_L2A", 5.0, local.footprint, server.url),
        make_item("S2A_33UUU_20240614_0_L2A", 60.0, local.footprint, server.url),
    ]
    with server:
        yield server
