"""The derived search index: the only sqlite3 user. FTS5 schema, incremental sync, lookups, search.

Lives in `<root>/.index/memtree.db`; rebuildable from the files at any time and never trusted
over them. Never writes an entry file.
"""

from __future__ import annotations

import _thread  # its RLock is threading.RLock, without importing threading (about 1 ms)
import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from ..entries import statepaths
from ..errors import IndexError_
from ..model import Entry, Problem
from . import freshness, ingest
from .freshness import Scope
from .ingest import Progress, SyncStats
from .reads import Reads
from .schema import (
    APPLICATION_ID,
    CONTEXT_WEIGHT,
    ENTRY_COLS,
    SCHEMA,
    WEIGHTS,
    schema_tag,
)
from .source import row_entry

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import TypeVar

    from .watch import Watch

    T = TypeVar("T")

__all__ = ["Index", "Progress", "SyncStats", "open_index"]

DB_DIR = ".index"
DB_NAME = "memtree.db"
BUSY_MS = 10_000


def db_file(root: Path) -> Path:
    return root / DB_DIR / DB_NAME


def _refuse_foreign(conn: sqlite3.Connection, file: Path) -> None:
    """Rebuilding drops every table: only ever do it to a database memtree made (its
    application_id, or the `meta` table of an index made before it set one) or an empty one."""
    if conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID:
        return
    tables = {name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")}
    if not tables or "meta" in tables and Index._version(conn) is not None:
        return
    raise IndexError_(f"{file}: a SQLite database that memtree did not make "
                      f"({len(tables)} tables); refusing to drop its tables",
                      hint="move it away; memtree rebuilds its index from the files")


class Index:
    """One memory root's index. `sync()` brings it up to date with the files; reads call it.

    The query-side reads (name matches, ranked candidates, caches per state) are `self.reads`
    (reads.py)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.file = db_file(root)
        self._conn: sqlite3.Connection | None = None
        self._known: tuple[str, dict[str, int]] | None = None  # generation, folder mtimes
        self._watch: Watch | None = None
        self._gated = 0.0
        self._cursor: str | None = None  # where the rotation stopped, once read or moved here
        self._cursor_saved = -freshness.CURSOR_SAVE_S  # when it was last written for others
        self._lock = _thread.RLock()
        self._opened: tuple[int, int] | None = None  # (device, inode) of the file connected to
        self._on_file = False  # the connection is to the file (not an index in memory)
        self.reads = Reads(self)

    # ------------------------------------------------------------ connection

    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._on_file = False
            self._conn = self._open()
            self._opened = self._identity()
        return self._conn

    def _identity(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.file)
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def _reopen_if_replaced(self) -> None:
        """A long-lived process whose database file was deleted or replaced (`rm -rf .index`, a
        checkout) reconnects, so the file is made again instead of reading the lost one."""
        with self._lock:
            if self._conn is None or not self._on_file:
                return
            now = self._identity()
            if now is None or now != self._opened:  # gone, or gone while it was being opened
                self.close()
                self._known = None

    def _open(self) -> sqlite3.Connection:
        if not self._writable():  # a read-only tree: an index in memory for this process
            return self._in_memory()
        for attempt in range(2):
            try:
                conn = self._connect()
                self._on_file = True
                return conn
            except sqlite3.DatabaseError:
                if attempt:  # e.g. a full disk: reads still work from an index in memory
                    return self._in_memory()
                with contextlib.suppress(OSError):
                    self._discard()
        raise AssertionError("unreachable")

    def _in_memory(self) -> sqlite3.Connection:
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        try:
            self._create(conn)
        except sqlite3.DatabaseError as exc:
            raise IndexError_(f"{self.file}: cannot build the index: {exc}") from exc
        return conn

    def _writable(self) -> bool:
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            return False
        folder_ok = os.access(self.file.parent, os.W_OK)
        return folder_ok and (not self.file.exists() or os.access(self.file, os.W_OK))

    def _connect(self) -> sqlite3.Connection:
        statepaths.index(self.root)
        for suffix in ("", "-wal", "-shm", "-journal"):  # SQLite follows links: none may be one
            statepaths.check_file(f"{self.file}{suffix}")
        conn = sqlite3.connect(self.file, timeout=BUSY_MS / 1000, isolation_level=None,
                               check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout={BUSY_MS}")
            stale = self._version(conn) != schema_tag()
            if stale:  # before any pragma that writes: another application's file stays as is
                _refuse_foreign(conn, self.file)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            if stale:
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
            if "no such table" in str(exc) or "no such column" in str(exc):
                return None  # not memtree's meta table (a foreign database is refused, not dropped)
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
            conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
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
        self.reads.forget()

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

    def sync(self, progress: Progress | None = None, rebuild: bool = False,
             full: bool = False) -> SyncStats:
        """Bring the index up to date with the files: reparse added/changed, drop deleted.

        By default only what the folder gate and the rotating re-check find (or, while a watch
        runs, what its events name); `full` stats every file; `rebuild` starts from nothing.
        """
        self._reopen_if_replaced()
        return self._retrying(lambda conn: self._sync(conn, progress, rebuild, full))

    def recheck(self, paths: Sequence[str]) -> bool:
        """Re-stat the files of results about to be shown; True if any changed (now re-indexed)."""
        if not paths:
            return False
        marks = ",".join("?" * len(paths))
        recorded = {str(p): (int(str(m)), int(str(z))) for p, m, z in self.read(
            f"SELECT path, mtime_ns, size FROM files WHERE path IN ({marks})", paths)}
        current = freshness.differing(self.root, recorded)
        if current is None:
            return False
        scope = Scope()
        scope.add_paths(current, recorded)
        self._retrying(lambda conn: self._write(conn, scope, None, False))
        return True

    def watch(self) -> bool:
        """Keep fresh from file system events while this process lives (False: not available)."""
        if self._watch is None or not self._watch.alive:
            from .watch import Watch

            self._watch = Watch(self.root)
            if not self._watch.start():
                self._watch = None
                return False
            self._gated = 0.0  # the next sync runs the gate: changes before the watch started
        return True

    def touched(self, paths: Iterable[str]) -> None:
        """This process wrote these entry paths: look at their folders next time."""
        if self._watch is not None:
            self._watch.note([p.rsplit("/", 1)[0] if "/" in p else "" for p in paths])

    def _retrying(self, work: Callable[[sqlite3.Connection], SyncStats]) -> SyncStats:
        for attempt in range(2):
            try:
                if attempt:
                    return self._retrying_rebuild()
                with self.guarded() as conn:
                    return work(conn)
            except _Corrupt as exc:
                if attempt:
                    raise IndexError_(f"{self.file}: index unusable after rebuild: {exc}") from exc
        raise AssertionError("unreachable")

    def _retrying_rebuild(self) -> SyncStats:
        with self.guarded() as conn:
            return self._sync(conn, None, True, True)

    def _sync(self, conn: sqlite3.Connection, progress: Progress | None, rebuild: bool,
              full: bool) -> SyncStats:
        folders = self._folders(conn)
        if rebuild or full or not folders:
            scope = freshness.whole(self.root)
        else:
            scope = self._changes(conn, folders)
            if scope.empty:
                return SyncStats()
        return self._write(conn, scope, progress, rebuild)

    def _changes(self, conn: sqlite3.Connection, folders: dict[str, int]) -> Scope:
        """What to look at: the watch's events, else the folder gate plus the rotating re-check."""
        watching = self._watch is not None and self._watch.alive
        if watching and self._watch is not None \
                and time.monotonic() - self._gated < freshness.GATE_EVERY_S:
            return freshness.rescan(self.root, self._watch.take(), folders)
        dirty = self._watch.take() if watching and self._watch is not None else set()
        self._gated = time.monotonic()
        scope = freshness.rescan(
            self.root, dirty | set(freshness.changed_folders(self.root, folders)), folders)
        if not watching:
            self._rotate(conn, scope)
        return scope

    def _rotate(self, conn: sqlite3.Connection, scope: Scope) -> None:
        """Re-stat the next RECHECK_FILES files (in path order, wrapping): edits made in place,
        which leave their folder's mtime alone, are found within a bounded number of queries."""
        size = freshness.RECHECK_FILES
        start = freshness.read_cursor(self.root) if self._cursor is None else self._cursor
        sql = "SELECT path, mtime_ns, size FROM files WHERE path {} ? ORDER BY path LIMIT ?"
        rows = conn.execute(sql.format(">"), (start, size)).fetchall()
        wrapped = len(rows) < size
        if wrapped:
            rows += conn.execute(sql.format("<="), (start, size - len(rows))).fetchall()
        recorded = {p: (m, z) for p, m, z in rows if p.rsplit("/", 1)[0] not in scope.folders}
        current = freshness.differing(self.root, recorded)
        if current is not None:
            scope.add_paths(current, recorded)
        if rows and not (wrapped and start == ""):
            self._cursor = str(rows[-1][0])
            if time.monotonic() - self._cursor_saved >= freshness.CURSOR_SAVE_S:
                freshness.write_cursor(self.root, self._cursor)
                self._cursor_saved = time.monotonic()

    def _write(self, conn: sqlite3.Connection, scope: Scope, progress: Progress | None,
               rebuild: bool) -> SyncStats:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if rebuild:  # in the same transaction: readers keep the old index until commit
                for table in ("files", "folders", "entries", "links", "touches", "fts", "terms"):
                    conn.execute(f"DELETE FROM {table}")
            known = ingest.recorded(conn, scope)  # inside the write transaction
            stats = ingest.apply(conn, self.root, scope.seen, known, progress)
            stats.rebuilt = rebuild
            ingest.record_folders(conn, scope)
            conn.execute("UPDATE meta SET value = value + 1 WHERE key='generation'")
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        self._known = None
        return stats

    def _folders(self, conn: sqlite3.Connection) -> dict[str, int]:
        """The recorded folders and mtimes, cached in memory until a writer commits."""
        gen = str(conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])
        if self._known is None or self._known[0] != gen:
            self._known = (gen, dict(conn.execute("SELECT path, mtime_ns FROM folders")))
        return self._known[1]

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

    def unreadable(self) -> list[Problem]:
        """The files that could not be read as entries, as of the last sync, by path."""
        found = [Problem.of(m, p) for p, m in self.problems()]
        return sorted(found, key=lambda p: (p.path, p.line))


class _Corrupt(Exception):
    """The database file is not a usable SQLite database (it has been discarded)."""


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


def touched(root: Path, paths: Iterable[str]) -> None:
    """This process wrote these paths: an open, watching index looks at their folders next,
    and entries the write removed (a delete, the old path of a move) leave the index now."""
    paths = list(paths)
    idx = _OPEN.get(root) or _OPEN.get(root.resolve())
    if idx is not None:
        idx.touched(paths)
    gone = [p for p in paths if "/" in p and not (root / f"{p}.md").exists()]
    if gone and db_file(root).exists():
        index = idx or open_index(root)
        with contextlib.suppress(IndexError_):  # busy or unreadable: the next query catches up
            index.using(lambda conn: _forget(conn, gone))


def _forget(conn: sqlite3.Connection, paths: Sequence[str]) -> None:
    """Drop these entries' rows in one transaction (a new generation, as a sync writes)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for path in paths:
            ingest.forget(conn, path)
        conn.execute("UPDATE meta SET value = value + 1 WHERE key='generation'")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
