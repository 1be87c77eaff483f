"""The entry merge rules as pure functions, table-style, without git or a disk."""

from __future__ import annotations

import json

import pytest

from memtree.entries import codec
from memtree.history.driver import merge_entries, merge_lines, merge_signals

pytestmark = pytest.mark.git

BASE = """---
format: 1
id: k3x9q2m7pa
title: Sign access tokens
summary: RS256.
type: decision
tags: [auth]
aliases: []
relations: []
importance: 50
maturity: draft
status: active
created: 2026-02-03T10:14:00Z
updated: 2026-02-03T10:14:00Z
source: {by: "person:alice"}
---
line one
line two
line three
line four
line five
"""


@pytest.mark.parametrize(("base", "ours", "theirs", "want", "conflict"), [
    ("a b c", "a B c", "a b c", "a B c", False),
    ("a b c", "a b c", "a b C", "a b C", False),
    ("a b c d e", "a B c d e", "a b c d E", "a B c d E", False),
    ("a b c", "a X c", "a X c", "a X c", False),
    ("a b c", "a b c z", "y a b c", "y a b c z", False),
    ("a b c", "a X c", "a Y c", "a <<<<<<< X ======= Y >>>>>>> c", True),
    ("", "x", "y", "<<<<<<< x ======= y >>>>>>>", True),
])
def test_merge_lines(base: str, ours: str, theirs: str, want: str, conflict: bool) -> None:
    lines, clash = merge_lines(base.split(), ours.split(), theirs.split())
    shown = " ".join(line.split(" ")[0] for line in lines)
    assert shown == want and clash is conflict


def test_unions_maxima_and_line_merged_bodies() -> None:
    ours = BASE.replace("tags: [auth]", "tags: [auth, jwt]").replace("importance: 50", "importance: 70") \
        .replace("line two", "line TWO").replace("updated: 2026-02-03T10:14:00Z", "updated: 2026-03-01T00:00:00Z")
    theirs = BASE.replace("tags: [auth]", "tags: [auth, security]").replace("maturity: draft", "maturity: validated") \
        .replace("aliases: []", "aliases: [jwt signing]").replace("line four", "line FOUR") \
        .replace("relations: []", "relations:\n  - {type: depends_on, target: security/keys/rotation}") \
        .replace("status: active", "status: superseded")
    text, conflict = merge_entries(BASE, ours, theirs, "auth/tokens/sign")
    got = codec.parse(text, "auth/tokens/sign")
    assert not conflict
    assert got.tags == ("auth", "jwt", "security") and got.aliases == ("jwt signing",)
    assert [r.target for r in got.relations] == ["security/keys/rotation"]
    assert (got.importance, got.maturity.value, got.status.value) == (70, "validated", "superseded")
    assert got.updated == "2026-03-01T00:00:00Z" and got.created == "2026-02-03T10:14:00Z"
    assert "line TWO" in got.body and "line FOUR" in got.body


@pytest.mark.parametrize(("our_stamp", "their_stamp", "title"), [
    ("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", "Theirs"),
    ("2026-05-01T00:00:00Z", "2026-04-01T00:00:00Z", "Ours"),
])
def test_scalar_changed_on_both_sides_newer_updated_wins(our_stamp: str, their_stamp: str,
                                                          title: str) -> None:
    def side(name: str, stamp: str) -> str:
        return BASE.replace("title: Sign access tokens", f"title: {name}") \
            .replace("updated: 2026-02-03T10:14:00Z", f"updated: {stamp}")

    text, _ = merge_entries(BASE, side("Ours", our_stamp), side("Theirs", their_stamp))
    assert codec.parse(text).title == title


def test_scalar_changed_on_one_side_wins_even_if_older() -> None:
    ours = BASE.replace("summary: RS256.", "summary: Tokens use RS256.")
    theirs = BASE.replace("updated: 2026-02-03T10:14:00Z", "updated: 2026-09-01T00:00:00Z")
    text, _ = merge_entries(BASE, ours, theirs)
    assert codec.parse(text).summary == "Tokens use RS256."


def test_true_body_conflict_leaves_a_valid_marked_entry() -> None:
    ours = BASE.replace("line three", "line three (ours)")
    theirs = BASE.replace("line three", "line three (theirs)")
    text, conflict = merge_entries(BASE, ours, theirs)
    got = codec.parse(text)
    assert conflict
    assert "<<<<<<< ours\nline three (ours)\n=======\nline three (theirs)\n>>>>>>> theirs" in got.body


def test_unparseable_side_falls_back_to_a_line_merge() -> None:
    text, conflict = merge_entries("a\nb\nc\n", "a\nB\nc\n", "a\nb\nc\nd\n")
    assert (text, conflict) == ("a\nB\nc\nd\n", False)


def test_signals_merge_keeps_the_larger_count() -> None:
    ours = json.dumps({"counts": {"e1": {"recall": 3}, "e2": {"recall": 1}}})
    theirs = json.dumps({"counts": {"e1": {"recall": 5, "used": 1}}})
    merged = json.loads(merge_signals("{}", ours, theirs))
    assert merged["counts"] == {"e1": {"recall": 5, "used": 1}, "e2": {"recall": 1}}
