"""Agent writes and review mode: with `[agents] review = true` an agent's write is held as a
proposal in `.local/proposals/` until a person approves (applied through Memory with the agent's
provenance) or rejects it. Owns that folder; writes entries only through Memory.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..entries import layout as tree, statepaths, store
from ..entries.codec import new_id, now_iso
from ..errors import InvalidEntry, NotFound

if TYPE_CHECKING:
    from ..memory import Memory

PROPOSALS_DIR = "proposals"
CLOSED_DIR = "closed"
ACTIONS = ("add", "update", "link", "supersede", "archive")


def apply(memory: Memory, action: str, args: dict[str, Any]) -> Any:
    """Perform one write through the public API (the same calls the CLI makes)."""
    args = dict(args)
    if action == "add":
        args["relations"] = [tuple(r) for r in args.get("relations") or ()]
        return memory.add(**args)
    if action == "update":
        return memory.update(args.pop("ref"), **args)
    if action == "link":
        return memory.link(args["ref"], args["type"], args["target"], reason=args.get("reason"))
    if action == "supersede":
        return supersede(memory, args["old"], args["new"], args.get("reason"))
    if action == "archive":
        return memory.remove(args["ref"], reason=args.get("reason"))
    raise InvalidEntry(f"action {action!r}: expected one of {', '.join(ACTIONS)}")


def supersede(memory: Memory, old: str, new: str, reason: str | None) -> dict[str, Any]:
    """Mark `old` superseded by `new` (Memory.supersede when the lifecycle engine provides it)."""
    method = getattr(memory, "supersede", None)
    if callable(method):
        pair = method(old, new, reason)
        return {"old": pair[0], "new": pair[1]}
    old_rel, new_rel = memory.resolve(old), memory.resolve(new)
    if old_rel == new_rel:
        raise InvalidEntry(f"supersede {old!r}: an entry cannot supersede itself")
    memory.link(new_rel, "supersedes", old_rel, reason=reason)
    memory.update(old_rel, reason=reason, status="superseded")
    memory.link(old_rel, "superseded_by", new_rel, reason=reason)
    return {"old": memory.get(old_rel), "new": memory.get(new_rel)}


def submit(memory: Memory, action: str, args: dict[str, Any]) -> Any:
    """Apply an agent's write now, or hold it as a proposal when review mode is on."""
    from .inject import options

    if not options(memory.ws.settings).review:
        return apply(memory, action, args)
    return queue(memory, action, args)


def queue(memory: Memory, action: str, args: dict[str, Any]) -> dict[str, Any]:
    """Hold a write as a proposal for `memtree review`, whatever the review setting."""
    preview(memory, action, args)  # refuse now what could never be applied
    proposal = {"id": new_id(), "created": now_iso(), "seq": time.time_ns(), "actor": memory.ws.actor,
                "tool": memory.ws.tool, "session": memory.ws.session, "action": action, "args": args,
                "summary": _summary(action, args)}
    store.atomic_write(_folder(memory.root, create=True) / f"{proposal['id']}.json",
                       json.dumps(proposal, indent=1, ensure_ascii=False) + "\n")
    return {"status": "proposed", "proposal": proposal["id"], "summary": proposal["summary"],
            "note": "review mode is on: a person approves or rejects this with `memtree review`"}


def _summary(action: str, args: dict[str, Any]) -> str:
    target = args.get("ref") or args.get("old") or f"{args.get('path')}: {args.get('title')}"
    return f"{action} {target}" + (f" ({args['reason']})" if args.get("reason") else "")


def _folder(root: Path, create: bool = False) -> Path:
    return statepaths.local(root, PROPOSALS_DIR, create=create)


def pending(memory: Memory) -> list[dict[str, Any]]:
    """Open proposals, oldest first."""
    found = []
    folder = _folder(memory.root)
    for file in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        with contextlib.suppress(OSError, ValueError):
            found.append(json.loads(statepaths.read_text(file) or ""))
    return sorted(found, key=lambda p: (p.get("seq", 0), p.get("id", "")))


def load(memory: Memory, pid: str) -> dict[str, Any]:
    file = _folder(memory.root) / f"{pid}.json"
    if "/" in pid or not file.is_file():
        raise NotFound(f"proposal {pid!r}: no such open proposal (see `memtree review`)")
    data: dict[str, Any] = json.loads(statepaths.read_text(file) or "")
    return data


