"""The query-side reads of the index, mixed into index.Index: name matches, BM25-ranked candidates
with their links, which hits hold which words, and what is worth keeping per state of the index.
Reads only (a scratch table in the connection's temp schema aside); never syncs.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence

from .schema import COLUMNS, CONTEXT_WEIGHT, ENTRY_COLS, TOKENIZE, WEIGHTS
from .source import row_entry

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from ..model import Entry
    from .db import Index

    T = TypeVar("T")

ROWS_KEPT = 10_000  # decoded entries kept per state of the index (about 1 KB each)
PROBE = "memtree_probe"  # scratch FTS5 table in the temp schema, one per connection
PROBE_TOKENIZE = TOKENIZE  # as the fts table
UNION_MAX = 100  # SELECTs per compound statement (SQLite allows 500)
NAMES = "{title aliases tags}"  # the fts columns the keyword tier matches


class Found:
    """One full-text candidate: its rowid, BM25 (made positive), entry and link targets."""

    __slots__ = ("rowid", "bm25", "entry", "links")

    def __init__(self, rowid: int, bm25: float, entry: Entry, links: list[str]) -> None:
        self.rowid, self.bm25, self.entry, self.links = rowid, bm25, entry, links


class _Memo:
    """What reads derive from one state of the index (see `Reads._stamp`)."""

    def __init__(self, stamp: tuple[str, int] | None = None) -> None:
        self.stamp = stamp
        self.size: int | None = None
        self.authors: dict[str, str] | None = None
        self.newest: tuple[int, list[str]] | None = None
        self.rows: dict[object, Entry] = {}
        self.df: dict[str, int | None] = {}


@functools.cache
def _sql() -> tuple[str, str, str]:
    """(BM25 weights, entry columns of `e`, the fts columns an entry's own words are in)."""
    weights = ", ".join(map(str, (*WEIGHTS, CONTEXT_WEIGHT)))
    return weights, ", ".join(f"e.{c}" for c in ENTRY_COLS.split(", ")), ", ".join(COLUMNS[:-1])


class Reads:
    """The query-side reads of one Index (`index.reads`), through its connection and lock."""

    def __init__(self, db: Index) -> None:
        self.db = db
        self._view: tuple[str, int] | None = None  # the stamp of the open read transaction
        self._kept = _Memo()
        self._probe: object = None  # the connection that has the scratch table

    def forget(self) -> None:
        """Drop what was kept (a new connection restarts `data_version`)."""
        self._kept, self._probe = _Memo(), None

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """One read transaction over a query's statements: one lock, one consistent view, the
        index's stamp read once. Nothing inside may sync (a write needs its own transaction)."""
        with self.db._lock:
            if self._view is not None:
                yield
                return
            self.db.using(lambda conn: conn.execute("BEGIN"))
            try:
                self._view = self._stamp()
                yield
            finally:
                self._view = None
                self.db.using(lambda conn: conn.in_transaction and conn.execute("COMMIT"))

    def _stamp(self) -> tuple[str, int]:
        """(generation, data_version): the same while neither this connection nor another has
        written the index."""
        gen, version = self.db.read("SELECT value, (SELECT data_version FROM pragma_data_version) "
                                 "FROM meta WHERE key='generation'")[0]
        return str(gen), int(str(version))

    def _memo(self) -> _Memo:
        stamp = self._view or self._stamp()
        if self._kept.stamp != stamp:
            self._kept = _Memo(stamp)
        return self._kept

    def _entries(self, rows: Iterable[tuple[object, ...]]) -> Iterator[Entry]:
        """The entries of rows starting with ENTRY_COLS, each decoded once per state."""
        memo, width = self._memo(), ENTRY_COLS.count(",") + 1
        for row in rows:
            item = memo.rows.get(row[0])
            if item is None:
                if len(memo.rows) >= ROWS_KEPT:
                    memo.rows.clear()
                item = memo.rows[row[0]] = row_entry(row[:width])
            yield item

    def named(self, exprs: Sequence[str], limit: int) -> list[Entry]:
        """Entries whose names (title, aliases, tags) hold every FTS5 expression of `exprs` (the
        rarest first); the best `limit` by BM25 when more do. The entries holding
        the first are checked for the others on a scratch copy of their names, unless there are
        too many (FTS5 would check every entry holding all the others, which costs more)."""
        first = self.db.read("SELECT rowid FROM fts WHERE fts MATCH ? LIMIT ?",
                          (f"{NAMES} : {exprs[0]}", limit + 1))
        if len(first) > limit:
            sql = ("SELECT {} FROM entries WHERE rowid IN "
                   "(SELECT rowid FROM fts WHERE fts MATCH ? {} LIMIT ?)")
            expr = f"{NAMES} : ({' AND '.join(exprs)})"
            rows = self.db.read(sql.format(ENTRY_COLS, ""), (expr, limit + 1))
            if len(rows) > limit:  # ranking costs more than matching: only when they do not fit
                rows = self.db.read(sql.format(ENTRY_COLS, "ORDER BY rank"), (expr, limit))
            return list(self._entries(rows))
        ids = [int(str(r[0])) for r in first]
        if len(exprs) > 1 and ids:
            ids = sorted(self.holding([" AND ".join(exprs)], ids, names=True)[0])
        rows = self.db.read(f"SELECT {ENTRY_COLS} FROM entries WHERE rowid IN "
                         f"({','.join('?' * len(ids))})", ids) if ids else []
        return list(self._entries(rows))

    def ranked(self, expr: str, fetch: int, keep: Callable[[Entry], bool],
               want: int) -> tuple[list[Found], bool]:
        """Up to `want` entries that `keep` accepts among the best `fetch` for an FTS5 expression
        (weighted BM25, best first), each with its link targets, in one statement; and whether
        that saw every match (fewer than `fetch`)."""
        weights, cols, _ = _sql()
        rows = self.db.read(
            f"SELECT {cols}, -m.s, (SELECT group_concat(target, char(31)) FROM links "
            f"WHERE src = m.r) FROM (SELECT rowid AS r, bm25(fts, {weights}) AS s FROM fts "
            "WHERE fts MATCH ? ORDER BY s, rowid LIMIT ?) AS m JOIN entries AS e ON e.rowid = m.r "
            "ORDER BY m.s, m.r", (expr, fetch))
        out = []
        for row, item in zip(rows, self._entries(rows), strict=False):
            if keep(item):
                targets = str(row[-1]).split("\x1f") if row[-1] is not None else []
                out.append(Found(int(str(row[0])), float(str(row[-2])), item, targets))
                if len(out) == want:
                    break
        return out, len(rows) < fetch

    def holding(self, exprs: Sequence[str], rowids: Sequence[int],
                names: bool = False) -> list[set[int]]:
        """For each FTS5 expression, which of `rowids` hold it in their own fields (not in their
        neighbours' context), or in their names only. Matched on a scratch copy of just those
        rows (same tokenizer), so the cost does not grow with the index."""
        out: list[set[int]] = [set() for _ in exprs]
        if rowids and exprs:
            self.db.using(lambda conn: self._probe_into(conn, exprs, rowids, names, out))
        return out

    def _probe_into(self, conn: Any, exprs: Sequence[str], rowids: Sequence[int], names: bool,
                    out: list[set[int]]) -> None:
        own = _sql()[2]
        copied = NAMES.strip("{}").replace(" ", ", ") if names else own
        if self._probe is not conn:
            conn.execute("PRAGMA temp_store=MEMORY")  # a scratch table needs no temp file
            conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{PROBE} USING fts5({own}, "
                         f"content='', tokenize='{PROBE_TOKENIZE}')")
            self._probe = conn
        rows = conn.execute(f"SELECT rowid, {copied} FROM main.fts WHERE rowid IN "
                            f"({','.join('?' * len(rowids))})", tuple(rowids)).fetchall()
        conn.execute(f"SAVEPOINT {PROBE}")  # rolled back below: the table is always left empty
        try:
            conn.executemany(f"INSERT INTO temp.{PROBE}(rowid, {copied}) VALUES "
                             f"(?{', ?' * copied.count(',')}, ?)", rows)
            for start in range(0, len(exprs), UNION_MAX):
                chunk = range(start, min(start + UNION_MAX, len(exprs)))
                sql = " UNION ALL ".join(f"SELECT {i}, rowid FROM temp.{PROBE} WHERE {PROBE} "
                                         "MATCH ?" for i in chunk)
                for i, rowid in conn.execute(sql, [exprs[i] for i in chunk]):
                    out[i].add(rowid)
        finally:
            conn.execute(f"ROLLBACK TO {PROBE}")
            conn.execute(f"RELEASE {PROBE}")

    def doc_freq(self, terms: Iterable[str]) -> dict[str, int]:
        """How many entries hold each term in their own fields (surface forms, before stemming);
        terms the index does not know are left out. Kept per state."""
        wanted, memo = list(terms), self._memo()
        missing = [t for t in dict.fromkeys(wanted) if t not in memo.df]
        if missing:
            if len(memo.df) >= ROWS_KEPT:
                memo.df.clear()
            rows = self.db.read(f"SELECT term, df FROM terms WHERE term IN ({','.join('?' * len(missing))})",
                             missing)
            memo.df.update(dict.fromkeys(missing))
            memo.df.update((str(t), int(str(n))) for t, n in rows)
        return {t: n for t in wanted if (n := memo.df.get(t)) is not None}

    def size(self) -> int:
        """How many entries the index holds (kept per state)."""
        memo = self._memo()
        if memo.size is None:
            memo.size = int(str(self.db.read("SELECT count(*) FROM entries")[0][0]))
        return memo.size

    def newest(self, count: int) -> list[str]:
        """The `updated` stamps of the `count` most recently updated entries, newest first (kept
        per state)."""
        memo = self._memo()
        if memo.newest is None or memo.newest[0] < count:
            rows = self.db.read("SELECT updated FROM entries ORDER BY updated DESC LIMIT ?", (count,))
            memo.newest = (count, [str(r[0]) for r in rows])
        return memo.newest[1][:count]

    def authors(self) -> dict[str, str]:
        """Name term -> author, for every author of an entry (to spot names in a query)."""
        from .tokens import terms

        memo = self._memo()
        if memo.authors is None:
            memo.authors = {}
            for (name,) in self.db.read("SELECT DISTINCT author FROM entries WHERE author != ''"):
                for term in terms(str(name)):
                    memo.authors.setdefault(term, str(name))
        return memo.authors
