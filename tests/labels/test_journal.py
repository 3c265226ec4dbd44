"""The journal: write-ahead lines of every change, read back for history, undo and redo."""

from pathlib import Path

import pytest

import labels.journal
from labels.features import new_feature
from labels.journal import undo_stacks
from labels.store import LabelStore
from tests.labels.test_store import SQUARE, SQUARE2, feature


def test_a_torn_journal_line_is_never_glued_to_the_next_change(tmp_path):
    store = LabelStore(tmp_path)
    first = store.apply("s", [new_feature(SQUARE, "maize", "ana", "S2", "original")], who="ana")
    journal = tmp_path / ".journal" / "s.jsonl"
    with open(journal, "a", encoding="utf-8") as f:
        f.write('{"batch": "torn by a full disk", "op": "ad')  # no newline: a failed save
    second = store.apply("s", [new_feature(SQUARE2, "wheat", "ana", "S2", "original")], who="ana")
    batches = [e["batch"] for e in store.history("s")]
    assert batches == [first.batch, second.batch]  # the torn line skipped, the new one whole
    store.revert("s", second.batch, who="ana")  # and undo still finds it
    assert [f["properties"]["crop_class"] for f in store.load("s")["features"]] == ["maize"]


def test_changes_killed_before_reaching_the_set_are_not_in_its_history(tmp_path, monkeypatch):
    import labels.setfile

    store = LabelStore(tmp_path)
    kept = store.apply("s", [new_feature(SQUARE, "maize", "ana", "S2", "original")], who="ana")

    def killed(path, text):  # the process dies after its journal write, before the set's
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(labels.setfile, "_write_atomic", killed)
        with pytest.raises(KeyboardInterrupt):
            store.apply("s", [new_feature(SQUARE2, "wheat", "ana", "S2", "original")], who="ana")
    assert [e["batch"] for e in store.history("s")] == [kept.batch]
    later = store.apply("s", [], deletes=[kept.data["features"][0]["id"]], who="ana")
    assert [e["batch"] for e in store.history("s")] == [kept.batch, later.batch]
    assert "wheat" not in (tmp_path / ".journal" / "s.jsonl").read_text()  # cleaned on save
    store.revert("s", later.batch)
    assert [f["properties"]["crop_class"] for f in store.load("s")["features"]] == ["maize"]


def test_undo_finds_an_old_batch_across_read_chunks(tmp_path: Path, monkeypatch):
    store = LabelStore(tmp_path)
    first = store.apply("s", [feature("maize")], who="ana")
    for crop in ("wheat", "rye", "oats"):
        store.apply("s", [new_feature(SQUARE2, crop, "ana", "S2", "original")], who="ana")
    lines_backward = labels.journal._lines_backward
    monkeypatch.setattr(  # chunks far smaller than a line: every line crosses a boundary
        labels.journal, "_lines_backward", lambda path, end: lines_backward(path, end, chunk=7)
    )
    store.revert("s", first.batch, who="ana")
    assert sorted(f["properties"]["crop_class"] for f in store.load("s")["features"]) == [
        "oats",
        "rye",
        "wheat",
    ]


def test_undo_and_redo_stacks_are_rebuilt_from_the_journal(tmp_path: Path):
    store = LabelStore(tmp_path)
    a = store.apply("s", [feature("maize")], who="ana").batch
    b = store.apply("s", [new_feature(SQUARE2, "rye", "ana", "S2", "original")], who="ana").batch
    store.apply("s", [feature("oats", who="ben")], who="ben")  # someone else's: not ana's to undo
    undo_b = store.revert("s", b, who="ana").batch  # ana undid b: undo [a], redo [undo_b]
    assert undo_stacks(store.history("s"), "ana") == ([a], [undo_b])
    redo_b = store.revert("s", undo_b, who="ana").batch  # and redid it
    assert undo_stacks(store.history("s"), "ana") == ([a, redo_b], [])
    store.revert("s", redo_b, who="ana")
    c = store.apply("s", [feature("wheat")], who="ana").batch  # a new change clears redo
    assert undo_stacks(store.history("s"), "ana") == ([a, c], [])
    assert undo_stacks(store.history("s"), "ben")[0] != []
