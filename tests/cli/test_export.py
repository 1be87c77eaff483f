"""`memtree export` in each format and the library import of each (`export.bundle.load`): a
tree goes out and comes back into an empty root byte for byte; an Obsidian vault shows the
relations as links, and notes made there without frontmatter are reported with the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Run
from memtree import Memory
from memtree.export.bundle import load, tree_files


@pytest.fixture
def tree(run: Run, tmp_path: Path) -> Path:
    run("init")
    run("add", "Sign tokens", "-p", "auth/tokens", "-s", "RS256", "--tag", "jwt",
        "-b", "Keys: see [[rotate-keys]].\n\n---\n\nA rule, then more text.")
    run("add", "Rotate keys", "-p", "auth/keys", "--type", "how-to")
    run("add", "Проверка токенов", "-p", "auth/tokens", "--link", "depends_on=auth/keys/rotate-keys")
    run("add", "Old pool", "-p", "ops/db/pools", "--importance", "7")
    run("rm", "old-pool")
    run("summaries")
    return tmp_path / "project" / ".memory"


@pytest.mark.parametrize("fmt", ["okf", "json", "obsidian"])
def test_round_trip_byte_for_byte(run: Run, tree: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out-{fmt}"
    done = run("export", "--format", fmt, str(out), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["written"]
    original = tree_files(tree)
    assert any(p.endswith("_index.md") for p in original) and any(p.startswith("_archive/") for p in original)
    fresh = Memory.init(tmp_path / f"fresh-{fmt}")
    outcome = load(fresh.ws, out, fmt)
    assert outcome.reported == []
    assert tree_files(fresh.root) == original
    for rel in original:
        assert (fresh.root / rel).read_bytes() == (tree / rel).read_bytes()
    again = load(fresh.ws, out, fmt)  # the same bundle twice changes nothing
    assert again.written == []


def test_okf_fields(run: Run, tree: Path, tmp_path: Path) -> None:
    run("export", "--format", "okf", str(tmp_path / "okf"))
    text = (tmp_path / "okf" / "auth" / "tokens" / "sign-tokens.md").read_text()
    head = text.split("---\n")[1]
    assert 'type: "fact"\ntitle: "Sign tokens"\ndescription: "RS256"\ntags: ["jwt"]\n' in head
    assert (tmp_path / "okf" / "index.md").read_text().count("- [") == 4
    assert (tmp_path / "okf" / "log.md").exists()


def test_obsidian_vault(run: Run, tree: Path, tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    run("export", "--format", "obsidian", str(vault))
    note = (vault / "auth" / "tokens" / "proverka-tokenov.md").read_text()
    assert "- depends_on: [[auth/keys/rotate-keys]]" in note
    (vault / ".obsidian").mkdir()
    (vault / ".obsidian" / "workspace.md").write_text("not a note")
    (vault / "auth" / "tokens" / "Made in Obsidian.md").write_text("Just text, no frontmatter.\n")
    fresh = Memory.init(tmp_path / "fresh")
    outcome = load(fresh.ws, vault, "obsidian")
    assert [r["path"] for r in outcome.reported] == ["auth/tokens/Made in Obsidian.md"]
    assert outcome.reported[0]["fix"].startswith('memtree add "Made in Obsidian" --path auth/tokens')
    assert not (fresh.root / ".obsidian").exists()


def test_slug_wikilinks_are_valid_and_obsidian_is_not_committed(run: Run, tree: Path) -> None:
    assert run("validate").returncode == 0  # [[rotate-keys]] names an entry by its slug
    assert ".obsidian/" in (tree / ".gitignore").read_text()


def test_import_refuses_to_replace_differing_files(tree: Path, tmp_path: Path, run: Run) -> None:
    run("export", "--format", "json", str(tmp_path / "j"))
    memory = Memory.open(tree)
    (tree / "auth" / "keys" / "rotate-keys.md").write_text("---\ntitle: changed\n---\n")
    from memtree.errors import AlreadyExists

    with pytest.raises(AlreadyExists, match="auth/keys/rotate-keys.md"):
        load(memory.ws, tmp_path / "j", "json")


def test_import_bundle_command_loads_an_export_into_an_empty_root(run: Run, tmp_path: Path) -> None:
    """`memtree import bundle` is the command over `bundle.load`: byte for byte, then idempotent."""
    source = tmp_path / "source"
    made = Memory.init(source)
    made.add("Sign tokens with RS256", "auth/tokens", "Keys live in the vault.", tags=["jwt"])
    out = tmp_path / "out"
    assert run("--root", str(made.root), "export", "--format", "json", str(out)).returncode == 0
    empty = Memory.init(tmp_path / "empty", autocommit=False)
    first = run("--root", str(empty.root), "import", "bundle", str(out), "--format", "json", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["written"]
    entry = "auth/tokens/sign-tokens-with-rs256.md"
    assert (empty.root / entry).read_bytes() == (made.root / entry).read_bytes()
    again = run("--root", str(empty.root), "import", "bundle", str(out), "--format", "json", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["written"] == []


@pytest.mark.parametrize("where", ["a-file", "memory-inside"])
def test_export_to_a_file_or_into_the_memory_is_refused(run: Run, tree: Path, tmp_path: Path,
                                                       where: str) -> None:
    """OUT is a folder outside the memory: a file there (or /dev/stdout) is a one-line usage
    error, exit 2, and a folder inside the root would plant copies of every entry in it."""
    out = tmp_path / "taken.txt" if where == "a-file" else tree / "auth" / "bundle"
    if where == "a-file":
        out.write_text("keep me\n")
    before = tree_files(tree)
    done = run("export", str(out), "--format", "json")
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"memtree: error: {out}") and len(done.stderr.splitlines()) == 1
    assert tree_files(tree) == before
    assert out.read_text() == "keep me\n" if where == "a-file" else not out.exists()
