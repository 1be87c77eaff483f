"""Writing rows into the index inside the caller's transaction: entries parsed and inserted in
batches, removed ones forgotten, neighbour context refreshed. Opens nothing; never writes a file.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from ..entries.layout import Stamp
from .freshness import RACY_NS, UNSETTLED, Scope, stored_stamp
from .schema import COLUMNS, CONTEXT_RADIUS
from .source import (
    Prepared,
    entry_row,
    file_refs,
    first_context,
    natural,
    prepare_all,
    sequential,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any, Protocol

    class Connection(Protocol):
        """The part of the index's database connection used here (index.py owns it)."""

        def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...

        def executemany(self, sql: str, parameters: Any, /) -> Any: ...


Progress = Callable[[int, int], None]


class SyncStats:
    """What one sync changed: entry paths added or changed, removed, and unreadable files."""

    def __init__(self) -> None:
        self.updated: list[str] = []
        self.removed: list[str] = []
        self.problems: list[str] = []
        self.rebuilt = False

    def __repr__(self) -> str:
        return f"SyncStats({self.to_dict()})"

    def to_dict(self) -> dict[str, object]:
        return {"updated": len(self.updated), "removed": len(self.removed),
                "problems": self.problems, "rebuilt": self.rebuilt}


def apply(conn: Connection, root: Path, seen: dict[str, Stamp],
          known: dict[str, Stamp], progress: Progress | None) -> SyncStats:
    """Make the recorded files `known` match `seen` (both cover the same part of the tree)."""
    now = time.time_ns()
    stats = SyncStats()
    removed = [p for p in known if p not in seen]
    changed = sorted(p for p, st in seen.items() if known.get(p) != st)
    for path in removed + [p for p in changed if p in known]:
        forget(conn, path)
    stats.removed = removed
    batch = Batch(conn)
    readies: list[Prepared | str] = []
    for done, ready in enumerate(prepare_all(root, changed), 1):
        readies.append(ready)
        if progress and (done % 200 == 0 or done == len(changed)):
            progress(done, len(changed))
    # a first build computes neighbour context up front instead of updating every row after
    first = {} if known else first_context(changed, readies, batch.next, CONTEXT_RADIUS)
    for path, ready in zip(changed, readies, strict=True):
        stamp = stored_stamp(seen[path], now)
        if isinstance(ready, str):
            batch.problem(path, stamp, ready)
            stats.problems.append(ready)
        else:
            batch.add(path, stamp, ready, first.get(path, ("", "")))
            stats.updated.append(path)
    batch.flush()
    refresh_context(conn, {p.rsplit("/", 1)[0] for p in (*removed, *changed)})
    return stats


def recorded(conn: Connection, scope: Scope) -> dict[str, Stamp]:
    """The recorded stamps of every file in scope."""
    sql = "SELECT path, mtime_ns, size FROM files"
    if scope.full:
        return {p: (m, z) for p, m, z in conn.execute(sql)}
    out: dict[str, Stamp] = {}
    for rel in scope.folders:
        out.update((p, (m, z)) for p, m, z in conn.execute(f"{sql} WHERE folder=?", (rel,)))
    for rel in scope.gone:
        out.update((p, (m, z)) for p, m, z in conn.execute(
            f"{sql} WHERE folder=? OR (folder > ? AND folder < ?)", (rel, rel + "/", rel + "0")))
    paths = sorted(scope.paths)
    for i in range(0, len(paths), 500):
        chunk = paths[i:i + 500]
        out.update((p, (m, z)) for p, m, z in conn.execute(
            f"{sql} WHERE path IN ({','.join('?' * len(chunk))})", chunk))
    return out

def record_folders(conn: Connection, scope: Scope) -> None:
    """Record the folder mtimes seen (a folder holding a racy file is looked at again)."""
    if scope.full:
        conn.execute("DELETE FROM folders")
    for rel in scope.gone:
        conn.execute("DELETE FROM folders WHERE path=? OR (path > ? AND path < ?)",
                     (rel, rel + "/", rel + "0"))
    now = time.time_ns()
    racy = {p.rsplit("/", 1)[0] for p, (m, _) in scope.seen.items()
            if now - m < RACY_NS}
    mtimes = {**scope.mtimes, **dict.fromkeys(racy, UNSETTLED)}
    conn.executemany("INSERT OR REPLACE INTO folders VALUES(?, ?)", mtimes.items())


