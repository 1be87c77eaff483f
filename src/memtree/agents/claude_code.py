"""Claude Code: hooks in .claude/settings.json, the MCP server in .mcp.json, rules in CLAUDE.md.

Maps Claude Code's hook payloads and outputs (JSON `hookSpecificOutput.additionalContext`,
Stop `decision: block`) onto memtree's injection actions; no memory logic here.
"""

from __future__ import annotations

import json
from typing import Any

from .install import Target, hook_command, hooks_target, server_target
from .rules import RULES

NAME = "claude-code"
EVENTS = {"sessionstart": "start", "userpromptsubmit": "prompt", "precompact": "compact",
          "stop": "stop", "sessionend": "end"}
HOOK_EVENTS = ("SessionStart", "UserPromptSubmit", "PreCompact", "Stop", "SessionEnd")
EMPTY = ""


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
    return json.dumps({"decision": "block", "reason": text})


def targets(cmd: str) -> list[Target]:
    groups = {e: {"hooks": [{"type": "command", "command": hook_command(cmd, NAME, e),
                             "timeout": 30}]} for e in HOOK_EVENTS}
    server = {"type": "stdio", "command": cmd, "args": ["mcp", "--agent", NAME]}
    return [
        hooks_target(".claude/settings.json", groups),
        server_target(".mcp.json", server),
        Target("CLAUDE.md", "markdown", RULES),
    ]
