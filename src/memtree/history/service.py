"""History as a service over a Workspace: log, diff, why, an entry at a revision, restore, undo,
commit and sync, plus `record`, the one way a write becomes a commit with provenance.

Thin delegations to timeline.py, undo.py and sync.py (which reach git through git.py).
"""

from __future__ import annotations

import dataclasses

from ..model import Change, Entry

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any

    from ..config import Workspace
    from .setup import Done
    from .timeline import Diff
    from .trailers import Revision


def record(ws: Workspace, change: Change) -> None:
    """A write is done: mark its files for the index and commit it (or queue it) with who did it."""
    from ..index.db import touched
    from . import git

    touched(ws.root, change.paths)
    git.record(ws, dataclasses.replace(
        change, actor=change.actor or ws.actor, session=change.session or ws.session, tool=ws.tool))


def set_up(ws: Workspace, mode: str | None = None, autocommit: bool | None = None) -> Done:
    """Set up history for a new root (mode, repository, merge driver, first commit); the
    settings as written to config.toml and the commit made."""
    from . import git

    return git.on_init(ws, mode, autocommit)


class History:
    """The git history of one memory root."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def log(self, ref: str | None = None, limit: int | None = None) -> list[Revision]:
        """Commits that changed the memory, or one entry (followed across moves), newest first."""
        from . import timeline
        return timeline.log(self.ws, ref, limit)

    def diff(self, rev: str | None = None) -> Diff:
        """Changes to the memory since `rev` (default: uncommitted changes against HEAD)."""
        from . import timeline
        return timeline.diff(self.ws, rev)

    def why(self, ref: str) -> dict[str, Any]:
        """Provenance of an entry: who created it, from what source, each change and its reason."""
        from . import timeline
        return timeline.why(self.ws, ref)

    def show_at(self, ref: str, rev: str) -> Entry:
        """An entry as it was at revision `rev`."""
        from . import timeline
        return timeline.entry_at(self.ws, ref, rev)

    def text_at(self, ref: str, rev: str) -> str:
        """An entry's exact file text at revision `rev`."""
        from . import timeline
        return timeline.text_at(self.ws, ref, rev)[1]

    def restore(self, ref: str, rev: str, reason: str | None = None) -> Entry:
        """Bring an entry back to its exact content at `rev` (recorded as a new change)."""
        from . import timeline
        return timeline.restore(self.ws, ref, rev, reason)

    def undo(self, n: int = 1, reason: str | None = None) -> dict[str, Any]:
        """Revert memtree's last `n` changes, refusing when unrelated work touched those files."""
        from . import undo
        return undo.undo(self.ws, n, reason)

    def commit(self, reason: str | None = None) -> str | None:
        """Commit deferred changes and any uncommitted memory files now; the new commit or None."""
        from . import sync
        return sync.commit_now(self.ws, reason)

    def sync(self, remote: str | None = None) -> dict[str, Any]:
        """Fold usage signals, commit, fetch, merge (with the entry merge driver) and push."""
        from . import sync
        return sync.sync(self.ws, remote)
