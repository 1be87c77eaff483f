"""The retrieval tiers, ranking, filters and the confidence gate, on real trees and real SQLite."""

from __future__ import annotations

import dataclasses
import json

import pytest

from conftest import Run
from memtree import Memory
from memtree.errors import Ambiguous
from memtree.model import Hit, Tier
from memtree.retrieval import rank as ranking
from retrieval_support import seed, write_entry


@pytest.fixture
def seeded(memory: Memory) -> Memory:
    seed(memory)
    return memory


def paths(memory: Memory, text: str, **kw: object) -> list[str]:
    return [h.path for h in memory.query(text, **kw).hits]


# ---------------------------------------------------------------- tier 1


def test_exact_path_id_and_slug(seeded: Memory) -> None:
    target = "auth/jwt/sign-access-tokens-with-rs256"
    entry_id = seeded.get(target).id
    for ref in (target, target + ".md", entry_id, "sign-access-tokens-with-rs256"):
        res = seeded.query(ref)
        assert [h.path for h in res.hits] == [target], ref
        assert res.hits[0].tier is Tier.PATH
        assert (res.confidence, res.escalate) == (1.0, False)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("auth/*", ["auth/jwt/refresh-token-lifetime", "auth/jwt/sign-access-tokens-with-rs256",
                    "auth/web/session-cookies"]),
        ("auth/jwt/**", ["auth/jwt/refresh-token-lifetime", "auth/jwt/sign-access-tokens-with-rs256"]),
        ("*/invoices/*", ["billing/invoices/invoice-numbering"]),
        ("auth/web", ["auth/web/session-cookies"]),  # a folder lists its entries
        ("db/*/conn*", ["db/postgres/connection-pooling"]),
    ],
)
def test_globs_and_folders(seeded: Memory, pattern: str, expected: list[str]) -> None:
    res = seeded.query(pattern)
    assert [h.path for h in res.hits] == expected
    assert all(h.tier is Tier.PATH for h in res.hits)


# ---------------------------------------------------------------- tier 2


def test_keyword_exact_alias_comes_first(seeded: Memory) -> None:
    res = seeded.query("token signature")
    assert res.hits[0].path == "auth/jwt/sign-access-tokens-with-rs256"
    assert res.hits[0].tier is Tier.KEYWORD
    assert "alias 'token signature'" in res.hits[0].why
    assert dict(res.hits[0].parts)["keyword"] == 1.0


def test_keyword_near_match_on_title_with_plural(seeded: Memory) -> None:
    hit = seeded.query("session cookie").hits[0]
    assert (hit.path, hit.tier) == ("auth/web/session-cookies", Tier.KEYWORD)


def test_keyword_tier_is_precise(seeded: Memory) -> None:
    # words spread over several names are not a keyword match: full text handles them
    res = seeded.query("cookies pooling")
    assert all(h.tier is Tier.FULLTEXT for h in res.hits)


# ---------------------------------------------------------------- tier 3


def test_fulltext_finds_body_words_and_identifiers(seeded: Memory) -> None:
    assert paths(seeded, "pgbouncer")[0] == "db/postgres/connection-pooling"
    assert paths(seeded, "db_pool_size")[0] == "db/postgres/connection-pooling"
    assert paths(seeded, "pool size")[0] == "db/postgres/connection-pooling"
    assert paths(seeded, "invoice.py")[0] == "billing/invoices/invoice-numbering"
    assert paths(seeded, "nextInvoiceNumber")[0] == "billing/invoices/invoice-numbering"
    hit = seeded.query("transaction mode").hits[0]
    assert hit.tier is Tier.FULLTEXT
    assert {"bm25", "text", "coverage", "lifecycle", "relations"} <= dict(hit.parts).keys()


def test_stemming(seeded: Memory) -> None:
    assert paths(seeded, "signing")[0] == "auth/jwt/sign-access-tokens-with-rs256"


def test_lifecycle_orders_equal_text(memory: Memory) -> None:
    memory.add("Alpha note", "x/y", body="the quokka sleeps", importance=10, maturity="draft")
    memory.add("Beta note", "x/y", body="the quokka sleeps", importance=95, maturity="core")
    res = memory.query("quokka")
    assert [h.path for h in res.hits] == ["x/y/beta-note", "x/y/alpha-note"]
    low, high = (dict(h.parts)["lifecycle"] for h in reversed(res.hits))
    assert high > low


def test_relations_lift_entries_linked_to_strong_hits(memory: Memory) -> None:
    memory.add("Wombat burrows", "zoo/wombat", body="wombat wombat burrow digging")
    memory.add("Linked note", "zoo/notes", body="digging [[zoo/wombat/wombat-burrows]]")
    memory.add("Plain note", "zoo/notes", body="digging")
    hits = {h.path: h for h in memory.query("wombat digging").hits}
    assert dict(hits["zoo/notes/linked-note"].parts)["relations"] > 1.0
    assert dict(hits["zoo/notes/plain-note"].parts)["relations"] == 1.0
    assert hits["zoo/notes/linked-note"].score > hits["zoo/notes/plain-note"].score


