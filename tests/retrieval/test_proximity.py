"""Proximity: consecutive query words held close in an entry lift it (retrieval/proximity.py),
on real trees and real SQLite."""

from __future__ import annotations

import pytest

from memtree import Memory
from memtree.retrieval import proximity, tiers

# The same words, the same length: BM25 ties them, and the tie goes to the first path.
APART = "filesystem events reach the daemon and the monitor reads them"
CLOSE = "the events reach the daemon and filesystem monitor reads them"


def _others(memory: Memory) -> None:
    """Unrelated notes, so the query words are rare (BM25's idf is 0 for words most entries hold,
    and so is a pair's worth)."""
    for n, topic in enumerate(("backups run nightly", "lint before commit", "tokens expire hourly",
                               "deploys need a review", "logs rotate weekly")):
        memory.add(f"Other {n}", "misc/notes", body=topic)


def _twins(memory: Memory) -> None:
    _others(memory)
    memory.add("Watcher one", "tools/watch", body=APART)
    memory.add("Watcher two", "tools/watch", body=CLOSE)


def test_words_held_together_rank_first(memory: Memory) -> None:
    _twins(memory)
    hits = memory.query("a filesystem monitor").hits
    assert [h.path for h in hits] == ["tools/watch/watcher-two", "tools/watch/watcher-one"]
    near = {h.path: dict(h.parts)["proximity"] for h in hits}
    assert near["tools/watch/watcher-two"] > 0 == near["tools/watch/watcher-one"]
    assert dict(hits[0].parts)["bm25"] == pytest.approx(dict(hits[1].parts)["bm25"])


def test_words_most_entries_hold_earn_nothing(memory: Memory) -> None:
    """A pair is worth BM25's idf, 0 for words most entries hold: in a memory of three notes
    that all hold the query, proximity cannot outweigh the text (or usage) differences."""
    memory.add("Cache note", "ops/cache", body="redis eviction policy allkeys")
    memory.add("Other cache", "ops/cache", body="allkeys policy for eviction in redis")
    memory.add("Redis eviction policy", "ops/redis", body="redis eviction policy: allkeys-lfu")
    hits = memory.query("redis eviction policy allkeys").hits
    assert [dict(h.parts)["proximity"] for h in hits] == [0.0, 0.0, 0.0]


def test_without_proximity_the_twins_tie(memory: Memory, monkeypatch: pytest.MonkeyPatch) -> None:
    _twins(memory)
    monkeypatch.setattr(tiers, "PROXIMITY", False)
    hits = memory.query("a filesystem monitor").hits
    assert [h.path for h in hits] == ["tools/watch/watcher-one", "tools/watch/watcher-two"]
    assert all(h.why == "matched filesystem, monitor" for h in hits)


def test_only_consecutive_query_words_within_the_window_count(memory: Memory) -> None:
    _others(memory)
    memory.add("Far apart", "tools/watch",
               body="filesystem " + "word " * (proximity.WINDOW + 1) + "monitor")
    memory.add("Just close", "tools/watch",
               body="filesystem " + "word " * proximity.WINDOW + "monitor")
    near = {h.path: dict(h.parts)["proximity"]
            for h in memory.query("filesystem monitor").hits}
    assert near == {"tools/watch/just-close": pytest.approx(near["tools/watch/just-close"]),
                    "tools/watch/far-apart": 0.0}
    assert near["tools/watch/just-close"] > 0
    # the two words are not consecutive in this query: the pair is never looked for
    apart = memory.query("filesystem daemon monitor").hits
    assert all(dict(h.parts)["proximity"] == 0 for h in apart)


def test_an_identifier_is_close_to_its_neighbour_word(memory: Memory) -> None:
    _others(memory)
    memory.add("Loader one", "code/load", body="the retry wraps parse_config in a loop")
    memory.add("Loader two", "code/load", body="parse_config runs in a loop; the retry wraps the reader")
    near = {h.path: dict(h.parts)["proximity"] > 0 for h in memory.query("retry parse_config").hits}
    assert near == {"code/load/loader-one": True, "code/load/loader-two": False}
