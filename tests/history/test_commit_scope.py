"""`memtree commit` commits valid entries and memtree's own files only, and says what it commits
and what it leaves."""

from __future__ import annotations

from pathlib import Path

from history_support import git, mt, ok, project


def test_commit_takes_only_valid_entries_and_memtree_files(tmp_path: Path) -> None:
    repo = project(tmp_path / "repo")
    ok(repo, "init", "--no-autocommit")
    ok(repo, "add", "Pool size", "-p", "db/pool", "--body", "pgbouncer 20")
    root = repo / ".memory"
    (root / "db/README.md").write_text("notes for people\n")
    (root / "db/pool/broken.md").write_text("---\ntitle: [oops\n---\n")
    (root / "db/pool/.pool-size.md.a1b2c3.tmp").write_text("half written")
    (root / ".obsidian").mkdir()
    (root / ".obsidian/workspace.json").write_text("{}")
    done = mt(repo, "commit")
    assert done.returncode == 0, done.stderr
    tracked = set(git(repo, "ls-files", ".memory").split())
    assert ".memory/db/pool/pool-size.md" in tracked and ".memory/config.toml" in tracked
    for stray in ("db/README.md", "db/pool/broken.md", "db/pool/.pool-size.md.a1b2c3.tmp",
                  ".obsidian/workspace.json"):
        assert f".memory/{stray}" not in tracked
    assert "not committed" in done.stderr and "db/pool/broken.md" in done.stderr
    subject = git(repo, "log", "-1", "--format=%s")
    assert subject.startswith("commit 4 memory file(s): .gitattributes, .gitignore, config.toml")
    assert "and 1 more" in subject
    assert "db/pool/pool-size.md" in git(repo, "show", "--name-only", "--format=", "HEAD")