def test_superseded_and_archived_hidden_unless_all(memory: Memory) -> None:
    memory.add("Old rule", "team/rules", body="use tabs for the zebra files")
    memory.add("New rule", "team/rules", body="use spaces for the zebra files")
    memory.update("team/rules/old-rule", status="superseded")
    memory.add("Gone rule", "team/rules", body="zebra files are binary")
    memory.remove("team/rules/gone-rule")
    assert paths(memory, "zebra files") == ["team/rules/new-rule"]
    shown = {h.path: h for h in memory.query("zebra files", include_all=True).hits}
    assert set(shown) == {"team/rules/new-rule", "team/rules/old-rule",
                          "_archive/team/rules/gone-rule"}
    assert "superseded" in shown["team/rules/old-rule"].flags
    assert "archived" in shown["_archive/team/rules/gone-rule"].flags


def test_filters(seeded: Memory) -> None:
    assert set(paths(seeded, "tokens", domain="auth")) <= {
        "auth/jwt/sign-access-tokens-with-rs256", "auth/jwt/refresh-token-lifetime"}
    assert paths(seeded, "tokens", domain="db") == []
    assert paths(seeded, "tokens", tag="security") == ["auth/jwt/sign-access-tokens-with-rs256"]
    assert paths(seeded, "tokens", type="bug") == []


def test_limit(seeded: Memory) -> None:
    assert len(seeded.query("auth/*", limit=2).hits) == 2


# ---------------------------------------------------------------- tier 4: the gate


def test_no_hits_escalates(seeded: Memory) -> None:
    res = seeded.query("kangaroo migration")
    assert (res.hits, res.escalate, res.confidence) == ((), True, 0.0)
    assert res.reason == "no hits"


def _hit(score: float, coverage: float) -> Hit:
    return Hit("a/b/c", "id", "t", Tier.FULLTEXT, score, "", parts=(("coverage", coverage),))


@pytest.mark.parametrize(
    ("scores", "coverage", "confident"),
    [
        ((1.0, 0.5), 1.0, True),     # every term matched, clear gap
        ((1.0, 0.98), 1.0, True),    # every term, no gap: level 1 x clarity 0.5 = 0.5
        ((1.0, 0.98), 0.5, False),   # half the terms and no gap
        ((1.0, 0.2), 0.34, False),   # clear gap but a third of the terms
        ((1.0,), 0.5, True),         # a single hit has a full gap
    ],
)
def test_confidence_table(scores: tuple[float, ...], coverage: float, confident: bool) -> None:
    hits = [_hit(s, coverage) for s in scores]
    conf, escalate, reason = ranking.confidence(hits)
    assert escalate is not confident
    assert 0.0 <= conf <= 1.0 and reason


def test_result_carries_the_gate(seeded: Memory) -> None:
    data = seeded.query("pgbouncer transaction").to_dict()
    assert set(data) >= {"query", "hits", "confidence", "escalate", "reason", "took_ms"}
    assert data["escalate"] is False


# ---------------------------------------------------------------- resolve through the index


def test_resolve_uses_index_and_sees_outside_edits(seeded: Memory) -> None:
    write_entry(seeded.root, "notes/misc/hand-made", "Hand made entry", "typed by a person",
                id="abcdefghjk")
    assert seeded.resolve("abcdefghjk") == "notes/misc/hand-made"
    assert seeded.resolve("hand-made") == "notes/misc/hand-made"
    assert seeded.resolve("HAND MADE ENTRY") == "notes/misc/hand-made"
    write_entry(seeded.root, "notes/other/hand-made", "Another", "twin slug")
    with pytest.raises(Ambiguous):
        seeded.resolve("hand-made")


def test_hit_dict_is_complete(seeded: Memory) -> None:
    hit = seeded.query("pgbouncer").hits[0]
    assert set(hit.to_dict()) == {f.name for f in dataclasses.fields(Hit)}


# ---------------------------------------------------------------- ranking parts (pure)


def _cand(path: str, bm25: float, by: str = "person:x") -> ranking.Candidate:
    from memtree.model import Entry, Source

    return ranking.Candidate(Entry(id=path[-4:], title=path, path=path, source=Source(by)), bm25)


def test_folder_strength_lifts_entries_of_a_strong_folder() -> None:
    cands = [_cand("a/b/one", 10.0), _cand("a/b/two", 9.0), _cand("c/d/lone", 9.5),
             _cand("a/b/three", 5.0), _cand("c/d/other", 1.0)]
    parts = {c.entry.path: p for c, p in zip(cands, ranking.text_scores(cands, 2), strict=True)}
    assert parts["a/b/three"]["folder"] == 1.0 and parts["c/d/other"]["folder"] < 1.0
    assert parts["a/b/one"]["relevance"] == 1.0
    assert parts["a/b/two"]["relevance"] > parts["c/d/lone"]["relevance"]  # folder beats 0.5 bm25


