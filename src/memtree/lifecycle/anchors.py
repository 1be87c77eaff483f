"""Anchors from entries to code: content hashes, drift checks, re-finding moved code, and a cheap
stale-flag cache in `.local/anchors.json`. Reads project files and calls `git rev-parse` only;
never writes entry files (Memory does, through store.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..entries import statepaths
from ..errors import InvalidEntry, NotFound, UnsafePath
from ..model import Anchor, Entry

CACHE = "anchors.json"
SPEC_RE = re.compile(r"^(?P<path>.+?)(?::(?P<start>\d+)(?:-(?P<end>\d+))?)?(?:#(?P<symbol>[\w.]+))?$")
DEF_RE = r"^(?P<indent>\s*)(?:async\s+def|def|class|function|func|fn|interface|struct|type)\s+{name}\b"
SKIP_DIRS = {".git", ".memory", ".venv", "venv", "node_modules", "__pycache__", ".index", ".local"}
MAX_FILE = 1_000_000


def project_dir(root: Path) -> Path:
    """Anchored paths are relative to the folder holding the memory root."""
    return root.resolve().parent


def parse_spec(spec: str) -> tuple[str, str | None, str | None]:
    """`PATH`, `PATH:START[-END]` or `PATH#SYMBOL` -> (path, lines, symbol)."""
    match = SPEC_RE.match(spec.strip())
    if not match:
        raise InvalidEntry(f"--anchor {spec!r}: expected PATH, PATH:START-END or PATH#SYMBOL")
    start, end = match.group("start"), match.group("end")
    lines = None
    if start:
        first, last = int(start), int(end or start)
        if first < 1 or last < first:
            raise InvalidEntry(f"--anchor {spec!r}: line range must be START-END with 1 <= START <= END")
        lines = f"{first}-{last}"
    return match.group("path").strip().removeprefix("./"), lines, match.group("symbol")


def _file(project: Path, rel: str) -> Path:
    target = (project / rel).resolve()
    if target != project and project not in target.parents:
        raise UnsafePath(f"anchor {rel!r}: outside the project {project}")
    return target


def _read(file: Path) -> list[str] | None:
    try:
        if not file.is_file() or file.stat().st_size > MAX_FILE:
            return None
        return file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None


def digest(lines: Iterable[str]) -> str:
    """sha256 of the text with trailing spaces and surrounding blank lines dropped (16 hex)."""
    text = "\n".join(ln.rstrip() for ln in lines).strip("\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _range(lines: str) -> tuple[int, int]:
    first, _, last = lines.partition("-")
    return int(first), int(last or first)


def symbol_block(text: list[str], symbol: str) -> tuple[int, int] | None:
    """1-based (start, end) of `def/class/function SYMBOL` and its indented body."""
    name = re.escape(symbol.rsplit(".", 1)[-1])
    pattern = re.compile(DEF_RE.format(name=name))
    for i, line in enumerate(text):
        match = pattern.match(line)
        if not match:
            continue
        indent = len(match.group("indent"))
        end = i
        for j in range(i + 1, len(text)):
            stripped = text[j].strip()
            if stripped and len(text[j]) - len(text[j].lstrip()) <= indent and not stripped.startswith(")"):
                break
            if stripped:
                end = j
        return i + 1, end + 1
    return None


def block(text: list[str], anchor: Anchor) -> list[str] | None:
    """The anchored lines of a file's text, or None when they are not there."""
    if anchor.symbol:
        found = symbol_block(text, anchor.symbol)
        return text[found[0] - 1 : found[1]] if found else None
    if anchor.lines:
        first, last = _range(anchor.lines)
        return text[first - 1 : last] if last <= len(text) else None
    return text


