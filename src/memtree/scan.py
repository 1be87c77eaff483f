"""What the index is built from: folders listed and entry files stat'ed by the layout rules,
each file parsed and tokenized, and entries to and from index rows. Reads files only; never
writes one, no SQLite.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from stat import S_ISDIR

from . import tokens, tree
from .errors import InvalidEntry, NotFound
from .model import Entry, Maturity, Relation, Source, Status
from .rank import author_of

Stamp = tuple[int, int]  # (mtime_ns, size)


def depth_of(rel: str) -> int:
    """Entry depth of a folder: its number of parts, the archive folder itself not counted."""
    if not rel:
        return 0
    parts = rel.split("/")
    return len(parts) - (parts[0] == tree.ARCHIVE_DIR)


def allowed(rel: str) -> bool:
    """Whether the layout rules let entries live in (or below) this folder."""
    if not rel:
        return True
    parts = rel.split("/")
    if any(part.startswith(".") for part in parts):
        return False
    if parts[0].startswith("_") and parts[0] != tree.ARCHIVE_DIR:
        return False
    return depth_of(rel) <= tree.MAX_DEPTH


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
    mtime = st.st_mtime_ns
    depth, prefix = depth_of(rel), rel + "/" if rel else ""
    files: dict[str, Stamp] = {}
    subfolders: list[str] = []
    for item in listing:
        name = item.name
        if name[0] == ".":
            continue
        if item.is_dir(follow_symlinks=False):
            if not rel and name[0] == "_" and name != tree.ARCHIVE_DIR:
                continue
            if not rel or depth < tree.MAX_DEPTH:
                subfolders.append(prefix + name)
        elif rel and name.endswith(".md") and name != tree.INDEX_FILE:  # misplaced: problems
            if item.is_symlink() and not _inside(root, item.path):
                continue
            try:
                st = item.stat()
            except OSError:
                continue
            files[prefix + shown_name(name)[:-3]] = (st.st_mtime_ns, st.st_size)
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


def unreadable(root: Path, path: str) -> str | None:
    """Why a file the walk found cannot be an entry (its name or depth), else None."""
    if not tree.is_entry_rel(tuple(f"{path}.md".split("/"))):
        return (f"{path}.md: not an entry: entries live at domain/topic[/subtopic]/name.md "
                "(move it or remove it)")
    if disk_name(path) != path:
        return f"{path}.md: file name is not UTF-8 text (rename it)"
    return None


def _inside(root: Path, path: str) -> bool:
    return os.path.realpath(path).startswith(str(root.resolve()))


def walk(root: Path, start: str = "") -> tuple[dict[str, int], dict[str, Stamp]]:
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
    return walk(root)[1]


def restat(root: Path, paths: Iterable[str]) -> dict[str, Stamp]:
    """The current stamps of the given entry paths; missing ones are left out."""
    out: dict[str, Stamp] = {}
    base = str(root)
    for path in paths:
        try:
            st = os.stat(f"{base}/{disk_name(path)}.md")
        except OSError:
            continue
        out[path] = (st.st_mtime_ns, st.st_size)
    return out


Prepared = tuple[Entry, tuple[str, ...], list[tuple[str, str]]]
PARALLEL_MIN = 2000  # parse in worker processes when this many files changed


def prepare(root: Path, path: str) -> Prepared | str:
    """Parse one entry file and tokenize its fields (or return the problem that stops it)."""
    from . import entry as codec  # imported here: a fresh index needs no YAML at all
    from . import store

    why = unreadable(root, path)
    if why is not None:
        return why
    try:
        # stat_walk already kept this path inside the root
        item = codec.parse(store.read_text(root / f"{path}.md"), path)
    except (InvalidEntry, NotFound) as exc:
        return exc.message
    except OSError as exc:
        return f"{path}.md: cannot read: {exc.strerror or exc}"
    typed = dict.fromkeys((r.type, r.target.removesuffix(".md")) for r in item.relations)
    typed.update(dict.fromkeys(("relates_to", t) for t in codec.wikilinks(item.body)))
    links = list(typed)
    texts = (item.title, " ; ".join(item.aliases), " ; ".join(item.tags), item.summary, item.body,
             item.path.replace("/", " "))
    return item, (*(tokens.index_text(t) for t in texts), ""), links


def _prepare_chunk(args: tuple[Path, list[str]]) -> list[Prepared | str]:
    root, paths = args
    return [prepare(root, p) for p in paths]


def prepare_all(root: Path, paths: list[str]) -> Iterator[Prepared | str]:
    """Prepared files in order; big batches are parsed by worker processes (one per core)."""
    workers = min(os.cpu_count() or 1, 8)
    if len(paths) < PARALLEL_MIN or workers < 2:
        yield from (prepare(root, p) for p in paths)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunks = [(root, paths[i:i + 250]) for i in range(0, len(paths), 250)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        for batch in pool.map(_prepare_chunk, chunks):
            yield from batch


def row_entry(row: tuple[object, ...]) -> Entry:
    """An Entry without body from an `entries` row selected with index.ENTRY_COLS."""
    (_, path, id_, title, summary, type_, tags, aliases, relations, importance, maturity,
     status, pinned, created, updated, source) = row
    return Entry(
        id=str(id_), title=str(title), path=str(path), summary=str(summary), type=str(type_),
        tags=_strings(str(tags)), aliases=_strings(str(aliases)),
        relations=_relations(str(relations)), importance=int(str(importance)),
        maturity=_MATURITIES[str(maturity)], status=_STATUSES[str(status)], pinned=bool(pinned),
        created=str(created), updated=str(updated), source=_source(str(source)),
    )


# Decoding rows is on every query's path: the common values skip JSON (and enum lookups).
_MATURITIES = {m.value: m for m in Maturity}
_STATUSES = {s.value: s for s in Status}


def _strings(text: str) -> tuple[str, ...]:
    return () if text == "[]" else tuple(json.loads(text))


def _relations(text: str) -> tuple[Relation, ...]:
    return () if text == "[]" else tuple(Relation(t, g) for t, g in json.loads(text))


@functools.lru_cache(maxsize=512)
def _source(text: str) -> Source:
    """Sources repeat (one per writer and session), so each distinct one is decoded once."""
    src = json.loads(text)
    return Source(src.get("by", ""), src.get("session"), src.get("commit"),
                  tuple(src.get("files", ())))


def entry_row(item: Entry) -> tuple[object, ...]:
    """The `entries` columns after rowid, in schema order."""
    return (item.path, item.id, item.slug, item.title, item.title.lower(), item.summary,
            item.type, item.path.removeprefix(tree.ARCHIVE_DIR + "/").split("/")[0],
            json.dumps(item.tags), json.dumps(item.aliases),
            json.dumps([[r.type, r.target] for r in item.relations]), item.importance,
            item.maturity.value, item.status.value, int(item.pinned), item.created, item.updated,
            json.dumps(item.source.to_dict()), int(item.path.startswith(tree.ARCHIVE_DIR + "/")),
            len(item.body), item.path.rsplit("/", 1)[0], author_of(item), "")


def natural(path: str, created: str) -> tuple[object, ...]:
    """Order within a folder: creation time, then the name with numbers compared as numbers."""
    return (created, *((int(p) if p.isdigit() else p) for p in re.split(r"(\d+)", path)))


def first_context(paths: list[str], readies: list[Prepared | str], start: int,
                  radius: int) -> dict[str, tuple[str, str]]:
    """`path -> (context text, neighbour key)` for entries about to get rowids from `start`."""
    members: dict[str, list[tuple[tuple[object, ...], int, str, str]]] = {}
    rowid = start
    for path, ready in zip(paths, readies, strict=True):
        if isinstance(ready, str):
            continue
        item, texts, _ = ready
        members.setdefault(path.rsplit("/", 1)[0], []).append(
            (natural(path, item.created), rowid, path, texts[4]))
        rowid += 1
    out: dict[str, tuple[str, str]] = {}
    for group in members.values():
        group.sort(key=lambda m: m[0])
        for i, (_, _, path, _) in enumerate(group):
            near = group[max(0, i - radius):i] + group[i + 1:i + 1 + radius]
            out[path] = (" ".join(m[3] for m in near), ",".join(str(m[1]) for m in near))
    return out