def show(memory: Memory, pid: str) -> dict[str, Any]:
    """A proposal with the diff it would make to the tree now."""
    proposal = load(memory, pid)
    try:
        proposal["diff"] = preview(memory, proposal["action"], proposal["args"],
                                   (proposal["actor"], proposal["tool"], proposal["session"]))
    except Exception as exc:  # noqa: BLE001 - the tree may have moved on since it was proposed
        proposal["diff"] = ""
        proposal["error"] = f"no longer applies: {exc}"
    return proposal


def decide(memory: Memory, pid: str, approve: bool, note: str | None = None) -> dict[str, Any]:
    """Approve (apply with the proposer's provenance) or reject a proposal; it is then closed."""
    from ..memory import Memory as MemoryType

    proposal = load(memory, pid)
    result = None
    if approve:
        agent = MemoryType(memory.root, memory.ws.settings, actor=proposal["actor"],
                           tool=proposal["tool"], session=proposal["session"])
        args = dict(proposal["args"])
        args["reason"] = f"{args.get('reason') or proposal['summary']} (approved by {memory.ws.actor})"
        result = apply(agent, proposal["action"], args)
    closed = {**proposal, "decision": "approved" if approve else "rejected",
              "decided_by": memory.ws.actor, "decided": now_iso(), "note": note}
    store.atomic_write(statepaths.local(memory.root, PROPOSALS_DIR, CLOSED_DIR) / f"{pid}.json",
                       json.dumps(closed, indent=1, ensure_ascii=False) + "\n")
    (_folder(memory.root) / f"{pid}.json").unlink()
    return {"proposal": closed, "result": result}


def preview(memory: Memory, action: str, args: dict[str, Any],
            who: tuple[str, str, str | None] | None = None) -> str:
    """The unified diff a write would make (as `who`: actor, tool, session), found by applying
    it to a linked copy of the tree."""
    from ..memory import Memory as MemoryType

    with tempfile.TemporaryDirectory(prefix="memtree-review-") as tmp:
        shadow_root = Path(tmp) / "root"
        _mirror(memory.root, shadow_root)
        actor, tool, session = who or (memory.ws.actor, memory.ws.tool, memory.ws.session)
        shadow = MemoryType(shadow_root, memory.ws.settings, actor=actor, tool=tool, session=session)
        apply(shadow, action, args)
        return _diff(memory.root, shadow_root)


def _mirror(root: Path, dest: Path) -> None:
    """Hard links where possible (store writes replace files, never edit them in place)."""
    dest.mkdir(parents=True)
    shutil.copy2(root / "config.toml", dest / "config.toml")
    for file in tree.walk(root, archived=True):
        target = dest / file.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(file, target)
        except OSError:
            shutil.copy2(file, target)


def _files(root: Path) -> dict[str, Path]:
    return {file.relative_to(root).as_posix(): file for file in tree.walk(root, archived=True)}


def _diff(before_root: Path, after_root: Path) -> str:
    before, after = _files(before_root), _files(after_root)
    chunks: list[str] = []
    for rel in sorted(before.keys() | after.keys()):
        old, new = before.get(rel), after.get(rel)
        if old and new and (os.path.samefile(old, new) or old.read_bytes() == new.read_bytes()):
            continue
        old_lines = old.read_text(encoding="utf-8").splitlines(True) if old else []
        new_lines = new.read_text(encoding="utf-8").splitlines(True) if new else []
        chunks.extend(difflib.unified_diff(old_lines, new_lines, f"a/{rel}" if old else "/dev/null",
                                           f"b/{rel}" if new else "/dev/null"))
    return "".join(chunks)


class AgentWork:
    """What coding agents and their reviewers do with one memory (reached by Memory.agents())."""

    def __init__(self, memory: Memory) -> None:
        self.memory = memory

    def submit(self, action: str, **args: Any) -> Any:
        """An agent's write: applied now, or held as a proposal when `[agents] review = true`."""
        return submit(self.memory, action, args)

    def pending(self) -> list[dict[str, Any]]:
        return pending(self.memory)

    def show(self, pid: str) -> dict[str, Any]:
        return show(self.memory, pid)

    def approve(self, pid: str, note: str | None = None) -> dict[str, Any]:
        return decide(self.memory, pid, approve=True, note=note)

    def reject(self, pid: str, note: str | None = None) -> dict[str, Any]:
        return decide(self.memory, pid, approve=False, note=note)

    def injections(self, session: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """What the agent hooks injected (or would have, in observe mode), oldest first."""
        from . import journal

        return journal.read_log(self.memory.root, session=session, limit=limit)
