"""Files as context: the entries about the project files an agent reads or edits, and a query
ranked with those files as a signal of its own (not appended to the text).

An entry is about a file when one of its anchors is in the file (`anchor`), when the file is
in its provenance (`source.files`: `source`), or when its own text names the file by its
project path or its name (`names`). A file is worth as much as it is rare: idf over the entries
about any file. Reads only (the index's `touches` table and its full text).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from ..index import tokens
from ..model import Entry, Hit, Tier
from . import rank

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    import datetime as dt

    from ..config import Workspace
    from ..index.db import Index
    from ..model import Result

KINDS = ("anchor", "source", "names")  # strongest first
OWN = "{title aliases tags summary body}"  # an entry's own fields (not its path, not context)
FILE_GAIN = 0.5      # a hit gains gain x (its share of the files' information) x the top score
POOL = 20            # text hits re-ranked with the files (at least the limit)
MAX_FILES = 20       # files of a query considered (the most recently touched)
SPECIFIC = 8         # a file more entries than this are about says little about any one of them


def names_term(path: str) -> str:
    """The index term a path is written as in text: its parts joined (`a/b.py` -> `abpy`)."""
    parts = tokens.split_identifier(path)
    return "".join(parts)


def _names_expr(path: str) -> str | None:
    """FTS5 expression: the entry's own text writes the project path, or the file's name."""
    terms = {names_term(path), names_term(path.rsplit("/", 1)[-1])}
    terms.discard("")
    if not terms:
        return None
    return f"{OWN} : ({' OR '.join(f'{chr(34)}{t}{chr(34)}' for t in sorted(terms))})"


def about(idx: Index, files: Sequence[str], cap: int = 200) -> dict[str, dict[str, str]]:
    """entry path -> {file: kind} for entries about any of `files` (anchors, provenance, named in
    their text); at most `cap` entries per file and kind (the newest)."""
    out: dict[str, dict[str, str]] = {}
    for file in dict.fromkeys(files):
        rows = idx.read("SELECT e.path, t.kind FROM touches t JOIN entries e ON e.rowid = t.src "
                        "WHERE t.file = ? ORDER BY t.kind = 'source', e.updated DESC LIMIT ?",
                        (file, cap))
        expr = _names_expr(file)
        if expr:
            rows += [(p, "names") for (p,) in idx.read(
                "SELECT e.path FROM fts JOIN entries e ON e.rowid = fts.rowid WHERE fts MATCH ? "
                "ORDER BY e.updated DESC LIMIT ?", (expr, cap))]
        for path, kind in rows:
            mine = out.setdefault(str(path), {})
            if KINDS.index(str(kind)) < KINDS.index(mine.get(file, "names")) or file not in mine:
                mine[file] = str(kind)
    return out


def counts(found: dict[str, dict[str, str]]) -> dict[str, int]:
    """How many of the entries found are about each file."""
    out: dict[str, int] = {}
    for files in found.values():
        for file in files:
            out[file] = out.get(file, 0) + 1
    return out


def weights(found: dict[str, dict[str, str]], files: Iterable[str], size: int) -> dict[str, float]:
    """idf of each file over the memory: ln(1 + N / entries about it)."""
    seen = counts(found)
    return {f: math.log(1 + size / max(1, seen.get(f, 0))) for f in files}


def share(mine: dict[str, str], weight: dict[str, float]) -> float:
    """The share of the files' information an entry holds (anchors count in full, the rest half
    when the entry is about many files is not known here: all kinds count the same)."""
    total = sum(weight.values()) or 1.0
    return sum(weight.get(f, 0.0) for f in mine) / total


def search(ws: Workspace, text: str, files: Sequence[str], limit: int = 10,
           now: dt.datetime | None = None) -> Result:
    """`scopes.query` with the files as a second signal: each hit gains FILE_GAIN x its share
    of the files' information x the best text score, and entries about the files that the text
    did not find join in with that gain alone (with their recency prior). A hit's `evidence`
    becomes the larger of its text evidence and its file share."""
    import dataclasses

    from ..index.db import open_index
    from .scopes import query

    result = query(ws, text, limit=max(limit, POOL), now=now)
    chosen = list(dict.fromkeys(f for f in files if f))[-MAX_FILES:]
    if not chosen:
        return dataclasses.replace(result, hits=result.hits[:limit])
    idx = open_index(ws.root)
    found = about(idx, chosen)
    weight = weights(found, chosen, idx.reads.size())
    top = max((h.score for h in result.hits), default=0.0) or 1.0
    hits: list[Hit] = []
    for hit in result.hits:
        gain = share(found.pop(hit.path, {}), weight) if hit.scope == "project" else 0.0
        hits.append(_boosted(hit, gain, hit.score + FILE_GAIN * gain * top))
    newest = idx.reads.newest(rank.RECENCY_DEPTH)
    for entry in _entries(idx, list(found)):
        if rank.is_hidden(entry):
            continue
        gain = share(found[entry.path], weight)
        recent = 1.0
        if entry.type in rank.RECENT_TYPES:
            recent = (1 + rank.RECENCY_GAIN * rank.recency_prior(entry.updated, newest)) \
                / (1 + rank.RECENCY_GAIN)
        why = "about " + ", ".join(sorted(found[entry.path]))
        hit = rank.make_hit(entry, Tier.FULLTEXT, FILE_GAIN * gain * top * recent, why,
                            (("evidence", 0.0),))
        hits.append(_boosted(hit, gain, hit.score))
    hits.sort(key=lambda h: (-h.score, h.path))
    return dataclasses.replace(result, hits=tuple(hits[:limit]))


def _boosted(hit: Hit, gain: float, score: float) -> Hit:
    import dataclasses

    parts = dict(hit.parts)
    parts["files"] = gain
    parts["evidence"] = max(parts.get("evidence", 1.0), gain)
    return dataclasses.replace(hit, score=score, parts=tuple(parts.items()))


def _entries(idx: Index, paths: list[str]) -> list[Entry]:
    out: list[Entry] = []
    for start in range(0, len(paths), 500):
        chunk = paths[start:start + 500]
        out += idx.entries(f"path IN ({','.join('?' * len(chunk))})", chunk)
    return out
