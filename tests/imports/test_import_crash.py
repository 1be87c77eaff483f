"""A `memtree import git` killed with SIGKILL half-way leaves only whole entries, and a re-run
writes what is missing and commits everything: the bulk writer (`store.write_many`) and the
Change queued before the first file, on a real history of 2,500 commits."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import MEMTREE
from memtree import Memory
from memtree.entries import store

N = 2_500  # one issue per commit: 2,500 episodes, three chunks of the bulk writer
ENV = {**os.environ, "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "d@example.com",
       "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "d@example.com",
       "MEMTREE_PERSONAL": "off"}

pytestmark = [pytest.mark.git, pytest.mark.slow]


def history(project: Path) -> None:
    """N commits, each on its own issue, built with one `git fast-import`."""
    out = []
    for i in range(N):
        message = f"Fix case {i} of the parser (#{i + 1})".encode()
        blob = f"VALUE = {i}\n".encode()
        out += [b"commit refs/heads/main\n",
                f"committer Dev <d@example.com> {1_600_000_000 + i * 60} +0000\n".encode(),
                f"data {len(message)}\n".encode() + message + b"\n",
                f"M 100644 inline src/app/area{i % 40}/mod{i % 7}.py\ndata {len(blob)}\n".encode(),
                blob + b"\n\n"]
    project.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=project, check=True, env=ENV)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=project, input=b"".join(out),
                   check=True, env=ENV)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=project, check=True, env=ENV)
    Memory.init(project)


def memtree(project: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(MEMTREE), "import", "git", "--json"], cwd=project,
                            env={**ENV, **(env or {})}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def whole_entries(root: Path) -> int:
    """How many entries the tree holds; every one must parse whole."""
    found, problems = store.load_all(root)
    assert problems == [], problems[:3]
    return sum(e.type == "episode" for e in found)


def rerun_completes(project: Path) -> None:
    done = memtree(project)
    assert done.wait(timeout=300) == 0, done.stderr.read() if done.stderr else ""
    root = project / ".memory"
    assert whole_entries(root) == N
    status = subprocess.run(["git", "status", "--porcelain", "--", ".memory"], cwd=project,
                            capture_output=True, text=True, check=True, env=ENV).stdout
    assert [ln for ln in status.splitlines() if not ln.endswith(".tmp")] == []


def test_killed_after_a_chunk_leaves_whole_entries_and_a_rerun_completes(tmp_path: Path) -> None:
    project = tmp_path / "project"
    history(project)
    killed = memtree(project, {"MEMTREE_IMPORT_STOP_AFTER_CHUNK": "1"})
    assert killed.wait(timeout=300) == -signal.SIGKILL
    assert whole_entries(project / ".memory") == 1_000  # the first chunk, nothing of the second
    rerun_completes(project)


def test_killed_at_any_moment_leaves_whole_entries(tmp_path: Path) -> None:
    project = tmp_path / "project"
    history(project)
    root = project / ".memory"
    running = memtree(project)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and running.poll() is None:
        if next(root.glob("app/*/*.md"), None) or next(root.glob("app/*/.*.tmp"), None):
            break
        time.sleep(0.005)
    running.send_signal(signal.SIGKILL)
    running.wait(timeout=60)
    assert whole_entries(root) <= N
    rerun_completes(project)
