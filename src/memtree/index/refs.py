"""Resolving what a person or an agent calls an entry to its memory path: a memory path
(`domain/topic/slug`, with or without `.md`), a file path relative to the current folder or
absolute, a `[[wikilink]]`, an id, a slug or a title; with "did you mean" on a miss. Paths are
checked against the files, names against the fresh index. Reads only."""

from __future__ import annotations

import os
from pathlib import Path

from ..entries import layout as tree
from ..errors import Ambiguous, InvalidEntry, NotFound, UnsafePath


def resolve(root: Path, ref: str, cwd: Path | None = None) -> str:
    """The memory path of an entry named by path, file, wikilink, id, slug or title (unique)."""
    text = _unwrap(ref)
    if not text:
        raise NotFound("empty entry reference")
    found = _by_file(root, text, cwd) or _by_path(root, text.removesuffix(".md"))
    if found:
        return found
    name = text.removesuffix(".md").rsplit("/", 1)[-1] if "/" in text else text.removesuffix(".md")
    for field, value in (("id", text), ("slug", name), ("title", text)):
        matches = _catalog_match(root, field, value)
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            shown = ", ".join(matches[:5])
            raise Ambiguous(f"{ref!r} matches {len(matches)} entries by {field}: {shown}")
    from .db import open_index

    for problem in open_index(root).unreadable():  # a file by that name that cannot be read
        if problem.path.removesuffix(".md").rsplit("/", 1)[-1] == text:
            raise InvalidEntry(f"{problem} (fix it with `memtree edit {problem.path}`)")
    close = suggestions(root, text)
    hint = f"did you mean {' or '.join(close)}?" if close else "see `memtree list` or `memtree query`"
    raise NotFound(f"{ref!r}: no entry with that path, id, slug or title", hint=hint)


def _unwrap(ref: str) -> str:
    """`[[target|label]]` or `[[target#heading]]` -> `target`; whitespace trimmed."""
    text = ref.strip()
    if text.startswith("[[") and text.endswith("]]"):
        text = text[2:-2].split("|", 1)[0].split("#", 1)[0].strip()
    return text


def _by_path(root: Path, text: str) -> str | None:
    if "/" not in text:
        return None
    for candidate in (text, f"{tree.ARCHIVE_DIR}/{text}"):
        try:
            parts = tree.split_path(candidate)
            if len(parts) >= 3 and tree.file_for(root, candidate).is_file():
                return "/".join(parts)
        except UnsafePath:
            return None
    return None


def _by_file(root: Path, text: str, cwd: Path | None) -> str | None:
    """A file path as typed in a shell (relative to `cwd` or absolute) naming an entry file."""
    if not ("/" in text or text.endswith(".md")):
        return None
    base = cwd if cwd is not None else Path(os.getcwd())
    typed = Path(os.path.expanduser(text))
    target = typed if typed.is_absolute() else base / typed
    if target.suffix != ".md":
        target = target.with_name(target.name + ".md")
    try:
        rel = target.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return None
    if len(rel.parts) < 3 or not target.is_file():
        return None
    return rel.with_suffix("").as_posix()


def suggestions(root: Path, text: str, limit: int = 3) -> list[str]:
    """The memory paths whose path, slug or title is closest to `text` (difflib)."""
    import difflib

    from .db import open_index

    rows = open_index(root).read("SELECT path, slug, title_lc FROM entries")
    keys: dict[str, str] = {}
    for path, slug, title in rows:
        for key in (str(path), str(slug), str(title)):
            keys.setdefault(key, str(path))
    wanted = text.lower().removesuffix(".md")
    close = difflib.get_close_matches(wanted, list(keys), n=limit * 3, cutoff=0.6)
    return list(dict.fromkeys(keys[c] for c in close))[:limit]


def _catalog_match(root: Path, field: str, text: str) -> list[str]:
    """Paths whose id, slug or title (case-insensitive) equals `text`, from the fresh index."""
    from .db import open_index

    return open_index(root).catalog(field, text)
