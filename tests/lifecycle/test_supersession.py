"""Supersession: the old file stays and says why, chains of any length, heads, cycles refused."""

from __future__ import annotations

import json

import pytest

from conftest import Run
from memtree import Memory
from memtree.entries.codec import now_iso
from memtree.errors import InvalidEntry, UsageError
from memtree.lifecycle import supersession as chains
from memtree.model import Status


def test_supersede_marks_old_and_links_both(memory: Memory) -> None:
    old = memory.add("Tokens use HS256", "auth/tokens", "We sign with HS256.")
    new = memory.add("Tokens use RS256", "auth/tokens", "We sign with RS256.")
    memory.lifecycle.supersede(old.id, new.id, "services must verify with a public key")
    old_now, new_now = memory.get(old.id), memory.get(new.id)
    assert old_now.status is Status.SUPERSEDED and old_now.path == old.path
    assert ("superseded_by", new.id) in [(r.type, r.target) for r in old_now.relations]
    assert ("supersedes", old.id) in [(r.type, r.target) for r in new_now.relations]
    text = (memory.root / f"{old.path}.md").read_text()
    first_body_line = text.split("---\n", 2)[2].splitlines()[0]
    assert first_body_line == (f"> Superseded by [[{new.path}]] on {now_iso()[:10]} because services "
                               "must verify with a public key.")
    assert "We sign with HS256." in text
    assert [p for p in memory.validate() if p.severity == "error"] == []


def test_chains_of_any_length_and_their_head(memory: Memory) -> None:
    made = [memory.add(f"Rule version {i}", "team/rules", f"Rule text {i}.") for i in range(5)]
    for older, newer in zip(made, made[1:], strict=False):
        memory.lifecycle.supersede(older.path, newer.path, "revised")
    for item in made:
        whole = memory.lifecycle.chain(item.id)
        assert [e.id for e in whole] == [e.id for e in made]
    entries, _ = memory.load()
    assert chains.head(memory.get(made[0].id), entries).id == made[-1].id
    assert chains.heads(entries) == {e.id: made[-1].id for e in made[:-1]}


def test_superseding_again_replaces_the_pointer(memory: Memory) -> None:
    a, b, c = (memory.add(t, "d/t", "x") for t in ("Alpha", "Beta", "Gamma"))
    memory.lifecycle.supersede(a.id, b.id, "first")
    memory.lifecycle.supersede(a.id, c.id, "second")
    again = memory.get(a.id)
    assert [r.target for r in again.relations if r.type == "superseded_by"] == [c.id]
    assert again.body.count("> Superseded by") == 1 and "because second." in again.body


def test_cycles_and_self_supersession_are_refused(memory: Memory) -> None:
    a, b = memory.add("One", "d/t", "x"), memory.add("Two", "d/t", "y")
    memory.lifecycle.supersede(a.id, b.id, "newer")
    with pytest.raises(InvalidEntry, match="cycle"):
        memory.lifecycle.supersede(b.id, a.id, "back again")
    with pytest.raises(InvalidEntry, match="itself"):
        memory.lifecycle.supersede(a.id, a.id, "same")
    with pytest.raises(UsageError, match="--reason"):
        memory.lifecycle.supersede(a.id, b.id, "  ")


def test_chain_survives_a_move(memory: Memory) -> None:
    a, b = memory.add("Old way", "d/t", "x"), memory.add("New way", "d/t", "y")
    memory.lifecycle.supersede(a.id, b.id, "better")
    memory.move(b.id, "d/other")
    assert [e.path for e in memory.lifecycle.chain(a.id)] == [a.path, "d/other/new-way"]
    assert "[[d/other/new-way]]" in memory.get(a.id).body


def test_cli_supersede_add_supersedes_and_chain(run: Run) -> None:
    assert run("init").returncode == 0
    assert run("add", "Deploy with fabric", "-p", "ops/deploy", "-b", "fab deploy").returncode == 0
    out = run("add", "Deploy with ansible", "-p", "ops/deploy", "-b", "ansible-playbook",
              "--supersedes", "ops/deploy/deploy-with-fabric", "--reason", "fabric is unmaintained")
    assert out.returncode == 0, out.stderr
    out = run("chain", "deploy-with-fabric", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [d["path"] for d in data] == ["ops/deploy/deploy-with-fabric", "ops/deploy/deploy-with-ansible"]
    assert data[0]["status"] == "superseded"
    out = run("add", "Deploy with k8s", "-p", "ops/deploy", "-b", "kubectl")
    out = run("supersede", "deploy-with-ansible", "deploy-with-k8s", "--reason", "moved to k8s", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["old"]["status"] == "superseded"
    assert len(json.loads(run("chain", "deploy-with-fabric", "--json").stdout)) == 3
    missing = run("supersede", "deploy-with-k8s", "nope", "--reason", "x")
    assert missing.returncode == 3 and "nope" in missing.stderr
    no_reason = run("supersede", "deploy-with-k8s", "deploy-with-fabric")
    assert no_reason.returncode == 2
