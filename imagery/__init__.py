"""Where pixels come from: catalogues (local, STAC), area reads, GeoTIFF I/O, demo (no torch)."""
