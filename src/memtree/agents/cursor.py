"""Cursor: a rules file in .cursor/rules/, the MCP server in .cursor/mcp.json, hooks in
.cursor/hooks.json. Cursor can add context only at sessionStart (`additional_context`);
per-prompt memory comes from the agent calling the MCP `query` tool, as the rules teach.
"""

from __future__ import annotations

import json

from .payload import text_of
from .rules import RULES

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any

    from .install import Target

NAME = "cursor"
EVENTS = {"sessionstart": "start", "precompact": "compact", "stop": "stop", "sessionend": "end"}
HOOK_EVENTS = ("sessionStart", "preCompact", "stop", "sessionEnd")
EMPTY = "{}"

MDC = """---
description: Project memory (memtree): when to query it and when to record in it
globs:
alwaysApply: true
---
<!-- {mark}: written by `memtree install cursor`; `memtree uninstall cursor` removes it -->

{rules}"""  # filled in targets(): the owned mark lives in install.py, imported by installs only


def session_of(payload: dict[str, Any]) -> str | None:
    return text_of(payload.get("conversation_id")) or text_of(payload.get("session_id"))


def project_of(payload: dict[str, Any]) -> str | None:
    roots = payload.get("workspace_roots")
    if isinstance(roots, list) and roots and isinstance(roots[0], str):
        return roots[0]
    return text_of(payload.get("cwd"))


def source_of(payload: dict[str, Any]) -> str:
    return "startup"


def prompt_of(payload: dict[str, Any]) -> str:
    return text_of(payload.get("prompt")) or ""


def stop_active(payload: dict[str, Any]) -> bool:
    loops = payload.get("loop_count")
    busy = isinstance(loops, int | float) and not isinstance(loops, bool) and loops > 0
    return busy or payload.get("status") not in (None, "completed")


def context(event: str, text: str) -> str:
    return json.dumps({"additional_context": text})


def remind(event: str, text: str) -> str:
    return json.dumps({"followup_message": text})


def targets(cmd: str) -> list[Target]:
    from . import files
    from .install import OWNED_MARK, Target, hook_command, is_ours, program, server_target

    groups = {e: {"command": hook_command(cmd, NAME, e)} for e in HOOK_EVENTS}

    def put(data: dict[str, Any]) -> dict[str, Any]:
        data.setdefault("version", 1)
        for event, hook in groups.items():
            files.add_hook(data, ("hooks",), event, hook, is_ours)
        return data

    def drop(data: dict[str, Any]) -> dict[str, Any]:
        files.remove_hooks(data, ("hooks",), is_ours)
        return {} if data == {"version": 1} else data

    exe, args = program(cmd, "mcp", "--agent", NAME)
    server = {"command": exe, "args": args}
    return [
        Target(".cursor/rules/memtree.mdc", "owned", MDC.format(mark=OWNED_MARK, rules=RULES)),
        server_target(".cursor/mcp.json", server),
        Target(".cursor/hooks.json", "json", put=put, drop=drop),
    ]

