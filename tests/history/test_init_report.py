"""`memtree init` says what it commits: the files, the commit, and plainly when it is the
repository's first commit (a fresh `git init` with no commits yet)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from history_support import commits, git, mt, ok, project

pytestmark = pytest.mark.git


def test_init_in_an_empty_repository_says_it_makes_the_first_commit(tmp_path: Path) -> None:
    proj = tmp_path / "p"
    proj.mkdir()
    git(proj, "init", "-q", "-b", "main")
    done = json.loads(ok(proj, "init", "--json"))["git"]
    assert done["first_commit"] is True
    assert done["commit"] == git(proj, "rev-parse", "HEAD").strip()
    assert sorted(done["files"]) == sorted(git(proj, "ls-files").split())
    assert sorted(done["files"]) == [".memory/.gitattributes", ".memory/.gitignore",
                                     ".memory/config.toml"]
    again = ok(proj, "init")
    assert "nothing committed to git" in again and "first commit" not in again


def test_init_lists_its_files_and_is_not_the_first_commit_after_code(tmp_path: Path) -> None:
    proj = project(tmp_path / "p")
    said = ok(proj, "init")
    assert "first commit" not in said
    for name in (".memory/config.toml", ".memory/.gitignore", ".memory/.gitattributes"):
        assert f"  {name}\n" in said
    assert f"committed {git(proj, 'rev-parse', 'HEAD')[:10]}" in said
    assert commits(proj) == 2


def test_init_without_autocommit_says_it_committed_nothing(tmp_path: Path) -> None:
    proj = tmp_path / "p"
    proj.mkdir()
    git(proj, "init", "-q", "-b", "main")
    done = mt(proj, "init", "--no-autocommit")
    assert done.returncode == 0 and "autocommit is off" in done.stdout
    assert git(proj, "rev-list", "--all") == ""


def test_standalone_init_says_it_makes_the_first_commit_of_its_own_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    done = json.loads(ok(plain, "init", "--json"))["git"]
    assert done["first_commit"] is True and done["repository"] == str(plain / ".memory")
    assert sorted(done["files"]) == [".gitattributes", ".gitignore", "config.toml"]


def test_init_in_a_folder_the_project_ignores_makes_its_own_repository(tmp_path: Path) -> None:
    proj = project(tmp_path / "p")
    (proj / ".gitignore").write_text("scratch/\n")
    git(proj, "add", ".gitignore")
    git(proj, "commit", "-q", "-m", "ignore scratch")
    (proj / "scratch").mkdir()
    before = commits(proj)
    done = json.loads(ok(proj / "scratch", "init", "--json"))["git"]
    assert done["repository"] == str(proj / "scratch" / ".memory")
    assert commits(proj) == before  # the project's history is not touched
    assert "standalone" in (proj / "scratch" / ".memory" / "config.toml").read_text()
