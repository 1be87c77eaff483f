"""Reading the hook payload shape Claude Code introduced and Codex and Gemini CLI share
(`session_id`, `cwd`, `source`, `prompt`, `stop_hook_active`), and its context output.

Agent modules import these names; an agent with another shape (Cursor) defines its own.
"""

from __future__ import annotations

import json

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any


def text_of(value: Any) -> str | None:
    """A payload value that should be text: a string (numbers as text), else None."""
    if isinstance(value, str):
        return value
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def session_of(payload: dict[str, Any]) -> str | None:
    return text_of(payload.get("session_id"))


def project_of(payload: dict[str, Any]) -> str | None:
    return text_of(payload.get("cwd"))


def source_of(payload: dict[str, Any]) -> str:
    return text_of(payload.get("source")) or "startup"


def prompt_of(payload: dict[str, Any]) -> str:
    return text_of(payload.get("prompt")) or ""


def stop_active(payload: dict[str, Any]) -> bool:
    return bool(payload.get("stop_hook_active"))


def context(event: str, text: str) -> str:
    return json.dumps({"hookSpecificOutput": {"hookEventName": event, "additionalContext": text}})
