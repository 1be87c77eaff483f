"""Whole-tree checks behind `memtree validate`: files, names, ids and every relation.

Reads only. Each finding is a Problem with the file and, where known, the line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InvalidEntry, MemtreeError
from ..model import RELATION_TYPES, Entry, Problem, Status
from . import codec, layout as tree, store

if TYPE_CHECKING:
    from ..config import Workspace


def check(ws: Workspace) -> list[Problem]:
    entries, problems = store.load_all(ws.root)
    by_path = {e.path: e for e in entries}
    by_path.update({e.path.removeprefix(tree.ARCHIVE_DIR + "/"): e for e in entries})
    by_id: dict[str, Entry] = {}
    for item in entries:
        problems.extend(_check_entry(item))
        if item.id in by_id:
            problems.append(Problem(
                _file(item), f"id {item.id!r} is also used by {by_id[item.id].path}.md"
            ))
        elif item.id:
            by_id[item.id] = item
    slugs = {e.path.rsplit("/", 1)[-1] for e in entries}  # Obsidian's [[note-name]] links
    for item in entries:
        for rel in item.relations:
            if rel.target not in by_path and rel.target not in by_id:
                problems.append(Problem(
                    _file(item), f"relation {rel.type} -> {rel.target!r}: no such entry"
                ))
            elif rel.type not in RELATION_TYPES:
                problems.append(Problem(
                    _file(item), f"relation type {rel.type!r} is not a documented type",
                    severity="warning",
                ))
        for target in codec.wikilinks(item.body):
            if target not in by_path and target not in by_id and target not in slugs:
                problems.append(Problem(_file(item), f"wikilink [[{target}]]: no such entry"))
    for path in sorted({p.path for p in problems} | {_file(e) for e in entries}):
        problems.extend(_unknown_fields(ws, path))
    problems.extend(_ignored(ws, [_file(e) for e in entries]))
    problems.extend(_too_deep(ws))
    problems.extend(_check_index_files(ws))
    problems.extend(_stale_summaries(ws, entries))
    return sorted(problems, key=lambda p: (p.path, p.line, p.message))


def _file(item: Entry) -> str:
    return item.path + ".md"


def _check_entry(item: Entry) -> list[Problem]:
    found = []
    where = _file(item)
    if not item.id:
        found.append(Problem(where, "field 'id' is missing (run `memtree validate --fix`)"))
    elif not codec.ID_RE.match(item.id):
        found.append(Problem(where, f"field 'id' {item.id!r} is not a memtree id", severity="warning"))
    for part in item.path.split("/"):
        if (not tree.NAME_RE.match(part) or part != part.lower()) and part != tree.ARCHIVE_DIR:
            found.append(Problem(where, f"name {part!r} is not normalised (lowercase, '-' or '_')"))
    if item.status is Status.SUPERSEDED and not any(
        r.type == "superseded_by" for r in item.relations
    ):
        found.append(Problem(
            where, "status is superseded but no superseded_by relation names its successor",
            severity="warning",
        ))
    if item.path.startswith(tree.ARCHIVE_DIR + "/") and item.status is not Status.ARCHIVED:
        found.append(Problem(where, "in _archive/ but status is not archived", severity="warning"))
    for marker in ("<<<<<<< ", ">>>>>>> "):
        if marker in item.body:
            found.append(Problem(where, "body holds unresolved merge conflict markers"))
            break
    return found


def _unknown_fields(ws: Workspace, path: str) -> list[Problem]:
    """Keys memtree does not know are kept, but are most often typos: a warning each."""
    import difflib
    import re

    try:
        text = store.read_text(tree.file_for(ws.root, path))
        meta, _ = codec.split_meta(text, path)
    except (MemtreeError, OSError):
        return []  # already reported
    found = []
    known = codec.KNOWN_FIELDS + codec.TOOL_FIELDS
    for key in (k for k in meta if k not in known):
        close = difflib.get_close_matches(str(key), known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else " (kept as is)"
        at = re.search(rf"^{re.escape(str(key))}\s*:", text, re.MULTILINE)
        line = text.count("\n", 0, at.start()) + 1 if at else 0
        found.append(Problem(path, f"unknown field '{key}'{hint}", line, "warning"))
    return found


def _ignored(ws: Workspace, files: list[str]) -> list[Problem]:
    """Entries git ignores (a root `.gitignore` with `build/` hides `*/build/*.md`): they would
    be missing from every clone."""
    import subprocess

    if not files:
        return []
    try:
        done = subprocess.run(["git", "-C", str(ws.root), "check-ignore", "--stdin", "-z"],
                              input="\0".join(files) + "\0", capture_output=True, text=True,
                              timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    if done.returncode not in (0, 1):  # not a git repository, or git is missing
        return []
    return [Problem(path, "ignored by git (.gitignore), so missing from every clone: add "
                    f"`!{path}` to the ignore file or move the entry", 0, "error")
            for path in done.stdout.split("\0") if path]


def _too_deep(ws: Workspace) -> list[Problem]:
    """`.md` files below the deepest folder where entries live (the walk never goes there)."""
    import os

    found = []
    for folder, dirs, files in os.walk(ws.root):
        rel = os.path.relpath(folder, ws.root).replace(os.sep, "/")
        rel = "" if rel == "." else rel
        dirs[:] = sorted(d for d in dirs if tree.allowed(f"{rel}/{d}".lstrip("/"))
                         or tree.depth_of(rel) >= tree.MAX_DEPTH and not d.startswith("."))
        if tree.depth_of(rel) <= tree.MAX_DEPTH:
            continue
        for name in sorted(f for f in files if f.endswith(".md") and not f.startswith(".")):
            path = tree.shown_name(f"{rel}/{name}")
            found.append(Problem(path, "not an entry: entries live at "
                                 "domain/topic[/subtopic]/name.md (move it or remove it)"))
    return found


def _check_index_files(ws: Workspace) -> list[Problem]:
    found = []
    for file in tree.index_files(ws.root):
        rel = file.relative_to(ws.root).as_posix()
        try:
            codec.split_meta(store.read_text(file), rel)
        except InvalidEntry as exc:
            found.append(store.problem_of(exc, rel))
    return found


def _stale_summaries(ws: Workspace, entries: list[Entry]) -> list[Problem]:
    from ..lifecycle.summaries import states

    return [Problem(f"{s.folder}/{tree.INDEX_FILE}", "summary is stale (run `memtree summaries`)",
                    severity="warning") for s in states(ws.root, entries) if s.state == "stale"]


def fix_ids(ws: Workspace) -> list[str]:
    """Give every entry without an id a fresh one; returns the paths fixed."""
    import dataclasses

    fixed = []
    with store.lock(ws.root):
        entries, _ = store.load_all(ws.root)
        for item in entries:
            if not item.id:
                store.write(ws.root, dataclasses.replace(item, id=codec.new_id()), overwrite=True)
                fixed.append(item.path)
    return fixed
