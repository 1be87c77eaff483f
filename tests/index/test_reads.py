"""The query-side reads of the index: what a hit holds, name matches, and what is kept per state
of the index, checked against plain FTS5 queries on the same real database."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from memtree import Memory
from memtree.index.db import Index, db_file, open_index
from memtree.lifecycle import signals
from memtree.model import Tier
from memtree.retrieval import tiers as retrieve

OWN = "{title aliases tags summary body path}"


@pytest.fixture
def quick(tmp_path: Path) -> Memory:
    return Memory.init(tmp_path / "m", autocommit=False)


def _held_by_fts(root: Path, group: list[str], rowid: int) -> bool:
    """The plain way: ask FTS5 whether one entry holds a query word in its own fields."""
    with sqlite3.connect(db_file(root)) as conn:
        expr = f"{OWN} : {retrieve._group_expr(group)}"
        return bool(conn.execute("SELECT 1 FROM fts WHERE fts MATCH ? AND rowid = ?",
                                 (expr, rowid)).fetchall())


def _rowids(root: Path) -> dict[str, int]:
    with sqlite3.connect(db_file(root)) as conn:
        return {str(p): int(r) for r, p in conn.execute("SELECT rowid, path FROM entries")}


@pytest.mark.parametrize("text", [
    "deploying runners quickly",        # stems: deploy/deployed, runner is not run
    "nextInvoiceNumber billing",        # identifier parts and its joined whole
    "café crème",                       # accents folded
    "Running RUNS ran",                 # case and stems
    "zebra crossings",                  # neighbours hold them only in their context
])
def test_words_a_hit_holds_agree_with_fts5(quick: Memory, text: str) -> None:
    quick.add("Deploy runner", "ops/ci", body="We deployed the runner; it runs fast.")
    quick.add("Invoices", "billing/inv", body="`next_invoice_number` in invoice.py, run daily")
    quick.add("Cafe notes", "food/cafe", body="The cafe serves crème brûlée; we ran there.")
    quick.add("Stripes", "ops/ci", body="zebra crossing")
    quick.add("Quick fix", "ops/ci", body="quickly patched the deploy script")
    res = quick.query(text, limit=10)
    groups = retrieve.tokens.query_groups(text)
    rowids = _rowids(quick.root)
    assert res.hits
    for hit in res.hits:
        assert hit.tier is Tier.FULLTEXT
        expected = sorted(g[-1] for g in groups if _held_by_fts(quick.root, g, rowids[hit.path]))
        said = hit.why.split(";")[0]
        assert said == ("matched " + ", ".join(expected) if expected else
                        "matched only through its neighbours or folder"), (hit.path, said)
        assert dict(hit.parts)["coverage"] == pytest.approx(len(expected) / len(groups))


def test_a_long_query_is_explained_in_several_statements(quick: Memory) -> None:
    words = [f"word{n}x" for n in range(260)]  # more words than one compound SELECT may hold
    quick.add("Many words", "x/y", body=" ".join(words[::2]))
    hit = quick.query(" ".join(words)).hits[0]
    assert dict(hit.parts)["coverage"] == pytest.approx(0.5)


def test_keyword_tier_when_many_entries_share_the_rarest_word(quick: Memory) -> None:
    for n in range(retrieve.KEYWORD_POOL + 5):
        quick.add(f"Widget note {n}", "parts/widgets", body="spare parts", tags=["widget"])
    quick.add("Widget assembly guide", "parts/guides", body="how to assemble")
    first = quick.query("widget assembly guide").hits[0]
    assert (first.path, first.tier) == ("parts/guides/widget-assembly-guide", Tier.KEYWORD)
    # words spread over a title and a tag still make one name match when a name is near
    assert quick.query("widgets assembly guide").hits[0].tier is Tier.KEYWORD


def test_keyword_hits_filling_the_limit_leave_full_text_out(quick: Memory) -> None:
    for n in range(4):
        quick.add(f"Retry policy {n}", "ops/retry", body="backoff", aliases=["retry policy"])
    hits = quick.query("retry policy", limit=3).hits
    assert len(hits) == 3 and all(h.tier is Tier.KEYWORD for h in hits)


def test_reads_see_another_connections_writes_without_syncing(quick: Memory) -> None:
    quick.add("First", "a/b", body="plain words")
    reader = open_index(quick.root)
    reader.sync()
    assert reader.reads.size() == 1 and "alice" not in reader.reads.authors()
    Memory(quick.root, actor="person:Alice").add("Second", "a/b", body="more words")
    writer = Index(quick.root)  # another connection, as another process would have
    writer.sync()
    writer.close()
    assert reader.reads.size() == 2 and reader.reads.authors()["alice"] == "alice"
    with reader.reads.reading():  # inside one read transaction the view holds still
        assert reader.reads.size() == 2


def test_the_scratch_table_comes_back_after_a_reconnect(quick: Memory) -> None:
    quick.add("Alpha", "a/b", body="the quokka sleeps")
    assert quick.query("quokka sleeps").hits[0].why == "matched quokka, sleeps"
    open_index(quick.root).close()
    assert quick.query("quokka sleeps").hits[0].why == "matched quokka, sleeps"


def test_usage_is_read_again_only_when_a_signal_file_changes(quick: Memory) -> None:
    made = quick.add("Alpha", "a/b", body="text")
    assert signals.usage(quick.root) == {}
    signals.record(quick.root, made.id)
    assert signals.usage(quick.root) == {(made.id, "recall"): 1}
    copy = signals.totals(quick.root)
    copy[(made.id, "recall")] += 10  # a caller's copy, not the kept one
    assert signals.usage(quick.root) == {(made.id, "recall"): 1}
    signals.flush(quick.root, "person:bob")
    signals.record(quick.root, made.id, "useful")
    assert signals.usage(quick.root) == {(made.id, "recall"): 1, (made.id, "useful"): 1}


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_parsing_workers_hold_none_of_the_callers_streams() -> None:
    """A command killed mid-build must not leave a worker holding its stdout (a pipe's reader
    would wait for that worker to end)."""
    from memtree.index.source import pool

    with pool(2) as workers:
        held = [workers.submit(os.readlink, f"/proc/self/fd/{fd}").result() for fd in (0, 1, 2)]
    assert held == [os.devnull] * 3
