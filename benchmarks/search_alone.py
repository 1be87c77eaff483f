"""Search alone, per tier, on a synthetic tree (run by hand, never in tests).

The tree and the queries are those of scale.py (same generator, same seed: path = an entry path,
keyword = an entry title, full text = three words of a body); the timing is of
`retrieve.search(root, q, fresh=False)` only, in one warm process, so no freshness walk. A tree
built once with `--tree DIR` is reused by later runs (building 100k entries takes minutes).

    python benchmarks/search_alone.py --size 10000 [--tree DIR] [--rounds 3] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale  # noqa: E402  (the generator and the percentiles of the scale benchmark)

from memtree import Memory  # noqa: E402
from memtree.entries import codec  # noqa: E402
from memtree.index.db import open_index  # noqa: E402
from memtree.retrieval.tiers import search  # noqa: E402


def tree(folder: Path, size: int) -> Path:
    """The memory root of a tree of `size` entries in `folder`, built if not there yet."""
    root = folder / "memory"
    if not (root / ".index").is_dir():
        memory = Memory.init(root, as_root=True, autocommit=False)
        scale.make_tree(memory.root, size)
        open_index(memory.root).sync(rebuild=True)
    return root.resolve()


def asks(root: Path) -> dict[str, list[str]]:
    """The queries of scale.measure, drawn the same way from the entries in the order make_tree
    wrote them (`…/e000042` is the 43rd); only the entries drawn are read."""
    paths = sorted((str(r[0]) for r in open_index(root).read("SELECT path FROM entries")),
                   key=lambda p: int(p.rsplit("/e", 1)[1]))
    rng = random.Random(scale.SEED + 1)
    picks = [paths[rng.randrange(len(paths))] for _ in range(scale.QUERIES)]
    made = [codec.parse((root / f"{p}.md").read_text(encoding="utf-8"), p) for p in picks]
    return {"path": [e.path for e in made], "keyword": [e.title for e in made],
            "fulltext": [" ".join(rng.sample(e.body.split()[:30], 3)) for e in made]}


def measure(root: Path, rounds: int) -> dict[str, Any]:
    idx = open_index(root)
    idx.sync()  # once, as the queries before it in scale.py do
    out: dict[str, Any] = {"entries": idx.reads.size(), "rounds": rounds}
    for name, queries in asks(root).items():
        for text in queries[:5]:  # warm up
            search(root, text, fresh=False)
        times = []
        for _ in range(rounds):
            for text in queries:
                started = time.perf_counter()
                search(root, text, fresh=False)
                times.append((time.perf_counter() - started) * 1000)
        out[name] = scale.pct(times)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="memtree search-alone benchmark")
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--tree", type=Path, help="folder to build the tree in, or reuse it from")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="memtree-search-") as tmp:
        report = measure(tree(args.tree or Path(tmp), args.size), args.rounds)
    print(json.dumps(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
