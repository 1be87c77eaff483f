"""Coding-agent integrations: one small module per agent in a plain registry.

Each module names the files its install edits and maps the agent's hook events and payloads
onto memtree's; the hook runner (hook.py) and installer (install.py) use only this
registry; base.py holds the contract each module meets.
"""

from __future__ import annotations

from . import claude_code, codex, cursor, gemini

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from .base import Agent

# Filled one module at a time so that mypy checks each against the Agent protocol.
AGENTS: dict[str, Agent] = {}
AGENTS["claude-code"] = claude_code
AGENTS["cursor"] = cursor
AGENTS["codex"] = codex
AGENTS["gemini"] = gemini


def get(name: str) -> Agent:
    from ..errors import UsageError

    key = name.strip().lower().replace("_", "-")
    if key == "claude":
        key = "claude-code"
    if key not in AGENTS:
        raise UsageError(f"agent {name!r}: choose one of {', '.join(AGENTS)}")
    return AGENTS[key]


def event_key(name: str) -> str:
    """Event names compare without case, dashes or underscores (SessionStart = session-start)."""
    return name.replace("-", "").replace("_", "").lower()