def forget(conn: Connection, path: str) -> None:
    """Remove one file's rows (entry, full text, links, term counts)."""
    row = conn.execute("SELECT entry FROM files WHERE path=?", (path,)).fetchone()
    if row and row[0] is not None:
        own = conn.execute(f"SELECT {', '.join(COLUMNS[:-1])} FROM fts WHERE rowid=?",
                           (row[0],)).fetchone()
        conn.executemany("UPDATE terms SET df = df - 1 WHERE term=?",
                         [(t,) for t in set(" ".join(own or ()).split())])
        conn.execute("DELETE FROM fts WHERE rowid=?", (row[0],))
        conn.execute("DELETE FROM links WHERE src=?", (row[0],))
        conn.execute("DELETE FROM touches WHERE src=?", (row[0],))
        conn.execute("DELETE FROM entries WHERE rowid=?", (row[0],))
    conn.execute("DELETE FROM files WHERE path=?", (path,))


def refresh_context(conn: Connection, folders: Iterable[str]) -> None:
    """Recompute the `context` column of entries whose neighbours in their folder changed."""
    for folder in sorted(folders):
        rows = conn.execute("SELECT rowid, path, created, ctx, type FROM entries WHERE folder=?",
                            (folder,)).fetchall()
        rows.sort(key=lambda r: natural(r[1], r[2]))
        order = [r[0] for r in rows] if sequential(r[4] for r in rows) else []
        stale = []
        for i, (rowid, _, _, old, _) in enumerate(rows):
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


def _folder(path: str) -> str:
    return path.rsplit("/", 1)[0]


class Batch:
    """Rows waiting to be inserted together (executemany is several times faster)."""

    SIZE = 500

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.next = int(conn.execute("SELECT coalesce(max(rowid), 0) FROM entries")
                        .fetchone()[0]) + 1
        self.rows: dict[str, list[tuple[object, ...]]] = {k: [] for k in
                                                           ("entries", "fts", "links", "files",
                                                            "touches")}
        self.df: Counter[str] = Counter()  # document frequency of terms in an entry's own fields

    def problem(self, path: str, stamp: Stamp, message: str) -> None:
        self.rows["files"].append((path, *stamp, None, message, _folder(path)))

    def add(self, path: str, stamp: Stamp, ready: Prepared, context: tuple[str, str]) -> None:
        item, texts, links = ready
        rowid, self.next = self.next, self.next + 1
        self.rows["entries"].append((rowid, *entry_row(item)[:-1], context[1]))
        self.rows["fts"].append((rowid, *texts[:-1], context[0]))
        self.df.update(set(" ".join(texts[:-1]).split()))
        self.rows["links"].extend((rowid, target, kind) for kind, target in links)
        self.rows["touches"].extend((rowid, file, kind) for file, kind in file_refs(item).items())
        self.rows["files"].append((path, *stamp, rowid, None, _folder(path)))
        if len(self.rows["fts"]) >= self.SIZE:
            self.flush()

    def flush(self) -> None:
        sql = {"entries": "INSERT INTO entries VALUES(" + ",".join("?" * 24) + ")",
               "fts": f"INSERT INTO fts(rowid, {', '.join(COLUMNS)}) VALUES(?,?,?,?,?,?,?,?)",
               "links": "INSERT INTO links VALUES(?,?,?)",
               "touches": "INSERT INTO touches VALUES(?,?,?)",
               "files": "INSERT INTO files VALUES(?,?,?,?,?,?)"}
        for table, rows in self.rows.items():
            if rows:
                self.conn.executemany(sql[table], rows)
                rows.clear()
        self.conn.executemany("INSERT INTO terms VALUES(?, ?) ON CONFLICT(term) DO UPDATE SET "
                              "df = df + excluded.df", self.df.items())
        self.df.clear()
