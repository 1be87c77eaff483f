"""Reading coding-agent session transcripts: Claude Code and Codex JSONL, Gemini CLI JSON or
JSONL, or plain text. Turns each into a `Transcript` of user and assistant turns (tool calls and
their results left out). Pure: takes text, does no I/O.
"""

from __future__ import annotations

import json

from ..record import Record, record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any

ROLES = {"user": "user", "human": "user", "assistant": "assistant", "gemini": "assistant",
         "model": "assistant", "agent_message": "assistant", "user_message": "user"}


@record
class Turn(Record):
    role: str  # "user" or "assistant"
    text: str
    at: str = ""


@record
class Transcript(Record):
    """What a session said, in order, with the agent that wrote it and its session id."""

    agent: str
    session: str
    turns: tuple[Turn, ...]

    @property
    def started(self) -> str:
        return next((t.at for t in self.turns if t.at), "")


def parse(text: str, name: str = "") -> Transcript:
    """A transcript from a file's text (`name` is its file name, for the session id fallback)."""
    stripped = text.lstrip()
    records: list[Any] = []
    if stripped.startswith("{") and "\n{" not in stripped.rstrip():
        try:
            whole = json.loads(stripped)
            records = whole.get("messages", [whole]) if isinstance(whole, dict) else []
            if isinstance(whole, dict) and whole.get("sessionId"):
                records = [{"sessionId": whole["sessionId"]}, *records]
        except ValueError:
            records = []
    if not records:
        for line in text.splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
    records = [r for r in records if isinstance(r, dict)]
    if not records:
        return Transcript("text", name, (Turn("user", text.strip()),) if text.strip() else ())
    return Transcript(_agent(records), _session(records) or name, tuple(_turns(records)))


def _agent(records: list[dict[str, Any]]) -> str:
    kinds = {str(r.get("type")) for r in records}
    if kinds & {"session_meta", "response_item", "event_msg"}:
        return "codex"
    if kinds & {"gemini", "model"} or any("sessionId" in r and "messages" in r for r in records):
        return "gemini"
    if any("sessionId" in r or "parentUuid" in r for r in records):
        return "claude-code"
    return "agent"


def _session(records: list[dict[str, Any]]) -> str:
    for r in records:
        for value in (r.get("sessionId"), r.get("session_id"),
                      (r.get("payload") or {}).get("id") if r.get("type") == "session_meta" else None):
            if isinstance(value, str) and value:
                return value
    return ""


def _turns(records: list[dict[str, Any]]) -> list[Turn]:
    out = []
    items = any(r.get("type") == "response_item" for r in records)  # Codex also logs events
    for r in records:
        if items and r.get("type") == "event_msg":
            continue
        payload = r.get("payload")
        body: dict[str, Any] = payload if isinstance(payload, dict) else r
        inner = body.get("message")
        message: dict[str, Any] = inner if isinstance(inner, dict) else body
        role = ROLES.get(str(message.get("role") or body.get("type") or r.get("type")))
        if role is None or body.get("type") in ("function_call", "function_call_output", "reasoning"):
            continue
        text = _text(message.get("content", message.get("text", inner))).strip()
        if text and not text.startswith(("<environment_context>", "<user_instructions>")):
            out.append(Turn(role, text, str(r.get("timestamp") or body.get("timestamp") or "")))
    return out


def _text(content: Any) -> str:
    """The prose of a message's content: a string, or its text parts (tool parts left out)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict)
                         and p.get("type", "text") in ("text", "input_text", "output_text")
                         and isinstance(p.get("text"), str))
    return ""
