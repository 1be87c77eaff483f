"""Scale benchmark: synthetic trees of 1k, 10k and 100k entries (run by hand, never in tests).

For each size: full index build; the update after one file is saved atomically (found by the
folder gate) and after an edit in place (found by the re-check of a hit); the freshness check
alone and a full stat walk; in-process query latency per tier (p50/p95) with the freshness
check, without it, and in a watching process (and the CPU time of the first two beside their
wall time, which load on a shared machine inflates less); cold `memtree query` process time
(start to exit); index size and peak memory (RSS of the process that built and queried the index).

    python benchmarks/scale.py [--sizes 1000,10000,100000] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from memtree import Memory
from memtree.entries import codec
from memtree.index.db import db_file, open_index
from memtree.model import Entry, Relation
from memtree.retrieval.tiers import search

SEED = 7
QUERIES = 100
COLD_RUNS = 20
SYLLABLES = "ka lo mi ne ru ta shi po ve da ri mu so fe ga ni to be la zu ke ho".split()
CODE = ["parse_config", "loadUserProfile", "invoice.py", "auth.jwt.sign", "retry-policy",
        "HttpClient", "db_pool_size", "cache.ttl", "render_template", "queueWorker"]


def vocabulary(rng: random.Random, n: int = 6000) -> list[str]:
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def zipf_words(rng: random.Random, vocab: list[str], k: int) -> list[str]:
    """Words drawn with Zipf-Mandelbrot frequencies (rank + 50)^-1: the commonest content
    word is in roughly a third of the entries, as in real notes once stopwords are gone."""
    return rng.choices(vocab, cum_weights=_cumulative(len(vocab)), k=k)


_CUM: dict[int, list[float]] = {}


def _cumulative(n: int) -> list[float]:
    if n not in _CUM:
        total, out = 0.0, []
        for rank in range(n):
            total += 1.0 / (rank + 50)
            out.append(total)
        _CUM[n] = out
    return _CUM[n]


def make_tree(root: Path, size: int) -> list[Entry]:
    """Write `size` entries straight to files (the tree layout and codec of memtree)."""
    rng = random.Random(SEED)
    vocab = vocabulary(rng)
    tags = vocab[:300]
    made: list[Entry] = []
    for i in range(size):
        domain, topic = f"d{i % 10:02d}", f"t{(i // 10) % 8:02d}"
        folder = f"{domain}/{topic}" + (f"/s{i % 4}" if i % 3 == 0 else "")
        title = " ".join(zipf_words(rng, vocab, rng.randint(3, 6))).capitalize()
        body = " ".join(zipf_words(rng, vocab, rng.randint(40, 120)))
        body += f" See {rng.choice(CODE)} and {rng.choice(CODE)}."
        rels = (Relation("relates_to", made[rng.randrange(len(made))].path),) if made and \
            rng.random() < 0.2 else ()
        item = Entry(id=codec.new_id(), title=title, path=f"{folder}/e{i:06d}",
                     summary=" ".join(zipf_words(rng, vocab, 10)), tags=tuple(rng.sample(tags, 2)),
                     aliases=(" ".join(zipf_words(rng, vocab, 2)),), relations=rels,
                     importance=rng.randint(20, 90), created="2026-01-01T00:00:00Z",
                     updated=f"2026-{rng.randint(1, 11):02d}-01T00:00:00Z", body=body)
        file = root / (item.path + ".md")
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(codec.render(item), encoding="utf-8")
        made.append(item)
    return made


def pct(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {"p50": round(statistics.median(values), 2),
            "p95": round(values[min(len(values) - 1, int(0.95 * len(values)))], 2)}


CPU: list[float] = []  # the CPU time (ms) of each call timed, beside its wall time


def timed(fn: Any) -> float:
    started, ticks = time.perf_counter(), time.process_time()
    fn()
    CPU.append((time.process_time() - ticks) * 1000)
    return (time.perf_counter() - started) * 1000


def with_cpu(fn: Any, queries: list[str]) -> tuple[dict[str, float], dict[str, float]]:
    """Wall and CPU percentiles of `fn(q)` over the queries."""
    CPU.clear()
    wall = pct([timed(lambda q=q: fn(q)) for q in queries])
    return wall, pct(list(CPU))


def measure(size: int, folder: Path) -> dict[str, Any]:
    memory = Memory.init(folder, as_root=True, autocommit=False)  # history is not measured here
    made = make_tree(memory.root, size)
    time.sleep(0.2)  # files this fresh would be re-read once more (racy timestamps)
    idx = open_index(memory.root)
    build_ms = timed(lambda: idx.sync(rebuild=True))
    rng = random.Random(SEED + 1)
    edits = [made[rng.randrange(size)] for _ in range(5)]
    # an editor's atomic save (write aside, rename over): the folder gate sees it
    atomic = []
    for item in edits:
        target = memory.root / (item.path + ".md")
        aside = target.with_name("." + target.name + ".tmp")
        aside.write_text(target.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
        aside.replace(target)
        atomic.append(timed(idx.sync))
    # an edit in place (same inode, folder untouched): found by the re-check of a hit
    in_place = []
    for item in edits:
        target = memory.root / (item.path + ".md")
        target.write_text(target.read_text(encoding="utf-8") + "Another line.\n", encoding="utf-8")
        in_place.append(timed(lambda p=item.path: idx.recheck([p])))
    time.sleep(0.2)
    check_ms = pct([timed(idx.sync) for _ in range(30)])
    full_walk_ms = pct([timed(lambda: idx.sync(full=True)) for _ in range(3)])
    picks = [made[rng.randrange(size)] for _ in range(QUERIES)]
    asks = {
        "path": [p.path for p in picks],
        "keyword": [p.title for p in picks],
        "fulltext": [" ".join(rng.sample(p.body.split()[:30], 3)) for p in picks],
    }
    both = {name: with_cpu(memory.query, qs) for name, qs in asks.items()}
    tiers = {name: wall for name, (wall, _) in both.items()}
    alone_both = {name: with_cpu(lambda q: search(memory.root, q, fresh=False), qs)
                  for name, qs in asks.items()}
    alone = {name: wall for name, (wall, _) in alone_both.items()}
    watching = memory.index.watch()
    memory.query("warm up the watch")
    watched = {name: pct([timed(lambda q=q: memory.query(q)) for q in qs])
               for name, qs in asks.items()} if watching else {}
    return {
        "entries": size, "build_ms": round(build_ms, 1),
        "atomic_save_update_ms": pct(atomic), "in_place_edit_update_ms": pct(in_place),
        "freshness_check_ms": check_ms, "full_walk_ms": full_walk_ms,
        "query_ms": tiers, "query_watching_ms": watched, "search_only_ms": alone,
        "query_cpu_ms": {name: cpu for name, (_, cpu) in both.items()},
        "search_only_cpu_ms": {name: cpu for name, (_, cpu) in alone_both.items()},
        "index_bytes": os.path.getsize(db_file(memory.root)),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cold_queries": asks["fulltext"][:COLD_RUNS],
    }


def cold(root: Path, queries: list[str]) -> dict[str, float]:
    exe = Path(sys.executable).with_name("memtree")
    runs = []
    for text in queries:
        started = time.perf_counter()
        subprocess.run([str(exe), "--root", str(root), "query", text, "--json"],
                       capture_output=True, check=True)
        runs.append((time.perf_counter() - started) * 1000)
    return pct(runs)


def one_size(size: int) -> dict[str, Any]:
    """Measure one size in a fresh child process, so peak memory is that size's own."""
    with tempfile.TemporaryDirectory(prefix="memtree-scale-") as tmp:
        child = subprocess.run(
            [sys.executable, __file__, "--child", str(size), "--folder", tmp],
            capture_output=True, text=True, check=True)
        report: dict[str, Any] = json.loads(child.stdout)
        report["cold_query_ms"] = cold(Path(tmp) / "memory", report.pop("cold_queries"))
        shutil.rmtree(tmp, ignore_errors=True)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="memtree scale benchmark")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, args.folder / "memory")))
        return 0
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        results.append(one_size(size))
        print(json.dumps(results[-1]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
