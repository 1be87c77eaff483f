"""This machine's usage log: summed from a checkpoint so hooks stay fast as the log grows."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from memtree import Memory
from memtree.entries import layout as tree
from memtree.lifecycle import signals


def naive(root: Path) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    log = root / tree.LOCAL_DIR / signals.PENDING
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        counts[(event["id"], event["kind"])] += event["n"]
    return counts


@pytest.fixture
def root(memory: Memory, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(signals, "CHECKPOINT_BYTES", 200)
    return memory.root


def test_sums_are_the_same_with_a_checkpoint(root: Path) -> None:
    for n in range(60):
        signals.record(root, f"id{n % 7}", "recall" if n % 3 else "feedback", 1 + n % 2)
    assert signals.pending(root) == naive(root)
    assert (root / tree.LOCAL_DIR / signals.CHECKPOINT).exists()
    for _ in range(5):  # after the checkpoint: only these lines are parsed
        signals.record(root, "late", "recall")
    assert signals.pending(root) == naive(root)
    assert signals.pending(root)[("late", "recall")] == 5


def test_torn_last_line_waits_until_it_is_whole(root: Path) -> None:
    for n in range(40):
        signals.record(root, f"id{n % 3}")
    log = root / tree.LOCAL_DIR / signals.PENDING
    before = signals.pending(root)
    with open(log, "a", encoding="utf-8") as handle:
        handle.write('{"id": "half", "kind": "recall", "n": 1')  # a write in progress
    assert signals.pending(root) == before
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(', "t": 0}\n')
    assert signals.pending(root)[("half", "recall")] == 1


def test_flush_starts_a_new_log_and_forgets_the_checkpoint(root: Path) -> None:
    for _n in range(40):
        signals.record(root, "a")
    assert signals.pending(root)[("a", "recall")] == 40
    assert signals.flush(root, "person:test") is not None
    assert not (root / tree.LOCAL_DIR / signals.CHECKPOINT).exists()
    assert signals.pending(root) == Counter()
    signals.record(root, "b")
    assert signals.pending(root) == Counter({("b", "recall"): 1})
    assert signals.totals(root)[("a", "recall")] == 40  # now in the shared counter


def test_a_checkpoint_of_another_log_or_a_cut_log_is_ignored(root: Path) -> None:
    for _n in range(40):
        signals.record(root, "a")
    signals.pending(root)
    log = root / tree.LOCAL_DIR / signals.PENDING
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    log.write_text("".join(lines[:3]), encoding="utf-8")  # cut by hand, same file
    assert signals.pending(root) == Counter({("a", "recall"): 3})
    log.unlink()
    log.write_text("".join(lines[:2]), encoding="utf-8")  # a new file
    assert signals.pending(root) == Counter({("a", "recall"): 2})


def test_a_new_log_in_a_reused_inode_is_not_taken_for_the_old_one(root: Path) -> None:
    for _n in range(40):
        signals.record(root, "old")
    signals.pending(root)
    log = root / tree.LOCAL_DIR / signals.PENDING
    with open(log, "r+", encoding="utf-8") as handle:  # same inode, other content, as long
        size = len(handle.read())
        handle.seek(0)
        line = json.dumps({"id": "new", "kind": "recall", "n": 1, "t": 1}) + "\n"
        handle.write((line * (size // len(line) + 1))[:size - size % len(line)])
        handle.truncate()
    assert set(signals.pending(root)) == {("new", "recall")}
