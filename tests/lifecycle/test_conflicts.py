"""Contradiction candidates without an LLM: values, negation, explicit `contradicts` links."""

from __future__ import annotations

import json

import pytest

from conftest import Run
from memtree.lifecycle.conflicts import find, statement, values
from memtree.model import Entry, Relation, Status


def entry(eid: str, title: str, body: str, path: str = "", **kw: object) -> Entry:
    return Entry(id=eid, title=title, path=path or f"ops/t/{eid}", body=body, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Use retries for the HTTP client.", "Do not use retries for the HTTP client."),
        ("Caching is enabled in production.", "Caching is disabled in production."),
        ("Never log tokens in plain text.", "Log tokens in plain text."),
        ("We avoid ORMs in the billing service.", "We use ORMs in the billing service."),
        ("Feature flags are on by default.", "Feature flags are off by default."),
    ],
)
def test_opposite_statements_have_opposite_polarity(a: str, b: str) -> None:
    (wa, na), (wb, nb) = statement(a), statement(b)
    assert wa == wb and na != nb


def test_values_pick_keys_and_numbers() -> None:
    assert values("The HTTP timeout is 30 seconds; python 3.11 is required.") == {
        "timeout": {"30seconds"}, "python": {"3.11"}}


def test_conflicting_numbers_on_one_subject() -> None:
    a = entry("a", "HTTP timeout", "The timeout is 30 seconds.")
    b = entry("b", "HTTP client timeout", "The timeout is 60 seconds.")
    found = find([a, b])
    assert [(c.kind, c.a, c.b) for c in found] == [("values", a.path, b.path)]
    assert "30seconds vs 60seconds" in found[0].reason


def test_conflicting_versions() -> None:
    a = entry("a", "Python version", "We run python 3.11 everywhere.")
    b = entry("b", "Python version policy", "Services run python 3.12.")
    assert [c.kind for c in find([a, b])] == ["values"]


def test_opposite_statements_on_one_subject() -> None:
    a = entry("a", "Retry policy", "Use retries for the HTTP client.")
    b = entry("b", "Retry policy for HTTP", "Do not use retries for the HTTP client.")
    found = find([a, b])
    assert [c.kind for c in found] == ["negation"] and "Do not use retries" in found[0].reason


def test_explicit_contradicts_links_are_listed() -> None:
    a = entry("a", "Tabs", "Indent with tabs.", relations=(Relation("contradicts", "b"),))
    b = entry("b", "Spaces", "Indent with four spaces.")
    assert [(c.kind, c.reason) for c in find([a, b])] == [("contradicts", "linked by contradicts")]


def test_no_false_alarms() -> None:
    unrelated = [
        entry("a", "HTTP timeout", "The timeout is 30 seconds."),
        entry("b", "Database pool", "The pool holds 60 connections.", path="db/pool/b"),
        entry("c", "Logging", "Do not log tokens.", path="obs/log/c"),
        entry("d", "Tracing", "Use tracing for slow requests.", path="obs/trace/d"),
    ]
    assert find(unrelated) == []
    agree = [entry("e", "HTTP timeout", "The timeout is 30 seconds."),
             entry("f", "HTTP timeout rule", "Keep the timeout at 30 seconds.")]
    assert find(agree) == []


def test_superseded_pairs_and_inactive_entries_are_skipped() -> None:
    a = entry("a", "HTTP timeout", "The timeout is 30 seconds.",
              relations=(Relation("supersedes", "b"),))
    b = entry("b", "HTTP timeout old", "The timeout is 60 seconds.")
    c = entry("c", "HTTP timeout older", "The timeout is 90 seconds.", status=Status.SUPERSEDED)
    assert find([a, b, c]) == []


def test_cli_conflicts(run: Run) -> None:
    run("init")
    run("add", "Retry policy", "-p", "ops/net", "-b", "Use retries for the HTTP client.")
    run("add", "Retry policy for HTTP", "-p", "ops/http", "-b", "Do not use retries for the HTTP client.")
    out = run("conflicts", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert len(data) == 1 and data[0]["kind"] == "negation"
    text = run("conflicts")
    assert "ops/http/retry-policy-for-http <> ops/net/retry-policy" in text.stdout


def test_a_word_most_titles_share_pairs_nothing_but_rare_words_still_do() -> None:
    from memtree.lifecycle.conflicts import _candidates

    crowd = [entry(f"e{i}", f"Fix parser case {i}", f"The parser case {i} is fixed.") for i in range(400)]
    pair = [entry("x", "Fix pgbouncer timeout", "The pgbouncer timeout is 30 seconds."),
            entry("y", "Fix pgbouncer pool timeout", "The pgbouncer timeout is 60 seconds.")]
    pairs = {(a.id, b.id) for a, b in _candidates(crowd + pair)}
    assert ("x", "y") in pairs
    assert len(pairs) < 400 * 25  # "fix", "parser", "case" (in 400 titles) pair no one; all pairs: 80,000
    assert [(c.a, c.b, c.kind) for c in find(crowd + pair)] == [("ops/t/x", "ops/t/y", "values")]
