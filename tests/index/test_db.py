"""The derived index: freshness without a watcher, repair from the files, concurrent use."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from memtree import Memory
from memtree.entries.layout import stat_walk
from memtree.index.db import db_file, open_index, schema_tag
from retrieval_support import seed, write_entry


def found(memory: Memory, text: str) -> list[str]:
    return [h.path for h in memory.query(text).hits]


def test_added_file_is_found(memory: Memory) -> None:
    seed(memory)
    memory.query("warm the index")
    write_entry(memory.root, "ops/deploy/canary", "Canary deploys", "ship to one pod first")
    assert found(memory, "canary pod") == ["ops/deploy/canary"]


def test_edited_file_is_reindexed(memory: Memory) -> None:
    file = write_entry(memory.root, "ops/deploy/canary", "Canary deploys", "ship to one pod")
    assert found(memory, "pod") == ["ops/deploy/canary"]
    text = file.read_text(encoding="utf-8").replace("ship to one pod", "ship to one zone")
    file.write_text(text, encoding="utf-8")
    os.utime(file, ns=(1, 1))  # even a clock set back is a change: mtime differs from the index
    assert found(memory, "zone") == ["ops/deploy/canary"]
    assert found(memory, "pod") == []


def test_deleted_file_is_dropped(memory: Memory) -> None:
    file = write_entry(memory.root, "ops/deploy/canary", "Canary deploys", "ship to one pod")
    assert found(memory, "pod") == ["ops/deploy/canary"]
    file.unlink()
    assert found(memory, "pod") == []


def test_rename_outside_memtree(memory: Memory) -> None:
    file = write_entry(memory.root, "ops/deploy/canary", "Canary deploys", "ship to one pod",
                       id="abcdefghjk")
    assert found(memory, "pod") == ["ops/deploy/canary"]
    (memory.root / "ops/release").mkdir(parents=True)
    file.rename(memory.root / "ops/release/canary-release.md")
    assert found(memory, "pod") == ["ops/release/canary-release"]
    assert memory.resolve("abcdefghjk") == "ops/release/canary-release"


def test_writes_through_memtree_are_seen(memory: Memory) -> None:
    seed(memory)
    assert found(memory, "pgbouncer") == ["db/postgres/connection-pooling"]
    memory.update("db/postgres/connection-pooling", body="use pgcat now")
    assert found(memory, "pgbouncer") == []
    memory.move("db/postgres/connection-pooling", "db/pooling")
    assert found(memory, "pgcat") == ["db/pooling/connection-pooling"]


def test_broken_file_is_skipped_and_reported(memory: Memory) -> None:
    seed(memory)
    (memory.root / "ops/bad").mkdir(parents=True)
    (memory.root / "ops/bad/broken.md").write_text("no frontmatter here", encoding="utf-8")
    assert found(memory, "pgbouncer") == ["db/postgres/connection-pooling"]
    problems = open_index(memory.root).problems()
    assert [p for p, _ in problems] == ["ops/bad/broken"]


def test_stat_walk_follows_the_layout_rules(memory: Memory) -> None:
    seed(memory)
    write_entry(memory.root, "too/shallow", "Shallow", "x")
    write_entry(memory.root, "a/b/c/d/too-deep", "Deep", "x")
    write_entry(memory.root, "a/b/_index", "Folder", "x")
    write_entry(memory.root, "_signals/x/y", "Reserved", "x")
    memory.remove("billing/invoices/invoice-numbering")
    assert set(stat_walk(memory.root)) == {
        "auth/jwt/sign-access-tokens-with-rs256", "auth/jwt/refresh-token-lifetime",
        "auth/web/session-cookies", "db/postgres/connection-pooling",
        "_archive/billing/invoices/invoice-numbering", "too/shallow"}
    # a file at a depth where no entry can live is walked only to be reported, never indexed
    assert found(memory, "shallow") == []
    assert [p for p, _ in open_index(memory.root).problems()] == ["too/shallow"]


# ---------------------------------------------------------------- repair


def _fresh_process_query(memory: Memory, text: str) -> list[str]:
    """Query from a new Memory/Index, as a new process would (no cached connection)."""
    from memtree.index import db as index

    index._OPEN.clear()
    return found(Memory.open(memory.root), text)


def test_garbage_index_is_rebuilt(memory: Memory) -> None:
    seed(memory)
    memory.query("pgbouncer")
    open_index(memory.root).close()
    for suffix in ("-wal", "-shm"):
        if os.path.exists(f"{db_file(memory.root)}{suffix}"):
            os.unlink(f"{db_file(memory.root)}{suffix}")
    db_file(memory.root).write_bytes(b"this is not a database" * 500)
    assert _fresh_process_query(memory, "pgbouncer") == ["db/postgres/connection-pooling"]
    with sqlite3.connect(db_file(memory.root)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_missing_index_is_rebuilt(memory: Memory) -> None:
    seed(memory)
    memory.query("pgbouncer")
    open_index(memory.root).close()
    for name in os.listdir(db_file(memory.root).parent):
        os.unlink(db_file(memory.root).parent / name)
    assert _fresh_process_query(memory, "pgbouncer") == ["db/postgres/connection-pooling"]


def test_stale_schema_is_rebuilt(memory: Memory) -> None:
    seed(memory)
    memory.query("pgbouncer")
    idx = open_index(memory.root)
    idx.close()
    with sqlite3.connect(db_file(memory.root)) as conn:
        conn.execute("UPDATE meta SET value='0' WHERE key='schema'")
        conn.execute("DELETE FROM fts")  # a stale index must not be trusted
    assert _fresh_process_query(memory, "pgbouncer") == ["db/postgres/connection-pooling"]
    with sqlite3.connect(db_file(memory.root)) as conn:
        version = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()[0]
    assert version == schema_tag()


def test_index_lies_about_a_file_are_corrected(memory: Memory) -> None:
    seed(memory)
    memory.query("pgbouncer")
    open_index(memory.root).close()
    with sqlite3.connect(db_file(memory.root)) as conn:  # the recorded stamp no longer matches
        conn.execute("UPDATE files SET size = size + 1 WHERE path LIKE 'db/%'")
        conn.execute("DELETE FROM fts WHERE rowid IN (SELECT entry FROM files WHERE path LIKE 'db/%')")
        conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
    assert _fresh_process_query(memory, "pgbouncer") == ["db/postgres/connection-pooling"]


# ---------------------------------------------------------------- concurrency

WORKER = """
import sys
from pathlib import Path

