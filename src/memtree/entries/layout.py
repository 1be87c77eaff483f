"""The layout on disk: domain/topic[/subtopic]/slug paths, name rules, safety, and the walk.

Reads directory listings only; never opens or writes entry files (see store.py).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from stat import S_ISDIR, S_ISREG

from ..errors import InvalidEntry, UnsafePath

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any

    from ..model import Entry

NAME_RE = re.compile(r"^[^\W_][\w-]{0,63}$")  # lowercase is checked apart: any script's letters
INDEX_FILE = "_index.md"
ARCHIVE_DIR = "_archive"
LOCAL_DIR = ".local"  # per-machine state (usage, logs, the lock): git-ignored, never entries
MIN_DEPTH, MAX_DEPTH = 2, 3  # folders above an entry: domain/topic[/subtopic]
SLUG_MAX = 60


_CYRILLIC = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґ",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r",
     "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya", "i", "yi",
     "ye", "g"], strict=True))
_GREEK = dict(zip(
    "αβγδεζηθικλμνξοπρσςτυφχψω",
    ["a", "v", "g", "d", "e", "z", "i", "th", "i", "k", "l", "m", "n", "x", "o", "p", "r", "s",
     "s", "t", "y", "f", "ch", "ps", "o"], strict=True))
_LATIN = {"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "þ": "th"}


def _letter(ch: str) -> str:
    """One lowercase character as slug text: ascii kept, Latin accents dropped, Cyrillic and
    Greek transliterated, other scripts' letters and digits kept as they are, the rest '-'."""
    if ch.isascii():
        return ch if ch.isalnum() else "-"
    plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
    if plain.isalnum():
        return plain.lower()
    base = unicodedata.normalize("NFD", ch)[0]
    known = _LATIN.get(ch) or _CYRILLIC.get(base) or _GREEK.get(base)
    if known is not None:
        return known
    return ch if ch.isalnum() else "-"


def slugify(text: str, limit: int = SLUG_MAX) -> str:
    """A file-name slug: lowercase; Latin accents dropped, Cyrillic and Greek transliterated,
    letters of other scripts kept (so titles in any script stay distinct); runs of anything
    else become '-'. `entry` only when the title has no letter or digit at all."""
    lowered = unicodedata.normalize("NFC", text).lower()
    slug = re.sub(r"-+", "-", "".join(_letter(ch) for ch in lowered)).strip("-")
    slug = slug[:limit].rstrip("-")
    return slug or "entry"


def normalize_name(name: str, what: str = "name") -> str:
    """Normalise one folder or slug name (lowercase, spaces to '-'); refuse what cannot be."""
    raw = name.strip()
    if raw in ("", ".", "..") or "/" in raw or "\\" in raw:
        raise UnsafePath(f"{what} {name!r}: not a plain folder name")
    cleaned = unicodedata.normalize("NFC", re.sub(r"\s+", "-", raw.lower()))
    if not NAME_RE.match(cleaned) or cleaned != cleaned.lower():
        raise InvalidEntry(
            f"{what} {name!r}: use lowercase letters, digits, '-' or '_' (at most 64, "
            "starting with a letter or digit)"
        )
    return cleaned


def split_path(ref: str) -> list[str]:
    """Split a memory path (`auth/tokens/jwt.md`) into parts, refusing escapes."""
    text = ref.strip().replace("\\", "/")
    if "\x00" in text:
        raise UnsafePath(f"path {ref!r}: contains a NUL byte")
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


def destination(root: Path, dest: str, slug: str) -> str:
    """Where `mv ENTRY DEST` puts an entry, by one rule: DEST ending in `.md` or with four parts
    is the new entry path; ending in `/` or with two parts, a folder to move into; with three
    parts, the folder if it exists, else the new entry path (`domain/topic/new-slug`)."""
    text = dest.strip()
    parts = split_path(text.removesuffix(".md"))
    as_entry = text.endswith(".md") or len(parts) == MAX_DEPTH + 1
    if not as_entry and not text.endswith("/") and len(parts) == MAX_DEPTH:
        as_entry = not root.joinpath(*parts).is_dir()
    if as_entry:
        return entry_path("/".join(parts[:-1]), parts[-1])
    return entry_path("/".join(parts), slug)


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
    """Every entry file below the root, in folder order (a folder's files before its
    subfolders', names sorted), without following symlinked folders or links out of the root.

    Skips hidden names, `_index.md` files and reserved top-level folders other than the
    archive (included only when `archived`). With `misplaced`, also the `.md` files that cannot
    be entries (a domain folder's, or a name that is not UTF-8), shown by `shown_name`.
    """
    found = stat_walk(root)
    if not misplaced:
        found = {rel: s for rel, s in found.items() if is_entry_rel(tuple(f"{rel}.md".split("/")))
                 and disk_name(rel) == rel}
    if not archived:
        found = {rel: s for rel, s in found.items() if not rel.startswith(ARCHIVE_DIR + "/")}
    for rel in sorted(found, key=lambda r: (r.split("/")[:-1], r.rsplit("/", 1)[-1] + ".md")):
        yield root / f"{disk_name(rel)}.md"


# ---------------------------------------------------------------- the walk (one walker)

Stamp = tuple[int, int]  # (change time in ns, size): see changed_ns


