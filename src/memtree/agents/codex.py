"""Codex CLI: hooks in .codex/hooks.json, the MCP server in .codex/config.toml, rules in AGENTS.md.

Codex mirrors Claude Code's hook payloads; its outputs are strict JSON objects (no extra keys).
It sends SessionStart (source compact) after compaction and names MCP calls `add` in namespace
`mcp__memtree`; `codex exec` runs project hooks only once they are trusted.
"""

from __future__ import annotations

import json

from ..errors import AlreadyExists
from .payload import (  # the agent's payload readers, re-exported for the Agent protocol
    context as context,
    project_of as project_of,
    prompt_of as prompt_of,
    session_of as session_of,
    source_of as source_of,
    stop_active as stop_active,
)
from .rules import RULES

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from .install import Target

NAME = "codex"
EVENTS = {"sessionstart": "start", "userpromptsubmit": "prompt", "precompact": "compact",
          "stop": "stop", "sessionend": "end",
          "posttooluse": "file"}
HOOK_EVENTS = ("SessionStart", "UserPromptSubmit", "PreCompact", "Stop", "SessionEnd", "PostToolUse")
MATCHERS = {"PostToolUse": "Bash|apply_patch|Edit|Write"}
EMPTY = ""
RESUME_KEEPS_CONTEXT = True  # `codex exec resume` replays the history, briefing included
# A call to a memtree write tool in Codex's rollout file: the tool name, then its namespace.
WRITE_CALL = (r'"name":\s*"(?:add|update|link|supersede|archive)",\s*"namespace":\s*"mcp__memtree"'
              r'|mcp__memtree__(?:add|update|link|supersede|archive)\b'
              r'|\bmemtree (?:add|update|edit|link|mv|rm)\b')


def remind(event: str, text: str) -> str:
    return json.dumps({"decision": "block", "reason": text})


def _server_block(cmd: str) -> str:
    from .install import program

    exe, args = program(cmd, "mcp", "--agent", NAME)
    return f"[mcp_servers.memtree]\ncommand = {json.dumps(exe)}\nargs = {json.dumps(args)}"


def _guard(text: str) -> None:
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return  # not ours to fix; Codex will report it
    if "memtree" in data.get("mcp_servers", {}):
        raise AlreadyExists(".codex/config.toml: [mcp_servers.memtree] is already defined outside "
                            "memtree's block; remove it first")


def targets(cmd: str) -> list[Target]:
    from .install import Target, hook_groups, hooks_target  # installs only

    groups = hook_groups(cmd, NAME, HOOK_EVENTS, 30, MATCHERS)
    return [
        hooks_target(".codex/hooks.json", groups),
        Target(".codex/config.toml", "toml", _server_block(cmd), guard=_guard),
        Target("AGENTS.md", "markdown", RULES),
    ]
