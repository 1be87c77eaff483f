"""Resolving what a person or an agent calls an entry (path, id, slug or title) to its memory
path, from the files for paths and from the fresh index for names. Reads only."""

from __future__ import annotations

from pathlib import Path

from ..entries import layout as tree
from ..errors import Ambiguous, InvalidEntry, NotFound


def resolve(root: Path, ref: str) -> str:
    """The memory path of an entry named by path, id, slug or title (unique)."""
    text = ref.strip().removesuffix(".md")
    if not text:
        raise NotFound("empty entry reference")
    if "/" in text:
        for candidate in (text, f"{tree.ARCHIVE_DIR}/{text}"):
            parts = tree.split_path(candidate)
            if len(parts) >= 3 and tree.file_for(root, candidate).is_file():
                return "/".join(parts)
    for field in ("id", "slug", "title"):
        matches = _catalog_match(root, field, text)
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            shown = ", ".join(matches[:5])
            raise Ambiguous(f"{ref!r} matches {len(matches)} entries by {field}: {shown}")
    from .db import open_index

    for problem in open_index(root).unreadable():  # a file by that name that cannot be read
        if problem.path.removesuffix(".md").rsplit("/", 1)[-1] == text:
            raise InvalidEntry(f"{problem} (fix it with `memtree edit {problem.path}`)")
    raise NotFound(f"{ref!r}: no entry with that path, id, slug or title")


def _catalog_match(root: Path, field: str, text: str) -> list[str]:
    """Paths whose id, slug or title (case-insensitive) equals `text`, from the fresh index."""
    from .db import open_index

    return open_index(root).catalog(field, text)
