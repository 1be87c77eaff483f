"""The layout on disk: domain/topic[/subtopic]/slug paths, name rules, safety, and the walk.

Reads directory listings only; never opens or writes entry files (see store.py).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from .errors import InvalidEntry, UnsafePath

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
INDEX_FILE = "_index.md"
ARCHIVE_DIR = "_archive"
LOCAL_DIR = ".local"  # per-machine state (usage, logs, the lock): git-ignored, never entries
MIN_DEPTH, MAX_DEPTH = 2, 3  # folders above an entry: domain/topic[/subtopic]
SLUG_MAX = 60


def slugify(text: str, limit: int = SLUG_MAX) -> str:
    """A file-name slug: ascii lowercase, runs of other characters become '-'."""
    folded = text.replace("ß", "ss").replace("æ", "ae").replace("ø", "o")
    ascii_text = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:limit].rstrip("-")
    return slug or "entry"


def normalize_name(name: str, what: str = "name") -> str:
    """Normalise one folder or slug name (lowercase, spaces to '-'); refuse what cannot be."""
    raw = name.strip()
    if raw in ("", ".", "..") or "/" in raw or "\\" in raw:
        raise UnsafePath(f"{what} {name!r}: not a plain folder name")
    cleaned = re.sub(r"\s+", "-", raw.lower())
    if not NAME_RE.match(cleaned):
        raise InvalidEntry(
            f"{what} {name!r}: use lowercase letters, digits, '-' or '_' (at most 64, "
            "starting with a letter or digit)"
        )
    return cleaned


def split_path(ref: str) -> list[str]:
    """Split a memory path (`auth/tokens/jwt.md`) into parts, refusing escapes."""
    text = ref.strip().replace("\\", "/")
    if text.startswith("/") or re.match(r"^[A-Za-z]:", text):
        raise UnsafePath(f"path {ref!r}: absolute paths are not allowed; use domain/topic/slug")
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise UnsafePath(f"path {ref!r}: '..' would leave the memory root")
    return parts


def location(ref: str) -> str:
    """Validate and normalise a folder location `domain/topic[/subtopic]`."""
    parts = split_path(ref)
    if not MIN_DEPTH <= len(parts) <= MAX_DEPTH:
        raise InvalidEntry(
            f"--path {ref!r}: expected DOMAIN/TOPIC or DOMAIN/TOPIC/SUBTOPIC, got {len(parts)} part(s)"
        )
    if parts[0].startswith(("_", ".")):
        raise InvalidEntry(f"--path {ref!r}: domains starting with '_' or '.' are reserved")
    return "/".join(normalize_name(p, "folder") for p in parts)


def entry_path(folder: str, slug: str) -> str:
    return f"{location(folder)}/{normalize_name(slug, 'slug')}"


def file_for(root: Path, rel: str) -> Path:
    """The absolute file of a memory path, guaranteed to stay inside the root."""
    parts = split_path(rel.removesuffix(".md"))
    if not parts:
        raise UnsafePath(f"path {rel!r}: empty")
    target = root.joinpath(*parts[:-1], parts[-1] + ".md")
    ensure_inside(root, target)
    return target


def ensure_inside(root: Path, target: Path) -> None:
    """Refuse a path that resolves (through symlinks) outside the root."""
    real_root = root.resolve()
    real = target.resolve()
    if real != real_root and real_root not in real.parents:
        raise UnsafePath(f"{target}: resolves outside the memory root {real_root}")


def rel_of(root: Path, file: Path) -> str:
    """`domain/topic/slug` for an entry file under the root."""
    rel = file.relative_to(root).as_posix()
    return rel.removesuffix(".md")


def is_entry_rel(rel_parts: tuple[str, ...]) -> bool:
    """Whether a file's parts (relative to root, ending in `x.md`) name an entry."""
    depth = len(rel_parts) - 1
    if rel_parts and rel_parts[0] == ARCHIVE_DIR:
        depth -= 1
    return MIN_DEPTH <= depth <= MAX_DEPTH and rel_parts[-1] != INDEX_FILE


def walk(root: Path, archived: bool = True, misplaced: bool = False) -> Iterator[Path]:
    """Every entry file below the root, sorted, without following symlinked folders (and with
    `misplaced`, the `.md` files in folders at a depth where no entry can live).

    Skips hidden names, `_index.md` files and reserved top-level folders other than the
    archive (included only when `archived`). Symlinked files pointing outside are skipped.
    """
    real_root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        rel_dir = here.relative_to(root).parts
        keep = []
        for name in sorted(dirnames):
            if name.startswith("."):
                continue
            if not rel_dir and name.startswith("_") and not (archived and name == ARCHIVE_DIR):
                continue
            keep.append(name)
        dirnames[:] = keep
        for name in sorted(filenames):
            if not name.endswith(".md") or name.startswith("."):
                continue
            parts = (*rel_dir, name)
            if not is_entry_rel(parts) and not (misplaced and rel_dir and name != INDEX_FILE):
                continue
            path = here / name
            if path.is_symlink():
                real = path.resolve()
                if real_root not in real.parents:
                    continue
            yield path


def index_files(root: Path) -> Iterator[Path]:
    """Every `_index.md` (domain and topic descriptions) below the root."""
    for path in sorted(root.rglob(INDEX_FILE)):
        rel = path.relative_to(root).parts
        if rel and not rel[0].startswith((".", ARCHIVE_DIR)):
            yield path
