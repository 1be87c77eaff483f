"""Installing and uninstalling an agent integration: the files each agent module names, edited
through files.py so only memtree's block or keys change. Idempotent; reports what changed.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..entries import statepaths, store
from ..errors import AlreadyExists, InvalidEntry, UnsafePath
from . import files

OWNED_MARK = "memtree:owned"
ORIGINALS = Path(".memory/.local/install-originals")  # a file memtree wrote whole carries this line


@dataclass(frozen=True)
class Target:
    """One file an integration edits, and how."""

    path: str  # relative to the project folder
    kind: str  # "markdown" / "toml": a marked block; "json": owned keys; "owned": the whole file
    body: str = ""  # block or file text (markdown, toml, owned)
    put: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # json install
    drop: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # json uninstall
    guard: Callable[[str], None] | None = None  # refuses text that would conflict


PORTABLE = ""  # the command: the launcher below, the same on every machine (committable)
COMMAND_FILE = "memtree/command"  # under $XDG_CONFIG_HOME (~/.config): this user's memtree
LAUNCHER = (  # `memtree` on PATH, else the one `memtree install` recorded; absent: do nothing
    'command -v memtree >/dev/null 2>&1 && exec memtree "$@"; '
    'm=$(cat "${XDG_CONFIG_HOME:-$HOME/.config}/' + COMMAND_FILE + '" 2>/dev/null); '
    '[ -x "$m" ] && exec "$m" "$@"; exit 0'
)


def command(explicit: str | None = None) -> str:
    """How agents should start memtree: the explicit command, else the portable launcher."""
    return explicit or PORTABLE


def running_memtree() -> Path | None:
    """The absolute path of the `memtree` command running now (or on PATH), if any."""
    import shutil  # here, not at the top: the hook path never needs it

    here = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    if here is not None and here.name == "memtree" and here.exists():
        return here
    found = shutil.which("memtree")
    return Path(found).resolve() if found else None


def program(cmd: str, *args: str) -> tuple[str, list[str]]:
    """The executable and arguments that run `memtree ARGS` (for MCP server entries)."""
    if cmd == PORTABLE:
        return "sh", ["-c", LAUNCHER, "memtree", *args]
    return cmd, list(args)


def _read(file: Path) -> str | None:
    try:
        return file.read_bytes().decode("utf-8")  # bytes: keeps CRLF line ends as they are
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidEntry(f"{file}: cannot read: {exc}") from exc


def _markers(kind: str) -> tuple[str, str]:
    return files.TOML_MARKERS if kind == "toml" else files.MD_MARKERS


def installed_text(target: Target, text: str | None, where: str) -> str | None:
    """The file's text with memtree's part in place (None: no file)."""
    if target.kind in ("markdown", "toml"):
        if target.guard and text:
            target.guard(files.remove_block(text, _markers(target.kind)))
        return files.set_block(text, target.body, _markers(target.kind))
    if target.kind == "json":
        assert target.put is not None
        return files.edit_json(text, where, target.put)
    if text is not None and OWNED_MARK not in text:
        raise AlreadyExists(f"{where}: exists and was not written by memtree; move it away first")
    return target.body


def removed_text(target: Target, text: str | None, where: str) -> str | None:
    """The file's text without memtree's part (None: remove the file)."""
    if text is None:
        return None
    if target.kind in ("markdown", "toml"):
        return files.remove_block(text, _markers(target.kind)) or None
    if target.kind == "json":
        assert target.drop is not None
        return files.edit_json(text, where, target.drop)
    return None if OWNED_MARK in text else text


def apply(project: Path, targets: list[Target], remove: bool,
          originals: Path | None = None) -> list[dict[str, str]]:
    """Install (or remove) every target; all are checked before any file is written.
    `originals`: where JSON files' original texts are kept (default: the project's
    `.memory/.local/install-originals/`, when there is one)."""
    plans = []
    for target in targets:
        file = (project / target.path).resolve()
        if project.resolve() not in file.parents:
            raise UnsafePath(f"{target.path}: outside the project folder")
        if target.kind == "json":
            _keep_file(project, target, False, originals)  # a linked .local/ is refused first
        old = _read(file)
        new = (removed_text if remove else installed_text)(target, old, target.path)
        plans.append((target, file, old, new))
    report = []
    for target, file, old, new in plans:
        if target.kind == "json":
            new = _originals(project, target, old, new, remove, originals)
        if new == old:
            report.append({"path": target.path, "action": "unchanged"})
        elif new is None:
            file.unlink()
            store.prune_empty(project, file.parent)
            report.append({"path": target.path, "action": "removed"})
        else:
            store.atomic_write(file, new)
            report.append({"path": target.path, "action": "created" if old is None else "updated"})
    return report


def _keep_file(project: Path, target: Target, create: bool, originals: Path | None) -> Path:
    """Where a JSON file's original text is kept: under `.memory/.local/` (or `originals`),
    never through a link."""
    if originals is not None:
        return originals / target.path
    *folders, name = Path(target.path).parts
    if not (project / ORIGINALS).parent.parent.is_dir():
        return project / ORIGINALS / target.path
    return statepaths.folder(project / ".memory", *ORIGINALS.parts[1:], *folders, create=create) / name


def _originals(project: Path, target: Target, old: str | None, new: str | None,
               remove: bool, originals: Path | None) -> str | None:
    """JSON is re-serialised, so the user's exact text is kept aside (in .memory/.local/, when
    there is one, or `originals`) and put back on uninstall if the data is still the same."""
    has_root = originals is not None or (project / ORIGINALS).parent.parent.is_dir()
    keep = _keep_file(project, target, not remove and has_root, originals)
    if not remove:
        pristine = old is not None and "memtree" not in old and not statepaths.check_file(keep)
        if pristine and new != old and has_root:
            store.atomic_write(keep, old or "")
        return new
    saved = _read(keep)
    if saved is None:
        return new
    keep.unlink()
    store.prune_empty(originals.parent if originals else project / ".memory", keep.parent)
    assert target.put is not None and target.drop is not None
    # Same data apart from memtree's part: the original text comes back as it was.
    base = target.drop(target.put(files.load_json(saved, target.path)))
    return saved if base == files.load_json(new, target.path) else new


INSTALLED = "installed.json"  # in .memory/.local/: the memtree version that installed each agent


def record_version(project: Path, agent: str, remove: bool = False) -> None:
    """Note (or forget) which memtree version installed `agent` in this project, for doctor."""
    import json
    from datetime import UTC, datetime
    from importlib.metadata import version

    root = project / ".memory"
    if not (root / "config.toml").is_file():
        return
    file = statepaths.local(root) / INSTALLED
    try:
        data = json.loads(statepaths.read_text(file) or "{}")
    except ValueError:
        data = {}
    if remove:
        data.pop(agent, None)
    else:
        data[agent] = {"version": version("memtree"),
                       "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    if data:
        statepaths.write(file, json.dumps(data, indent=1, sort_keys=True) + "\n")
    else:
        file.unlink(missing_ok=True)


def hook_command(cmd: str, agent: str, event: str) -> str:
    exe, args = program(cmd, "hook", agent, event)
    return " ".join(shlex.quote(a) for a in (exe, *args))


def hook_groups(cmd: str, agent: str, events: tuple[str, ...], timeout: int,
                matchers: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """One group per event running `memtree hook AGENT EVENT`; an event in `matchers` runs for
    the tools its pattern names only (the agent's `matcher`)."""
    out: dict[str, dict[str, Any]] = {}
    for event in events:
        hook = {"type": "command", "command": hook_command(cmd, agent, event), "timeout": timeout}
        matcher = (matchers or {}).get(event)
        out[event] = {**({"matcher": matcher} if matcher else {}), "hooks": [hook]}
    return out


def is_ours(group: Any) -> bool:
    """A hook group (or single hook) that runs `memtree hook …`."""
    if not isinstance(group, dict):
        return False
    found = group.get("hooks")
    hooks: list[Any] = found if isinstance(found, list) else [group]
    return any(isinstance(h, dict) and " hook " in str(h.get("command", ""))
               and "memtree" in str(h.get("command", "")) for h in hooks)


def hooks_target(path: str, groups: dict[str, dict[str, Any]],
                 container: tuple[str, ...] = ("hooks",),
                 lists: dict[tuple[str, ...], list[str]] | None = None) -> Target:
    """A JSON settings file whose hook lists get one memtree group per event (and whose `lists`
    get memtree's items, e.g. pre-approved tools)."""

    def put(data: dict[str, Any]) -> dict[str, Any]:
        for event, group in groups.items():
            files.add_hook(data, container, event, group, is_ours)
        for key, items in (lists or {}).items():
            files.add_items(data, key, items)
        return data

    def drop(data: dict[str, Any]) -> dict[str, Any]:
        for key, items in (lists or {}).items():
            files.remove_items(data, key, items)
        return files.remove_hooks(data, container, is_ours)

    return Target(path, "json", put=put, drop=drop)


def server_target(path: str, entry: dict[str, Any], key: tuple[str, ...] = ("mcpServers", "memtree"),
                  also: Target | None = None) -> Target:
    """A JSON file whose MCP server table gets memtree's entry (and optionally more edits)."""

    def put(data: dict[str, Any]) -> dict[str, Any]:
        files.put_key(data, key, entry)
        return also.put(data) if also and also.put else data

    def drop(data: dict[str, Any]) -> dict[str, Any]:
        files.drop_key(data, key)
        return also.drop(data) if also and also.drop else data

    return Target(path, "json", put=put, drop=drop)
