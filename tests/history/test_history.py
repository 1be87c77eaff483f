"""History through the installed `memtree` command and real git: commits, modes, deferral,
log/why/show/restore/undo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from history_support import commits, data, git, mt, ok, project
from memtree import Memory

pytestmark = pytest.mark.git


def _files_of_last_commit(cwd: Path) -> list[str]:
    return git(cwd, "show", "--name-only", "--format=", "HEAD").split()


def test_embedded_commits_hold_memory_paths_only_and_keep_staged_work(tmp_path: Path) -> None:
    proj = project(tmp_path / "p")
    (proj / "app.py").write_text("print('staged')\n")
    git(proj, "add", "app.py")
    (proj / "notes.txt").write_text("unstaged, untracked\n")
    staged = git(proj, "diff", "--cached")
    ok(proj, "init")
    ok(proj, "add", "Use RS256", "--path", "auth/tokens", "--body", "We sign with RS256.")
    ok(proj, "edit", "use-rs256", "--importance", "80")
    assert git(proj, "diff", "--cached") == staged
    assert _files_of_last_commit(proj) == [".memory/auth/tokens/use-rs256.md"]
    assert git(proj, "status", "--porcelain", "--", ".memory") == ""
    assert "?? notes.txt" in git(proj, "status", "--porcelain")
    assert commits(proj) == 4  # code, init, add, edit
    assert "merge.memtree.driver" in git(proj, "config", "--list")
    assert "*.md merge=memtree" in (proj / ".memory/.gitattributes").read_text()
    assert 'mode = "embedded"' in (proj / ".memory/config.toml").read_text()


def test_reads_create_no_commits(tmp_path: Path) -> None:
    proj = project(tmp_path / "p")
    ok(proj, "init")
    ok(proj, "add", "Cache TTL", "--path", "perf/cache", "--body", "Five minutes.")
    before = commits(proj)
    for args in (("show", "cache-ttl"), ("list",), ("tree",), ("query", "cache"), ("log",),
                 ("why", "cache-ttl"), ("diff",), ("validate",), ("show", "cache-ttl", "--at", "HEAD")):
        ok(proj, *args)
    assert commits(proj) == before
    assert git(proj, "status", "--porcelain") == ""


def test_provenance_trailers_round_trip_through_why(tmp_path: Path) -> None:
    proj = project(tmp_path / "p")
    Memory.init(proj)
    agent = Memory.open(proj, actor="agent:claude", session="s-42", tool="mcp")
    made = agent.add("Retry budget", "net/http", "Three retries.", reason="seen in incident 7",
                     files=["src/http.py"])
    person = Memory.open(proj, actor="person:alice", tool="cli")
    person.update(made.id, importance=90, reason="it bit us twice")
    trail = person.history.why(made.id)
    assert trail["created_by"] == "agent:claude"
    assert trail["source"]["files"] == ["src/http.py"]
    first, second = trail["changes"]
    assert (first["tool"], first["session"], first["reason"]) == ("mcp", "s-42", "seen in incident 7")
    assert (second["actor"], second["action"], second["reason"]) == ("person:alice", "update",
                                                                    "it bit us twice")
    body = git(proj, "log", "-1", "--format=%B")
    assert "Memtree-Actor: person:alice" in body and "Memtree-Reason: it bit us twice" in body
    cli = data(proj, "why", made.id)
    assert cli == json.loads(json.dumps(trail))


def test_log_follows_an_entry_across_moves(tmp_path: Path) -> None:
    proj = project(tmp_path / "p")
    ok(proj, "init")
    made = data(proj, "add", "Queue names", "--path", "infra/queues", "--body", "Use kebab-case.")
    ok(proj, "edit", made["id"], "--importance", "70")
    ok(proj, "mv", made["id"], "platform/messaging")
    # a person renames it by hand with git, too
    git(proj, "mv", ".memory/platform/messaging/queue-names.md", ".memory/platform/messaging/queues.md")
    git(proj, "commit", "-q", "-m", "rename by hand")
    ok(proj, "edit", made["id"], "--summary", "kebab-case queue names")
    subjects = [r["subject"] for r in data(proj, "log", made["id"])]
    assert len(subjects) == 5
    assert subjects[-1].startswith("add infra/queues/queue-names")
    assert "rename by hand" in subjects
    ok(proj, "add", "Other", "--path", "infra/queues")
    assert len(data(proj, "log", made["id"])) == 5
    old = data(proj, "show", made["id"], "--at", "HEAD~4")
    assert old["path"] == "infra/queues/queue-names" and old["importance"] == 70


def test_restore_and_show_at_bring_back_exact_bytes(tmp_path: Path) -> None:
    proj = project(tmp_path / "p")
    ok(proj, "init")
    made = data(proj, "add", "Pool size", "--path", "db/pool", "--body", "Twenty.\n\nPer worker.")
    file = proj / ".memory/db/pool/pool-size.md"
    original = file.read_bytes()
    first = git(proj, "rev-parse", "HEAD").strip()
    ok(proj, "edit", made["id"], "--body", "Fifty.")
    ok(proj, "edit", made["id"], "--tag", "db", "--importance", "90")
    assert ok(proj, "show", made["id"], "--at", first, "--raw").encode() == original
    ok(proj, "restore", made["id"], "--at", first, "--reason", "the fifty was wrong")
    assert file.read_bytes() == original
    assert "restore" in git(proj, "log", "-1", "--format=%s")
    missing = mt(proj, "restore", made["id"], "--at", "no-such-rev")
    assert missing.returncode == 3 and "no-such-rev" in missing.stderr


def test_undo_brings_back_exact_bytes_and_refuses_others_work(tmp_path: Path) -> None:
    proj = project(tmp_path / "p")
    ok(proj, "init")
    made = data(proj, "add", "Log level", "--path", "ops/logging", "--body", "INFO in prod.")
    file = proj / ".memory/ops/logging/log-level.md"
    original = file.read_bytes()
    ok(proj, "edit", made["id"], "--body", "DEBUG in prod.")
    (proj / "app.py").write_text("print('unrelated')\n")
    git(proj, "commit", "-q", "-am", "unrelated code change")
    undone = data(proj, "undo")
    assert file.read_bytes() == original
    assert [u["action"] for u in undone["undone"]] == ["update"]
    ok(proj, "edit", made["id"], "--body", "WARN in prod.")
    ok(proj, "edit", made["id"], "--importance", "10")
    data(proj, "undo", "-n", "2")
    assert file.read_bytes() == original
    ok(proj, "undo")  # undoes the add itself
    assert not file.exists()
    again = data(proj, "add", "Log level", "--path", "ops/logging", "--body", "INFO.")
    file.write_text(file.read_text().replace("INFO.", "ERROR, by hand."))
    git(proj, "commit", "-q", "-am", "hand edit")
    before = file.read_bytes()
    refused = mt(proj, "undo")
    assert refused.returncode == 11 and "did not make" in refused.stderr, refused.stderr
    assert file.read_bytes() == before and again["id"]


def test_mid_rebase_is_not_harmed_and_commit_is_deferred(tmp_path: Path) -> None:
    proj = project(tmp_path / "p")
    ok(proj, "init")
    made = data(proj, "add", "Base", "--path", "dev/git", "--body", "first")
    git(proj, "checkout", "-q", "-b", "feature")
    (proj / "app.py").write_text("print('feature')\n")
    git(proj, "commit", "-q", "-am", "feature")
    git(proj, "checkout", "-q", "main")
    (proj / "app.py").write_text("print('main')\n")
    git(proj, "commit", "-q", "-am", "main")
    git(proj, "checkout", "-q", "feature")
    git(proj, "rebase", "main", check=False)
    assert (proj / ".git/rebase-merge").exists()
    state = (git(proj, "ls-files", "-s"), git(proj, "rev-parse", "HEAD"), git(proj, "status", "--porcelain"))
    added = mt(proj, "add", "During rebase", "--path", "dev/git", "--body", "noted mid-rebase")
    assert added.returncode == 0 and "deferred" in added.stderr
    edited = mt(proj, "edit", made["id"], "--importance", "77")
    assert edited.returncode == 0 and "deferred" in edited.stderr
    assert (git(proj, "ls-files", "-s"), git(proj, "rev-parse", "HEAD")) == state[:2]
    assert (proj / ".git/rebase-merge").exists()
    (proj / "app.py").write_text("print('both')\n")
    git(proj, "add", "app.py")
    git(proj, "rebase", "--continue")
    assert not (proj / ".git/rebase-merge").exists()
    ok(proj, "add", "After rebase", "--path", "dev/git")
    last = git(proj, "log", "-1", "--format=%B")
    assert "(+2 earlier change(s))" in last and "during-rebase" in last
    assert git(proj, "status", "--porcelain") == ""
    assert data(proj, "show", made["id"])["importance"] == 77


def test_rebase_abort_keeps_a_deferred_edit(tmp_path: Path) -> None:
    proj = project(tmp_path / "p")
    ok(proj, "init")
    made = data(proj, "add", "Base", "--path", "dev/git", "--body", "first")
    git(proj, "checkout", "-q", "-b", "feature")
    (proj / "app.py").write_text("print('feature')\n")
    git(proj, "commit", "-q", "-am", "feature")
    git(proj, "checkout", "-q", "main")
    (proj / "app.py").write_text("print('main')\n")
    git(proj, "commit", "-q", "-am", "main")
    git(proj, "checkout", "-q", "feature")
    git(proj, "rebase", "main", check=False)
    assert "deferred" in mt(proj, "edit", made["id"], "--body", "edited mid-rebase").stderr
    git(proj, "rebase", "--abort")
    assert data(proj, "show", made["id"])["body"].strip() == "edited mid-rebase"
    assert data(proj, "commit")["commit"]
    assert git(proj, "log", "-1", "--format=%s").startswith("update dev/git/base: body")
    assert git(proj, "status", "--porcelain") == ""
    assert "S " not in git(proj, "ls-files", "-v", ".memory")


def test_detached_head_defers_until_commit(tmp_path: Path) -> None:
    proj = project(tmp_path / "p")
    ok(proj, "init")
    git(proj, "checkout", "-q", "--detach")
    head = git(proj, "rev-parse", "HEAD")
    assert "deferred" in mt(proj, "add", "Detached", "--path", "a/b").stderr
    assert git(proj, "rev-parse", "HEAD") == head
    git(proj, "checkout", "-q", "main")
    assert data(proj, "commit")["commit"]
    assert ".memory/a/b/detached.md" in _files_of_last_commit(proj)


def test_standalone_mode_and_outside_git(tmp_path: Path) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    ok(outside, "init")
    assert (outside / ".memory/.git").is_dir()
    ok(outside, "add", "Fact", "--path", "a/b")
    assert commits(outside / ".memory") == 2
    proj = project(tmp_path / "p")
    ok(proj, "init", "--mode", "standalone")
    ok(proj, "add", "Fact", "--path", "a/b")
    assert git(proj, "status", "--porcelain") == ""
    assert commits(proj) == 1 and commits(proj / ".memory") == 2
    assert "*.md merge=memtree" in (proj / ".memory/.gitattributes").read_text()
    bad = mt(tmp_path / "plain", "init", "x", "--mode", "embedded")
    assert bad.returncode == 11 and "not inside a git work tree" in bad.stderr


def test_no_autocommit_leaves_changes_for_people(tmp_path: Path) -> None:
    proj = project(tmp_path / "p")
    ok(proj, "init", "--no-autocommit")
    ok(proj, "add", "Manual", "--path", "a/b")
    assert commits(proj) == 1
    assert "autocommit = false" in (proj / ".memory/config.toml").read_text()
    assert data(proj, "diff")["files"]
    sha = data(proj, "commit", "--reason", "batch of notes")["commit"]
    assert sha and commits(proj) == 2
    assert set(_files_of_last_commit(proj)) >= {".memory/a/b/manual.md", ".memory/config.toml"}


def test_init_twice_is_idempotent(tmp_path: Path) -> None:
    proj = project(tmp_path / "p")
    ok(proj, "init")
    ok(proj, "init")
    config = (proj / ".git/config").read_text()
    assert config.count('[merge "memtree"]') == 1
    assert commits(proj) == 2
    assert mt(proj, "init", "--mode", "standalone").returncode == 11


def test_a_reason_or_a_name_cannot_forge_a_trailer(tmp_path: Path) -> None:
    proj = project(tmp_path / "p")
    Memory.init(proj)
    agent = Memory.open(proj, actor="agent:x\nMemtree-Tool: cli", session="s\nMemtree-Action: rm",
                        tool="mcp")
    made = agent.add("Retry budget", "net/http", "Three retries.",
                     reason="first line\n\nMemtree-Actor: person:root\nMemtree-Tool: cli")
    first = agent.history.why(made.id)["changes"][0]
    assert (first["actor"], first["tool"], first["action"], first["session"]) == (
        "agent:x Memtree-Tool: cli", "mcp", "add", "s Memtree-Action: rm")
    body = git(proj, "log", "-1", "--format=%B")
    assert body.count("\nMemtree-Actor: ") == 2  # the reason's line stays in the body, unread


def test_trailers_are_read_from_the_last_paragraph_that_has_them() -> None:
    from memtree.history import trailers
    from memtree.model import Change

    change = Change("add", ("a/b",), "add a/b: B", reason="why\n\nMemtree-Reverts: 1234abcd",
                    actor="person:ann")
    text = trailers.message([change]) + "\nChecked-By: a commit-msg hook\n"
    found = trailers.parse(text)
    assert found["actor"] == "person:ann" and found["paths"] == "a/b"
    assert "reverts" not in found
