"""A writer SIGKILLed after its files are written but before git commits them loses nothing:
the change is already queued with its provenance, and the next commit (the next write or
`memtree commit`) records it. The same holds for a multi-file operation killed half-way, whose
journal the next command replays. Real processes, real SIGKILL, real git."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import MEMTREE
from history_support import git, ok, project

pytestmark = pytest.mark.git


def _killed(cwd: Path, *args: str, step: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MEMTREE_STOP_AFTER_STEP": step, "MEMTREE_AUTHOR": "agent:killed"}
    return subprocess.run([str(MEMTREE), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def test_killed_before_the_commit_the_next_write_commits_it_with_its_provenance(tmp_path: Path) -> None:
    proj = project(tmp_path / "p")
    ok(proj, "init")
    done = _killed(proj, "add", "Killed", "--path", "a/b", "--body", "x", "--reason", "why not",
                   step="commit")
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert (proj / ".memory/a/b/killed.md").exists()
    assert git(proj, "status", "--porcelain", "--untracked-files=all") == "?? .memory/a/b/killed.md\n"
    queue = (proj / ".memory/.local/pending-commits.jsonl").read_text()
    assert json.loads(queue)["actor"] == "agent:killed"
    ok(proj, "list")  # a read never commits; the change stays queued
    assert (proj / ".memory/.local/pending-commits.jsonl").exists()
    ok(proj, "add", "Next", "--path", "a/b")
    assert git(proj, "status", "--porcelain", "--untracked-files=all") == ""
    body = git(proj, "log", "-1", "--format=%B")
    assert "add a/b/killed: Killed (why not)" in body and "add a/b/next" in body
    assert not (proj / ".memory/.local/pending-commits.jsonl").exists()


def test_memtree_commit_records_a_killed_writers_change_as_its_own(tmp_path: Path) -> None:
    proj = project(tmp_path / "p")
    ok(proj, "init")
    ok(proj, "add", "Fact", "--path", "a/b", "--body", "one")
    assert _killed(proj, "edit", "a/b/fact", "--body", "two", step="commit").returncode < 0
    assert json.loads(ok(proj, "commit", "--json"))["commit"]
    body = git(proj, "log", "-1", "--format=%B")
    assert body.startswith("update a/b/fact: body") and "Memtree-Actor: agent:killed" in body
    assert git(proj, "status", "--porcelain") == ""


@pytest.mark.parametrize("step", ["0", "2", "3"])
def test_a_move_killed_half_way_is_finished_and_then_committed(tmp_path: Path, step: str) -> None:
    proj = project(tmp_path / "p")
    ok(proj, "init")
    ok(proj, "add", "Target", "--path", "a/b")
    ok(proj, "add", "Linker", "--path", "a/c", "--body", "see [[a/b/target]]")
    assert _killed(proj, "mv", "a/b/target", "d/e", step=step).returncode == -signal.SIGKILL
    ok(proj, "validate")  # replays the journal, queues the finished move
    assert json.loads(ok(proj, "commit", "--json"))["commit"]
    assert git(proj, "status", "--porcelain", "--untracked-files=all") == ""
    body = git(proj, "log", "-1", "--format=%B")
    assert "move a/b/target -> d/e/target (finished after its writer was stopped)" in body
    assert "Memtree-Actor: agent:killed" in body and "Memtree-Tool: recovery" in body
    assert "[[d/e/target]]" in git(proj, "show", "HEAD:.memory/a/c/linker.md")
