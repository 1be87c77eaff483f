"""Team sync with real git: a bare remote on disk, two clones, concurrent edits of one entry."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from history_support import commits, data, git, mt, ok, team
from memtree import Memory
from memtree.lifecycle import signals

pytestmark = pytest.mark.git

BODY = "one\ntwo\nthree\nfour\nfive"


def _shared_entry(alice: Path, bob: Path) -> str:
    made = data(alice, "add", "Deploy steps", "--path", "ops/deploy", "--body", BODY,
                "--tag", "ops", "--importance", "40")
    ok(alice, "sync")
    ok(bob, "sync")
    assert data(bob, "show", made["id"])["title"] == "Deploy steps"
    return str(made["id"])


def test_concurrent_edits_merge_field_by_field(tmp_path: Path) -> None:
    _, alice, bob = team(tmp_path)
    ref = _shared_entry(alice, bob)
    ok(alice, "edit", ref, "--tag", "ops", "--tag", "ci", "--importance", "70",
       "--body", BODY.replace("two", "TWO (alice)"))
    ok(alice, "edit", ref, "--title", "Deploy steps (alice)")
    assert data(alice, "sync")["pushed"]
    time.sleep(1.1)  # `updated` has one-second resolution: bob's title change is newer
    ok(bob, "edit", ref, "--tag", "ops", "--tag", "release", "--maturity", "validated",
       "--alias", "shipping", "--body", BODY.replace("four", "FOUR (bob)"))
    ok(bob, "edit", ref, "--title", "Deploy steps (bob)")
    result = data(bob, "sync")
    assert result["merged"] and result["pushed"] and result["conflicts"] == []
    merged = data(bob, "show", ref)
    assert merged["tags"] == ["ops", "release", "ci"]
    assert merged["aliases"] == ["shipping"]
    assert (merged["importance"], merged["maturity"]) == (70, "validated")
    assert merged["title"] == "Deploy steps (bob)"
    assert "TWO (alice)" in merged["body"] and "FOUR (bob)" in merged["body"]
    assert "<<<<<<<" not in merged["body"]
    ok(bob, "validate")
    ok(alice, "sync")
    assert data(alice, "show", ref) == merged
    assert git(alice, "status", "--porcelain") == "" and git(bob, "status", "--porcelain") == ""


def test_true_body_conflict_is_marked_reported_and_not_pushed(tmp_path: Path) -> None:
    remote, alice, bob = team(tmp_path)
    ref = _shared_entry(alice, bob)
    ok(alice, "edit", ref, "--body", BODY.replace("three", "three: blue-green"))
    ok(alice, "sync")
    ok(bob, "edit", ref, "--body", BODY.replace("three", "three: canary"), "--tag", "ops",
       "--tag", "canary")
    pushed_before = git(remote, "rev-parse", "main")
    synced = mt(bob, "sync", "--json")
    assert synced.returncode == 10, synced.stderr
    report = json.loads(synced.stdout)
    assert report["conflicts"] == ["ops/deploy/deploy-steps.md"] and not report["pushed"]
    entry = data(bob, "show", ref)
    assert "<<<<<<< ours\nthree: canary\n=======\nthree: blue-green\n>>>>>>> theirs" in entry["body"]
    assert entry["tags"] == ["ops", "canary"]
    checked = mt(bob, "validate")
    assert checked.returncode == 10 and "conflict markers" in checked.stdout + checked.stderr
    assert git(remote, "rev-parse", "main") == pushed_before
    assert not (bob / ".git/MERGE_HEAD").exists()
    ok(bob, "edit", ref, "--body", BODY.replace("three", "three: canary, then blue-green"))
    assert data(bob, "sync")["pushed"]


def test_code_conflict_aborts_the_merge_and_changes_nothing(tmp_path: Path) -> None:
    _, alice, bob = team(tmp_path)
    (alice / "app.py").write_text("print('alice')\n")
    git(alice, "commit", "-q", "-am", "alice code")
    git(alice, "push", "-q")
    (bob / "app.py").write_text("print('bob')\n")
    git(bob, "commit", "-q", "-am", "bob code")
    head = git(bob, "rev-parse", "HEAD")
    failed = mt(bob, "sync")
    assert failed.returncode == 11 and "merge aborted" in failed.stderr
    assert git(bob, "rev-parse", "HEAD") == head and git(bob, "status", "--porcelain") == ""


def test_embedded_sync_never_pushes_the_persons_commits(tmp_path: Path) -> None:
    remote, alice, _ = team(tmp_path)
    (alice / "app.py").write_text("print('work in progress')\n")
    git(alice, "commit", "-q", "-am", "wip: half a feature")
    ok(alice, "add", "Deploy steps", "--path", "ops/deploy", "--body", BODY)
    before = git(remote, "rev-parse", "main")
    result = data(alice, "sync")
    assert not result["pushed"] and "not pushed" in result["status"]
    assert any("wip: half a feature" in c for c in result["yours"])
    assert git(remote, "rev-parse", "main") == before
    git(alice, "push", "-q")  # the person pushes their work; memtree's commits go with it
    assert data(alice, "sync")["status"] == "in sync"


def test_signals_are_shared_without_conflicts(tmp_path: Path) -> None:
    _, alice, bob = team(tmp_path)
    ref = _shared_entry(alice, bob)
    for root, n in ((alice / ".memory", 3), (bob / ".memory", 2)):
        for _ in range(n):
            signals.record(root, ref)
    before = commits(alice)
    ok(alice, "sync", author="person:alice")
    assert commits(alice) == before + 1
    assert "_signals/" in git(alice, "show", "--name-only", "--format=", "HEAD")
    ok(bob, "sync", author="person:bob")
    ok(alice, "sync", author="person:alice")
    for root in (alice / ".memory", bob / ".memory"):
        assert signals.totals(root)[(ref, "recall")] == 5
    assert sorted(p.name for p in (bob / ".memory/_signals").iterdir()) == [
        "person-alice.json", "person-bob.json"]


def test_sync_without_remote_and_first_push(tmp_path: Path) -> None:
    lone = tmp_path / "lone"
    lone.mkdir()
    Memory.init(lone).add("Fact", "a/b")
    result = data(lone, "sync")
    assert result["remote"] is None and "no remote" in result["status"]
    remote = tmp_path / "mem.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(lone / ".memory", "remote", "add", "origin", str(remote))
    assert data(lone, "sync")["pushed"]
    assert git(remote, "rev-list", "--count", "main").strip() == "2"
    assert data(lone, "sync")["pushed"] is False
