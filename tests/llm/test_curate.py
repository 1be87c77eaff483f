"""Curation and ingestion against a real model server on loopback: transcripts of each agent
read, proposals checked (invented paths, unknown fields and relations, duplicates, secrets
refused), queued for review or applied, and every failure leaving the tree and the review queue
untouched. `memtree ingest` needs no model; the session-end hook queues curation when asked."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from conftest import Run
from llm_support import ModelServer, Reply, configure, model_server_fixture  # noqa: F401
from memtree import Memory
from memtree.lifecycle import transcripts
from retrieval_support import seed

SIGN = "auth/jwt/sign-access-tokens-with-rs256"
LIFETIME = "auth/jwt/refresh-token-lifetime"


def claude_transcript(folder: Path, secret: str = "") -> Path:
    lines = [
        {"type": "user", "sessionId": "abc-123", "timestamp": "2026-11-20T10:00:00Z",
         "message": {"role": "user", "content": "Why do refresh tokens expire after 14 days?"}},
        {"type": "assistant", "sessionId": "abc-123", "timestamp": "2026-11-20T10:00:05Z",
         "message": {"role": "assistant", "content": [
             {"type": "text", "text": "Let me look."},
             {"type": "tool_use", "id": "t1", "name": "Read", "input": {"file_path": "auth.py"}}]}},
        {"type": "user", "sessionId": "abc-123", "message": {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t1", "content": "REFRESH_DAYS = 14"}]}},
        {"type": "assistant", "sessionId": "abc-123", "timestamp": "2026-11-20T10:00:09Z",
         "message": {"role": "assistant", "content": [
             {"type": "text", "text": f"Security asked for 14 days in the 2025 audit. {secret}"}]}},
    ]
    file = folder / "abc-123.jsonl"
    file.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return file


def _files(root: Path) -> str:
    found = sorted(p for p in root.rglob("*") if p.is_file() and ".index" not in p.parts
                   and "llm-spend.jsonl" not in p.name)
    return hashlib.sha256(b"".join(p.as_posix().encode() + p.read_bytes() for p in found)).hexdigest()


def test_transcripts_of_each_agent_are_read(tmp_path: Path) -> None:
    claude = transcripts.parse(claude_transcript(tmp_path).read_text())
    assert (claude.agent, claude.session) == ("claude-code", "abc-123")
    assert [(t.role, t.text[:12]) for t in claude.turns] == [
        ("user", "Why do refre"), ("assistant", "Let me look."), ("assistant", "Security ask")]
    codex = transcripts.parse("\n".join(json.dumps(x) for x in [
        {"type": "session_meta", "payload": {"id": "cx-9"}},
        {"type": "response_item", "payload": {"type": "message", "role": "user",
                                              "content": [{"type": "input_text", "text": "<environment_context>cwd</environment_context>"}]}},
        {"type": "response_item", "payload": {"type": "message", "role": "user",
                                              "content": [{"type": "input_text", "text": "rename the flag"}]}},
        {"type": "event_msg", "payload": {"type": "user_message", "message": "rename the flag"}},
        {"type": "response_item", "payload": {"type": "function_call", "name": "shell", "arguments": "{}"}},
        {"type": "response_item", "payload": {"type": "message", "role": "assistant",
                                              "content": [{"type": "output_text", "text": "Renamed."}]}}]))
    assert (codex.agent, codex.session) == ("codex", "cx-9")
    assert [(t.role, t.text) for t in codex.turns] == [("user", "rename the flag"), ("assistant", "Renamed.")]
    gemini = transcripts.parse(json.dumps({"sessionId": "g-1", "messages": [
        {"type": "user", "content": "hi", "timestamp": "2026-11-01T08:00:00Z"},
        {"type": "gemini", "content": "hello"}]}))
    assert (gemini.agent, gemini.session, len(gemini.turns)) == ("gemini", "g-1", 2)


def test_ingest_needs_no_model_and_is_idempotent(run: Run, memory: Memory, tmp_path: Path) -> None:
    file = claude_transcript(tmp_path, secret="key sk-proj-Q7vX2mK9pL4nR8tW1yZ3bC6dF0gH5jS2aE7uI9oP")
    out = run("ingest", str(file), "--json")
    assert out.returncode == 0, out.stderr
    made = json.loads(out.stdout)
    assert made["status"] == "added" and made["path"].startswith("episodes/claude-code/2026-11-20-abc-123")
    entry = Memory(memory.root).get(made["path"])
    assert entry.type == "episode" and "Why do refresh tokens expire" in entry.body
    assert "Security asked for 14 days" in entry.body and "sk-proj-Q7vX" not in entry.body
    assert "REFRESH_DAYS" not in entry.body  # tool results are left out
    again = run("ingest", str(file))
    assert again.returncode == 0 and "already ingested" in again.stdout
    bad = tmp_path / "notes.txt"
    bad.write_text("just prose")
    out = run("ingest", str(bad))
    assert out.returncode == 5 and "not a session transcript" in out.stderr


def test_curate_without_a_model_exits_13_and_writes_nothing(run: Run, memory: Memory) -> None:
    before = _files(memory.root)
    out = run("curate", "We decided to use RS256.")
    assert out.returncode == 13 and len(out.stderr.strip().splitlines()) == 1
    assert "no model configured" in out.stderr and "memtree ingest" in out.stderr
    assert _files(memory.root) == before


PROPOSALS = {"operations": [
    {"op": "add", "path": "auth/audit", "title": "Refresh token lifetime comes from the 2025 audit",
     "summary": "Security asked for 14 days", "type": "decision", "tags": ["jwt"],
     "reason": "explains a choice", "source": "Security asked for 14 days in the 2025 audit."},
    {"op": "update", "ref": LIFETIME, "summary": "Refresh tokens live 14 days (audit 2025)",
     "reason": "adds the why", "source": "the 2025 audit"},
    {"op": "link", "ref": LIFETIME, "type": "relates_to", "target": SIGN, "reason": "both about JWTs", "source": "x"},
    {"op": "update", "ref": "auth/jwt/token-rotation", "summary": "x", "reason": "invented", "source": "x"},
    {"op": "link", "ref": LIFETIME, "type": "causes", "target": SIGN, "reason": "bad relation", "source": "x"},
    {"op": "add", "path": "auth/jwt", "title": "Refresh token lifetime", "reason": "duplicate", "source": "x"},
    {"op": "add", "path": "ops/keys", "title": "Deploy key", "body": "use sk-proj-Q7vX2mK9pL4nR8tW1yZ3bC6dF0gH5jS2aE7uI9oP",
     "reason": "secret", "source": "x"},
    {"op": "add", "path": "auth/audit", "title": "Audit owner", "owner": "sam", "reason": "extra field", "source": "x"},
    {"op": "delete", "ref": SIGN, "reason": "unknown op"},
    {"op": "update", "ref": SIGN, "tags": "jwt", "reason": "tags not a list", "source": "x"},
]}


def test_curate_queues_checked_operations_for_review(run: Run, memory: Memory, tmp_path: Path,
                                                     model_server: ModelServer) -> None:
    seed(memory)
    configure(memory.root, "openai", model_server.url)
    model_server.replies(Reply(json.dumps(PROPOSALS)))
    tree = _files(memory.root / "auth")
    out = run("curate", "--file", str(claude_transcript(tmp_path)), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [o["summary"] for o in data["operations"]] == [
        "add auth/audit: Refresh token lifetime comes from the 2025 audit", f"update {LIFETIME}",
        f"link {LIFETIME} relates_to {SIGN}"]
    assert all(o["status"] == "queued" and o["source"].startswith("claude-code session abc-123")
               for o in data["operations"])
    whys = [r["why"] for r in data["refused"]]
    assert any("no such entry (invented paths are refused)" in w for w in whys)
    assert any("type 'causes'" in w for w in whys)
    assert any(f"duplicates {LIFETIME}" in w for w in whys)
    assert any("looks like it holds a secret" in w for w in whys)
    assert any("unknown field 'owner'" in w for w in whys)
    assert any("unknown operation" in w for w in whys) and len(whys) == 7
    assert any("update: tags must be a list of words" in w for w in whys)
    assert "3 operation(s) queued for `memtree review`; 7 refused" in data["message"]
    assert _files(memory.root / "auth") == tree  # nothing applied before review
    sent = model_server.requests[0]["body"]["messages"][-1]["content"]
    assert "Why do refresh tokens expire" in sent and LIFETIME in sent and "REFRESH_DAYS" not in sent
    pending = run("review", "--json")
    assert len(json.loads(pending.stdout)) == 3


def test_curate_apply_writes_through_memory(run: Run, memory: Memory, model_server: ModelServer) -> None:
    seed(memory)
    configure(memory.root, "openai", model_server.url)
    model_server.replies(Reply(json.dumps(PROPOSALS)))
    out = run("curate", "Security asked for 14 days in the 2025 audit.", "--apply")
    assert out.returncode == 0, out.stderr
    assert "3 operation(s) applied; 7 refused" in out.stdout
    fresh = Memory(memory.root)
    assert fresh.get(LIFETIME).summary == "Refresh tokens live 14 days (audit 2025)"
    assert fresh.get("auth/audit/refresh-token-lifetime-comes-from-the-2025-audit").type == "decision"
    assert not (memory.root / "ops").exists()


@pytest.mark.parametrize("reply, code, message", [
    (Reply("I think you should remember the audit."), 13, "did not answer with the JSON asked for"),
    (Reply(raw=b"{truncated"), 13, "not JSON"),
    (Reply("{}", delay=4), 13, "no answer within 1s"),
    (Reply(json.dumps({"operations": [{"op": "nothing", "reason": "only small talk"}]})), 0,
     "nothing to remember: only small talk"),
    (Reply(json.dumps({"operations": [{"op": "update", "ref": "a/b/c", "summary": "s", "reason": "r"}]})), 0,
     "nothing written: all 1 proposed operation(s) were refused"),
])
def test_curation_failures_and_empty_results_say_why(run: Run, memory: Memory, model_server: ModelServer,
                                                     reply: Reply, code: int, message: str) -> None:
    seed(memory)
    configure(memory.root, "openai", model_server.url, timeout=1)
    model_server.replies(reply)
    before = _files(memory.root)
    out = run("curate", "hello there")
    assert out.returncode == code and message in (out.stderr if code else out.stdout)
    if code:
        assert len(out.stderr.strip().splitlines()) == 1
    assert _files(memory.root) == before


def test_curate_budget_exhausted(run: Run, memory: Memory, model_server: ModelServer) -> None:
    configure(memory.root, "openai", model_server.url, daily_tokens=100)
    out = run("curate", "a long enough text " * 20)
    assert out.returncode == 13 and "daily token budget exhausted" in out.stderr
    assert model_server.requests == []


def test_session_end_hook_queues_curation_when_asked(run: Run, memory: Memory, tmp_path: Path,
                                                     model_server: ModelServer) -> None:
    seed(memory)
    file = claude_transcript(tmp_path)
    payload = json.dumps({"session_id": "abc-123", "transcript_path": str(file),
                          "hook_event_name": "SessionEnd", "cwd": str(memory.root.parent)})
    assert run("hook", "claude-code", "SessionEnd", input=payload).returncode == 0
    assert not (memory.root / ".local" / "curation-queue.jsonl").exists()  # off by default
    configure(memory.root, "openai", model_server.url, curate_on_end=True)
    assert run("hook", "claude-code", "SessionEnd", input=payload).returncode == 0
    assert model_server.requests == []  # the hook only queues
    model_server.replies(Reply(json.dumps({"operations": [{"op": "nothing", "reason": "already known"}]})))
    out = run("curate", "--queued", "--json")
    assert out.returncode == 0, out.stderr
    assert [r["message"] for r in json.loads(out.stdout)] == ["nothing to remember: already known"]
    assert "nothing queued" in run("curate", "--queued").stdout
    assert len(model_server.requests) == 1
