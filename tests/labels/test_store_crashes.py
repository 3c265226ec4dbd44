"""Saving under stress: processes killed mid-save, and two processes editing the same set."""

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from labels.store import LabelStore
from tests.labels.test_store import feature

WRITER = """
import sys
from pathlib import Path
from labels.store import LabelStore
from tests.labels.test_store import feature
store = LabelStore(Path(sys.argv[1]))
while True:
    store.apply("crash", [feature() for _ in range(200)])  # large writes: 200 features a save
"""


def test_a_process_killed_while_saving_leaves_the_last_complete_state(tmp_path: Path):
    root = Path(__file__).resolve().parents[2]
    counts = []
    for round_ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path)],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
        )
        time.sleep(1.5 + 0.37 * round_)  # kill at a different moment each round
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        data = LabelStore(tmp_path).load("crash")  # readable, never half-written
        counts.append(len(data["features"]))
        assert counts[-1] % 200 == 0
        json.loads((tmp_path / "crash.geojson").read_text())
    assert counts == sorted(counts) and counts[-1] > 0
    # A line cut by the kill, and lines of a save killed before it wrote the set, are left out
    assert len(LabelStore(tmp_path).history("crash")) == counts[-1]


def _edit_own(root: str, ids: list[str], who: str) -> None:
    store = LabelStore(Path(root))
    for fid in ids:
        [f] = [f for f in store.load("shared")["features"] if f["id"] == fid]
        edited = {**f, "properties": {**f["properties"], "crop_class": f"by {who}"}}
        saved = store.apply("shared", [edited], expected={fid: f["properties"]["rev"]}, who=who)
        assert saved.conflicts == []


def test_two_processes_editing_different_polygons_of_one_set_lose_nothing(tmp_path: Path):
    store = LabelStore(tmp_path)
    features = [feature() for _ in range(60)]
    store.apply("shared", features)
    ids = [f["id"] for f in features]
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=_edit_own, args=(str(tmp_path), ids[i::2], w))
        for i, w in enumerate(("ana", "ben"))
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    saved = {f["id"]: f["properties"] for f in store.load("shared")["features"]}
    assert len(saved) == 60
    assert all(saved[i]["crop_class"] == "by ana" and saved[i]["rev"] == 2 for i in ids[0::2])
    assert all(saved[i]["crop_class"] == "by ben" and saved[i]["rev"] == 2 for i in ids[1::2])
