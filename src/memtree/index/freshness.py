"""What changed on disk since the index last looked: the folder gate, the rotating re-check of
files, and explicit paths, gathered into a Scope. Stats and lists folders; no database, no parsing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

from ..entries import statepaths
from ..entries.layout import Stamp, allowed, changed_ns, scan, scan_folder
from .source import restat

# A folder or file whose mtime is this close to the moment it was read may change again within
# the file system's timestamp tick without its mtime moving: it is looked at again next time.
RACY_NS = 100_000_000
UNSETTLED = -1           # recorded instead of a folder mtime (or a file size): look again
RECHECK_FILES = 256      # entry files re-stat'ed per query beyond the folder gate, in rotation
GATE_EVERY_S = 30.0      # while a watcher runs, the folder gate still runs this often
CURSOR_SAVE_S = 1.0      # a process that queries again keeps its rotation cursor in memory and
#                          writes it for the next process at most this often (a cold query: once)


class Scope:
    """A part of the tree to bring up to date: `seen` holds the current stamp of every file in it.

    `folders`: folders whose direct files are all in scope (rescanned, so a file missing from
    `seen` was deleted); `gone`: folders deleted with everything below; `paths`: single files;
    `mtimes`: folder mtimes to record. `full`: the whole tree (every folder and file).
    """

    def __init__(self, seen: dict[str, Stamp] | None = None, folders: set[str] | None = None,
                 mtimes: dict[str, int] | None = None, full: bool = False) -> None:
        self.seen = seen or {}
        self.folders = folders or set()
        self.gone: set[str] = set()
        self.paths: set[str] = set()
        self.mtimes = mtimes or {}
        self.full = full

    @property
    def empty(self) -> bool:
        return not (self.full or self.folders or self.gone or self.paths or self.mtimes)

    def add_paths(self, seen: dict[str, Stamp], paths: Iterable[str]) -> None:
        self.paths.update(paths)
        self.seen.update(seen)


def settled(mtime: int, now: int) -> int:
    """The mtime to record for a folder read at `now` (UNSETTLED while it is racy)."""
    return UNSETTLED if now - mtime < RACY_NS else mtime


def stored_stamp(stamp: Stamp, now: int) -> Stamp:
    """The stamp to record for a file read at `now`: a racy one never matches the next stat."""
    return (stamp[0], UNSETTLED) if now - stamp[0] < RACY_NS else stamp


def whole(root: Path) -> Scope:
    """Every folder and file of the tree."""
    now = time.time_ns()
    folders, files = scan(root)
    return Scope(seen=files, folders=set(folders), full=True,
                 mtimes={rel: settled(m, now) for rel, m in folders.items()})


def changed_folders(root: Path, known: dict[str, int]) -> list[str]:
    """The gate: recorded folders whose change time (`changed_ns`) moved (a file added, removed,
    renamed or replaced by an atomic save), that vanished, or that were left unsettled. One stat
    per folder."""
    base = str(root)
    out = []
    for rel, mtime in known.items():
        try:
            now = changed_ns(os.stat(f"{base}/{rel}" if rel else base))
        except OSError:
            now = None
        if now != mtime:
            out.append(rel)
    return out


def rescan(root: Path, rels: Iterable[str], known: dict[str, int]) -> Scope:
    """List the given folders again (new subfolders are walked whole, vanished ones are gone)."""
    todo = sorted(set(rels))
    scope = Scope()
    if not todo:
        return scope
    now = time.time_ns()
    children: dict[str, list[str]] = {}
    for known_rel in known:
        if known_rel:
            children.setdefault(known_rel.rsplit("/", 1)[0] if "/" in known_rel else "",
                                []).append(known_rel)
    for rel in todo:
        if not allowed(rel) or any(rel == g or rel.startswith(g + "/") for g in scope.gone):
            continue
        scanned = scan_folder(root, rel)
        if scanned is None:
            scope.gone.add(rel)
            continue
        mtime, files, subfolders = scanned
        scope.folders.add(rel)
        scope.mtimes[rel] = settled(mtime, now)
        scope.seen.update(files)
        # a recorded subfolder the listing no longer walks into (now a symlink, say) is gone
        scope.gone.update(set(children.get(rel, ())) - set(subfolders))
        for sub in subfolders:
            if sub not in known and sub not in scope.mtimes:
                folders, below = scan(root, sub)
                scope.folders.update(folders)
                scope.mtimes.update((r, settled(m, now)) for r, m in folders.items())
                scope.seen.update(below)
    return scope


def differing(root: Path, recorded: dict[str, Stamp]) -> dict[str, Stamp] | None:
    """None if every recorded `path -> stamp` still matches its file; else the current stamps
    (a vanished path is among the keys of `recorded` but not of the result)."""
    current = restat(root, recorded)
    if all(current.get(p) == s for p, s in recorded.items()):
        return None
    return current


# ---------------------------------------------------------------- rotation cursor


def cursor_file(root: Path) -> Path:
    return statepaths.index(root, create=False) / "recheck"


def read_cursor(root: Path) -> str:
    """Where the rotating re-check stopped last time ("" to start from the first path)."""
    try:
        return statepaths.read_text(cursor_file(root)) or ""
    except OSError:
        return ""


def write_cursor(root: Path, path: str) -> None:
    """Best effort: a lost or torn cursor only restarts the rotation. Never through a link."""
    try:
        fd = statepaths.open_fd(cursor_file(root), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(path)
    except OSError:
        pass
