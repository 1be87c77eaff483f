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

from ..entries import layout as tree
from ..entries.layout import Stamp
from ..errors import InvalidEntry, NotFound
from ..model import Entry, Maturity, Relation, Source, Status
from . import tokens

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor


def author_of(item: Entry) -> str:
    """Who wrote an entry, as a lowercase name (`person:Alice Smith` -> `alice smith`)."""
    return item.source.by.split(":", 1)[-1].strip().lower()


def restat(root: Path, paths: Iterable[str]) -> dict[str, Stamp]:
    """The current stamps of the given entry paths; missing ones are left out."""
    out: dict[str, Stamp] = {}
    base = str(root)
    for path in paths:
        try:
            st = os.stat(f"{base}/{tree.disk_name(path)}.md")
        except OSError:
            continue
        out[path] = (tree.changed_ns(st), st.st_size)
    return out


Prepared = tuple[Entry, tuple[str, ...], list[tuple[str, str]]]
PARALLEL_MIN = 2000  # parse in worker processes when this many files changed


def prepare(root: Path, path: str) -> Prepared | str:
    """Parse one entry file and tokenize its fields (or return the problem that stops it)."""
    from ..entries import (
        codec,  # imported here: a fresh index needs no YAML at all
        store,
    )

    why = tree.unreadable(path)
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
    texts = (item.title, " ; ".join(item.aliases), " ; ".join(item.tags), item.summary,
             searchable_body(item.body), item.path.replace("/", " "))
    return item, (*(tokens.index_text(t) for t in texts), ""), links


COMMENT_RE = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
HEADING_RE = re.compile(r"^#{1,6}[ \t].*$", re.MULTILINE)


def searchable_body(body: str) -> str:
    """The body as indexed: HTML comments (template placeholders) and headings of sections left
    empty (a template's unfilled parts) are not searched; the file keeps them."""
    if "<!--" in body:
        body = COMMENT_RE.sub("", body)
    if "#" not in body:
        return body
    kept, cut = [], 0
    heads = list(HEADING_RE.finditer(body))
    for n, head in enumerate(heads):
        end = heads[n + 1].start() if n + 1 < len(heads) else len(body)
        kept.append(body[cut:head.start()])
        if body[head.end():end].strip():  # a section with content keeps its heading
            kept.append(body[head.start():head.end()])
        cut = head.end()
    kept.append(body[cut:])
    return "".join(kept)


def _prepare_chunk(args: tuple[Path, list[str]]) -> list[Prepared | str]:
    root, paths = args
    return [prepare(root, p) for p in paths]


def prepare_all(root: Path, paths: list[str]) -> Iterator[Prepared | str]:
    """Prepared files in order; big batches are parsed by worker processes (one per core)."""
    workers = min(os.cpu_count() or 1, 8)
    if len(paths) < PARALLEL_MIN or workers < 2:
        yield from (prepare(root, p) for p in paths)
        return
    chunks = [(root, paths[i:i + 250]) for i in range(0, len(paths), 250)]
    with pool(workers) as parsers:
        for batch in parsers.map(_prepare_chunk, chunks):
            yield from batch


def pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes for parsing, forked, their standard streams on /dev/null: a command
    killed mid-build leaves no worker holding its output (a pipe's reader waits for it)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_quiet)


def _quiet() -> None:
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


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


def file_refs(item: Entry) -> dict[str, str]:
    """The project files an entry is about, for the `touches` table: `file -> kind`, its anchors
    (`anchor`) before the files of its provenance (`source`); paths as written, `./` dropped."""
    out: dict[str, str] = {}
    for path, kind in [*((a.path, "anchor") for a in item.anchors),
                       *((f, "source") for f in item.source.files)]:
        clean = path.strip().removeprefix("./")
        if clean:
            out.setdefault(clean, kind)
    return out


def entry_row(item: Entry) -> tuple[object, ...]:
    """The `entries` columns after rowid, in schema order."""
    return (item.path, item.id, item.slug, item.title, item.title.lower(), item.summary,
            item.type, item.path.removeprefix(tree.ARCHIVE_DIR + "/").split("/")[0],
            json.dumps(item.tags), json.dumps(item.aliases),
            json.dumps([[r.type, r.target] for r in item.relations]), item.importance,
            item.maturity.value, item.status.value, int(item.pinned), item.created, item.updated,
            json.dumps(item.source.to_dict()), int(item.path.startswith(tree.ARCHIVE_DIR + "/")),
            len(item.body), item.path.rsplit("/", 1)[0],
            "" if item.source.by.startswith("agent:") else author_of(item), "")


SEQUENTIAL_ONLY = True  # neighbour context only in episode logs (see `sequential`)
LOG_TYPES = frozenset({"episode"})


def natural(path: str, created: str) -> tuple[object, ...]:
    """Order within a folder: creation time, then the name with numbers compared as numbers."""
    return (created, *((int(p) if p.isdigit() else p) for p in re.split(r"(\d+)", path)))


def sequential(types: Iterable[str]) -> bool:
    """Whether a folder is a log, whose entries continue each other in time order: every entry
    in it is an episode (a turn, a session, a change). A folder of notes, decisions or
    conventions is not a sequence, and its neighbours are not context."""
    return not SEQUENTIAL_ONLY or all(t in LOG_TYPES for t in types)


def first_context(paths: list[str], readies: list[Prepared | str], start: int,
                  radius: int) -> dict[str, tuple[str, str]]:
    """`path -> (context text, neighbour key)` for entries about to get rowids from `start`."""
    members: dict[str, list[tuple[tuple[object, ...], int, str, str, str]]] = {}
    rowid = start
    for path, ready in zip(paths, readies, strict=True):
        if isinstance(ready, str):
            continue
        item, texts, _ = ready
        members.setdefault(path.rsplit("/", 1)[0], []).append(
            (natural(path, item.created), rowid, path, texts[4], item.type))
        rowid += 1
    out: dict[str, tuple[str, str]] = {}
    for group in members.values():
        group.sort(key=lambda m: m[0])
        if not sequential(m[4] for m in group):
            out.update((m[2], ("", "")) for m in group)
            continue
        for i, (_, _, path, _, _) in enumerate(group):
            near = group[max(0, i - radius):i] + group[i + 1:i + 1 + radius]
            out[path] = (" ".join(m[3] for m in near), ",".join(str(m[1]) for m in near))
    return out
