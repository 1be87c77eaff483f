"""Timing of the lifecycle paths on a generated tree (run by hand, not in the test suite).

    .venv/bin/python benchmarks/lifecycle_bench.py [N_ENTRIES]

Builds N entries (default 1000) in a temporary folder, a quarter of them anchored to generated
code files, then times stale_flags (cold and warm cache), conflicts, consolidate and stats.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from memtree import Memory
from memtree.lifecycle.anchors import stale_flags

WORDS = ("token cache retry timeout deploy schema migration queue worker index shard replica "
         "backup secret key rotate policy client server build test lint release branch merge").split()


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def build(folder: Path, count: int) -> Memory:
    rng = random.Random(7)
    code = folder / "src"
    code.mkdir(parents=True)
    for i in range(count // 4):
        (code / f"mod{i}.py").write_text("".join(f"def f{j}():\n    return {j}\n\n" for j in range(40)))
    memory = Memory.init(folder)
    for i in range(count):
        made = memory.add(f"{_text(rng, 3)} {i}", f"d{i % 8}/t{i % 20}", _text(rng, 60),
                          importance=rng.randint(10, 90))
        if i % 4 == 0:
            memory.lifecycle.anchor(made.id, f"src/mod{i // 4}.py:{1 + 3 * (i % 10)}-{3 + 3 * (i % 10)}")
    return memory


def timed(label: str, action: Callable[[], object], repeat: int = 5) -> None:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        runs.append((time.perf_counter() - started) * 1000)
    print(f"{label:34} p50 {statistics.median(runs):8.1f} ms   min {min(runs):8.1f} ms")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        memory = build(Path(tmp), count)
        print(f"built {count} entries in {time.perf_counter() - started:.1f} s")
        entries, _ = memory.load(archived=False)
        cache = memory.root / ".local" / "anchors.json"
        timed("load all entries", lambda: memory.load(archived=False))
        timed("stale_flags, cold cache", lambda: (cache.unlink(missing_ok=True), stale_flags(memory, entries)))
        timed("stale_flags, warm cache", lambda: stale_flags(memory, entries))
        hits = entries[:10]
        timed("stale_flags, 10 hits, warm", lambda: stale_flags(memory, hits))
        timed("conflicts", memory.conflicts, repeat=3)
        timed("consolidate (dry run)", memory.consolidate, repeat=3)
        timed("stats", memory.stats, repeat=3)
        timed("check (rehash every anchor)", memory.check, repeat=3)


if __name__ == "__main__":
    main()
