"""The derived search index: the only sqlite3 user. FTS5 schema, incremental sync, lookups, search.

Lives in `<root>/.index/memtree.db`; rebuildable from the files at any time and never trusted
over them. Never writes an entry file.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from .errors import IndexError_
from .lookups import ENTRY_COLS, Lookups
from .model import Entry
from .scan import Prepared, Stamp, entry_row, first_context, natural, prepare_all, row_entry, stat_walk

SCHEMA_VERSION = 4
DB_DIR = ".index"
DB_NAME = "memtree.db"
# BM25 column weights, in column order: title, aliases, tags, summary, body, path, and context
# (the bodies of the CONTEXT_RADIUS entries before and after this one in its folder).
COLUMNS = ("title", "aliases", "tags", "summary", "body", "path", "context")
CONTEXT_WEIGHT = 0.3
WEIGHTS = (5.0, 4.0, 3.0, 2.0, 1.0, 2.0)
CONTEXT_RADIUS = 2
BUSY_MS = 10_000

Progress = Callable[[int, int], None]
T = TypeVar("T")

SCHEMA = f"""
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files(path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL,
                   entry INTEGER, problem TEXT);
CREATE TABLE entries(rowid INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL, id TEXT NOT NULL,
    slug TEXT NOT NULL, title TEXT NOT NULL, title_lc TEXT NOT NULL, summary TEXT NOT NULL,
    type TEXT NOT NULL, domain TEXT NOT NULL, tags TEXT NOT NULL, aliases TEXT NOT NULL,
    relations TEXT NOT NULL, importance INTEGER NOT NULL, maturity TEXT NOT NULL,
    status TEXT NOT NULL, pinned INTEGER NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL,
    source TEXT NOT NULL, archived INTEGER NOT NULL, body_len INTEGER NOT NULL,
    folder TEXT NOT NULL, author TEXT NOT NULL, ctx TEXT NOT NULL);
