"""A file that cannot be read as an entry is named, with its line, by every listing and query,
and never stops the other entries from being listed, found or injected into agents."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from agents_support import build_tree, payload
from conftest import Run

BAD_FILES = {
    "auth/tokens/typo.md": ("---\ntitle: Typo\ntags: [a, b\n---\nbody\n", 4),  # where YAML sees it
    "auth/tokens/drafty.md": ("---\ntitle: Drafty\nmaturity: drafty\n---\nbody\n", 3),
    "auth/tokens/string-relations.md": (
        "---\ntitle: Strings\nrelations: [auth/tokens/a, auth/tokens/b]\n---\nbody\n", 3),
    "auth/tokens/impossible-day.md": ("---\ntitle: Day\nsummary: s\ncreated: 2026-02-30\n---\nb\n", 4),
    "auth/tokens/deep.md": ("---\ntitle: Deep\nx: " + "[" * 500 + "]" * 500 + "\n---\nb\n", 3),
}


def _seed_bad(project: Path) -> Path:
    root = project / ".memory"
    for rel, (text, _) in BAD_FILES.items():
        (root / rel).write_text(text, encoding="utf-8")
    (root / "auth/note.md").write_text("---\ntitle: Misplaced\n---\nx\n", encoding="utf-8")
    os.makedirs(root / "auth/tokens", exist_ok=True)
    os.mkfifo(root / "auth/tokens/pipe.md")  # read as an entry it would block every command
    with open(os.path.join(os.fsencode(root / "auth/tokens"), b"caf\xe9.md"), "wb") as handle:
        handle.write(b"---\ntitle: Latin-1 name\n---\nx\n")
    return root


EXPECTED = [f"{rel}:{line}:" for rel, (_, line) in BAD_FILES.items()] + [
    "auth/note.md: not an entry", "auth/tokens/caf\\xe9.md: file name is not UTF-8"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    build_tree(tmp_path / "project")
    _seed_bad(tmp_path / "project")
    return tmp_path / "project"


@pytest.mark.parametrize("args", [("list",), ("list", "--json"), ("tree",), ("tree", "--json"),
                                  ("stats",), ("stats", "--json"), ("query", "tokens"),
                                  ("query", "tokens", "--json")])
def test_every_listing_names_every_unreadable_file(run: Run, project: Path,
                                                   args: tuple[str, ...]) -> None:
    out = run(*args)
    assert out.returncode == 0, out.stderr
    for where in EXPECTED:
        assert where in out.stderr, (where, out.stderr)
    assert "RS256" in out.stdout or "rs256" in out.stdout  # the good entries are all there
    if "--json" in args:
        problems = json.loads(out.stdout)["problems"]
        listed = {p["path"] for p in problems}
        assert {rel for rel in BAD_FILES} <= listed and "auth/note.md" in listed
        assert all(set(p) >= {"path", "line", "message"} for p in problems)
        for where in EXPECTED:  # path:line: message, as on stderr
            assert any(f"{p['path']}:{p['line']}: {p['message']}".startswith(where)
                       or f"{p['path']}: {p['message']}".startswith(where) for p in problems), where


def test_show_names_the_broken_file_and_line(run: Run, project: Path) -> None:
    out = run("show", "drafty")
    assert out.returncode == 5
    assert "auth/tokens/drafty.md:3: field 'maturity'" in out.stderr
    assert run("show", "sign-access-tokens-with-rs256").returncode == 0


def test_validate_reports_every_problem_of_a_file_with_its_line(run: Run, project: Path) -> None:
    root = project / ".memory"
    (root / "auth/tokens/two.md").write_text(
        "---\ntitle: Two\nmaturity: drafty\nimportance: 500\nmatruity: core\n---\nb\n")
    (root / "auth/tokens/a/b/c").mkdir(parents=True)
    (root / "auth/tokens/a/b/c/too-deep.md").write_text("---\ntitle: Deep\n---\nb\n")
    out = run("validate")
    assert out.returncode == 10
    lines = out.stdout.splitlines()
    for where in EXPECTED + ["auth/tokens/two.md:3: field 'maturity'",
                             "auth/tokens/two.md:4: field 'importance'",
                             "auth/tokens/two.md:5: unknown field 'matruity' (did you mean "
                             "'maturity'?)",
                             "auth/tokens/a/b/c/too-deep.md: not an entry"]:
        assert any(where in line for line in lines), (where, out.stdout)


def test_hooks_still_inject_from_the_good_entries(run: Run, project: Path) -> None:
    out = run("hook", "claude-code", "SessionStart", input=payload("claude-code", "SessionStart",
                                                                    project))
    assert out.returncode == 0 and "Never commit secrets" in out.stdout
    prompt = run("hook", "claude-code", "UserPromptSubmit",
                 input=payload("claude-code", "UserPromptSubmit", project))
    assert prompt.returncode == 0
    assert not (project / ".memory/.local/hook-errors.log").exists()


def test_yaml_alias_bomb_is_refused_without_growing(run: Run, project: Path) -> None:
    lines = ["---", "title: Bomb", 'a: &a ["x","x","x","x","x","x","x","x","x"]']
    for n in range(1, 9):
        prev, this = chr(ord("a") + n - 1), chr(ord("a") + n)
        lines.append(f"{this}: &{this} [" + ",".join([f"*{prev}"] * 9) + "]")
    (project / ".memory/auth/tokens/bomb.md").write_text("\n".join(lines + ["---", "b", ""]))
    out = run("list", "--json")
    assert out.returncode == 0
    assert "auth/tokens/bomb.md:3: YAML anchors and aliases are not allowed" in out.stderr


def test_linear_parsing_and_relation_limit(tmp_path: Path) -> None:
    import time

    from memtree.entries import codec
    from memtree.errors import InvalidEntry

    many = "".join(f"  - {{type: relates_to, target: a/b/e{i}}}\n" for i in range(10_000))
    text = f"---\ntitle: Many\nrelations:\n{many}tags: [{', '.join(f't{i}' for i in range(20_000))}]\n---\n"
    started = time.perf_counter()
    with pytest.raises(InvalidEntry, match=r"field 'relations' has 10000 items; at most 500"):
        codec.parse(text, "a/b/many")
    assert time.perf_counter() - started < 5
    tags = codec.parse(f"---\ntitle: T\ntags: [{', '.join(f't{i}' for i in range(50_000))}]\n---\n")
    assert len(tags.tags) == 50_000


def test_entry_size_is_bounded(run: Run, project: Path) -> None:
    big = "---\ntitle: Big\n---\n" + "word " * 250_000
    (project / ".memory/auth/tokens/big.md").write_text(big)
    out = run("list")
    assert out.returncode == 0 and "auth/tokens/big.md: 1250019 characters" in out.stderr
