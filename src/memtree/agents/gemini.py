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
          "afteragent": "stop", "sessionend": "end",
          "aftertool": "file"}
HOOK_EVENTS = ("SessionStart", "BeforeAgent", "PreCompress", "AfterAgent", "SessionEnd", "AfterTool")
MATCHERS = {"AfterTool": "^(read_file|write_file|replace|read_many_files)$"}
EMPTY = "{}"
# A call to a memtree write tool in Gemini's chat file (it holds no tool definitions).
WRITE_CALL = (r'"name":\s*"mcp_memtree_(?:add|update|link|supersede|archive)"'
              r'|\bmemtree (?:add|update|edit|link|mv|rm)\b')
HOOK_CONTEXT = r"<hook_context>.*?</hook_context>\s*"  # what hooks added, sent back as the prompt
POLICY = """# {mark}: written by `memtree install gemini`; `memtree uninstall gemini` removes it
# Headless Gemini CLI runs offer only the MCP tools a policy allows: memtree's read-only ones.
# Full names: with `mcpName`, Gemini takes the short name `get` for a misspelt built-in tool.
[[rule]]
toolName = ["mcp_memtree_query", "mcp_memtree_get", "mcp_memtree_list", "mcp_memtree_tree"]
decision = "allow"
priority = 100
"""


def prompt_of(payload: dict[str, Any]) -> str:
    """The user's prompt, without the context earlier hooks put before it."""
    return re.sub(HOOK_CONTEXT, "", _raw_prompt(payload), flags=re.S)


def is_compaction(payload: dict[str, Any]) -> bool:
    """Never from PreCompress alone: Gemini fires it (`auto`) before every model call, before
    deciding whether to compress, and even `/compress` (`manual`) may leave the history as it
    was (nothing to compress, or a summary longer than the history). A compression that happened
    is seen in the transcript instead (`compression_mark`)."""
    return False


SUMMARY_ACK = "Got it. Thanks for the additional context!"  # Gemini's turn after its summary
# memtree's pinned entries in a turn: the briefing's opening line, or the heading they come back with
PINNED_GIVEN = ("Pinned entries follow in full", "memtree: pinned project rules:")


def compression_mark(transcript: str) -> str:
    """Gemini's latest history compression in its chat file (JSONL), as the id of its summary; ""
    when none, or when a turn it kept still holds the pinned entries. A compression, automatic or
    `/compress`, rewrites the history with a `$set` record: the session context, the summary,
    Gemini's fixed acknowledgement, then the turns kept."""
    for line in reversed(transcript.splitlines()):
        if not line.startswith('{"$set"') or SUMMARY_ACK not in line:
            continue
        try:
            messages = json.loads(line)["$set"]["messages"]
        except (ValueError, KeyError, TypeError):
            continue
        for at, (summary, ack) in enumerate(zip(messages, messages[1:], strict=False)):
            if isinstance(ack, dict) and SUMMARY_ACK in json.dumps(ack.get("content")):
                kept = json.dumps(messages[at + 2:])
                if not isinstance(summary, dict) or any(m in kept for m in PINNED_GIVEN):
                    return ""
                return str(summary.get("id") or "")
    return ""


def remind(event: str, text: str) -> str:
    return json.dumps({"decision": "deny", "reason": text})


def _settings(cmd: str) -> Target:
    """`.gemini/settings.json`: the MCP server and one hook group per event."""
    from .install import hook_groups, hooks_target, program, server_target  # installs only

    groups = hook_groups(cmd, NAME, HOOK_EVENTS, 30000, MATCHERS)
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
