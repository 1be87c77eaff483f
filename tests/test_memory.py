"""The public API over real trees in temporary folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from memtree import Memory
from memtree.entries.templates import available
from memtree.errors import AlreadyExists, Ambiguous, InvalidEntry, NoRoot, NotFound, UnsafePath
from memtree.model import Maturity, Status


def test_init_creates_root_config_and_gitignore(tmp_path: Path) -> None:
    made = Memory.init(tmp_path / "proj")
    assert made.root == (tmp_path / "proj" / ".memory").resolve()
    assert (made.root / "config.toml").read_text().startswith("# memtree configuration")
    assert ".index/" in (made.root / ".gitignore").read_text()
    again = Memory.init(tmp_path / "proj")  # idempotent
    assert again.root == made.root


def test_root_discovery_walks_up(memory: Memory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deep = tmp_path / "project" / "src" / "pkg"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert Memory.open().root == memory.root
    assert Memory.open(tmp_path / "project").root == memory.root  # project folder accepted
    monkeypatch.setenv("MEMTREE_ROOT", str(memory.root))
    monkeypatch.chdir(tmp_path)
    assert Memory.open().root == memory.root


def test_no_root_has_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NoRoot) as caught:
        Memory.open()
    assert caught.value.hint and "memtree init" in caught.value.hint
    with pytest.raises(NoRoot, match="--root"):
        Memory.open(tmp_path / "nowhere")


def test_add_get_by_path_id_slug_title(memory: Memory) -> None:
    made = memory.add("Use Alembic for migrations", "db/migrations", "Run `alembic upgrade head`.",
                      type="convention", tags=["db", "db"], aliases=["schema changes"])
    path = "db/migrations/use-alembic-for-migrations"
    assert made.path == path and made.tags == ("db",)
    for ref in (path, path + ".md", made.id, "use-alembic-for-migrations", "use alembic FOR migrations"):
        assert memory.get(ref).id == made.id
    text = (memory.root / (path + ".md")).read_text()
    assert "source: {by: \"person:tester\"}" in text or "source: {by: person:tester}" in text


def test_add_refuses_overwrite_unless_forced(memory: Memory) -> None:
    first = memory.add("Same", "a/b", "one")
    with pytest.raises(AlreadyExists, match="a/b/same.md already exists"):
        memory.add("Same", "a/b", "two")
    assert memory.get("a/b/same").body.strip() == "one"
    replaced = memory.add("Same", "a/b", "two", force=True)
    assert replaced.id == first.id and memory.get(first.id).body.strip() == "two"


@pytest.mark.parametrize("where", ["../x", "/etc/x", "a/../../b", "a", "a/b/c/d", "_archive/x"])
def test_bad_locations_are_refused(memory: Memory, where: str) -> None:
    with pytest.raises((UnsafePath, InvalidEntry)):
        memory.add("T", where)
    assert list(memory.root.rglob("*.md")) == []


def test_symlink_escaping_root_is_refused(memory: Memory, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (memory.root / "evil").symlink_to(outside)
    with pytest.raises(UnsafePath, match="outside the memory root"):
        memory.add("T", "evil/topic")
    assert list(outside.rglob("*")) == []


def test_names_are_normalised(memory: Memory) -> None:
    made = memory.add("Größe Über Alles!", "Auth Stuff/JWT Tokens")
    assert made.path == "auth-stuff/jwt-tokens/grosse-uber-alles"


def test_ambiguous_title(memory: Memory) -> None:
    memory.add("Twin", "a/b")
    memory.add("Twin", "a/c")
    with pytest.raises(Ambiguous, match="matches 2 entries"):
        memory.get("twin")


def test_update_move_link_unlink_remove(memory: Memory) -> None:
    a = memory.add("Alpha", "x/one", "See [[x/one/beta]].")
    b = memory.add("Beta", "x/one", "b")
    memory.link(a.id, "depends_on", b.path)
    memory.update(b.id, importance=80, tags=["t"])
    assert memory.get(b.id).importance == 80
    moved = memory.move("beta", "y/two")
    assert moved.id == b.id and moved.path == "y/two/beta"
    alpha = memory.get(a.id)
    assert alpha.relations[0].target == "y/two/beta"
    assert "[[y/two/beta]]" in alpha.body
    assert not (memory.root / "x" / "one" / "beta.md").exists()
    memory.unlink(a.id, "y/two/beta")
    assert memory.get(a.id).relations == ()
    with pytest.raises(NotFound):
        memory.unlink(a.id, "y/two/beta")
    gone = memory.remove(b.id)
    assert gone.status is Status.ARCHIVED and gone.path == "_archive/y/two/beta"
    assert memory.get(b.id).status is Status.ARCHIVED
    assert [e.id for e in memory.entries()] == [a.id]
    assert [e.id for e in memory.entries(status="archived")] == [b.id]
    memory.remove(b.id, hard=True)
    with pytest.raises(NotFound):
        memory.get(b.id)


def test_link_validates_both_ends(memory: Memory) -> None:
    a = memory.add("Alpha", "x/one")
    with pytest.raises(NotFound):
        memory.link(a.id, "relates_to", "x/one/missing")
    with pytest.raises(NotFound):
        memory.link("x/one/missing", "relates_to", a.id)
    with pytest.raises(InvalidEntry, match="itself"):
        memory.link(a.id, "relates_to", a.path)


def test_replace_text_validates_and_keeps_id(memory: Memory) -> None:
    a = memory.add("Alpha", "x/one", "old")
    file = memory.root / "x/one/alpha.md"
    before = file.read_bytes()
    with pytest.raises(InvalidEntry):
        memory.replace_text(a.id, "---\ntitle: [broken\n---\n")
    with pytest.raises(InvalidEntry, match="'id' must not change"):
        memory.replace_text(a.id, before.decode().replace(a.id, "zzzzzzzzzz"))
    assert file.read_bytes() == before
    memory.replace_text(a.id, before.decode().replace("old", "new"))
    assert memory.get(a.id).body.strip() == "new"


def test_lenient_listing_reports_bad_files(memory: Memory) -> None:
    memory.add("Good", "d/t", "fine")
    (memory.root / "d/t/broken.md").write_text("---\ntitle: [x\n---\n")
    (memory.root / "d/t/binary.md").write_bytes(b"\x00\x01\x02")
    (memory.root / "d/t/empty.md").write_text("")
    (memory.root / "d/t/latin.md").write_bytes("---\ntitle: caf\xe9\n---\n".encode("latin-1"))
    entries, problems = memory.load()
    assert [e.title for e in entries] == ["Good"]
    found = {p.path: p for p in problems}
    assert set(found) == {"d/t/broken.md", "d/t/binary.md", "d/t/empty.md", "d/t/latin.md"}
    assert found["d/t/broken.md"].line == 3
    assert [p.path for p in memory.validate() if p.severity == "error"] == sorted(found)


def test_validate_finds_dangling_relations_duplicates_and_markers(memory: Memory) -> None:
    a = memory.add("Alpha", "x/one", "See [[x/one/nothing]].\n<<<<<<< ours\na\n=======\nb\n>>>>>>> theirs")
    text = (memory.root / "x/one/alpha.md").read_text()
    (memory.root / "x/one/copy.md").write_text(text.replace("Alpha", "Copy"))
    (memory.root / "x/one/noid.md").write_text("---\ntitle: No id\nrelations: [{type: relates_to, target: q/r/s}]\n---\n")
    messages = [str(p) for p in memory.validate()]
    assert any("wikilink [[x/one/nothing]]" in m for m in messages)
    assert any(f"id '{a.id}' is also used" in m for m in messages)
    assert any("merge conflict markers" in m for m in messages)
    assert any("field 'id' is missing" in m for m in messages)
    assert any("relation relates_to -> 'q/r/s'" in m for m in messages)


def test_tree_counts(memory: Memory) -> None:
    memory.add("A", "d1/t1")
    memory.add("B", "d1/t1/s1")
    memory.add("C", "d2/t1")
    shape = memory.tree()
    assert shape["count"] == 3
    d1 = shape["children"][0]
    assert (d1["name"], d1["count"]) == ("d1", 2)
    assert d1["children"][0]["children"][0]["name"] == "s1"


def test_templates_fill_defaults(memory: Memory) -> None:
    names = [t.name for t in available(memory.root)]
    assert {"decision", "convention", "how-to", "bug", "fact"} <= set(names)
    made = memory.add("Adopt Postgres", "db/choices", template="decision")
    assert made.type == "decision"
    assert "Adopt Postgres" in made.body or "##" in made.body
    with pytest.raises(NotFound, match="no such template"):
        memory.add("X", "db/choices", template="nope")


def test_updates_and_edits_count_as_usage_signals(memory: Memory) -> None:
    from memtree.lifecycle import signals

    made = memory.add("Alpha", "x/one", "old")
    memory.update(made.id, summary="Now with a summary.")
    text = (memory.root / "x/one/alpha.md").read_text()
    memory.replace_text(made.id, text.replace("old", "new"))
    assert signals.pending(memory.root)[(made.id, "update")] == 2
    assert memory.get(made.id).extra == ()  # counters never land in the entry file


def test_add_pinned_and_pin_agree(memory: Memory) -> None:
    """`add --pin` makes the same entry `pin` does: pinned and core."""
    added = memory.add("Never commit secrets", "security/rules", "Vault only.", pinned=True)
    other = memory.lifecycle.pin(memory.add("Rotate keys", "security/rules", "Yearly.").path)
    assert (added.pinned, added.maturity) == (other.pinned, other.maturity) == (True, Maturity.CORE)
