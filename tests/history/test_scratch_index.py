"""memtree's commits build their tree in a private index inside the git folder, never in the
temporary folder, and the next commit removes one a killed process left."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import MEMTREE
from history_support import git, project


def test_commits_leave_nothing_in_tmp_and_sweep_dead_scratch_indexes(tmp_path: Path) -> None:
    repo = project(tmp_path / "repo")
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    done = subprocess.run([str(MEMTREE), "init"], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    stale = repo / ".git" / "memtree-index.999999999"  # no such process
    stale.write_text("left by a killed commit")
    for title in ("One", "Two"):
        made = subprocess.run([str(MEMTREE), "add", title, "-p", "a/b", "--body", "x"], cwd=repo,
                              env=env, capture_output=True, text=True, timeout=60, check=False)
        assert made.returncode == 0, made.stderr
    assert "add a/b/two" in git(repo, "log", "-1", "--format=%s")
    assert list(tmp.iterdir()) == []
    assert list((repo / ".git").glob("memtree-index*")) == []
