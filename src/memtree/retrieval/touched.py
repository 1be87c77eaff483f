"""Files as context: which entries are about the project files an agent reads or edits (an
anchor in the file, the file in their provenance, or their own text naming it), and a prompt
asked with the files its session touched. Reads only (the index's `touches` table and its
full text)."""

from __future__ import annotations

from collections.abc import Sequence

from ..index import tokens
from ..model import Entry

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    import datetime as dt

    from ..config import Workspace
    from ..index.db import Index
    from ..model import Result

KINDS = ("anchor", "source", "names")  # strongest first
OWN = "{title aliases tags summary body}"  # an entry's own fields (not its path, not context)
MAX_FILES = 20       # files of a session a prompt is asked with (the most recently touched)
SPECIFIC = 12        # a file more entries than this are about says little about any one of them


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


def given(found: dict[str, dict[str, str]], updated: dict[str, str],
          newest: Sequence[str]) -> dict[str, str]:
    """entry path -> kind, for what the file hook gives of `found` (`about`; `updated`: the
    stamps of the entries that may be given): every anchored entry; and for each file at most
    SPECIFIC entries are about, its newest entry from or naming it, if that one is recent by the
    ranking's measure (at most `rank.RECENCY_K` of `newest`, the memory's newest stamps, a day or
    more newer: a recency prior of at least 1/2). Older work on a file is rarely the work at hand."""
    from .rank import recency_prior

    many = {f for f, n in counts(found).items() if n > SPECIFIC}
    out: dict[str, str] = {}
    latest: dict[str, str] = {}  # file -> its newest entry from or naming it
    for path, mine in found.items():
        if path not in updated:
            continue
        for file, kind in mine.items():
            if kind == "anchor":
                out[path] = kind
            elif file not in many and (file not in latest
                                       or _later(path, latest[file], file, found, updated)):
                latest[file] = path
    for file, path in latest.items():
        if recency_prior(updated[path], newest) >= 0.5:
            out[path] = min(out.get(path, "names"), found[path][file], key=KINDS.index)
    return out


def _later(one: str, other: str, file: str, found: dict[str, dict[str, str]],
           updated: dict[str, str]) -> bool:
    """Whether entry `one` goes before `other` as the newest about `file`: the later stamp, then
    the stronger reason (provenance before naming), then the path."""
    def key(path: str) -> tuple[str, int, str]:
        return updated[path], -KINDS.index(found[path][file]), path
    return key(one) > key(other)


def search(ws: Workspace, text: str, files: Sequence[str], limit: int = 10,
           now: dt.datetime | None = None) -> Result:
    """`scopes.query` of the text with the session's files: the last MAX_FILES distinct ones
    (the most recently touched), as a `Files:` line of paths after the text (as the benchmark's
    `+files` asks), so a path counts as a word (an identifier: all its parts, or its whole) and
    a hit's evidence covers them. Fusing a separate query of the files measured lower (RESULTS.md)."""
    from .scopes import query

    chosen = list(dict.fromkeys(reversed([f for f in files if f])))[:MAX_FILES][::-1]
    asked = text + "\n\nFiles: " + " ".join(chosen) if chosen else text
    return query(ws, asked, limit=limit, now=now)


def entries_at(idx: Index, paths: list[str]) -> list[Entry]:
    """The entries (from the index, no bodies) at these memory paths."""
    out: list[Entry] = []
    for start in range(0, len(paths), 500):
        chunk = paths[start:start + 500]
        out += idx.entries(f"path IN ({','.join('?' * len(chunk))})", chunk)
    return out
