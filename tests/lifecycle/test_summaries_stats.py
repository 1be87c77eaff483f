"""`_index.md` summaries with a children hash, stats, pin and feedback through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Run
from memtree import Memory
from memtree.lifecycle.signals import totals


def test_summaries_are_generated_then_stale_when_children_change(memory: Memory) -> None:
    memory.add("Sign tokens with RS256", "auth/tokens", "x", summary="RS256 only", importance=90)
    memory.add("Rotate keys", "auth/keys", "y", importance=20)
    states = {s.folder: s.state for s in memory.lifecycle.summaries(write=False)}
    assert states == {"auth": "missing", "auth/keys": "missing", "auth/tokens": "missing"}
    assert {s.state for s in memory.lifecycle.summaries()} == {"fresh"}
    text = (memory.root / "auth" / "_index.md").read_text()
    assert "children_hash:" in text and "entries: 2" in text
    assert text.index("[[auth/tokens/sign-tokens-with-rs256]]") < text.index("[[auth/keys/rotate-keys]]")
    memory.add("Token lifetime", "auth/tokens", "z")
    states = {s.folder: s.state for s in memory.lifecycle.summaries(write=False)}
    assert states == {"auth": "stale", "auth/keys": "fresh", "auth/tokens": "stale"}
    warnings = [p for p in memory.validate() if "summary is stale" in p.message]
    assert {p.path for p in warnings} == {"auth/_index.md", "auth/tokens/_index.md"}
    assert all(p.severity == "warning" for p in warnings)
    assert {s.state for s in memory.lifecycle.summaries()} == {"fresh"}


def test_human_text_in_index_files_is_kept(memory: Memory) -> None:
    memory.add("Rotate keys", "auth/keys", "y")
    index = memory.root / "auth" / "_index.md"
    index.write_text("---\ntitle: Authentication\nsummary: How we authenticate.\nowner: alice\n---\n"
                     "Written by a person.\n")
    memory.lifecycle.summaries()
    text = index.read_text()
    assert "Written by a person." in text and "How we authenticate." in text
    assert "owner: \"alice\"" in text and "[[auth/keys/rotate-keys]]" in text
    memory.add("New one", "auth/keys", "z")
    memory.lifecycle.summaries()
    again = index.read_text()
    assert again.count("memtree:summary:start") == 1 and "[[auth/keys/new-one]]" in again
    assert "How we authenticate." in again
    assert [p for p in memory.validate() if p.severity == "error"] == []


def test_stats_distribution_usage_and_stale(run: Run, tmp_path: Path) -> None:
    run("init")
    run("add", "Used a lot", "-p", "a/x", "-b", "1", "--importance", "70")
    run("add", "Never used", "-p", "a/x", "-b", "2")
    run("add", "Other domain", "-p", "b/y", "-b", "3")
    run("pin", "other-domain")
    for _ in range(3):
        assert run("feedback", "used-a-lot", "useful").returncode == 0
    out = run("feedback", "never-used", "wrong", "--note", "outdated", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["importance"] < 50
    root = tmp_path / "project" / ".memory"
    assert "outdated" in (root / ".local" / "feedback.jsonl").read_text()
    data = json.loads(run("stats", "--json").stdout)
    assert data["entries"] == 3 and data["pinned"] == 1
    assert data["by_domain"] == {"a": {"total": 2, "draft": 2}, "b": {"total": 1, "core": 1}}
    assert [r["path"] for r in data["most_used"]][0] == "a/x/used-a-lot"
    assert data["most_used"][0]["useful"] == 3
    assert [r["path"] for r in data["least_used"]] == ["b/y/other-domain"]
    assert set(data["stale"]) == {"entries", "anchors", "summaries"}
    assert "most used:" in run("stats").stdout
    bad = run("feedback", "used-a-lot", "great")
    assert bad.returncode == 2 and "useful or wrong" in bad.stderr


def test_feedback_never_touches_entry_files(memory: Memory) -> None:
    made = memory.add("Rule", "d/t", "x")
    before = (memory.root / f"{made.path}.md").read_text()
    memory.lifecycle.feedback(made.id, "useful")
    memory.lifecycle.feedback(made.id, "wrong")
    assert (memory.root / f"{made.path}.md").read_text() == before
    assert totals(memory.root)[(made.id, "useful")] == 1


def test_pin_and_unpin(run: Run, tmp_path: Path) -> None:
    run("init")
    run("add", "Rule", "-p", "d/t", "-b", "x")
    out = run("pin", "rule", "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["pinned"] is True
    assert json.loads(out.stdout)["maturity"] == "core"
    assert "pinned: true" in (tmp_path / "project/.memory/d/t/rule.md").read_text()
    out = run("unpin", "rule", "--json")
    assert json.loads(out.stdout)["pinned"] is False
    assert "pinned" not in (tmp_path / "project/.memory/d/t/rule.md").read_text()
    assert run("pin", "nope").returncode == 3


def test_lifecycle_and_summaries_commands(run: Run) -> None:
    run("init")
    run("add", "Big", "-p", "d/t", "-b", "x", "--importance", "90")
    out = run("lifecycle", "--json")
    assert [c["to"] for c in json.loads(out.stdout)] == ["core"]
    assert "would change d/t/big: draft -> core" in run("lifecycle").stdout
    assert "changed d/t/big" in run("lifecycle", "--apply").stdout
    assert run("lifecycle").stdout.strip() == "no maturity changes due"
    out = run("summaries", "--json")
    assert {s["state"] for s in json.loads(out.stdout)} == {"fresh"}
    assert "fresh" in run("summaries", "--check").stdout
