"""Usage signals (recalls, feedback) kept out of entry files.

Each read appends to `.local/usage.jsonl` (per machine, git-ignored). `flush` folds those
into `_signals/<writer>.json`, a grow-only counter per writer that a team shares through git
without conflicts (each writer only ever rewrites its own file); `totals` sums every writer.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from . import tree

SIGNALS_DIR = "_signals"
PENDING = "usage.jsonl"


def record(root: Path, entry_id: str, kind: str = "recall", n: int = 1) -> None:
    """Append one usage event (cheap: one small append, no lock, no git)."""
    local = root / tree.LOCAL_DIR
    local.mkdir(exist_ok=True)
    line = json.dumps({"id": entry_id, "kind": kind, "n": n, "t": int(time.time())})
    with open(local / PENDING, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def pending(root: Path) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    path = root / tree.LOCAL_DIR / PENDING
    if not path.exists():
        return counts
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
            counts[(str(event["id"]), str(event.get("kind", "recall")))] += int(event.get("n", 1))
        except (ValueError, KeyError, TypeError):
            continue  # a torn last line from a crash is skipped, never fatal
    return counts


def _writer_file(root: Path, writer: str) -> Path:
    name = tree.slugify(writer.replace(":", "-"), limit=64)
    return root / SIGNALS_DIR / f"{name}.json"


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
    from . import store  # the writer: reading signals (every query) does not need it

    target = _writer_file(root, writer)
    with store.lock(root):
        data: dict[str, dict[str, dict[str, int]]] = {"counts": {}}
        if target.exists():
            data = json.loads(target.read_text(encoding="utf-8"))
        for (entry_id, kind), n in events.items():
            kinds = data.setdefault("counts", {}).setdefault(entry_id, {})
            kinds[kind] = kinds.get(kind, 0) + n
        store.atomic_write(target, json.dumps(data, indent=1, sort_keys=True) + "\n")
        (root / tree.LOCAL_DIR / PENDING).unlink(missing_ok=True)
    return target
