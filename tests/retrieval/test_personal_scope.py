"""The personal scope: a memory in the user's home queried together with the project's, hits
labelled by scope, the project winning on the same rule, never committed to the project; seen
by `memtree query` (lean path), `context` packs, hooks and MCP through `Memory`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import Run
from memtree import Memory, config


@pytest.fixture
def both(tmp_path: Path, run: Run) -> tuple[Memory, Path]:
    """A project memory in a git repository and a personal memory under $HOME."""
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=project, check=True)
    memory = Memory.init(project)
    memory.add("Use pytest fixtures", "testing/style", "Tests share setup through pytest fixtures.")
    memory.add("Commit messages", "team/git", "Imperative subject, issue reference in the body.")
    done = run("add", "Commit messages", "--personal", "--path", "habits/git",
               "--body", "I write commit messages in lowercase.")
    assert done.returncode == 0, done.stderr
    done = run("add", "Rebase before review", "--personal", "--path", "habits/git",
               "--body", "I rebase feature branches before asking for review.")
    assert done.returncode == 0, done.stderr
    personal = config.personal_root()
    assert personal is not None and config.is_root(personal)
    return memory, personal


def test_hits_are_labelled_and_the_project_wins(both: tuple[Memory, Path], run: Run) -> None:
    memory, personal = both
    assert personal == Path.home().resolve() / ".memtree"
    found = json.loads(run("query", "commit messages rebase review", "--json").stdout)
    scopes = {h["title"]: h["scope"] for h in found["hits"]}
    assert scopes["Rebase before review"] == "personal"
    assert scopes["Commit messages"] == "project"  # the personal rule of the same name is dropped
    assert [h["title"] for h in found["hits"]].count("Commit messages") == 1
    result = memory.query("rebase feature branches")
    assert result.hits[0].scope == "personal" and result.hits[0].title == "Rebase before review"


def test_context_packs_read_personal_entries(both: tuple[Memory, Path]) -> None:
    memory, _ = both
    pack = memory.context("rebase feature branches before review")
    item = next(i for i in pack.items if i.scope == "personal")
    assert "I rebase feature branches" in item.text and ", personal)" in item.text


def test_personal_entries_never_touch_the_project(both: tuple[Memory, Path]) -> None:
    memory, personal = both
    project = memory.root.parent
    tracked = subprocess.run(["git", "log", "--all", "--name-only", "--format="], cwd=project,
                             capture_output=True, text=True, check=True).stdout
    assert "rebase-before-review" not in tracked
    assert not list(memory.root.rglob("rebase-before-review.md"))
    assert (personal / "habits" / "git" / "rebase-before-review.md").is_file()
    assert (personal / ".git").is_dir()  # its own history


def test_env_var_moves_or_turns_off_the_personal_memory(both: tuple[Memory, Path], run: Run,
                                                        tmp_path: Path) -> None:
    off = json.loads(run("query", "rebase", "--json", env={"MEMTREE_PERSONAL": "off"}).stdout)
    assert all(h["scope"] == "project" for h in off["hits"])
    elsewhere = tmp_path / "mine"
    done = run("add", "Dark editor theme", "--personal", "--path", "habits/editor",
               env={"MEMTREE_PERSONAL": str(elsewhere)})
    assert done.returncode == 0 and (elsewhere / "habits/editor/dark-editor-theme.md").is_file()
    assert run("add", "X", "--personal", "--path", "a/b",
               env={"MEMTREE_PERSONAL": "off"}).returncode == 2


def test_xdg_data_home_is_used_when_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert config.personal_root() == (tmp_path / "data" / "memtree").resolve()
    assert config.personal_beside(tmp_path) is None  # not created yet


def test_the_prompt_hook_injects_personal_entries_too(tmp_path: Path, run: Run) -> None:
    from agents_support import build_tree, payload

    project = tmp_path / "project"
    build_tree(project)
    done = run("add", "How I debug JWT refresh failures", "--personal", "--path", "habits/debugging",
               "--body", "When a JWT access token refresh fails I first compare the signing keys.")
    assert done.returncode == 0, done.stderr
    out = run("hook", "claude-code", "UserPromptSubmit",
              input=payload("claude-code", "UserPromptSubmit", project), cwd=project)
    text = json.loads(out.stdout)["hookSpecificOutput"]["additionalContext"]
    assert "habits/debugging/how-i-debug-jwt-refresh-failures.md, personal)" in text
    assert "auth/tokens/sign-access-tokens-with-rs256.md" in text
    usage = (project / ".memory" / ".local" / "usage.jsonl").read_text()
    injected = json.loads(run("injections", "--json", cwd=project).stdout)[0]["entries"]
    mine = [e for e in injected if e.get("scope") == "personal"]
    assert mine and mine[0]["id"] not in usage  # its usage is not counted in the project
