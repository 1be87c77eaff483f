"""Git as history and distribution: running git, commits with provenance trailers, set-up,
the merge driver, log/diff/why, undo and sync, and the service over a memory."""
