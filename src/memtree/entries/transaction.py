"""Multi-file writes (a move with its relinked entries, an archive, a supersession) as one
recoverable transaction: every file's final text is first written to a journal in `.local/`,
then applied; a journal left by a killed writer is replayed by the next writer (or reader that
can take the lock), so the tree ends either as before or as after, never in between. The replayed
change is queued for git (`.local/pending-commits.jsonl`, history/git.py) with who made it, so the
next commit records it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..model import Entry
from . import layout as tree, store

JOURNAL = "journal.json"
QUEUE = "pending-commits.jsonl"  # history/git.py's queue of changes git has yet to record
# Testing hook (docs/architecture.md): kill this process with SIGKILL right after step N of a
# transaction (0: the journal is written; 1..: each file written or removed).
STOP_AFTER = "MEMTREE_STOP_AFTER_STEP"


def journal_file(root: Path) -> Path:
    return root / store.LOCAL_DIR / JOURNAL


class Transaction:
    """Planned file changes, applied all together by `commit` (caller holds the root lock)."""

    def __init__(self, root: Path, what: str) -> None:
        self.root = root
        self.what = what
        self.steps: list[tuple[str, str | None]] = []  # (memory path, text or None to remove)

    def write(self, item: Entry, path: str | None = None) -> None:
        from . import codec

        self.steps.append((path or item.path, codec.render(item)))

    def write_text(self, path: str, text: str) -> None:
        self.steps.append((path, text))

    def remove(self, path: str) -> None:
        self.steps.append((path, None))

    def commit(self) -> None:
        for path, _ in self.steps:
            tree.file_for(self.root, path)  # refuse unsafe paths before anything is written
        journal = journal_file(self.root)
        from ..config import default_author

        store.atomic_write(journal, json.dumps(
            {"what": self.what, "steps": self.steps, "actor": default_author()}))
        _maybe_stop(0)
        apply(self.root, self.steps, stops=True)
        journal.unlink()
        store.fsync_dir(journal.parent)


def commit(root: Path, what: str, writes: list[Entry], removes: tuple[str, ...] = ()) -> None:
    """Write these entries and remove these paths as one transaction (caller holds the lock)."""
    plan = Transaction(root, what)
    for item in writes:
        plan.write(item)
    for path in removes:
        plan.remove(path)
    plan.commit()


def apply(root: Path, steps: list[tuple[str, str | None]], stops: bool = False) -> None:
    """Make each file hold its planned text (or be gone); safe to run again after a crash."""
    for number, (path, text) in enumerate(steps, 1):
        file = tree.file_for(root, path)
        if text is None:
            try:
                file.unlink()
            except FileNotFoundError:
                pass
            else:
                store.fsync_dir(file.parent)
                store.prune_empty(root, file.parent)
        else:
            store.atomic_write(file, text)
        if stops:
            _maybe_stop(number)


def recover(root: Path) -> str | None:
    """Finish the transaction a killed writer left (caller holds the lock); what it was."""
    journal = journal_file(root)
    try:
        data = json.loads(journal.read_text(encoding="utf-8"))
        steps = [(str(p), None if t is None else str(t)) for p, t in data["steps"]]
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):  # written atomically, so never torn: set aside
        journal.rename(journal.with_suffix(".unreadable"))
        return None
    apply(root, steps)
    what = str(data.get("what", ""))
    _queue(root, what, [p for p, _ in steps], data.get("actor"))
    journal.unlink()
    store.fsync_dir(journal.parent)
    return what


def _queue(root: Path, what: str, paths: list[str], actor: object) -> None:
    """Queue the finished change for the next commit, as the killed writer would have."""
    from . import local, statepaths

    change = {"action": what.split(" ", 1)[0] or "recover", "paths": sorted(set(paths)),
              "summary": f"{what} (finished after its writer was stopped)",
              "reason": None, "actor": actor if isinstance(actor, str) else None,
              "session": None, "tool": "recovery"}
    with statepaths.flock(root, ".commit.lock"):
        local.append(root, QUEUE, change)


def _maybe_stop(step: int) -> None:
    wanted = os.environ.get(STOP_AFTER)
    if wanted is not None and wanted.strip() == str(step):
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
