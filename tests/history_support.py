"""Helpers for history tests: real git repositories, clones and a bare remote on disk."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from conftest import MEMTREE


def git(cwd: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "GIT_EDITOR": "true"})
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {done.stderr}")
    return done.stdout


def project(path: Path) -> Path:
    """A git project with one commit of code."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    (path / "app.py").write_text("print('hello')\n")
    git(path, "add", "app.py")
    git(path, "commit", "-q", "-m", "code")
    return path


def mt(cwd: Path, *args: str, author: str = "person:tester") -> subprocess.CompletedProcess[str]:
    """The installed `memtree` command run in `cwd`."""
    return subprocess.run([str(MEMTREE), *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "MEMTREE_AUTHOR": author}, timeout=60, input="")


def ok(cwd: Path, *args: str, author: str = "person:tester") -> str:
    done = mt(cwd, *args, author=author)
    assert done.returncode == 0, f"memtree {' '.join(args)}: {done.stderr}"
    return done.stdout


def data(cwd: Path, *args: str) -> object:
    return json.loads(ok(cwd, *args, "--json"))


def commits(cwd: Path) -> int:
    return int(git(cwd, "rev-list", "--count", "HEAD").strip())


def team(tmp: Path) -> tuple[Path, Path, Path]:
    """A bare remote and two clones of one project, each with memtree set up (embedded)."""
    remote = tmp / "remote.git"
    git(tmp, "init", "-q", "--bare", "-b", "main", str(remote))
    alice = project(tmp / "alice")
    git(alice, "remote", "add", "origin", str(remote))
    git(alice, "push", "-q", "-u", "origin", "main")  # the code: memtree pushes only its own commits
    ok(alice, "init")
    ok(alice, "sync")
    git(tmp, "clone", "-q", str(remote), str(tmp / "bob"))
    bob = tmp / "bob"
    ok(bob, "sync")
    return remote, alice, bob
