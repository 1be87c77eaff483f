"""The history half of `Memory`: log, diff, why, show at a revision, restore, undo, commit, sync.

Thin delegations to timeline.py, undo.py and teamsync.py (which reach git through history.py).
"""

from __future__ import annotations

from .model import Entry

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any

    from .memory import Memory


class LookingBack:
    """Mixed into `Memory`; every method reads or changes the memory's git history."""

    def _memory(self) -> Memory:
        return self  # type: ignore[return-value]  # always mixed into Memory

    def log(self, ref: str | None = None, limit: int | None = None) -> list[Any]:
        """Commits that changed the memory, or one entry (followed across moves), newest first."""
        from . import timeline
        return timeline.log(self._memory(), ref, limit)

    def diff(self, rev: str | None = None) -> Any:
        """Changes to the memory since `rev` (default: uncommitted changes against HEAD)."""
        from . import timeline
        return timeline.diff(self._memory(), rev)

    def why(self, ref: str) -> Any:
        """Provenance of an entry: who created it, from what source, each change and its reason."""
        from . import timeline
        return timeline.why(self._memory(), ref)

    def show_at(self, ref: str, rev: str) -> Entry:
        """An entry as it was at revision `rev`."""
        from . import timeline
        return timeline.entry_at(self._memory(), ref, rev)

    def text_at(self, ref: str, rev: str) -> str:
        """An entry's exact file text at revision `rev`."""
        from . import timeline
        return timeline.text_at(self._memory(), ref, rev)[1]

    def restore(self, ref: str, rev: str, reason: str | None = None) -> Entry:
        """Bring an entry back to its exact content at `rev` (recorded as a new change)."""
        from . import timeline
        return timeline.restore(self._memory(), ref, rev, reason)

    def undo(self, n: int = 1, reason: str | None = None) -> Any:
        """Revert memtree's last `n` changes, refusing when unrelated work touched those files."""
        from . import undo
        return undo.undo(self._memory(), n, reason)

    def commit(self, reason: str | None = None) -> str | None:
        """Commit deferred changes and any uncommitted memory files now; the new commit or None."""
        from . import teamsync
        return teamsync.commit_now(self._memory(), reason)

    def sync(self, remote: str | None = None) -> Any:
        """Fold usage signals, commit, fetch, merge (with the entry merge driver) and push."""
        from . import teamsync
        return teamsync.sync(self._memory(), remote)
