"""Time label-set saves by set size: one polygon added, edited, deleted; an undo; a cold save.

Run alone (fsync times vary with what else writes): ``.venv/bin/python -m bench.save_times``
(``--sizes 1000 10000 100000``). Each set is built in a temporary folder of squares 80 m wide
in one UTM zone; each timing is the median of five saves (the cold save: one).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from labels import setfile
from labels.features import new_feature
from labels.store import LabelStore


def square(i: int) -> dict[str, Any]:
    lon, lat, d = 14.0 + (i % 400) * 0.0012, 48.0 + (i // 400) * 0.0012, 0.001
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def median_seconds(action: Callable[[int], object], runs: int = 5) -> float:
    times = []
    for i in range(runs):
        start = time.perf_counter()
        action(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def row(size: int) -> str:
    store = LabelStore(Path(tempfile.mkdtemp(prefix="save_times_")))
    features = [new_feature(square(i), "wheat", "bench", "S2", "original") for i in range(size)]
    store.apply("s", features, who="bench")
    mb = store.path("s").stat().st_size / 1e6
    ids = [f["id"] for f in features]

    def add(i: int) -> object:
        f = new_feature(square(size + i), "maize", "bench", "S2", "original")
        return store.apply("s", [f], who="bench")

    def edit(i: int) -> object:
        f = {**features[i], "properties": {**features[i]["properties"], "crop_class": "rye"}}
        return store.apply("s", [f], who="bench")

    def delete(i: int) -> object:
        return store.apply("s", deletes=[ids[-1 - i]], who="bench")

    t_add, t_edit, t_delete = median_seconds(add), median_seconds(edit), median_seconds(delete)
    last = store.apply("s", deletes=[ids[0]], who="bench")
    t_undo = median_seconds(lambda i: store.revert("s", last.batch, who="bench"), runs=1)
    setfile._kept.clear()  # as a new server process: the set is read and encoded once
    t_cold = median_seconds(add, runs=1)
    t_load = median_seconds(lambda i: store.load("s"), runs=3)
    return (
        f"| {size:,} | {mb:.1f} | {t_add:.3f} | {t_edit:.3f} | {t_delete:.3f} | {t_undo:.3f} "
        f"| {t_cold:.2f} | {t_load:.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    args = parser.parse_args()
    print(
        "| polygons | file MB | add 1 (s) | edit 1 (s) | delete 1 (s) | undo (s) "
        "| first save in a process (s) | load (s) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        print(row(size), flush=True)


if __name__ == "__main__":
    main()
