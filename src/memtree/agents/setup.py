"""`memtree install` / `uninstall`: apply one agent's targets to a project folder (or, with
`--user`, to the user's own settings).

The public entry points the CLI calls; the file edits themselves live in install.py and files.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import get, install as installer

NOTES = {
    "claude-code": ["Claude Code asks once to approve the project MCP server in .mcp.json."],
    "codex": ["Codex reads .codex/ only in trusted projects; older releases need "
              "`[features] hooks = true` in config.toml for hooks."],
    "gemini": ["older Gemini CLI releases need hooks enabled in settings (hooksConfig.enabled)."],
    "cursor": ["Cursor injects memory at session start only; the rules teach per-prompt queries."],
}
USER_NOTES = {  # `--user`: no project files, so no note about them
    "gemini": NOTES["gemini"],
}


def install(agent: str, project: Path, command: str | None = None,
            user: bool = False) -> dict[str, Any]:
    module = get(agent)
    cmd = installer.command(command)
    if user:
        changes = _user_level(module, cmd, remove=False)
    else:
        changes = installer.apply(project, module.targets(cmd), remove=False)
        changes += _user_files(module, remove=False)
        installer.record_version(project, module.NAME)
    notes = list(NOTES.get(module.NAME, []) if not user else USER_NOTES.get(module.NAME, []))
    if module.NAME == "codex" and not user:
        notes.append(_trust_codex(module, project, cmd))
    if cmd == installer.PORTABLE:
        notes.append(_record_command())
    return {"agent": module.NAME, "project": str(project.resolve()), "files": changes,
            "notes": notes}


def _trust_codex(module: Any, project: Path, cmd: str) -> str:
    """Trust memtree's own Codex hooks for this user, as the TUI's hook review would, so that
    `codex exec` runs them; only hooks whose command is exactly what install wrote."""
    from ..errors import MemtreeError
    from ..health import codex_hooks

    if codex_hooks.codex_program() is None:
        return ("codex is not on PATH: trust memtree's hooks once in the Codex TUI (/hooks), or "
                "run `memtree install codex` again where codex is on PATH.")
    commands = {installer.hook_command(cmd, module.NAME, e) for e in module.HOOK_EVENTS}
    try:
        done = codex_hooks.trust(project.resolve(), commands)
    except MemtreeError as exc:
        return (f"memtree's Codex hooks were not trusted ({exc}): trust them in the TUI (/hooks), "
                "or trust the project and run `memtree install codex` again.")
    if not done:
        return "Codex already trusts memtree's hooks here."
    return (f"trusted {len(done)} memtree hook(s) for Codex in your Codex config "
            "(hooks.state); a changed hook needs trusting again.")


def _home() -> Path:
    from .. import config

    return Path(config.env("HOME") or "~").expanduser()


def _user_files(module: Any, remove: bool) -> list[dict[str, str]]:
    """The agent's files under the home folder (reported with `~/` paths)."""
    targets = module.user_targets() if hasattr(module, "user_targets") else []
    if not targets:
        return []
    return [{**c, "path": f"~/{c['path']}"} for c in installer.apply(_home(), targets, remove)]


def _user_level(module: Any, cmd: str, remove: bool) -> list[dict[str, str]]:
    """A user-level install: the agent runs memtree's hooks and server in every folder (and
    memtree does nothing where there is no .memory/)."""
    from ..errors import UsageError

    if not hasattr(module, "user_level_targets"):
        raise UsageError(f"{module.NAME}: no user-level install; install it in the project")
    targets = module.user_level_targets(cmd)
    return [{**c, "path": f"~/{c['path']}"} for c in installer.apply(_home(), targets, remove)]


def _record_command() -> str:
    """Keep this user's memtree path where the launcher finds it when memtree is not on PATH."""
    from .. import config
    from ..entries import store

    here = installer.running_memtree()
    if here is None:
        return "memtree was not found: agents run it only when it is on their PATH."
    base = config.env("XDG_CONFIG_HOME") or str(Path(config.env("HOME") or "~").expanduser()
                                                 / ".config")
    file = Path(base) / installer.COMMAND_FILE
    if not file.exists() or file.read_text(encoding="utf-8").strip() != str(here):
        store.atomic_write(file, f"{here}\n")
    return f"agents run memtree from PATH, else {here} (recorded in {file})."


def uninstall(agent: str, project: Path, user: bool = False) -> dict[str, Any]:
    module = get(agent)
    notes = []
    if user:
        changes = _user_level(module, "memtree", remove=True)
    else:
        if module.NAME == "codex":  # first: Codex lists the hooks only while they exist
            notes.append(_untrust_codex(project))
        changes = installer.apply(project, module.targets("memtree"), remove=True)
        changes += _user_files(module, remove=True)
        installer.record_version(project, module.NAME, remove=True)
    return {"agent": module.NAME, "project": str(project.resolve()), "files": changes,
            "notes": [n for n in notes if n]}


def _untrust_codex(project: Path) -> str:
    """Drop the trust records install wrote into the user's Codex config."""
    from ..errors import MemtreeError
    from ..health import codex_hooks

    if not (project / ".codex" / "hooks.json").exists():
        return ""
    if codex_hooks.codex_program() is None:
        return ("codex is not on PATH: trust records of memtree's hooks in your Codex config "
                "(hooks.state), if any, are left; they name hooks that are gone.")
    try:
        done = codex_hooks.untrust(project.resolve())
    except MemtreeError as exc:
        return f"the trust records of memtree's Codex hooks were left ({exc})."
    return f"untrusted {len(done)} memtree hook(s) in your Codex config (hooks.state)." if done else ""
