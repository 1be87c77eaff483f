"""Claude Code: hooks in .claude/settings.json, the MCP server in .mcp.json, rules in CLAUDE.md.

Maps Claude Code's hook payloads and outputs (JSON `hookSpecificOutput.additionalContext`,
Stop context too, shown as feedback) onto memtree's injection actions; no memory logic here.
"""

from __future__ import annotations

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

NAME = "claude-code"
EVENTS = {"sessionstart": "start", "userpromptsubmit": "prompt", "precompact": "compact",
          "stop": "stop", "sessionend": "end",
          "posttooluse": "file"}
HOOK_EVENTS = ("SessionStart", "UserPromptSubmit", "PreCompact", "Stop", "SessionEnd", "PostToolUse")
MATCHERS = {"PostToolUse": "Read|Edit|Write|MultiEdit|NotebookEdit"}
# A tool call in the transcript (its definitions are there too, followed by "description").
WRITE_CALL = (r'"name":\s*"mcp__memtree__(?:add|update|link|supersede|archive)",\s*"input"'
              r'|\bmemtree (?:add|update|edit|link|mv|rm)\b')
READ_TOOLS = [f"mcp__memtree__{t}" for t in ("query", "get", "list", "tree")]  # pre-approved
EMPTY = ""
RESUME_KEEPS_CONTEXT = True  # `--resume` replays the history (briefing included), adds no new context


def remind(event: str, text: str) -> str:
    """Stop context: Claude Code continues the turn with it and shows "Stop hook feedback"
    (a `decision: block` continues too, but is shown as "Stop hook error")."""
    return context(event, text)


def targets(cmd: str) -> list[Target]:
    from .install import Target, hook_groups, hooks_target, program, server_target  # installs only

    groups = hook_groups(cmd, NAME, HOOK_EVENTS, 30, MATCHERS)
    exe, args = program(cmd, "mcp", "--agent", NAME)
    # alwaysLoad: the tools are in every request and `-p` runs wait for the server (5 s at most).
    server = {"type": "stdio", "command": exe, "args": args, "alwaysLoad": True}
    # Approvals are personal: Claude Code ignores allow rules for MCP tools in the shared file.
    lists = {("permissions", "allow"): READ_TOOLS, ("enabledMcpjsonServers",): ["memtree"]}
    return [
        hooks_target(".claude/settings.json", groups),
        hooks_target(".claude/settings.local.json", {}, lists=lists),
        server_target(".mcp.json", server),
        Target("CLAUDE.md", "markdown", RULES),
    ]


def user_level_targets(cmd: str) -> list[Target]:
    """`install --user`: hooks and approvals in ~/.claude/settings.json, the server in
    ~/.claude.json, the rules in ~/.claude/CLAUDE.md: found from any folder of any project."""
    from .install import Target, hook_groups, hooks_target, program, server_target

    groups = hook_groups(cmd, NAME, HOOK_EVENTS, 30, MATCHERS)
    exe, args = program(cmd, "mcp", "--agent", NAME)
    server = {"type": "stdio", "command": exe, "args": args, "alwaysLoad": True}
    return [
        hooks_target(".claude/settings.json", groups, lists={("permissions", "allow"): READ_TOOLS}),
        server_target(".claude.json", server),
        Target(".claude/CLAUDE.md", "markdown", RULES),
    ]
