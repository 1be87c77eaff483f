"""Adopting a markdown note made elsewhere (a foreign OKF concept, a bare Obsidian note) as an
entry: its fields mapped (title, description, type, tags, aliases, timestamps), fields memtree
does not know kept as they are, a field of the wrong shape kept under `okf_<name>` and named, a
place in the layout found for its path, and a stable id from where it came from. Pure text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..entries import codec, layout as tree
from ..errors import InvalidEntry

MAPPED = {"description": "summary", "timestamp": "updated", "date": "created"}
KEEP_PREFIX = "okf_"


@dataclass
class Adopted:
    """A note as an entry: where it goes, its text, and what was changed on the way."""

    path: str  # memory path, no `.md`
    text: str
    notes: list[str] = field(default_factory=list)


def place(rel: str, taken: Callable[[str], bool], fallback: str = "imported/notes") -> tuple[str, list[str]]:
    """A free memory path for a note at `rel` (`a/b/Some Note.md`): names slugged, depth fitted
    to domain/topic[/subtopic] (one folder: topic `general`; none: `fallback`), `-2`, `-3`…
    when taken."""
    *folders, name = rel.removesuffix(".md").split("/")
    parts = [tree.slugify(f) for f in folders if f.strip()]
    parts = [p if not p[0].isdigit() and not p.startswith("_") else f"n{p}" for p in parts]
    notes = []
    if len(parts) < 2:
        parts = [*parts, "general"] if parts else fallback.split("/")
        notes.append(f"placed in {'/'.join(parts)} (a note needs a domain and a topic folder)")
    elif len(parts) > 3:
        notes.append(f"placed in {'/'.join(parts[:3])} (folders deeper than domain/topic/subtopic)")
        parts = parts[:3]
    slug = tree.slugify(name)
    candidate, number = "/".join([*parts, slug]), 2
    while taken(candidate):
        candidate, number = "/".join([*parts, f"{slug}-{number}"]), number + 1
    if candidate.rsplit("/", 1)[-1] != name or parts != folders:
        notes.insert(0, f"moved from {rel} to {candidate}.md")
    return candidate, notes


def adopt(rel: str, text: str, path: str, new_id: str, mtime: float, by: str,
          keep: str = KEEP_PREFIX, origin: bool = True, named: bool = False) -> Adopted:
    """The entry for note `rel` (text `text`) at memory path `path`; fields of the wrong shape
    kept under `keep` + name; `origin`: the source names the note's file; `named`: the file name
    is the title (as Obsidian shows it) when the frontmatter has none."""
    meta, body = _split(text, rel)
    notes: list[str] = []
    stamp = dt.datetime.fromtimestamp(mtime, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out: dict[str, Any] = {"format": 1, "id": new_id, "title": _title(meta, "" if named else body, rel)}
    for key, value in meta.items():
        target = MAPPED.get(key, key)
        if target == "id":
            if isinstance(value, str) and codec.ID_RE.match(value):
                out["id"] = value
            else:
                out[keep + "id"] = value
        elif target not in ("format", "title") and (target not in out or key == target):
            out[target] = value
    out.setdefault("created", out.get("updated") or stamp)  # the file's time: a re-import
    out.setdefault("updated", out["created"])  # of the same note gives the same text
    out.setdefault("source", {"by": by, "files": [rel]} if origin else {"by": by})
    for key in ("tags", "aliases"):
        if isinstance(out.get(key), str):  # `tags: a, b` as some tools write it
            out[key] = [t.strip() for t in re.split(r"[,\s]+", out[key]) if t.strip()]
    entry = _checked(out, body, path, notes, stamp, keep)
    return Adopted(path, codec.render(entry), notes)


def _checked(out: dict[str, Any], body: str, path: str, notes: list[str], stamp: str,
             keep: str) -> Any:
    """The entry, each field memtree cannot take moved under `keep` + name (and named)."""
    for _ in range(len(out) + 1):
        try:
            return codec.from_mapping(out, body, path)
        except codec.EntryProblems as exc:
            named = (re.search(r"field '([A-Za-z0-9_]+)", msg) for msg in exc.messages)
            bad = {m.group(1) for m in named if m and m.group(1) in out}
            if not bad:
                raise
            for name in sorted(bad):
                out[keep + name] = out.pop(name)
                if name in ("created", "updated"):
                    out[name] = stamp
                notes.append(f"field '{name}' kept as '{keep}{name}': "
                             + next(m for m in exc.messages if f"field '{name}'" in m).split(": ", 1)[-1])
    raise InvalidEntry(f"{path}: could not be read as an entry")


def _split(text: str, rel: str) -> tuple[dict[str, Any], str]:
    if not text.startswith("---"):
        return {}, text
    return codec.split_meta(text, rel)


def _title(meta: dict[str, Any], body: str, rel: str) -> str:
    given = meta.get("title")
    if isinstance(given, str) and given.strip():
        return given.strip()
    heading = re.search(r"^#\s+(.+?)\s*#*\s*$", body, re.M)
    if heading:
        return heading.group(1)
    return rel.rsplit("/", 1)[-1].removesuffix(".md").strip() or "Untitled"
