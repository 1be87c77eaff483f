"""`memtree install` / `uninstall`: apply one agent's targets to a project folder.

The public entry points the CLI calls; the file edits themselves live in install.py and files.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import get
from . import install as installer

NOTES = {
    "claude-code": ["Claude Code asks once to approve the project MCP server in .mcp.json."],
    "codex": ["Codex reads .codex/ only in trusted projects; older releases need "
              "`[features] hooks = true` in config.toml for hooks."],
    "gemini": ["older Gemini CLI releases need hooks enabled in settings (hooksConfig.enabled)."],
    "cursor": ["Cursor injects memory at session start only; the rules teach per-prompt queries."],
}


def install(agent: str, project: Path, command: str | None = None) -> dict[str, Any]:
    module = get(agent)
    changes = installer.apply(project, module.targets(installer.command(command)), remove=False)
    return {"agent": module.NAME, "project": str(project.resolve()), "files": changes,
            "notes": NOTES.get(module.NAME, [])}


def uninstall(agent: str, project: Path) -> dict[str, Any]:
    module = get(agent)
    changes = installer.apply(project, module.targets("memtree"), remove=True)
    return {"agent": module.NAME, "project": str(project.resolve()), "files": changes, "notes": []}