import pytest
from memtree import Memory
m = Memory.open(sys.argv[1])
for i in range(15):
    if sys.argv[2] == "write":
        m.add(f"Note {sys.argv[3]} {i}", "load/test", body=f"kiwi number {i}")
    elif sys.argv[2] == "reindex":
        m.reindex()
    assert m.query("pgbouncer").hits[0].path == "db/postgres/connection-pooling"
"""


@pytest.mark.slow
def test_concurrent_writers_and_readers_keep_the_index_sound(memory: Memory) -> None:
    seed(memory)
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(memory.root), kind, str(n)],
                              stderr=subprocess.PIPE, text=True)
             for n, kind in enumerate(("write", "write", "reindex", "read", "read"))]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert len(_fresh_process_query(memory, "kiwi number")) == 10  # default limit
    assert len(Memory.open(memory.root).query("kiwi", limit=100).hits) == 30
    with sqlite3.connect(db_file(memory.root)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("INSERT INTO fts(fts) VALUES('integrity-check')") is not None


def test_term_counts_stay_exact_through_edits(memory: Memory) -> None:
    seed(memory)
    memory.query("warm")
    memory.update("db/postgres/connection-pooling", body="pgcat replaces pgbouncer")
    memory.remove("auth/web/session-cookies", hard=True)
    write_entry(memory.root, "ops/deploy/canary", "Canary deploys", "pgcat on one pod")
    memory.query("again")
    idx = open_index(memory.root)
    words = ["pgcat", "pgbouncer", "cookies", "jwt", "pod", "canary", "tokens"]
    incremental = {k: v for k, v in idx.reads.doc_freq(words).items() if v}
    idx.sync(rebuild=True)
    assert idx.reads.doc_freq(words) == incremental
    assert incremental["pgcat"] == 2 and incremental.get("cookies", 0) == 0


def test_postings_budget_keeps_the_rarest_words(memory: Memory,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from memtree.retrieval import tiers as retrieve

    for n in range(6):
        memory.add(f"Common {n}", "x/y", body="shared words everywhere")
    memory.add("Rare one", "x/z", body="shared words and a narwhal")
    monkeypatch.setattr(retrieve, "POSTINGS_BUDGET", 1)
    monkeypatch.setattr(retrieve, "POSTINGS_PER_ENTRY", 0)
    hits = memory.query("shared narwhal").hits
    assert [h.path for h in hits] == ["x/z/rare-one"]  # "shared" was too common to send


def _contexts(memory: Memory) -> dict[str, str]:
    with sqlite3.connect(db_file(memory.root)) as conn:
        rows = conn.execute("SELECT e.path, f.context FROM entries e JOIN fts f "
                            "ON f.rowid = e.rowid").fetchall()
    return dict(rows)


def test_first_build_and_incremental_updates_agree_on_neighbour_context(
        memory: Memory, tmp_path: Path) -> None:
    for n in range(12):
        write_entry(memory.root, f"chat/day-{n % 2}/m{n}", f"Turn {n}", f"word{n} said here",
                    type="episode")
    idx = open_index(memory.root)
    idx.sync(rebuild=True)
    whole = _contexts(memory)
    assert whole["chat/day-0/m4"] == "word0 said here word2 said here word6 said here word8 said here"
    aside = tmp_path / "aside"
    aside.mkdir()
    for n in (2, 5, 8):
        (memory.root / f"chat/day-{n % 2}/m{n}.md").rename(aside / f"m{n}.md")
    idx.sync(rebuild=True)
    for n in (2, 5, 8):
        (aside / f"m{n}.md").rename(memory.root / f"chat/day-{n % 2}/m{n}.md")
    idx.sync()  # incremental: the neighbours of the returning entries are refreshed
    assert _contexts(memory) == whole


def test_neighbour_context_only_in_episode_logs(memory: Memory) -> None:
    for n in range(4):
        write_entry(memory.root, f"chat/day-1/m{n}", f"Turn {n}", f"word{n} said", type="episode")
        write_entry(memory.root, f"team/notes/n{n}", f"Note {n}", f"note{n} text", type="fact")
    memory.reindex()
    found = _contexts(memory)
    assert found["chat/day-1/m1"] == "word0 said word2 said word3 said"
    assert found["team/notes/n1"] == ""
    # a note filed among the turns: the folder is no longer a log, its neighbours are dropped
    write_entry(memory.root, "chat/day-1/aside", "Aside", "a fact", type="fact")
    open_index(memory.root).sync()
    assert {p: c for p, c in _contexts(memory).items() if p.startswith("chat/")} == \
        dict.fromkeys(["chat/day-1/m0", "chat/day-1/m1", "chat/day-1/m2", "chat/day-1/m3",
                       "chat/day-1/aside"], "")


def test_a_deleted_database_is_made_again_by_an_open_index(memory: Memory) -> None:
    """A long-lived process (the MCP server, the resident process's spare) keeps its Index
    open: when `.index/` is deleted, the next sync connects afresh and makes the file again
    instead of reading the lost one."""
    memory.add("Rotate signing keys", "auth/keys", "Keys rotate every ninety days.")
    assert [h.title for h in memory.query("rotate").hits] == ["Rotate signing keys"]
    shutil.rmtree(memory.root / ".index")
    assert [h.title for h in memory.query("rotate").hits] == ["Rotate signing keys"]
    assert db_file(memory.root).is_file()