CREATE INDEX entries_folder ON entries(folder);
CREATE INDEX entries_id ON entries(id);
CREATE INDEX entries_slug ON entries(slug);
CREATE INDEX entries_title ON entries(title_lc);
CREATE TABLE terms(term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE links(src INTEGER NOT NULL, target TEXT NOT NULL, type TEXT NOT NULL);
CREATE INDEX links_src ON links(src);
CREATE INDEX links_target ON links(target);
CREATE VIRTUAL TABLE fts USING fts5({", ".join(COLUMNS)}, tokenize='porter unicode61');
"""


@dataclass
class SyncStats:
    """What one sync changed: entry paths added or changed, removed, and unreadable files."""

    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    rebuilt: bool = False

    def to_dict(self) -> dict[str, object]:
        return {"updated": len(self.updated), "removed": len(self.removed),
                "problems": self.problems, "rebuilt": self.rebuilt}


def schema_tag() -> str:
    """The index's version: schema and column weights (an index built otherwise is rebuilt)."""
    return f"{SCHEMA_VERSION}:" + ",".join(map(str, (*WEIGHTS, CONTEXT_WEIGHT, CONTEXT_RADIUS)))


def db_file(root: Path) -> Path:
    return root / DB_DIR / DB_NAME


class Index(Lookups):
    """One memory root's index. `sync()` brings it up to date with the files; reads call it.

    The query-side reads (name matches, ranked candidates, caches per state) are in lookups.py."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.file = db_file(root)
        self._conn: sqlite3.Connection | None = None
        self._known: tuple[str, dict[str, Stamp]] | None = None
        self._lock = threading.RLock()
        self.forget_reads()

    # ------------------------------------------------------------ connection

    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        for attempt in range(2):
            try:
                return self._connect()
            except sqlite3.DatabaseError as exc:
                if attempt:
                    raise IndexError_(f"{self.file}: cannot open the index: {exc}",
                                      hint="check the folder's permissions and free space") from exc
                self._discard()
        raise AssertionError("unreachable")

    def _connect(self) -> sqlite3.Connection:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.file, timeout=BUSY_MS / 1000, isolation_level=None,
                               check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout={BUSY_MS}")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            if self._version(conn) != schema_tag():
                self._create(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _version(conn: sqlite3.Connection) -> str | None:
        try:
            row = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None
            raise
        return str(row[0]) if row else None

    def _create(self, conn: sqlite3.Connection) -> None:
        """(Re)create every table: used for a new, stale or foreign database file."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            if self._version(conn) == schema_tag():
                conn.execute("COMMIT")  # another process created it meanwhile
                return
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table') AND name NOT LIKE "
                "'sqlite_%' AND name NOT LIKE 'fts_%'").fetchall():
                conn.execute(f'DROP TABLE IF EXISTS "{name}"')
            for statement in SCHEMA.split(";\n"):
                if statement.strip():
                    conn.execute(statement)
            weights = ", ".join(map(str, (*WEIGHTS, CONTEXT_WEIGHT)))
            conn.execute(f"INSERT INTO fts(fts, rank) VALUES('rank', 'bm25({weights})')")
            conn.execute("INSERT INTO meta VALUES('schema', ?), ('generation', '0')",
                         (schema_tag(),))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _discard(self) -> None:
        """Delete a corrupt database file (and its WAL) so it can be rebuilt from the files."""
        self.close()
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.file}{suffix}")
        self._known = None

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
        self.forget_reads()

    @contextlib.contextmanager
    def guarded(self) -> Iterator[sqlite3.Connection]:
        """Run reads/writes; a database found corrupt is discarded, rebuilt once and retried."""
        with self._lock:
            try:
                yield self.conn()
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                    raise IndexError_(f"{self.file}: index busy: {exc}") from exc
                self._discard()
                raise _Corrupt(str(exc)) from exc

    # ------------------------------------------------------------ freshness

    def sync(self, progress: Progress | None = None, rebuild: bool = False) -> SyncStats:
        """Bring the index up to date with the files: reparse added/changed, drop deleted."""
        for attempt in range(2):
            try:
                return self._sync(progress, rebuild or attempt > 0)
            except _Corrupt as exc:
                if attempt:
                    raise IndexError_(f"{self.file}: index unusable after rebuild: {exc}") from exc
        raise AssertionError("unreachable")

    def _sync(self, progress: Progress | None, rebuild: bool) -> SyncStats:
        seen = stat_walk(self.root)
        with self.guarded() as conn:
            if not rebuild and self._snapshot(conn) == seen:
                return SyncStats()
            conn.execute("BEGIN IMMEDIATE")
            try:
                if rebuild:  # in the same transaction: readers keep the old index until commit
                    for table in ("files", "entries", "links", "fts", "terms"):
                        conn.execute(f"DELETE FROM {table}")
                known = self._read_files(conn)  # again, inside the write transaction
                stats = self._apply(conn, seen, known, progress)
                stats.rebuilt = rebuild
                gen = int(conn.execute("SELECT value FROM meta WHERE key='generation'")
                          .fetchone()[0]) + 1
                conn.execute("UPDATE meta SET value=? WHERE key='generation'", (str(gen),))
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
            self._known = (str(gen), seen)
            return stats

    def _snapshot(self, conn: sqlite3.Connection) -> dict[str, Stamp]:
        """What the index recorded, cached in memory until another writer commits."""
        gen = str(conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])
        if self._known is None or self._known[0] != gen:
            self._known = (gen, self._read_files(conn))
        return self._known[1]

    @staticmethod
    def _read_files(conn: sqlite3.Connection) -> dict[str, Stamp]:
        return {p: (m, s) for p, m, s in conn.execute("SELECT path, mtime_ns, size FROM files")}

    def _apply(self, conn: sqlite3.Connection, seen: dict[str, Stamp],
               known: dict[str, Stamp], progress: Progress | None) -> SyncStats:
        stats = SyncStats()
        removed = [p for p in known if p not in seen]
        changed = sorted(p for p, st in seen.items() if known.get(p) != st)
        for path in removed + [p for p in changed if p in known]:
            self._forget(conn, path)
        stats.removed = removed
        batch = _Batch(conn)
        readies: list[Prepared | str] = []
        for done, ready in enumerate(prepare_all(self.root, changed), 1):
            readies.append(ready)
            if progress and (done % 200 == 0 or done == len(changed)):
                progress(done, len(changed))
        # a first build computes neighbour context up front instead of updating every row after
        first = {} if known else first_context(changed, readies, batch.next, CONTEXT_RADIUS)
        for path, ready in zip(changed, readies, strict=True):
            if isinstance(ready, str):
                batch.problem(path, seen[path], ready)
                stats.problems.append(ready)
            else:
                batch.add(path, seen[path], ready, first.get(path, ("", "")))
                stats.updated.append(path)
        batch.flush()
        _refresh_context(conn, {p.rsplit("/", 1)[0] for p in (*removed, *changed)})
        return stats

    @staticmethod
    def _forget(conn: sqlite3.Connection, path: str) -> None:
        row = conn.execute("SELECT entry FROM files WHERE path=?", (path,)).fetchone()
        if row and row[0] is not None:
            own = conn.execute(f"SELECT {', '.join(COLUMNS[:-1])} FROM fts WHERE rowid=?",
                               (row[0],)).fetchone()
            conn.executemany("UPDATE terms SET df = df - 1 WHERE term=?",
                             [(t,) for t in set(" ".join(own or ()).split())])
            conn.execute("DELETE FROM fts WHERE rowid=?", (row[0],))
            conn.execute("DELETE FROM links WHERE src=?", (row[0],))
            conn.execute("DELETE FROM entries WHERE rowid=?", (row[0],))
        conn.execute("DELETE FROM files WHERE path=?", (path,))

    # ------------------------------------------------------------ reads

    def read(self, sql: str, args: Iterable[object] = ()) -> list[tuple[object, ...]]:
        """Run a read query on a fresh index (repairing it first if it is corrupt)."""
        values = tuple(args)
        return self.using(lambda conn: conn.execute(sql, values).fetchall())

    def using(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` on the connection; a corrupt index is rebuilt from the files, then retried."""
        for attempt in range(2):
            try:
                with self.guarded() as conn:
                    return work(conn)
            except _Corrupt as exc:
                if attempt:
                    raise IndexError_(f"{self.file}: index unreadable: {exc}") from exc
                self.sync(rebuild=True)
        raise AssertionError("unreachable")

    def catalog(self, field: str, text: str) -> list[str]:
        """Paths (fresh) whose id, slug or title (case-insensitive) equals `text`."""
        self.sync()
        column, value = {"id": ("id", text), "slug": ("slug", text.lower())}.get(
            field, ("title_lc", text.lower()))
        rows = self.read(f"SELECT path FROM entries WHERE {column}=?", (value,))
        return sorted(str(r[0]) for r in rows)

    def entries(self, where: str, args: Iterable[object] = ()) -> list[Entry]:
        rows = self.read(f"SELECT {ENTRY_COLS} FROM entries WHERE {where}", args)
        return [row_entry(r) for r in rows]

    def problems(self) -> list[tuple[str, str]]:
        return [(str(p), str(m)) for p, m in
                self.read("SELECT path, problem FROM files WHERE problem IS NOT NULL")]


class _Corrupt(Exception):
    """The database file is not a usable SQLite database (it has been discarded)."""


def _refresh_context(conn: sqlite3.Connection, folders: Iterable[str]) -> None:
    """Recompute the `context` column of entries whose neighbours in their folder changed."""
    for folder in sorted(folders):
        rows = conn.execute("SELECT rowid, path, created, ctx FROM entries WHERE folder=?",
                            (folder,)).fetchall()
        rows.sort(key=lambda r: natural(r[1], r[2]))
        order = [r[0] for r in rows]
        stale = []
        for i, (rowid, _, _, old) in enumerate(rows):
            near = order[max(0, i - CONTEXT_RADIUS):i] + order[i + 1:i + 1 + CONTEXT_RADIUS]
            key = ",".join(map(str, near))
            if key != old:
                stale.append((rowid, near, key))
        bodies: dict[int, str] = {}
        for rowid, near, key in stale:
            need = [n for n in near if n not in bodies]
            if need:
                marks = ",".join("?" * len(need))
                bodies.update(conn.execute(f"SELECT rowid, body FROM fts WHERE rowid IN ({marks})",
                                           need).fetchall())
            conn.execute("UPDATE fts SET context=? WHERE rowid=?",
                         (" ".join(bodies.get(n, "") for n in near), rowid))
            conn.execute("UPDATE entries SET ctx=? WHERE rowid=?", (key, rowid))


class _Batch:
    """Rows waiting to be inserted together (executemany is several times faster)."""

    SIZE = 500

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.next = int(conn.execute("SELECT coalesce(max(rowid), 0) FROM entries")
                        .fetchone()[0]) + 1
        self.rows: dict[str, list[tuple[object, ...]]] = {k: [] for k in
                                                           ("entries", "fts", "links", "files")}
        self.df: Counter[str] = Counter()  # document frequency of terms in an entry's own fields

    def problem(self, path: str, stamp: Stamp, message: str) -> None:
        self.rows["files"].append((path, *stamp, None, message))

    def add(self, path: str, stamp: Stamp, ready: Prepared, context: tuple[str, str]) -> None:
        item, texts, links = ready
        rowid, self.next = self.next, self.next + 1
        self.rows["entries"].append((rowid, *entry_row(item)[:-1], context[1]))
        self.rows["fts"].append((rowid, *texts[:-1], context[0]))
        self.df.update(set(" ".join(texts[:-1]).split()))
        self.rows["links"].extend((rowid, target, kind) for kind, target in links)
        self.rows["files"].append((path, *stamp, rowid, None))
        if len(self.rows["fts"]) >= self.SIZE:
            self.flush()

    def flush(self) -> None:
        sql = {"entries": "INSERT INTO entries VALUES(" + ",".join("?" * 24) + ")",
               "fts": f"INSERT INTO fts(rowid, {', '.join(COLUMNS)}) VALUES(?,?,?,?,?,?,?,?)",
               "links": "INSERT INTO links VALUES(?,?,?)",
               "files": "INSERT INTO files VALUES(?,?,?,?,?)"}
        for table, rows in self.rows.items():
            if rows:
                self.conn.executemany(sql[table], rows)
                rows.clear()
        self.conn.executemany("INSERT INTO terms VALUES(?, ?) ON CONFLICT(term) DO UPDATE SET "
                              "df = df + excluded.df", self.df.items())
        self.df.clear()


_OPEN: dict[Path, Index] = {}


def open_index(root: Path) -> Index:
    """The process-wide Index of a root (kept open so repeated queries stay cheap)."""
    found = _OPEN.get(root)  # as given when absolute: resolving costs a stat per folder
    if found is None:
        key = root.resolve()
        found = _OPEN.setdefault(key, Index(key))
        if root.is_absolute():
            _OPEN[root] = found
    return found
