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

from ..entries import store
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


def command(explicit: str | None = None) -> str:
    """How agents should start memtree: `memtree` when it is on PATH, else this interpreter's."""
    import shutil  # here, not at the top: the hook path never needs it

    if explicit:
        return explicit
    if shutil.which("memtree"):
        return "memtree"
    here = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    if here is not None and here.name == "memtree" and here.exists():
        return str(here)
    return "memtree"


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


def apply(project: Path, targets: list[Target], remove: bool) -> list[dict[str, str]]:
    """Install (or remove) every target; all are checked before any file is written."""
    plans = []
    for target in targets:
        file = (project / target.path).resolve()
        if project.resolve() not in file.parents:
            raise UnsafePath(f"{target.path}: outside the project folder")
        old = _read(file)
        new = (removed_text if remove else installed_text)(target, old, target.path)
        plans.append((target, file, old, new))
    report = []
    for target, file, old, new in plans:
        if target.kind == "json":
            new = _originals(project, target, old, new, remove)
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


def _originals(project: Path, target: Target, old: str | None, new: str | None,
               remove: bool) -> str | None:
    """JSON is re-serialised, so the user's exact text is kept aside (in .memory/.local/, when
    there is one) and put back on uninstall if the data is still the same."""
    keep = project / ORIGINALS / target.path
    if not remove:
        pristine = old is not None and "memtree" not in old and not keep.exists()
        if pristine and new != old and (project / ORIGINALS).parent.parent.is_dir():
            store.atomic_write(keep, old or "")
        return new
    saved = _read(keep)
    if saved is None:
        return new
    keep.unlink()
    store.prune_empty(project / ".memory", keep.parent)
    assert target.put is not None and target.drop is not None
    # Same data apart from memtree's part: the original text comes back as it was.
    base = target.drop(target.put(files.load_json(saved, target.path)))
    return saved if base == files.load_json(new, target.path) else new


def hook_command(cmd: str, agent: str, event: str) -> str:
    return f"{shlex.quote(cmd)} hook {agent} {event}"


def is_ours(group: Any) -> bool:
    """A hook group (or single hook) that runs `memtree hook …`."""
    if not isinstance(group, dict):
        return False
    found = group.get("hooks")
    hooks: list[Any] = found if isinstance(found, list) else [group]
    return any(isinstance(h, dict) and " hook " in str(h.get("command", ""))
               and "memtree" in str(h.get("command", "")) for h in hooks)


def hooks_target(path: str, groups: dict[str, dict[str, Any]],
                 container: tuple[str, ...] = ("hooks",)) -> Target:
    """A JSON settings file whose hook lists get one memtree group per event."""

    def put(data: dict[str, Any]) -> dict[str, Any]:
        for event, group in groups.items():
            files.add_hook(data, container, event, group, is_ours)
        return data

    def drop(data: dict[str, Any]) -> dict[str, Any]:
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
