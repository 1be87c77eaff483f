"""The derived SQLite FTS5 index: rows from files, freshness, ingest, the tokenizer and the
query-side reads. Rebuildable from the files at any time; never trusted over them."""
