"""`memtree watch`: keeps the index in step with hand edits while it runs, reports files that do
not parse (never stopping for them), and commits the edits as "edited by hand" after a quiet
period when autocommit is on. Events come from `index/watch.py` through `Index.watch`; each tick
is one sync of the folders that had events, so editors' save patterns (a temporary file renamed
over the entry, swap files, a delete then a create) settle into one change. Never prints."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..config import Workspace

Report = Callable[[dict[str, Any]], None]
TICK = 0.25  # seconds between looks: edits are indexed within a second
QUIET = 3.0  # seconds without edits before they are committed


class Watcher:
    """One root watched: `tick()` once does a look (and a commit when due); `run()` loops."""

    def __init__(self, ws: Workspace, report: Report, quiet: float = QUIET) -> None:
        from ..index.db import open_index

        self.ws = replace(ws, tool="hand")
        self.report = report
        self.quiet = quiet
        self.index = open_index(ws.root)
        self.pending: set[str] = set()
        self.last_edit = 0.0
        self.live = self.index.watch()
        self.index.sync()  # what changed before the watch began

    def tick(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        try:
            stats = self.index.sync()
        except Exception as exc:  # noqa: BLE001 - a watcher reports and carries on
            self.report({"event": "error", "path": "", "message": f"{type(exc).__name__}: {exc}"})
            return
        for path in stats.updated:
            self.report({"event": "indexed", "path": f"{path}.md", "message": ""})
        for path in stats.removed:
            self.report({"event": "removed", "path": f"{path}.md", "message": ""})
        for line in stats.problems:
            where, _, why = line.partition(": ")
            self.report({"event": "invalid", "path": where, "message": why})
        changed = [*stats.updated, *stats.removed]
        if changed:
            self.pending.update(changed)
            self.last_edit = now
        if self.pending and now - self.last_edit >= self.quiet:
            self._commit()

    def _commit(self) -> None:
        from ..history import git
        from ..model import Change

        paths = tuple(sorted(self.pending))
        self.pending.clear()
        if not git.autocommit(self.ws) or git.find(self.ws) is None:
            return
        shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        change = Change("edit", paths, f"edited by hand: {shown}", "edited by hand",
                        actor=self.ws.actor, tool="hand")
        try:
            git.record(self.ws, change)
        except Exception as exc:  # noqa: BLE001 - git refusing is reported, not fatal
            self.report({"event": "error", "path": "", "message": f"commit: {exc}"})
            return
        self.report({"event": "committed", "path": ", ".join(f"{p}.md" for p in paths),
                     "message": "edited by hand"})

    def run(self, seconds: float | None = None) -> None:
        """Loop until interrupted, or for `seconds` (then commits what is pending)."""
        end = None if seconds is None else time.monotonic() + seconds
        while end is None or time.monotonic() < end:
            time.sleep(TICK)
            self.tick()
        if self.pending:
            self._commit()

    def close(self) -> None:
        self.index.close()