def commit_of(project: Path) -> str | None:
    """HEAD of the project's git repository, or None outside git."""
    try:
        done = subprocess.run(["git", "-C", str(project), "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip()[:12] or None


def from_cwd(project: Path, path: str) -> str:
    """A code path as typed in a shell (relative to the current folder, or absolute) made
    relative to the project; a path naming no file from there is taken as project-relative."""
    import os

    typed = Path(os.path.expanduser(path))
    here = typed if typed.is_absolute() else Path(os.getcwd()) / typed
    try:
        if here.is_file():
            return here.resolve().relative_to(project.resolve()).as_posix()
    except (ValueError, OSError):
        pass
    return path


def make(project: Path, spec: str) -> Anchor:
    """A new anchor for `spec`, hashed now and stamped with the current commit."""
    path, lines, symbol = parse_spec(spec)
    path = from_cwd(project, path)
    text = _read(_file(project, path))
    if text is None:
        raise NotFound(f"--anchor {spec!r}: no readable file {path} in {project}")
    anchor = Anchor(path, lines, symbol)
    found = block(text, anchor)
    if found is None:
        what = f"symbol {symbol!r}" if symbol else f"lines {lines}"
        raise InvalidEntry(f"--anchor {spec!r}: {what} not found in {path} ({len(text)} lines)")
    return replace(anchor, hash=digest(found), commit=commit_of(project))


@dataclass(frozen=True)
class Finding:
    """One anchor's state: ok, changed, moved (with where to) or missing."""

    entry: str
    id: str
    anchor: Anchor
    state: str
    new: Anchor | None = None

    @property
    def message(self) -> str:
        spec = self.anchor.spec()
        if self.state == "moved" and self.new:
            return f"{spec} moved to {self.new.spec()}"
        return {"ok": f"{spec} unchanged", "changed": f"{spec} changed",
                "missing": f"{spec} disappeared"}[self.state]

    def to_dict(self) -> dict[str, Any]:
        return {"entry": self.entry, "id": self.id, "state": self.state, "anchor": self.anchor.to_dict(),
                "new": self.new.to_dict() if self.new else None, "message": self.message}


def _project_files(project: Path, suffix: str) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(project):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(suffix):
                out.append(Path(dirpath, name).relative_to(project).as_posix())
    return out


def _find_in(text: list[str], anchor: Anchor) -> Anchor | None:
    """The anchor re-found in one file's text (same hash), with its new lines."""
    if anchor.symbol:
        found = symbol_block(text, anchor.symbol)
        if found and digest(text[found[0] - 1 : found[1]]) == anchor.hash:
            return anchor
        return None
    if not anchor.lines:
        return anchor if digest(text) == anchor.hash else None
    first, last = _range(anchor.lines)
    size = last - first + 1
    for start in range(0, max(0, len(text) - size) + 1):
        if digest(text[start : start + size]) == anchor.hash:
            return replace(anchor, lines=f"{start + 1}-{start + size}")
    return None


def examine(project: Path, anchor: Anchor) -> tuple[str, Anchor | None]:
    """(state, new anchor) for one anchor against the working tree."""
    text = _read(_file(project, anchor.path))
    if text is not None:
        current = block(text, anchor)
        if current is not None and digest(current) == anchor.hash:
            return "ok", None
        moved = _find_in(text, anchor)
        if moved is not None:
            return "moved", moved
    suffix = Path(anchor.path).suffix or Path(anchor.path).name
    for other in _project_files(project, suffix):
        if other == anchor.path:
            continue
        other_text = _read(project / other)
        moved = _find_in(other_text, replace(anchor, path=other)) if other_text else None
        if moved is not None:
            return "moved", moved
    if text is None:
        return "missing", None
    current = block(text, anchor)
    return "changed", replace(anchor, hash=digest(current)) if current is not None else None


def check(project: Path, entries: list[Entry]) -> list[Finding]:
    """Every anchor of every entry, examined (rehashes files: use stale_flags on hot paths)."""
    out = []
    for item in entries:
        for anchor in item.anchors:
            state, new = examine(project, anchor)
            out.append(Finding(item.path, item.id, anchor, state, new))
    return out


def refreshed(anchor: Anchor, finding: Finding, commit: str | None) -> Anchor:
    """The anchor to store after `check --update` accepts a finding."""
    if finding.state in ("moved", "changed") and finding.new is not None:
        return replace(finding.new, commit=commit or finding.new.commit)
    return anchor


# ---------------------------------------------------------------- cheap stale flags


def stale_flags(memory: Any, entries: list[Entry]) -> dict[str, str]:
    """`{entry id: "possibly stale: …"}` for anchored entries whose code changed or disappeared.

    `memory` is a Memory (or its root Path). Cheap: a file is rehashed only when its mtime or size
    differ from `.local/anchors.json`.
    """
    root: Path = memory if isinstance(memory, Path) else memory.root
    project = project_dir(root)
    cache_file = statepaths.local(root) / CACHE
    cache = _load_cache(cache_file)
    dirty = False
    flags: dict[str, str] = {}
    for item in entries:
        for anchor in item.anchors:
            current, changed = _cached_hash(project, anchor, cache)
            dirty |= changed
            if current is None:
                flags.setdefault(item.id, f"possibly stale: {anchor.path} disappeared")
            elif current != anchor.hash:
                flags.setdefault(item.id, f"possibly stale: {anchor.spec()} changed")
    if dirty:
        _save_cache(cache_file, cache)
    return flags


def _cached_hash(project: Path, anchor: Anchor, cache: dict[str, Any]) -> tuple[str | None, bool]:
    try:
        file = _file(project, anchor.path)
        info = file.stat()
    except (OSError, UnsafePath):
        return None, False
    stamp = [info.st_mtime_ns, info.st_size]
    slot = cache.setdefault(anchor.path, {"stamp": stamp, "hashes": {}})
    if slot.get("stamp") != stamp:
        slot.update(stamp=stamp, hashes={})
    key = anchor.spec()
    if key in slot["hashes"]:
        return slot["hashes"][key], False
    text = _read(file)
    current = block(text, anchor) if text is not None else None
    value = digest(current) if current is not None else None
    slot["hashes"][key] = value
    return value, True


def _load_cache(file: Path) -> dict[str, Any]:
    try:
        data = json.loads(statepaths.read_text(file) or "")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save_cache(file: Path, cache: dict[str, Any]) -> None:
    from ..entries.store import atomic_write

    try:
        atomic_write(file, json.dumps(cache, sort_keys=True))
    except OSError:
        pass  # a cache that cannot be saved is rebuilt next time