def changed_ns(st: os.stat_result) -> int:
    """When a file or folder last changed, as the index records it. On POSIX the inode's change
    time (ctime): every write, rename, link or unlink inside a folder, and every `touch -d` or
    `os.utime` moves it, and no program can set it back, so an edit in place that keeps the size
    and restores the old mtime is still seen. Elsewhere (Windows: ctime is the creation time) the
    modification time."""
    return st.st_ctime_ns if POSIX else st.st_mtime_ns


POSIX = os.name == "posix"


def depth_of(rel: str) -> int:
    """Entry depth of a folder: its number of parts, the archive folder itself not counted."""
    if not rel:
        return 0
    parts = rel.split("/")
    return len(parts) - (parts[0] == ARCHIVE_DIR)


def allowed(rel: str) -> bool:
    """Whether the layout rules let entries live in (or below) this folder."""
    if not rel:
        return True
    parts = rel.split("/")
    if any(part.startswith(".") for part in parts):
        return False
    if parts[0].startswith("_") and parts[0] != ARCHIVE_DIR:
        return False
    return depth_of(rel) <= MAX_DEPTH


def scan_folder(root: Path, rel: str) -> tuple[int, dict[str, Stamp], list[str]] | None:
    """One folder: its mtime (taken before listing), its entry files `rel path (no .md) ->
    (mtime_ns, size)`, and the subfolders the layout rules descend into. None if it is gone.
    """
    folder = os.path.join(root, rel) if rel else str(root)
    try:
        st = os.stat(folder) if not rel else os.lstat(folder)  # a symlinked folder is not walked
        if not S_ISDIR(st.st_mode):
            return None
        with os.scandir(folder) as items:
            listing = list(items)
    except OSError:
        return None
    mtime = changed_ns(st)
    depth, prefix = depth_of(rel), rel + "/" if rel else ""
    files: dict[str, Stamp] = {}
    subfolders: list[str] = []
    for item in listing:
        name = item.name
        if name[0] == ".":
            continue
        if item.is_dir(follow_symlinks=False):
            if not rel and name[0] == "_" and name != ARCHIVE_DIR:
                continue
            if not rel or depth < MAX_DEPTH:
                subfolders.append(prefix + name)
        elif rel and name.endswith(".md") and name != INDEX_FILE:  # misplaced ones: problems
            if item.is_symlink() and not _inside(root, item.path):
                continue
            try:
                st = item.stat()
            except OSError:
                continue
            if not S_ISREG(st.st_mode):  # a FIFO or device named *.md would block a reader
                continue
            files[prefix + shown_name(name)[:-3]] = (changed_ns(st), st.st_size)
    return mtime, files, subfolders


def shown_name(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 become `\\xNN` (reported, never indexed)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    return name


def disk_name(path: str) -> str:
    """The file name `shown_name` stands for (the same text for every UTF-8 name)."""
    if "\\x" not in path:
        return path
    raw = re.sub(rb"\\x([0-9a-f]{2})", lambda m: bytes([int(m.group(1), 16)]), path.encode())
    return os.fsdecode(raw)


def unreadable(path: str) -> str | None:
    """Why a file the walk found cannot be an entry (its depth or name), else None."""
    if not is_entry_rel(tuple(f"{path}.md".split("/"))):
        return (f"{path}.md: not an entry: entries live at domain/topic[/subtopic]/name.md "
                "(move it or remove it)")
    if disk_name(path) != path:
        return f"{path}.md: file name is not UTF-8 text (rename it)"
    return None


def _inside(root: Path, path: str) -> bool:
    return os.path.realpath(path).startswith(os.path.realpath(root) + os.sep)


def scan(root: Path, start: str = "") -> tuple[dict[str, int], dict[str, Stamp]]:
    """Every folder (`rel -> mtime_ns`) and entry file below `start` (the whole tree by default)."""
    folders: dict[str, int] = {}
    found: dict[str, Stamp] = {}
    todo = [start]
    while todo:
        rel = todo.pop()
        scanned = scan_folder(root, rel)
        if scanned is None:
            continue
        folders[rel], files, subfolders = scanned
        found.update(files)
        todo.extend(subfolders)
    return folders, found


def stat_walk(root: Path) -> dict[str, Stamp]:
    """`rel path (no .md) -> (mtime_ns, size)` for every entry file, archive included."""
    return scan(root)[1]



def index_files(root: Path) -> Iterator[Path]:
    """Every `_index.md` (domain and topic descriptions) below the root."""
    for path in sorted(root.rglob(INDEX_FILE)):
        rel = path.relative_to(root).parts
        if rel and not rel[0].startswith((".", ARCHIVE_DIR)):
            yield path


def nest(name: str, entries: Iterable[Entry]) -> dict[str, Any]:
    """Domains, topics and entries as a nested mapping with counts (the data `tree` shows)."""
    top: dict[str, Any] = {"name": name, "path": "", "count": 0, "children": {}}
    for item in entries:
        node = top
        node["count"] += 1
        parts = item.path.split("/")
        for depth, part in enumerate(parts[:-1]):
            path = "/".join(parts[: depth + 1])
            node = node["children"].setdefault(
                part, {"name": part, "path": path, "count": 0, "children": {}})
            node["count"] += 1
        node.setdefault("entries", []).append(
            {"path": item.path, "title": item.title, "type": item.type, "status": item.status.value})
    return _listify(top)


def _listify(node: dict[str, Any]) -> dict[str, Any]:
    node["children"] = [_listify(child) for _, child in sorted(node["children"].items())]
    return node
