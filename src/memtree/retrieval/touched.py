"""Files as context: which entries are about the project files an agent reads or edits (an
anchor in the file, the file in their provenance, or their own text naming it), and a query
ranked with those files as a signal of its own beside the text. Reads only (the index's
`touches` table and its full text)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from ..index import tokens
from ..model import Entry, Hit

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    import datetime as dt

    from ..config import Workspace
    from ..index.db import Index
    from ..model import Result

KINDS = ("anchor", "source", "names")  # strongest first
OWN = "{title aliases tags summary body}"  # an entry's own fields (not its path, not context)
FILE_GAIN = 0.5      # a hit gains gain x (its files score / the best files score) x the top score
FILE_EVIDENCE = 1.0  # a hit's evidence counts its evidence for the files times this
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
    """`scopes.query` with the files as a second signal: the text and the files (their paths as
    words: folders, modules, names) are asked apart, and each hit scores its text score plus
    FILE_GAIN x its files score (each scaled to its own best), so a long list of files never
    drowns the text. A hit's `evidence` is the larger of its two."""
    import dataclasses

    from .scopes import query

    pool = max(limit, POOL)
    asked = query(ws, text, limit=pool, now=now)
    chosen = list(dict.fromkeys(f for f in files if f))[-MAX_FILES:]
    if not chosen:
        return dataclasses.replace(asked, hits=asked.hits[:limit])
    if MODE == "joint":
        return _joint(ws, text, asked, chosen, limit, now)
    by_files = query(ws, "Files: " + " ".join(chosen), limit=pool, now=now)
    top = max((h.score for h in asked.hits), default=0.0) or 1.0
    top_files = max((h.score for h in by_files.hits), default=0.0) or 1.0
    found = {h.path: h for h in by_files.hits}
    hits: list[Hit] = []
    for hit in asked.hits:
        other = found.pop(hit.path, None)
        gain = other.score / top_files if other else 0.0
        hits.append(_boosted(hit, gain, _evidence(other) if other else 0.0,
                             hit.score + FILE_GAIN * gain * top))
    for hit in found.values():
        gain = hit.score / top_files
        hits.append(_boosted(hit, gain, _evidence(hit), FILE_GAIN * gain * top, text=False))
    hits.sort(key=lambda h: (-h.score, h.path))
    return dataclasses.replace(asked, hits=tuple(hits[:limit]))


MODE = "fuse"


def _joint(ws: Workspace, text: str, asked: Result, chosen: list[str], limit: int,
           now: dt.datetime | None) -> Result:
    import dataclasses

    from .scopes import query

    both = query(ws, text + "\n\nFiles: " + " ".join(chosen), limit=max(limit, POOL), now=now)
    own = {h.path: _evidence(h) for h in asked.hits}
    hits = []
    for hit in both.hits:
        parts = dict(hit.parts)
        parts["evidence"] = max(own.get(hit.path, 0.0), FILE_EVIDENCE * parts.get("evidence", 1.0))
        hits.append(dataclasses.replace(hit, parts=tuple(parts.items())))
    return dataclasses.replace(both, hits=tuple(hits[:limit]))


def _evidence(hit: Hit) -> float:
    return dict(hit.parts).get("evidence", 1.0)


def _boosted(hit: Hit, gain: float, evidence: float, score: float, text: bool = True) -> Hit:
    """`hit` with its files score and evidence (a hit found by its files only holds none of the
    text's evidence)."""
    import dataclasses

    parts = dict(hit.parts)
    parts["files"] = gain
    own = parts.get("evidence", 1.0) if text else 0.0
    parts["evidence"] = max(own, FILE_EVIDENCE * evidence)
    why = hit.why if text else "the files: " + hit.why
    return dataclasses.replace(hit, score=score, parts=tuple(parts.items()), why=why)


def _entries(idx: Index, paths: list[str]) -> list[Entry]:
    out: list[Entry] = []
    for start in range(0, len(paths), 500):
        chunk = paths[start:start + 500]
        out += idx.entries(f"path IN ({','.join('?' * len(chunk))})", chunk)
    return out