def test_actor_prior_only_for_named_authors() -> None:
    cands = [_cand("a/b/one", 10.0, "person:Alice"), _cand("a/b/two", 10.0, "agent:bob")]
    scored = ranking.text_scores(cands, 1, frozenset({"alice"}))
    assert [p["actor"] for p in scored] == [1.0, 0.0]
    assert scored[0]["relevance"] > scored[1]["relevance"]


def test_neighbour_context_finds_the_reply(memory: Memory) -> None:
    memory.add("Question", "chat/day-1", body="Which database did we pick for billing?",
               slug="m1")
    memory.add("Answer", "chat/day-1", body="We went with the relational one.", slug="m2")
    memory.add("Other", "chat/day-2", body="Lunch was good.", slug="m3")
    hits = memory.query("billing database").hits
    assert [h.path for h in hits][:2] == ["chat/day-1/m1", "chat/day-1/m2"]
    assert "neighbours" in hits[1].why


def test_author_named_in_query_is_a_prior(memory: Memory) -> None:
    alice = Memory(memory.root, actor="person:Alice")
    bob = Memory(memory.root, actor="person:Bob")
    bob.add("Bob on caching", "team/notes", body="cache invalidation is hard")
    alice.add("Alice on caching", "team/notes", body="cache invalidation is hard")
    hits = memory.query("what did alice say about cache invalidation").hits
    assert hits[0].path == "team/notes/alice-on-caching"
    assert dict(hits[0].parts)["actor"] == 1.0 and "written by alice" in hits[0].why


def test_words_no_entry_holds_never_crowd_out_common_ones(tmp_path: object) -> None:
    from pathlib import Path

    from memtree.retrieval import tiers as retrieve

    memory = Memory.init(Path(str(tmp_path)) / "big", autocommit=False)
    for n in range(40):
        memory.add(f"Note {n}", "ops/notes", "the deploy pipeline runs nightly")
    saved = retrieve.POSTINGS_BUDGET
    retrieve.POSTINGS_BUDGET = 10  # "deploy" alone costs more than the budget
    try:
        hits = memory.query("zzqx wqyv deploy", limit=5).hits
    finally:
        retrieve.POSTINGS_BUDGET = saved
    assert len(hits) == 5 and all(h.path.startswith("ops/notes/") for h in hits)


def test_usage_signals_of_every_writer_lift_ranking_but_never_beat_relevance(tmp_path: object) -> None:
    import json
    from pathlib import Path

    from memtree.lifecycle import signals

    memory = Memory.init(Path(str(tmp_path)) / "u", autocommit=False)
    plain = memory.add("Cache note one", "ops/cache", "redis eviction policy allkeys")
    used = memory.add("Cache note two", "ops/cache", "redis eviction policy allkeys")
    strong = memory.add("Redis eviction policy", "ops/redis",
                        "redis eviction policy: allkeys-lfu, the redis eviction policy we run")

    def order() -> list[str]:
        return [h.id for h in memory.query("redis eviction policy allkeys", limit=3).hits]

    before = order()
    assert before.index(plain.id) < before.index(used.id)  # equal text: ties go by path
    signals.record(memory.root, used.id, "useful", n=2)  # this machine, not yet shared
    (memory.root / "_signals").mkdir()
    (memory.root / "_signals" / "person-bob.json").write_text(  # a teammate's shared counter
        json.dumps({"counts": {used.id: {"recall": 5, "useful": 3}}}))
    after = order()
    assert after.index(used.id) < after.index(plain.id)
    assert after[0] == strong.id  # usage is bounded: it never outweighs clearly better text


def _lifecycle_parts(hits: list[dict[str, object]]) -> dict[str, float]:
    return {str(h["path"]): dict(h["parts"])["lifecycle"] for h in hits}  # type: ignore[call-overload]


def test_lifecycle_settings_reach_query_ranking(seeded: Memory, run: Run) -> None:
    """`[lifecycle]` in config.toml weighs every hit, in the API and the lean CLI path alike."""
    text = "how are refresh tokens rotated"
    before_api = {h.path: dict(h.parts)["lifecycle"] for h in seeded.query(text).hits}
    before_cli = _lifecycle_parts(json.loads(run("query", text, "--json").stdout)["hits"])
    assert before_api and before_api == pytest.approx(before_cli, rel=1e-3)
    config = seeded.root / "config.toml"
    config.write_text(config.read_text() + "\n[lifecycle]\nboost_draft = 0.3\nboost_validated = 0.3\n"
                      "boost_core = 0.3\nfactor_min = 0.05\nrecency_days = 1\n")
    after_api = {h.path: dict(h.parts)["lifecycle"] for h in Memory.open(seeded.root).query(text).hits}
    after_cli = _lifecycle_parts(json.loads(run("query", text, "--json").stdout)["hits"])
    assert after_api == pytest.approx(after_cli, rel=1e-3)
    shared = before_api.keys() & after_api.keys()
    assert shared and all(after_api[p] < before_api[p] for p in shared)
