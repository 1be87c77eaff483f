"""`memtree import git` on a real history built here: commits referencing issues in the usual
ways, commits referencing nothing, bounds, re-runs, and the memory's own commits left out."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import Run
from memtree import Memory
from memtree.entries import store
from memtree.imports import gitlog
from memtree.imports.service import import_git


def commit(project: Path, files: dict[str, str], message: str, when: str, author: str) -> None:
    for rel, text in files.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text)
    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when,
           "GIT_AUTHOR_NAME": author, "GIT_COMMITTER_NAME": author}
    subprocess.run(["git", "add", "-A"], cwd=project, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", message], cwd=project, check=True, env=env)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=project, check=True)
    commit(project, {"src/shop/billing/invoices.py": "TOTAL = 0\n"},
           "Fix rounding of VAT (#42)", "2025-03-01T10:00:00+02:00", "Alice")
    commit(project, {"src/shop/billing/invoices.py": "TOTAL = 1\n", "tests/test_vat.py": "x = 1\n"},
           "Round VAT per line\n\nFixes: #42", "2025-03-05T09:00:00Z", "Bob")
    commit(project, {"src/shop/auth/tokens.py": "KEY = 1\n"},
           "Rotate signing keys\n\nReferences: gh-7", "2025-04-01T12:00:00Z", "Alice")
    commit(project, {"docs/guide.md": "hello\n"}, "Write the guide", "2025-05-01T12:00:00Z", "Carol")
    commit(project, {"src/shop/auth/tokens.py": "KEY = 2\n"},
           "Release notes for #1, #2, #3, #4", "2025-05-02T12:00:00Z", "Carol")
    return project


def episodes(memory: Memory) -> dict[str, object]:
    found, problems = store.load_all(memory.root)
    assert problems == []
    return {e.title: e for e in found if e.type == "episode"}


def test_commits_on_one_issue_become_one_episode(repo: Path) -> None:
    memory = Memory.init(repo)
    report = import_git(memory.ws)
    assert report.found == {"commits": 5}
    found = episodes(memory)
    vat = found["#42: Fix rounding of VAT"]
    assert vat.path == "shop/billing/42-fix-rounding-of-vat"  # type: ignore[attr-defined]
    assert vat.created == "2025-03-01T08:00:00Z" and vat.updated == "2025-03-05T09:00:00Z"  # type: ignore[attr-defined]
    assert vat.source.by == "person:Bob" and len(vat.source.commit) == 12  # type: ignore[attr-defined]
    assert "Alice" in vat.body and "Bob" in vat.body and "#42" in vat.aliases  # type: ignore[attr-defined]
    assert [a.path for a in vat.anchors] == ["src/shop/billing/invoices.py", "tests/test_vat.py"]  # type: ignore[attr-defined]
    assert "#7: Rotate signing keys" in found
    assert "Changes to docs/guide.md: Write the guide" in found
    roll_up = [t for t in found if t.startswith("Changes to src/shop/auth/tokens.py")]
    assert roll_up, found.keys()  # four numbers: a roll-up, grouped by its code instead


def test_rerun_is_idempotent_and_new_commits_update(repo: Path) -> None:
    memory = Memory.init(repo)
    import_git(memory.ws)
    again = import_git(memory.ws)
    assert set(again.counts()) == {"unchanged"}  # the memory's own commits are not read
    commit(repo, {"src/shop/billing/invoices.py": "TOTAL = 2\n"}, "Handle zero VAT (#42)",
           "2025-06-01T00:00:00Z", "Dana")
    third = import_git(memory.ws)
    assert third.counts() == {"update": 1, "unchanged": 3}
    vat = episodes(memory)["#42: Fix rounding of VAT"]
    assert "Handle zero VAT" in vat.body and vat.updated == "2025-06-01T00:00:00Z"  # type: ignore[attr-defined]


def test_since_and_max_bound_the_history(repo: Path, run: Run) -> None:
    Memory.init(repo)
    done = run("import", "git", "--since", "2025-04-15", "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["found"] == {"commits": 2} and data["dry_run"]
    assert episodes(Memory.open(repo)) == {}
    capped = json.loads(run("import", "git", "--max", "1", "--json").stdout)
    assert capped["found"] == {"commits": 1} and capped["counts"] == {"add": 1}


def test_bad_input_gives_documented_exit_codes(tmp_path: Path, run: Run) -> None:
    Memory.init(tmp_path / "project", mode="standalone")
    outside = run("import", "git")
    assert outside.returncode == 11 and "git log" in outside.stderr
    assert run("import", "git", "--max", "0").returncode == 2


def test_references_and_layout() -> None:
    text = "Fix #12 and gh-13, see https://github.com/o/r/issues/14 and &#38; ##15 x#16"
    refs = gitlog.Commit("a" * 40, "A", "", text, "", ()).refs()
    assert refs == (12, 13, 14)
    assert gitlog.area("src/memtree/entries/store.py") == "memtree/entries"
    assert gitlog.area("lib/foo.py") == "project/general"
    assert gitlog.area("docs/guide.md") == "docs/general"
    assert gitlog.area(".github/workflows/ci.yml") == "github/workflows"
    assert gitlog.main_file(("README.md", "src/a/b.py", "tests/t.py")) == "src/a/b.py"
    assert gitlog.main_file(("docs/x.md", "tests/t.py")) == "docs/x.md"


def test_file_names_are_read_as_written(repo: Path) -> None:
    commit(repo, {"src/shop/café/menu.py": "X = 1\n"}, "Add the café menu (#77)",
           "2025-07-01T00:00:00Z", "Ana")
    memory = Memory.init(repo)
    import_git(memory.ws)
    menu = episodes(memory)["#77: Add the café menu"]
    assert menu.source.files == ("src/shop/café/menu.py",)  # type: ignore[attr-defined]
    assert menu.path.startswith("shop/caf")  # type: ignore[attr-defined]


def test_a_long_subject_cut_at_a_space_reimports_unchanged(tmp_path: Path) -> None:
    """A title cut at 200 characters that ends on a space was read back without it, so the
    next run called the untouched episode `edited`."""
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=project, check=True)
    prefix = "Changes to src/shop/billing/tax.py: "
    pad = next(k for k in range(5) if (prefix + "x" * k + " abcd" * 60)[199] == " ")
    subject = "x" * pad + " abcd" * 60
    commit(project, {"src/shop/billing/tax.py": "RATE = 1\n"}, subject, "2025-03-01T10:00:00Z",
           "Alice")
    memory = Memory.init(project)
    first = import_git(memory.ws)
    assert first.counts() == {"add": 1}
    (title,) = episodes(memory)
    assert len(title) <= 200 and title == title.strip()
    assert import_git(memory.ws).counts() == {"unchanged": 1}
