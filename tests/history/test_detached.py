"""A deferred edit on a detached HEAD never traps the person: git sees it (`git status`,
`git stash`), `memtree commit` commits it where HEAD is, and back on a branch memtree commits
it there with its provenance. Real git repositories throughout."""

from __future__ import annotations

from pathlib import Path

import pytest

from history_support import git, mt, ok, project

pytestmark = pytest.mark.git
FILE = ".memory/a/b/fact.md"


def _detached_with_an_edit(tmp_path: Path) -> Path:
    """main has two commits of the entry; HEAD is detached at the older; the entry is edited."""
    proj = project(tmp_path / "p")
    ok(proj, "init")
    ok(proj, "add", "Fact", "--path", "a/b", "--body", "one")
    ok(proj, "edit", "a/b/fact", "--body", "one and a half")
    git(proj, "checkout", "-q", "HEAD~1")
    edited = mt(proj, "edit", "a/b/fact", "--body", "two", "--reason", "seen on an old commit")
    assert edited.returncode == 0 and "deferred" in edited.stderr
    assert "memtree commit" in edited.stderr and "git stash" in edited.stderr
    return proj


def test_git_sees_the_deferred_edit_on_a_detached_head(tmp_path: Path) -> None:
    proj = _detached_with_an_edit(tmp_path)
    assert git(proj, "status", "--porcelain") == f" M {FILE}\n"
    assert "S " not in git(proj, "ls-files", "-v", ".memory")
    git(proj, "stash", "-q")
    git(proj, "checkout", "-q", "main")
    assert "one and a half" in (proj / FILE).read_text()
    git(proj, "stash", "pop", check=False)  # both sides changed the body: the driver marks it
    assert "two" in (proj / FILE).read_text()


def test_memtree_commit_on_a_detached_head_commits_there_and_checkout_works(tmp_path: Path) -> None:
    proj = _detached_with_an_edit(tmp_path)
    old = git(proj, "rev-parse", "HEAD").strip()
    done = mt(proj, "commit", "--json")
    assert done.returncode == 0, done.stderr
    assert "detached HEAD" in done.stderr and "git branch" in done.stderr
    sha = git(proj, "rev-parse", "HEAD").strip()
    assert git(proj, "rev-parse", "HEAD~1").strip() == old
    body = git(proj, "log", "-1", "--format=%B")
    assert "update a/b/fact: body" in body and "Memtree-Reason: seen on an old commit" in body
    assert git(proj, "status", "--porcelain") == ""
    git(proj, "checkout", "-q", "main")
    assert git(proj, "cat-file", "-p", f"{sha}:{FILE}").rstrip().endswith("two")
    assert not (proj / ".memory/.local/pending-commits.jsonl").exists()


def test_back_on_a_branch_the_deferred_edit_is_committed_there(tmp_path: Path) -> None:
    proj = project(tmp_path / "p")
    ok(proj, "init")
    ok(proj, "add", "Fact", "--path", "a/b", "--body", "one")
    git(proj, "checkout", "-q", "--detach")
    assert "deferred" in mt(proj, "edit", "a/b/fact", "--body", "two").stderr
    git(proj, "checkout", "-q", "main")  # the file is the same on both: git carries the edit
    ok(proj, "add", "Other", "--path", "a/b")
    assert git(proj, "status", "--porcelain") == ""
    body = git(proj, "log", "-1", "--format=%B")
    assert "update a/b/fact: body" in body and "add a/b/other" in body
    assert git(proj, "symbolic-ref", "--short", "HEAD").strip() == "main"


def test_sync_on_a_detached_head_refuses_and_says_why(tmp_path: Path) -> None:
    proj = _detached_with_an_edit(tmp_path)
    done = mt(proj, "sync")
    assert done.returncode == 11 and "detached HEAD" in done.stderr
    assert (proj / FILE).read_text().rstrip().endswith("two")
