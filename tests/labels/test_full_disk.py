"""A really full disk (a 512 KiB tmpfs, filled up) under the label store: every action refused
with one message, nothing already saved lost, and all works again once there is room."""

from __future__ import annotations

import errno
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from labels.export import export
from labels.features import LabelError, new_feature
from labels.store import LabelStore
from tests.labels.test_store import SQUARE, SQUARE2


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode:  # needs root or CAP_SYS_ADMIN; test_store.py injects the error instead
        pytest.skip(f"cannot mount a small filesystem here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def fill(disk: Path) -> Path:
    """Fill the disk to the last byte; returns the file to delete to free it."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError as err:
            assert err.errno == errno.ENOSPC
    return filler


def test_a_full_disk_refuses_every_change_and_loses_nothing(small_disk: Path):
    store = LabelStore(small_disk / "labels")
    first = new_feature(SQUARE, "maize", "ana", "S2", "original")
    store.apply("s", [first], who="ana")
    store.apply("other", [new_feature(SQUARE2, "rye", "ana", "S2", "original")], who="ana")
    saved = store.path("s").read_bytes()
    journal = (small_disk / "labels" / ".journal" / "s.jsonl").read_bytes()
    filler = fill(small_disk)

    big = new_feature(SQUARE2, "wheat " * 2000, "ana", "S2", "original")  # needs new blocks
    attempts = [
        lambda: store.apply("s", [big], who="ana"),
        lambda: store.update_info("s", {"classes": {"x" * 9000: "#ffffff"}}),
        lambda: store.apply("new set", [big], who="ana"),
    ]
    for attempt in attempts:
        with pytest.raises(LabelError, match="No space left on device.*nothing was changed"):
            attempt()
    assert store.path("s").read_bytes() == saved
    assert (small_disk / "labels" / ".journal" / "s.jsonl").read_bytes() == journal
    assert store.names() == ["other", "s"]
    assert not list((small_disk / "labels").glob(".*.tmp"))

    filler.unlink()
    store.apply("s", [new_feature(SQUARE2, "barley", "ana", "S2", "original")], who="ana")
    assert [f["properties"]["crop_class"] for f in store.load("s")["features"]] == [
        "maize",
        "barley",
    ]
    assert [e["id"] for e in store.history("s")][0] == first["id"]


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".zip", ".csv", ".parquet"])
def test_an_export_to_a_full_disk_keeps_the_old_file(small_disk: Path, suffix: str):
    store = LabelStore(small_disk / "labels")
    store.apply("s", [new_feature(SQUARE, "maize", "ana", "S2", "original")], who="ana")
    out = export(store.load("s"), small_disk / f"x{suffix}")
    before = out.read_bytes()
    names = sorted(p.name for p in small_disk.iterdir())  # a CSV's .prj and .csvt too
    big = [new_feature(SQUARE2, "wheat " * 40, "ana", "S2", "original") for _ in range(2000)]
    filler = fill(small_disk)
    with pytest.raises(LabelError, match="could not be written.*nothing was replaced"):
        export({**store.load("s"), "features": big}, out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in small_disk.iterdir()) == sorted([*names, "filler"])
    filler.unlink()
