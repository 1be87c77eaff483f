"""`memtree watch`: keeps the index in step with hand edits while it runs, reports files that do
not parse (never stopping for them), and commits the edits as "edited by hand" after a quiet
period when autocommit is on. Events come from `index/watch.py` through `Index.watch`; each tick
is one sync of the folders that had events, so editors' save patterns (a temporary file renamed
over the entry, swap files, a delete then a create) settle into one change, reported once
(docs/cli.md). Never prints."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..config import Workspace

Report = Callable[[dict[str, Any]], None]
TICK = 0.25  # seconds between looks: edits are indexed within a second
QUIET = 3.0  # seconds without edits before they are committed
LINE = re.compile(r":\d+$")  # a problem's `path.md:LINE`


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
        self.waiting: dict[str, tuple[dict[str, Any], float]] = {}  # file -> latest outcome, when
        self.told: dict[str, tuple[str, str, tuple[int, int] | None]] = {}  # file -> last reported
        self.live = self.index.watch()
        self.index.sync()  # what changed before the watch began

    def tick(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        try:
            stats = self.index.sync()
        except Exception as exc:  # noqa: BLE001 - a watcher reports and carries on
            self.report({"event": "error", "path": "", "message": f"{type(exc).__name__}: {exc}"})
            return
        outcomes = [{"event": "indexed", "path": f"{p}.md", "message": ""} for p in stats.updated]
        outcomes += [{"event": "removed", "path": f"{p}.md", "message": ""} for p in stats.removed]
        for line in stats.problems:
            where, _, why = line.partition(": ")
            outcomes.append({"event": "invalid", "path": where, "message": why})
        for event in outcomes:  # the latest outcome of a file wins
            self.waiting[LINE.sub("", event["path"])] = (event, now)
        self._settled(now)
        changed = [*stats.updated, *stats.removed]
        if changed:
            self.pending.update(changed)
            self.last_edit = now
        if self.pending and now - self.last_edit >= self.quiet:
            self._commit()

    def _settled(self, now: float, everything: bool = False) -> None:
        """Report each file whose outcome did not change for a tick (a `>` write's emptying
        and its text are one edit), unless already told for the same file: the index looks
        twice at a file written a moment before it read it."""
        for file, (event, seen) in list(self.waiting.items()):
            if not everything and now - seen < TICK / 2:
                continue
            del self.waiting[file]
            said = (event["event"], event["message"], self._stamp(file))
            if self.told.get(file) != said:
                self.told[file] = said
                self.report(event)

    def _stamp(self, file: str) -> tuple[int, int] | None:
        try:
            info = os.stat(self.ws.root / file)
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size

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
        self._settled(time.monotonic(), everything=True)
        if self.pending:
            self._commit()

    def close(self) -> None:
        self.index.close()
