"""Coding-agent integrations: one small module per agent in a plain registry.

Each module names the files its install edits and maps the agent's hook events and payloads
onto memtree's; the hook runner (hook.py) and installer (install.py) use only this registry.
"""

from __future__ import annotations

from types import ModuleType

from . import claude_code, codex, cursor, gemini

AGENTS: dict[str, ModuleType] = {
    "claude-code": claude_code,
    "cursor": cursor,
    "codex": codex,
    "gemini": gemini,
}


def get(name: str) -> ModuleType:
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
