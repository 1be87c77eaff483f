"""Query latency by query length on a real coding memory (run by hand, never in tests).

The memory is a repository's whole history from the coding data (`../shared/data/coding`), one
entry per commit written as benchmarks/coding.py writes them; the queries are that repository's
commit messages (`queries.jsonl`), asked whole (`text`) and with their open files appended
(`+files`), each with its own time as the clock, `limit` 50 as coding.py asks. Queries are
grouped by length: short (at most 8 words), medium, long (30 words or more). Per group: p50 and
p95 of wall time and of CPU time (`time.process_time`) of `Memory.query` in one warm process,
the freshness check included. `--dump OUT` writes every query's hits (path, score, parts) so two
versions of the code can be compared hit for hit (`--compare A B`).

    python benchmarks/query_latency.py [--data DIR] [--tree DIR] [--every N] [--dump OUT]
    python benchmarks/query_latency.py --compare A.json B.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from coding import asked, read_jsonl, write_entry  # noqa: E402

from memtree import Memory  # noqa: E402
from memtree.index.db import open_index  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "coding" / "python+mypy"
LIMIT = 50
GROUPS = (("short", 0, 8), ("medium", 9, 29), ("long", 30, 10**9))


def memory_of(data: Path, tree: Path) -> Memory:
    """The whole history as one memory in `tree` (built once, reused by later runs)."""
    root = tree / "memory"
    if (root / ".index").is_dir():
        return Memory.open(root)
    memory = Memory.init(root, as_root=True, autocommit=False)
    for commit in read_jsonl(data / "commits.jsonl"):
        write_entry(memory.root, commit)
    open_index(memory.root).sync(rebuild=True)
    return memory


def pct(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {"p50": round(statistics.median(values), 2),
            "p95": round(values[min(len(values) - 1, int(0.95 * len(values)))], 2)}


def group_of(text: str) -> str:
    words = len(text.split())
    return next(name for name, low, high in GROUPS if low <= words <= high)


def measure(memory: Memory, queries: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(latency per variant and group, every query's hits)."""
    wall: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    hits: dict[str, Any] = {}
    for query in queries[:5]:  # warm up: the first queries read the index into memory
        memory.query(asked(query, "text"), limit=LIMIT)
    for query in queries:
        now = dt.datetime.fromtimestamp(query["time"], dt.UTC)
        for variant in ("text", "+files"):
            text = asked(query, variant)
            started, ticks = time.perf_counter(), time.process_time()
            result = memory.query(text, limit=LIMIT, now=now)
            cpu.setdefault((variant, group_of(text)), []).append((time.process_time() - ticks) * 1000)
            wall.setdefault((variant, group_of(text)), []).append((time.perf_counter() - started) * 1000)
            hits[f"{query['qid']} {variant}"] = [[h.path, h.score, list(h.parts), h.why]
                                                for h in result.hits]
    report: dict[str, Any] = {}
    for (variant, group), values in sorted(wall.items()):
        report.setdefault(variant, {})[group] = {"queries": len(values), "wall_ms": pct(values),
                                                 "cpu_ms": pct(cpu[(variant, group)])}
    return report, hits


def compare(first: Path, second: Path) -> int:
    a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (first, second))
    differ = [key for key in a if a[key] != b.get(key)]
    print(json.dumps({"queries": len(a), "same": len(a) - len(differ), "differ": differ[:20]}))
    return 1 if differ or a.keys() != b.keys() else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--tree", type=Path, required=False, help="folder to build the memory in, or reuse")
    parser.add_argument("--every", type=int, default=4, help="ask every n-th query")
    parser.add_argument("--dump", type=Path, help="write every query's hits here")
    parser.add_argument("--compare", type=Path, nargs=2, help="compare two dumps, hit for hit")
    args = parser.parse_args(argv)
    if args.compare:
        return compare(*args.compare)
    if args.tree is None:
        parser.error("--tree DIR is needed to build (or reuse) the memory")
    memory = memory_of(args.data, args.tree)
    queries = read_jsonl(args.data / "queries.jsonl")[::args.every]
    report, hits = measure(memory, queries)
    report["entries"] = open_index(memory.root).reads.size()
    print(json.dumps(report))
    if args.dump:
        args.dump.write_text(json.dumps(hits) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
