"""Usage signals (recalls, feedback) kept out of entry files.

Each read appends to `.local/usage.jsonl` (per machine, git-ignored; its sums are checkpointed
in `.local/usage.sums.json`). `flush` folds those into `_signals/<writer>.json`, a grow-only
counter per writer that a team shares through git without conflicts (each writer only ever
rewrites its own file); `totals` sums every writer.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from ..entries import layout as tree, local, statepaths

SIGNALS_DIR = "_signals"
PENDING = "usage.jsonl"


def record(root: Path, entry_id: str, kind: str = "recall", n: int = 1) -> None:
    """Append one usage event (cheap: one small append, no lock, no git)."""
    local.append(root, PENDING, {"id": entry_id, "kind": kind, "n": n, "t": int(time.time())})


def pending(root: Path) -> Counter[tuple[str, str]]:
    """This machine's events not yet flushed, summed. The log only grows until `flush`, so the
    sums up to a byte offset are kept in a checkpoint and only the lines after it are parsed."""
    path = statepaths.local(root, create=False) / PENDING
    try:
        handle = os.fdopen(statepaths.open_fd(path, os.O_RDONLY), "rb")
    except OSError:
        return Counter()
    with handle:
        st = os.fstat(handle.fileno())
        head = handle.read(HEAD_BYTES).decode("utf-8", "replace")
        mark = f"{st.st_ino}:{head}"  # which log the checkpoint was made for
        start, counts = _checkpoint(root, mark)
        if start > st.st_size:  # the log was cut by hand: the sums no longer describe it
            start, counts = 0, Counter()
        handle.seek(start)
        tail = handle.read()
    end = tail.rfind(b"\n") + 1  # a torn last line (a write in progress) waits for next time
    for event in local.parse(tail[:end].decode("utf-8", "replace")):
        try:
            counts[(str(event["id"]), str(event.get("kind", "recall")))] += int(event.get("n", 1))
        except (ValueError, KeyError, TypeError):
            continue  # a foreign line is skipped, never fatal
    if end >= CHECKPOINT_BYTES:
        _save_checkpoint(root, mark, start + end, counts)
    return counts


CHECKPOINT = "usage.sums.json"
CHECKPOINT_BYTES = 16_384  # parse at most this much of the log before saving the sums
HEAD_BYTES = 96  # the log's first bytes (with its inode) tell one log from a later one


def _checkpoint(root: Path, mark: str) -> tuple[int, Counter[tuple[str, str]]]:
    """(offset, sums) saved for this log file, or (0, nothing) when absent or not for it."""
    try:
        data = json.loads(statepaths.read_text(
            statepaths.local(root, create=False) / CHECKPOINT) or "")
        if data["log"] == mark:
            return int(data["offset"]), Counter({(str(i), str(k)): int(n)
                                                for i, k, n in data["counts"]})
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return 0, Counter()


def _save_checkpoint(root: Path, mark: str, offset: int,
                     counts: Counter[tuple[str, str]]) -> None:
    """Best effort, atomic: a lost checkpoint only means parsing the whole log again."""
    text = json.dumps({"log": mark, "offset": offset,
                       "counts": [[i, k, n] for (i, k), n in sorted(counts.items())]})
    try:
        statepaths.write(statepaths.local(root) / CHECKPOINT, text)
    except OSError:
        pass


def _writer_file(root: Path, writer: str) -> Path:
    name = tree.slugify(writer.replace(":", "-"), limit=64)
    file = root / SIGNALS_DIR / f"{name}.json"
    tree.ensure_inside(root, file)  # a committed `_signals` link must not lead the write out
    return file


def totals(root: Path) -> Counter[tuple[str, str]]:
    """Every writer's shared counters plus this machine's pending events (a copy of yours)."""
    return Counter(usage(root))


_READ: dict[Path, tuple[object, Counter[tuple[str, str]]]] = {}


def usage(root: Path) -> Mapping[tuple[str, str], int]:
    """`totals`, read-only and shared: read again only when a signal file changed, so a query
    pays a stat or two when there are none (their names, sizes and times are compared)."""
    stamp = _stamps(root)
    kept = _READ.get(root)
    if kept is None or kept[0] != stamp:
        kept = _READ[root] = (stamp, _read_totals(root))
    return kept[1]


def _stamps(root: Path) -> object:
    def stamp(path: str) -> tuple[int, int, int] | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return st.st_ino, st.st_size, st.st_mtime_ns

    try:
        with os.scandir(root / SIGNALS_DIR) as items:
            shared = sorted((i.name, stamp(i.path)) for i in items if i.name.endswith(".json"))
    except OSError:
        shared = []
    return stamp(str(root / tree.LOCAL_DIR / PENDING)), shared


def _read_totals(root: Path) -> Counter[tuple[str, str]]:
    counts = pending(root)
    folder = root / SIGNALS_DIR
    if folder.is_dir():
        for file in sorted(folder.glob("*.json")):
            try:
                data = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            for entry_id, kinds in data.get("counts", {}).items():
                for kind, n in kinds.items():
                    counts[(entry_id, kind)] += int(n)
    return counts


def flush(root: Path, writer: str) -> Path | None:
    """Fold pending events into this writer's shared counter file; returns it if changed."""
    events = pending(root)
    if not events:
        return None
    from ..entries import store  # the writer: reading signals (every query) does not need it

    target = _writer_file(root, writer)
    with store.lock(root):
        data: dict[str, dict[str, dict[str, int]]] = {"counts": {}}
        if target.exists():
            data = json.loads(target.read_text(encoding="utf-8"))
        for (entry_id, kind), n in events.items():
            kinds = data.setdefault("counts", {}).setdefault(entry_id, {})
            kinds[kind] = kinds.get(kind, 0) + n
        store.atomic_write(target, json.dumps(data, indent=1, sort_keys=True) + "\n")
        folder = statepaths.local(root)
        (folder / CHECKPOINT).unlink(missing_ok=True)  # first: it names the log
        (folder / PENDING).unlink(missing_ok=True)
    return target
