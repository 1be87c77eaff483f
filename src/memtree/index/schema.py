"""The one definition of the index's shape: its tables, the columns of the full-text table and
their BM25 weights, the entry columns reads select, and the version tag that makes an index
built with another shape rebuild itself. Data only; the only sqlite3 user is db.py."""

from __future__ import annotations

SCHEMA_VERSION = 8  # 7: files_problem, so listing unreadable files (every query) reads only them; 8: touches
APPLICATION_ID = 0x6D747265  # "mtre" in the database header: this file is memtree's index
# BM25 column weights, in column order: title, aliases, tags, summary, body, path, and context
# (the bodies of the CONTEXT_RADIUS entries before and after this one in its folder).
CONTEXT_WEIGHT = 0.3
WEIGHTS = (5.0, 4.0, 3.0, 2.0, 1.0, 2.0)

# The fts table's columns, in order; `context` holds the bodies of the CONTEXT_RADIUS entries
# before and after an entry in an episode-log folder (source.py and ingest.py fill it).
COLUMNS = ("title", "aliases", "tags", "summary", "body", "path", "context")
CONTEXT_RADIUS = 2
TOKENIZE = "porter unicode61"
# The `entries` columns every read selects, in the order source.row_entry decodes them.
ENTRY_COLS = ("rowid, path, id, title, summary, type, tags, aliases, relations, importance, "
              "maturity, status, pinned, created, updated, source")

SCHEMA = f"""
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files(path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL,
                   entry INTEGER, problem TEXT, folder TEXT NOT NULL);
CREATE INDEX files_folder ON files(folder);
CREATE INDEX files_problem ON files(path) WHERE problem IS NOT NULL;
CREATE TABLE folders(path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL);
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
CREATE INDEX entries_updated ON entries(updated);
CREATE TABLE terms(term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE links(src INTEGER NOT NULL, target TEXT NOT NULL, type TEXT NOT NULL);
CREATE INDEX links_src ON links(src);
CREATE INDEX links_target ON links(target);
CREATE TABLE touches(src INTEGER NOT NULL, file TEXT NOT NULL, kind TEXT NOT NULL);
CREATE INDEX touches_file ON touches(file);
CREATE INDEX touches_src ON touches(src);
CREATE VIRTUAL TABLE fts USING fts5({", ".join(COLUMNS)}, tokenize='{TOKENIZE}');
"""


def schema_tag() -> str:
    """The index's version: schema and column weights (an index built otherwise is rebuilt)."""
    return f"{SCHEMA_VERSION}:" + ",".join(map(str, (*WEIGHTS, CONTEXT_WEIGHT, CONTEXT_RADIUS)))


