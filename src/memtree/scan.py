"""What the index is built from: a cheap stat walk of the entry files, and each file parsed and
tokenized into index rows. Reads files only; never writes one and never touches SQLite.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from . import tokens, tree
from .errors import InvalidEntry, NotFound
from .model import Entry

Stamp = tuple[int, int]  # (mtime_ns, size)


def stat_walk(root: Path) -> dict[str, Stamp]:
    """`rel path (no .md) -> (mtime_ns, size)` for every entry file, archive included.

    Follows the rules of tree.walk with scandir, so the per-query check stays cheap.
    """
    found: dict[str, Stamp] = {}
    real_root = str(root.resolve())
    todo: list[tuple[str, str, int]] = [(str(root), "", 0)]  # folder, rel prefix, entry depth
    while todo:
        folder, prefix, depth = todo.pop()
        try:
            with os.scandir(folder) as items:
                listing = list(items)
        except OSError:
            continue
        for item in listing:
            name = item.name
            if name[0] == ".":
                continue
            if item.is_dir(follow_symlinks=False):
                if not prefix:
                    if name[0] == "_" and name != tree.ARCHIVE_DIR:
                        continue
                    todo.append((item.path, name + "/", 0 if name == tree.ARCHIVE_DIR else 1))
                elif depth < tree.MAX_DEPTH:
                    todo.append((item.path, prefix + name + "/", depth + 1))
            elif (name.endswith(".md") and tree.MIN_DEPTH <= depth
                  and name != tree.INDEX_FILE):
                if item.is_symlink() and not os.path.realpath(item.path).startswith(real_root):
                    continue
                try:
                    st = item.stat()
                except OSError:
                    continue
                found[prefix + name[:-3]] = (st.st_mtime_ns, st.st_size)
    return found


Prepared = tuple[Entry, tuple[str, ...], list[tuple[str, str]]]
PARALLEL_MIN = 2000  # parse in worker processes when this many files changed


def prepare(root: Path, path: str) -> Prepared | str:
    """Parse one entry file and tokenize its fields (or return the problem that stops it)."""
    from . import entry as codec  # imported here: a fresh index needs no YAML at all
    from . import store

    try:
        # stat_walk already kept this path inside the root
        item = codec.parse(store.read_text(root / f"{path}.md"), path)
    except (InvalidEntry, NotFound) as exc:
        return exc.message
    links = [(r.type, r.target.removesuffix(".md")) for r in item.relations]
    links += [("relates_to", t) for t in codec.wikilinks(item.body) if ("relates_to", t) not in links]
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


