"""Gemini CLI: hooks and the MCP server in .gemini/settings.json, rules in GEMINI.md.

Gemini's names differ (BeforeAgent for prompts, AfterAgent for stop, PreCompress) and its
hooks must print JSON only, so an empty answer is `{}`.
"""

from __future__ import annotations

import json
from typing import Any

from .install import Target, hook_command, hooks_target, server_target
from .rules import RULES

NAME = "gemini"
EVENTS = {"sessionstart": "start", "beforeagent": "prompt", "precompress": "compact",
          "afteragent": "stop", "sessionend": "end"}
HOOK_EVENTS = ("SessionStart", "BeforeAgent", "PreCompress", "AfterAgent", "SessionEnd")
EMPTY = "{}"


def session_of(payload: dict[str, Any]) -> str | None:
    return payload.get("session_id")


def project_of(payload: dict[str, Any]) -> str | None:
    return payload.get("cwd")


def source_of(payload: dict[str, Any]) -> str:
    return str(payload.get("source") or "startup")


def prompt_of(payload: dict[str, Any]) -> str:
    return str(payload.get("prompt") or "")


def stop_active(payload: dict[str, Any]) -> bool:
    return bool(payload.get("stop_hook_active"))


def context(event: str, text: str) -> str:
    return json.dumps({"hookSpecificOutput": {"hookEventName": event, "additionalContext": text}})


def remind(event: str, text: str) -> str:
    return json.dumps({"decision": "deny", "reason": text})


def targets(cmd: str) -> list[Target]:
    groups = {e: {"hooks": [{"type": "command", "command": hook_command(cmd, NAME, e),
                             "timeout": 30000}]} for e in HOOK_EVENTS}
    server = {"command": cmd, "args": ["mcp", "--agent", NAME]}
    return [
        server_target(".gemini/settings.json", server, also=hooks_target("", groups)),
        Target("GEMINI.md", "markdown", RULES),
    ]
