"""The frontmatter codec: parsing, typed field errors with lines, and stable rewrites."""

from __future__ import annotations

import pytest

from memtree.entries import codec
from memtree.errors import InvalidEntry
from memtree.model import Maturity, Relation, Status

FULL = """---
format: 1
id: k3x9q2m7pa
title: Sign access tokens with RS256
summary: "Access tokens: JWTs signed with RS256."
type: decision
tags: [auth, jwt]
aliases: [jwt signing]
relations:
  - {type: depends_on, target: security/keys/key-rotation}
importance: 70
maturity: validated
status: active
created: 2026-02-03T10:14:00Z
updated: 2026-05-20T08:02:11Z
source: {by: "person:alice", commit: 3f2a9c1, files: [src/auth/jwt.py]}
owner: team-auth
review:
  due: 2026-12-01
  by: [alice, bob]
---
We sign access tokens with RS256. See [[security/keys/key-rotation]].
"""


def test_parse_full_entry() -> None:
    item = codec.parse(FULL, "auth/tokens/jwt")
    assert item.id == "k3x9q2m7pa"
    assert item.summary == "Access tokens: JWTs signed with RS256."
    assert item.tags == ("auth", "jwt")
    assert item.relations == (Relation("depends_on", "security/keys/key-rotation"),)
    assert item.maturity is Maturity.VALIDATED and item.status is Status.ACTIVE
    assert item.created == "2026-02-03T10:14:00Z"
    assert item.source.files == ("src/auth/jwt.py",)
    assert item.domain == "auth" and item.topic == "tokens" and item.slug == "jwt"
    assert codec.wikilinks(item.body) == ["security/keys/key-rotation"]


def test_round_trip_is_byte_stable_and_keeps_unknown_keys() -> None:
    first = codec.render(codec.parse(FULL, "a/b/c"))
    second = codec.render(codec.parse(first, "a/b/c"))
    assert first == second
    assert "owner: team-auth" in first
    assert "review:\n  due: 2026-12-01\n  by:\n  - alice\n  - bob" in first
    reparsed = codec.parse(first, "a/b/c")
    assert reparsed.extra_dict()["owner"] == "team-auth"
    assert first.index("source:") < first.index("owner:") < first.index("review:")


def test_field_order_is_fixed() -> None:
    text = codec.render(codec.parse(FULL, "a/b/c"))
    keys = [line.split(":")[0] for line in text.splitlines()[1:16]]
    assert keys == ["format", "id", "title", "summary", "type", "tags", "aliases", "relations",
                    "  - {type", "importance", "maturity", "status", "created", "updated", "source"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("   \n\n", "empty file"),
        ("no frontmatter here", ":1: no frontmatter"),
        ("---\ntitle: x\n", ":1: frontmatter is not closed"),
        ("---\ntitle: [unclosed\n---\n", ":3: invalid YAML frontmatter"),
        ("---\ntitle: a\ntags: [x\n  y: z\n---\n", "invalid YAML frontmatter"),
        ("---\n- a\n- b\n---\n", ":2: frontmatter must be a mapping"),
        ("---\nsummary: no title\n---\n", "field 'title' is required"),
        ("---\ntitle: t\nimportance: high\n---\n", "field 'importance' must be a number"),
        ("---\ntitle: t\nimportance: 101\n---\n", "between 0 and 100"),
        ("---\ntitle: t\nmaturity: gold\n---\n", "field 'maturity'"),
        ("---\ntitle: t\nstatus: gone\n---\n", "field 'status'"),
        ("---\ntitle: t\ntags: {a: 1}\n---\n", "field 'tags' must be a list"),
        ("---\ntitle: t\nrelations: [{type: x}]\n---\n", "needs type and target"),
        ("---\ntitle: t\ncreated: yesterday\n---\n", "field 'created' must be a date-time"),
        ("---\ntitle: t\npinned: maybe\n---\n", "field 'pinned' must be true or false"),
        ("---\ntitle: a\x00b\n---\n", "binary file"),
    ],
)
def test_malformed_input_names_file_and_problem(text: str, message: str) -> None:
    with pytest.raises(InvalidEntry) as caught:
        codec.parse(text, "dom/top/slug")
    assert "dom/top/slug.md" in str(caught.value)
    assert message in str(caught.value)


def test_lenient_defaults() -> None:
    item = codec.parse("---\ntitle: Only a title\n---\n", "a/b/c")
    assert item.type == "fact" and item.importance == 50 and item.maturity is Maturity.DRAFT
    assert item.id == "" and item.tags == ()


def test_quoting_of_awkward_strings_round_trips() -> None:
    item = codec.parse("---\ntitle: t\n---\n", "a/b/c")
    import dataclasses

    odd = dataclasses.replace(
        item, id="abcdefghjk", title="yes", summary="a: b # c", tags=("@x", "123", "[y]"),
        aliases=("true", "null"),
    )
    back = codec.parse(codec.render(odd), "a/b/c")
    assert back.title == "yes" and back.summary == "a: b # c"
    assert back.tags == ("@x", "123", "[y]") and back.aliases == ("true", "null")


def test_new_ids_are_well_formed_and_distinct() -> None:
    ids = {codec.new_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(codec.ID_RE.match(i) for i in ids)


def test_flow_indicators_in_lists_and_maps_are_quoted() -> None:
    import dataclasses

    from memtree.model import Source

    item = codec.parse("---\ntitle: t\n---\n", "a/b/c")
    odd = dataclasses.replace(
        item, id="abcdefghjk", tags=("a, b", "x [y]", "{z}", "k: v", "#h"),
        relations=(Relation("relates_to", "a/b/x,y"),),
        source=Source(by="person:maya", files=("src/a,b.py",)),
    )
    text = codec.render(odd)
    back = codec.parse(text, "a/b/c")
    assert back.tags == ("a, b", "x [y]", "{z}", "k: v", "#h")
    assert back.relations == (Relation("relates_to", "a/b/x,y"),)
    assert back.source.files == ("src/a,b.py",) and back.source.by == "person:maya"
    assert 'source: {by: "person:maya"' in text


def test_example_tree_is_byte_stable_under_the_codec() -> None:
    from pathlib import Path

    from memtree.entries import layout as tree

    root = Path(__file__).resolve().parents[2] / ".memory-example"
    files = list(tree.walk(root))
    assert len(files) >= 40
    for file in files:
        text = file.read_text()
        assert codec.render(codec.parse(text, tree.rel_of(root, file))) == text, file
