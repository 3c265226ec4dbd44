"""Where work runs: the app's background jobs (here or on Ray) and whole regions in tiles
(``python -m runs``)."""
