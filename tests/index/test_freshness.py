"""Index freshness without a full walk: the folder gate, the rotating re-check of files, the
re-check of hits, racy timestamps, and file system events in long-running processes."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest

from memtree import Memory
from memtree.index import freshness
from memtree.index.db import db_file, open_index
from retrieval_support import write_entry


def found(memory: Memory, text: str) -> list[str]:
    return [h.path for h in memory.query(text).hits]


def top(memory: Memory, text: str) -> str | None:
    """The best hit (neighbours in the same folder may follow it through their shared context)."""
    hits = found(memory, text)
    return hits[0] if hits else None


def _settle() -> None:
    time.sleep(freshness.RACY_NS / 1e9 + 0.05)  # past the racy window of what was just written


@pytest.fixture
def big(memory: Memory, monkeypatch: pytest.MonkeyPatch) -> Memory:
    """30 entries in 3 folders, re-checked 2 files a query: only the gate sees most changes."""
    monkeypatch.setattr(freshness, "RECHECK_FILES", 2)
    for n in range(30):
        write_entry(memory.root, f"area/f{n % 3}/note-{n:02d}", f"Note {n}", f"plain words {n}")
    _settle()
    memory.query("warm")
    return memory


def test_gate_sees_adds_deletes_renames_and_atomic_saves(big: Memory) -> None:
    root = big.root
    write_entry(root, "area/f1/canary", "Canary deploys", "ship to one pod")
    assert top(big, "canary pod") == "area/f1/canary"
    (root / "area/f1/canary.md").rename(root / "area/f2/canary.md")
    assert top(big, "canary pod") == "area/f2/canary"
    tmp = root / "area/f2/.canary.md.swp"  # an editor's atomic save: write aside, rename over
    tmp.write_text((root / "area/f2/canary.md").read_text().replace("pod", "zone"))
    tmp.replace(root / "area/f2/canary.md")
    assert top(big, "zone") == "area/f2/canary"
    (root / "area/f2/canary.md").unlink()
    assert "area/f2/canary" not in found(big, "zone canary")


def test_gate_sees_new_and_removed_folders(big: Memory) -> None:
    root = big.root
    write_entry(root, "ops/deploy/blue/green-switch", "Green switch", "flip the router")
    assert top(big, "router") == "ops/deploy/blue/green-switch"
    (root / "ops/deploy").rename(root / "ops/shipping")
    assert top(big, "router") == "ops/shipping/blue/green-switch"
    shutil.rmtree(root / "ops")
    assert found(big, "router") == []
    shutil.rmtree(root / "area/f0")
    assert all(not p.startswith("area/f0/") for p in found(big, "plain words"))


def test_in_place_edit_of_a_hit_is_never_shown_stale(big: Memory) -> None:
    file = big.root / "area/f1/note-04.md"
    assert "area/f1/note-04" in found(big, "note 4")
    mtime = (big.root / "area/f1").stat().st_mtime_ns
    file.write_text(file.read_text().replace("plain words 4", "quartz"))  # same inode
    assert (big.root / "area/f1").stat().st_mtime_ns == mtime  # the gate cannot see this
    assert top(big, "note 4") == "area/f1/note-04"  # a hit: its file is re-checked, re-indexed
    assert top(big, "quartz") == "area/f1/note-04"


def test_in_place_edit_is_found_within_one_rotation(big: Memory) -> None:
    file = big.root / "area/f2/note-29.md"
    file.write_text(file.read_text().replace("plain words 29", "zeppelin"))
    rounds = 30 // freshness.RECHECK_FILES + 1
    seen = [top(big, "zeppelin") for _ in range(rounds)]
    assert seen[-1] == "area/f2/note-29", f"not found after {rounds} queries"


def test_a_querying_process_keeps_its_cursor_and_saves_it_for_the_next(
        big: Memory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rotation advances every query in a process while the cursor file is written at most
    every CURSOR_SAVE_S; a new process starts where the file says."""
    from memtree.index.db import Index

    monkeypatch.setattr(freshness, "CURSOR_SAVE_S", 3600.0)
    reader = Index(big.root)  # a process that has not written its cursor yet
    reader.sync()
    saved = freshness.read_cursor(big.root)
    assert saved  # written by its first query
    file = big.root / "area/f2/note-29.md"
    file.write_text(file.read_text().replace("plain words 29", "zeppelin"))
    for _ in range(30 // freshness.RECHECK_FILES + 1):
        reader.sync()
    assert freshness.read_cursor(big.root) == saved  # not written again within the hour
    assert reader.read("SELECT path FROM entries WHERE path = 'area/f2/note-29' AND rowid IN "
                       "(SELECT rowid FROM fts WHERE fts MATCH 'zeppelin')")  # yet it went round
    nxt = Index(big.root)
    nxt.sync()
    assert freshness.read_cursor(big.root) > saved  # the next process went on from it
    reader.close()
    nxt.close()


def test_racy_same_size_rewrite_is_not_missed(memory: Memory) -> None:
    file = write_entry(memory.root, "ops/deploy/canary", "Canary deploys", "ship to one pod")
    stamp = file.stat()
    assert top(memory, "pod") == "ops/deploy/canary"  # indexed within the racy window
    file.write_text(file.read_text().replace("pod", "hut"))  # same size ...
    os.utime(file, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # ... and the same mtime tick
    assert file.stat().st_size == stamp.st_size
    assert top(memory, "hut") == "ops/deploy/canary"


def _edit_keeping_stamp(file: Path, old: str, new: str) -> None:
    """An edit in place of the same size whose mtime is then set back to what it was."""
    assert len(old) == len(new)
    before = file.stat()
    file.write_text(file.read_text().replace(old, new))
    os.utime(file, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = file.stat()
    assert (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size)


@pytest.mark.skipif(os.name != "posix", reason="the change time is POSIX's")
def test_settled_same_size_edit_with_its_mtime_set_back_is_found_by_the_rotation(
        big: Memory) -> None:
    file = big.root / "area/f2/note-29.md"
    _edit_keeping_stamp(file, "plain words 29", "plain zebra 29")
    rounds = 30 // freshness.RECHECK_FILES + 1
    seen = [top(big, "zebra") for _ in range(rounds)]
    assert seen[-1] == "area/f2/note-29", f"not found after {rounds} queries"


@pytest.mark.skipif(os.name != "posix", reason="the change time is POSIX's")
def test_settled_same_size_edit_of_a_hit_with_its_mtime_set_back_is_never_shown_stale(
        big: Memory) -> None:
    file = big.root / "area/f1/note-04.md"
    assert "area/f1/note-04" in found(big, "note 4")
    _edit_keeping_stamp(file, "plain words 4", "plain quartz4")
    assert top(big, "note 4") == "area/f1/note-04"  # a hit: re-checked by its change time
    assert top(big, "quartz4") == "area/f1/note-04"


@pytest.mark.skipif(os.name != "posix", reason="the change time is POSIX's")
def test_gate_sees_a_new_file_in_a_folder_whose_mtime_was_set_back(big: Memory) -> None:
    folder = big.root / "area/f1"
    before = folder.stat()
    write_entry(big.root, "area/f1/canary", "Canary deploys", "ship to one pod")
    os.utime(folder, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert folder.stat().st_mtime_ns == before.st_mtime_ns
    assert top(big, "canary pod") == "area/f1/canary"
    (big.root / "area/f1/canary.md").unlink()
    os.utime(folder, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert "area/f1/canary" not in found(big, "canary pod")


def test_quick_syncs_agree_with_a_full_rebuild(big: Memory) -> None:
    root = big.root
    write_entry(root, "area/f0/new-a", "New A", "alpha words")
    (root / "area/f1/note-01.md").unlink()
    (root / "area/f2").rename(root / "area/f9")
    write_entry(root, "deep/x/y/new-b", "New B", "beta words")
    _settle()  # so both sides record settled stamps
    for _ in range(20):
        big.query("words")
    with closing(sqlite3.connect(db_file(root))) as conn:
        quick = sorted(conn.execute("SELECT path, size FROM files"))
        folders = sorted(conn.execute("SELECT path FROM folders"))
    open_index(root).sync(rebuild=True)
    with closing(sqlite3.connect(db_file(root))) as conn:
        assert sorted(conn.execute("SELECT path, size FROM files")) == quick
        assert sorted(conn.execute("SELECT path FROM folders")) == folders


def test_reindex_without_rebuild_stats_every_file(big: Memory, monkeypatch: pytest.MonkeyPatch
                                                  ) -> None:
    monkeypatch.setattr(freshness, "RECHECK_FILES", 0)
    file = big.root / "area/f0/note-03.md"
    file.write_text(file.read_text().replace("plain words 3", "walrus"))
    assert top(big, "walrus") is None  # no rotation, folder unchanged: not seen yet
    stats = big.reindex(full=False)
    assert stats.updated == ["area/f0/note-03"] and not stats.rebuilt
    assert top(big, "walrus") == "area/f0/note-03"


def test_watching_process_sees_in_place_edits_from_events(big: Memory,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(freshness, "RECHECK_FILES", 0)
    monkeypatch.setattr(freshness, "GATE_EVERY_S", 3600.0)  # only events can tell
    idx = open_index(big.root)
    try:
        assert big.index.watch()
        big.query("warm")  # the gate runs once when the watch starts
        file = big.root / "area/f0/note-06.md"
        file.write_text(file.read_text().replace("plain words 6", "narwhal"))
        write_entry(big.root, "zoo/new/place", "Place", "narwhal pen")
        deadline = time.monotonic() + 10
        while not {"area/f0/note-06", "zoo/new/place"} <= set(found(big, "narwhal")):
            assert time.monotonic() < deadline, found(big, "narwhal")
            time.sleep(0.05)
    finally:
        if idx._watch is not None:
            idx._watch.stop()
            idx._watch = None


def test_catalog_rechecks_pinned_and_core_entries(big: Memory,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(freshness, "RECHECK_FILES", 0)
    item = big.add("House rule", "area/f0", body="always rebase", pinned=True)
    big.catalog()
    _settle()
    file = big.root / f"{item.path}.md"
    file.write_text(file.read_text().replace("title: House rule", "title: House rules"))
    assert [e.title for e in big.catalog() if e.pinned] == ["House rules"]


def test_a_folder_replaced_by_a_symlink_is_dropped_as_a_full_walk_would(
        big: Memory, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.move(str(big.root / "area/f2"), elsewhere)
    (big.root / "area/f2").symlink_to(elsewhere, target_is_directory=True)
    assert all(not p.startswith("area/f2/") for p in found(big, "plain words"))
    with closing(sqlite3.connect(db_file(big.root))) as conn:
        assert conn.execute("SELECT count(*) FROM files WHERE folder LIKE 'area/f2%'").fetchone() == (0,)
