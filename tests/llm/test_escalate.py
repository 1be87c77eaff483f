"""Escalation (tier 4) against a real model server on loopback: the model re-ranks the gate's
candidates, may rewrite the query once, cites only real paths, is cached per query and tree
state, and every failure (malformed answer, invented paths, timeout, budget) degrades to
retrieval's own result with a note; entry files are never written."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import MEMTREE
from llm_support import ModelServer, Reply, configure, model_server_fixture  # noqa: F401
from memtree import Memory
from memtree.model import Tier
from retrieval_support import seed

UNSURE = "tokens expiry"  # the seeded tree's gate is unsure of it (two half matches)
LIFETIME = "auth/jwt/refresh-token-lifetime"


def _candidates(body: dict[str, Any]) -> list[str]:
    user = body["messages"][-1]["content"]
    return [json.loads(line)["path"] for line in user.split("Candidates:\n", 1)[1].splitlines()
            if line.startswith("{")]


def _tree(root: Path) -> str:
    files = sorted(p for p in root.rglob("*.md") if ".local" not in p.parts)
    return hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()


@pytest.fixture
def seeded(memory: Memory, model_server: ModelServer) -> Memory:
    seed(memory)
    configure(memory.root, "openai", model_server.url, timeout=2)
    return Memory(memory.root)


def test_without_a_model_results_keep_saying_escalation_would_help(memory: Memory) -> None:
    seed(memory)
    found = memory.query(UNSURE, llm=True)
    assert found.escalate and "no model configured" in found.reason
    assert [h.tier for h in found.hits] == [Tier.FULLTEXT, Tier.FULLTEXT]


def test_model_reranks_and_hits_say_llm_and_why(seeded: Memory, model_server: ModelServer) -> None:
    before = _tree(seeded.root)
    model_server.replies(Reply(json.dumps({"ranked": [{"path": LIFETIME, "why": "says how long tokens live"}],
                                           "rewrite": None})))
    plain = seeded.query(UNSURE)
    found = seeded.query(UNSURE, llm=None)
    assert plain.hits[0].path != LIFETIME  # retrieval alone put it second
    assert found.hits[0].path == LIFETIME and found.hits[0].tier is Tier.LLM
    assert found.hits[0].why.startswith("llm: says how long tokens live")
    assert found.hits[1].tier is Tier.FULLTEXT and not found.escalate
    assert "re-ranked 2 candidates with openai/test-model" in found.reason
    sent = _candidates(model_server.requests[0]["body"])
    assert sorted(sent) == sorted(h.path for h in plain.hits)
    assert _tree(seeded.root) == before


def test_answers_are_cached_per_query_and_tree_state(seeded: Memory, model_server: ModelServer) -> None:
    model_server.replies(Reply(json.dumps({"ranked": [LIFETIME]})))
    seeded.query(UNSURE, llm=True)
    again = seeded.query(UNSURE, llm=True)
    assert len(model_server.requests) == 1 and "(cached)" in again.reason
    assert again.hits[0].path == LIFETIME
    seeded.update(LIFETIME, summary="Refresh tokens live 14 days")  # the tree changed
    seeded.query(UNSURE, llm=True)
    assert len(model_server.requests) == 2


def test_invented_paths_are_dropped(seeded: Memory, model_server: ModelServer) -> None:
    model_server.replies(Reply(json.dumps({"ranked": [{"path": "auth/jwt/token-expiry-policy"},
                                                      {"path": "../../etc/passwd"}]})))
    plain = seeded.query(UNSURE)
    found = seeded.query(UNSURE, llm=True)
    assert [h.path for h in found.hits] == [h.path for h in plain.hits]
    assert all(h.tier is not Tier.LLM for h in found.hits)
    assert found.escalate and "dropped 2 invented path(s)" in found.reason


def test_the_query_is_rewritten_once(seeded: Memory, model_server: ModelServer) -> None:
    def answer(body: dict[str, Any]) -> str:
        cands = _candidates(body)
        if LIFETIME in cands:
            return json.dumps({"ranked": [{"path": LIFETIME, "why": "lifetime of refresh tokens"}],
                               "rewrite": "again"})
        return json.dumps({"ranked": [], "rewrite": "refresh token lifetime"})

    model_server.answer = answer
    model_server.replies(Reply())
    found = seeded.query("how long until renewal is needed", llm=True)
    assert found.hits[0].path == LIFETIME and found.hits[0].tier is Tier.LLM
    assert "after rewriting the query to 'refresh token lifetime'" in found.reason
    assert len(model_server.requests) == 2
    assert "already rewritten once" in model_server.requests[1]["body"]["messages"][-1]["content"]


@pytest.mark.parametrize("reply, message", [
    (Reply("Sure! The best entry is the refresh one."), "did not answer with the JSON asked for"),
    (Reply(raw=b"<html>502</html>"), "not JSON"),
    (Reply("{}", delay=4), "no answer within 2s"),
])
def test_failures_degrade_to_retrieval(seeded: Memory, model_server: ModelServer, reply: Reply,
                                       message: str, caplog: pytest.LogCaptureFixture) -> None:
    before = _tree(seeded.root)
    model_server.replies(reply)
    plain = seeded.query(UNSURE)
    found = seeded.query(UNSURE, llm=True)
    assert [h.path for h in found.hits] == [h.path for h in plain.hits] and found.escalate
    assert "escalation failed" in found.reason and message in found.reason
    assert any("escalation failed" in r.getMessage() for r in caplog.records)
    assert _tree(seeded.root) == before
    assert not list((seeded.root / ".local").glob("llm-cache*"))


def test_429_then_success(seeded: Memory, model_server: ModelServer) -> None:
    model_server.replies(Reply(status=429, raw=b"{}", headers={"Retry-After": "0.1"}),
                         Reply(json.dumps({"ranked": [LIFETIME]})))
    assert seeded.query(UNSURE, llm=True).hits[0].tier is Tier.LLM


def test_budget_exhausted_degrades_without_calling(seeded: Memory, model_server: ModelServer) -> None:
    configure(seeded.root, "openai", model_server.url, daily_tokens=50)
    found = Memory(seeded.root).query(UNSURE, llm=True)
    assert "daily token budget exhausted" in found.reason and found.escalate
    assert model_server.requests == []


def test_config_switch_and_confident_queries_never_call(seeded: Memory, model_server: ModelServer) -> None:
    seeded.query("what pool size", llm=None)  # confident: no call
    configure(seeded.root, "openai", model_server.url, escalate=False)
    Memory(seeded.root).query(UNSURE, llm=None)
    assert model_server.requests == []


def _process(root: Path, *args: str, profile: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **({"PYTHONPROFILEIMPORTTIME": "1"} if profile else {})}
    return subprocess.run([str(MEMTREE), "--root", str(root), *args], capture_output=True, text=True,
                          env=env, timeout=60)


def test_query_command_llm_flags(seeded: Memory, model_server: ModelServer) -> None:
    model_server.replies(Reply(json.dumps({"ranked": [{"path": LIFETIME, "why": "lifetime"}]})))
    out = _process(seeded.root, "query", UNSURE, "--no-llm", "--json")
    assert json.loads(out.stdout)["escalate"] and model_server.requests == []
    out = _process(seeded.root, "query", UNSURE, "--json")
    data = json.loads(out.stdout)
    assert out.returncode == 0 and data["hits"][0]["tier"] == "llm" and data["hits"][0]["path"] == LIFETIME
    out = _process(seeded.root, "query", UNSURE, "--explain")
    assert "escalated" in out.stdout and "tier=llm" in out.stdout


def test_query_command_degrades_with_a_note(seeded: Memory, model_server: ModelServer) -> None:
    model_server.replies(Reply("not json at all"))
    out = _process(seeded.root, "query", UNSURE, "--json")
    assert out.returncode == 0 and "memtree: escalation failed: the model did not answer" in out.stderr
    assert json.loads(out.stdout)["escalate"] is True


def test_lean_query_path_does_not_import_the_llm_tier(memory: Memory) -> None:
    seed(memory)
    out = _process(memory.root, "query", UNSURE, "--json", profile=True)
    names = {line.rsplit("|", 1)[1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert "memtree.retrieval.tiers" in names
    assert not {n for n in names if n.startswith(("memtree.llm", "memtree.retrieval.escalate", "urllib.request"))}


def test_query_command_llm_without_a_model_says_so(memory: Memory) -> None:
    seed(memory)
    out = _process(memory.root, "query", UNSURE, "--llm", "--json")
    data = json.loads(out.stdout)
    assert out.returncode == 0 and data["escalate"] is True
    assert "no model configured to escalate to (see `memtree llm status`)" in data["reason"]
