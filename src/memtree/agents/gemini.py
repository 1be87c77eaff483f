"""Gemini CLI: hooks and the MCP server in .gemini/settings.json, rules in GEMINI.md, and a user
policy (~/.gemini/policies/memtree.toml) that lets headless runs use the read-only tools.

Gemini's names differ (BeforeAgent for prompts, AfterAgent for stop, PreCompress, tools named
`mcp_memtree_add`) and its hooks must print JSON only, so an empty answer is `{}`.
"""

from __future__ import annotations

import json
import re

from .payload import (  # the agent's payload readers, re-exported for the Agent protocol
    context as context,
    project_of as project_of,
    prompt_of as _raw_prompt,
    session_of as session_of,
    source_of as source_of,
    stop_active as stop_active,
)
from .rules import RULES

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any

    from .install import Target

NAME = "gemini"
EVENTS = {"sessionstart": "start", "beforeagent": "prompt", "precompress": "compact",
          "afteragent": "stop", "sessionend": "end"}
HOOK_EVENTS = ("SessionStart", "BeforeAgent", "PreCompress", "AfterAgent", "SessionEnd")
EMPTY = "{}"
# A call to a memtree write tool in Gemini's chat file (it holds no tool definitions).
WRITE_CALL = (r'"name":\s*"mcp_memtree_(?:add|update|link|supersede|archive)"'
              r'|\bmemtree (?:add|update|edit|link|mv|rm)\b')
HOOK_CONTEXT = r"<hook_context>.*?</hook_context>\s*"  # what hooks added, sent back as the prompt
POLICY = """# {mark}: written by `memtree install gemini`; `memtree uninstall gemini` removes it
# Headless Gemini CLI runs offer only the MCP tools a policy allows: memtree's read-only ones.
[[rule]]
mcpName = "memtree"
toolName = ["query", "get", "list", "tree"]
decision = "allow"
priority = 100
"""


def prompt_of(payload: dict[str, Any]) -> str:
    """The user's prompt, without the context earlier hooks put before it."""
    return re.sub(HOOK_CONTEXT, "", _raw_prompt(payload), flags=re.S)


def is_compaction(payload: dict[str, Any]) -> bool:
    """Gemini fires PreCompress before every model call, before deciding whether to compress
    (the `auto` trigger); only `/compress` (`manual`) always compresses."""
    return payload.get("trigger") == "manual"


def remind(event: str, text: str) -> str:
    return json.dumps({"decision": "deny", "reason": text})


def _settings(cmd: str) -> Target:
    """`.gemini/settings.json`: the MCP server and one hook group per event."""
    from .install import hook_command, hooks_target, program, server_target  # installs only

    groups = {e: {"hooks": [{"type": "command", "command": hook_command(cmd, NAME, e),
                             "timeout": 30000}]} for e in HOOK_EVENTS}
    exe, args = program(cmd, "mcp", "--agent", NAME)
    server = {"command": exe, "args": args}
    return server_target(".gemini/settings.json", server, also=hooks_target("", groups))


def targets(cmd: str) -> list[Target]:
    from .install import Target

    return [_settings(cmd), Target("GEMINI.md", "markdown", RULES)]


def user_level_targets(cmd: str) -> list[Target]:
    """`install --user`: Gemini reads a project's .gemini/settings.json only in the folder it
    starts in; the user's ~/.gemini/settings.json holds the hooks and server for every folder
    (the rules in ~/.gemini/GEMINI.md, the read-only policy as for a project install)."""
    from .install import Target

    return [_settings(cmd), Target(".gemini/GEMINI.md", "markdown", RULES), *user_targets()]


def user_targets() -> list[Target]:
    """Files under the user's home folder (Gemini reads policies only there)."""
    from .install import OWNED_MARK, Target

    return [Target(".gemini/policies/memtree.toml", "owned", POLICY.format(mark=OWNED_MARK))]
