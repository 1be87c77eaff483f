"""Undo: revert memtree's last changes file by file, refusing to undo across someone else's work.

Decides which commits to revert from history (through timeline/history) and writes the
earlier file contents back through store.py; the undo itself is committed with provenance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..entries import layout as tree, store
from ..errors import HistoryError, UsageError
from ..model import Change
from . import git as history
from .timeline import require, revisions
from .trailers import Revision

if TYPE_CHECKING:
    from ..config import Workspace


def targets(revs: list[Revision], n: int) -> list[Revision]:
    """The last `n` memtree changes (newest first), skipping undone ones and earlier undos.

    Refuses when a commit not made by memtree touched the same files later, or a merge
    stands in the way."""
    skip: set[str] = set()
    foreign: dict[str, Revision] = {}
    chosen: list[Revision] = []
    for rev in revs:
        if len(chosen) == n:
            break
        if len(rev.parents) > 1:
            raise HistoryError(f"{rev.sha[:10]} is a merge ({rev.subject}); undo stops at merges")
        if not rev.memtree:
            foreign.update({f: rev for f in rev.files})
            continue
        if rev.get("action") == "undo":
            skip.update(rev.get("reverts").split())
            continue
        if rev.sha in skip:
            continue
        clash = sorted(set(rev.files) & foreign.keys())
        if clash:
            other = foreign[clash[0]]
            raise HistoryError(
                f"refusing to undo {rev.sha[:10]} ({rev.subject}): {clash[0]} was changed later "
                f"by {other.sha[:10]} ({other.subject}, {other.author}), which memtree did not make"
            )
        chosen.append(rev)
    if len(chosen) < n:
        raise HistoryError(f"only {len(chosen)} memtree change(s) can be undone, asked for {n}")
    return chosen


def undo(ws: Workspace, n: int = 1, reason: str | None = None) -> dict[str, Any]:
    if n < 1:
        raise UsageError(f"-n {n}: must be at least 1")
    repo = require(ws)
    busy = history.blocker(repo)
    if busy:
        raise HistoryError(f"{repo.top}: the repository is {busy}; finish that first")
    chosen = targets(revisions(repo, "--first-parent"), n)
    files = sorted({f for rev in chosen for f in rev.files})
    if history.try_git(repo.top, "diff", "--quiet", "HEAD", "--",
                       *[repo.path(f) for f in files]) is None:
        raise HistoryError(f"uncommitted changes in {', '.join(files)}; commit them first",
                           hint="run `memtree commit`, or `memtree diff` to see them")
    with store.lock(ws.root):
        for rev in chosen:
            _revert(ws, repo, rev)
    summary = "undo " + "; ".join(rev.subject for rev in chosen)
    change = Change("undo", tuple(files), summary[:200], reason, ws.actor, ws.session,
                    ws.tool)
    sha = None
    if history.autocommit(ws):
        sha = history.commit(ws, repo, [change], reverts=[r.sha for r in chosen], strict=True)
    return {"undone": [r.to_dict() for r in chosen], "paths": files, "commit": sha}


def _revert(ws: Workspace, repo: history.Repo, rev: Revision) -> None:
    """Put every file `rev` touched back as it was in its parent (or remove it)."""
    for rel in rev.files:
        target = ws.root / rel
        tree.ensure_inside(ws.root, target)
        try:
            data = history.git_bytes(repo.top, "show", f"{rev.sha}^:{repo.path(rel)}")
        except HistoryError:
            if target.exists():
                target.unlink()
                store.prune_empty(ws.root, target.parent)
            continue
        store.atomic_write(target, data.decode("utf-8"))
