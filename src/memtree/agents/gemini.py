"""Gemini CLI: hooks and the MCP server in .gemini/settings.json, rules in GEMINI.md.

Gemini's names differ (BeforeAgent for prompts, AfterAgent for stop, PreCompress) and its
hooks must print JSON only, so an empty answer is `{}`.
"""

from __future__ import annotations

import json

from .payload import (  # noqa: F401  (the agent's payload readers)
    context,
    project_of,
    prompt_of,
    session_of,
    source_of,
    stop_active,
)
from .rules import RULES

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from .install import Target

NAME = "gemini"
EVENTS = {"sessionstart": "start", "beforeagent": "prompt", "precompress": "compact",
          "afteragent": "stop", "sessionend": "end"}
HOOK_EVENTS = ("SessionStart", "BeforeAgent", "PreCompress", "AfterAgent", "SessionEnd")
EMPTY = "{}"


def remind(event: str, text: str) -> str:
    return json.dumps({"decision": "deny", "reason": text})


def targets(cmd: str) -> list[Target]:
    from .install import Target, hook_command, hooks_target, program, server_target  # installs only

    groups = {e: {"hooks": [{"type": "command", "command": hook_command(cmd, NAME, e),
                             "timeout": 30000}]} for e in HOOK_EVENTS}
    exe, args = program(cmd, "mcp", "--agent", NAME)
    server = {"command": exe, "args": args}
    return [
        server_target(".gemini/settings.json", server, also=hooks_target("", groups)),
        Target("GEMINI.md", "markdown", RULES),
    ]
