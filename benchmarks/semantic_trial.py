"""The semantic-signal trial (benchmarks/semantic_signal.py; run by hand, never part of the test
suite): a benchmark run with the signal on, or a paired comparison.

`paired` asks each question of the notes set (and of LoCoMo with `--locomo`) twice on the same
memory, with the signal off and on, so the difference is measured question by question: the mean
difference of MRR and R@10, its standard error, and how many questions got better or worse.
`coding`, `locomo` and `notes` run that benchmark's own `main` with the signal on and the rest of
the arguments. The model is a static one made by `benchmarks/semantic_distil.py`.

    python benchmarks/semantic_trial.py --model DIR [--weight 0.2] paired [--locomo FILE]
    python benchmarks/semantic_trial.py --model DIR [--weight 0.2] coding --every 8 --setting next-day
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import math
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import coding  # noqa: E402  (sibling scripts, not a package)
import coding_systems  # noqa: E402
import locomo  # noqa: E402
import notes  # noqa: E402
import semantic_signal  # noqa: E402

from memtree.agents import inject  # noqa: E402

Pair = tuple[dict[str, float], dict[str, float]]


def both(ask: Callable[[], dict[str, float]], weight: float) -> Pair:
    """The scores of one question with the signal off, then on."""
    semantic_signal.WEIGHT = 0.0
    off = ask()
    semantic_signal.WEIGHT = weight
    return off, ask()


def notes_pairs(weight: float) -> list[Pair]:
    found = notes.corpus(Path("/usr/share/man/man1"), 1)
    gold_of: dict[str, list[int]] = defaultdict(list)
    for n, note in enumerate(found):
        gold_of[note["summary"].lower()].append(n)
    with tempfile.TemporaryDirectory(prefix="memtree-semantic-") as tmp:
        memory, _, index_of = notes.build(found, Path(tmp) / "memory")

        def asker(summary: str, gold: list[int]) -> Callable[[], dict[str, float]]:
            return lambda: coding_systems.score([index_of[h.path] for h in
                                        memory.query(summary, limit=notes.DEPTH).hits], gold, [])

        return [both(asker(s, g), weight) for s, g in gold_of.items()]


def locomo_pairs(data: Path, weight: float) -> list[Pair]:
    out = []
    for sample in json.loads(data.read_text(encoding="utf-8")):
        with tempfile.TemporaryDirectory(prefix="memtree-semantic-") as tmp:
            memory, paths, now = locomo.build_dated(sample, Path(tmp) / "memory")
            known = set(paths.values())
            for qa in sample["qa"]:
                gold = [t for t in locomo.norm_evidence(qa.get("evidence", [])) if t in known]
                if not gold or int(qa["category"]) not in (1, 2, 3, 4):
                    continue
                out.append(both(functools.partial(_turns, memory, str(qa["question"]), paths,
                                                  now, gold), weight))
    return out


def _turns(memory: Any, question: str, paths: dict[str, str], now: Any,
           gold: list[str]) -> dict[str, float]:
    return locomo.score(locomo.ranked_turns(memory, question, paths, now), gold)


def compare(pairs: list[Pair]) -> dict[str, Any]:
    report: dict[str, Any] = {"questions": len(pairs)}
    for key in ("mrr", "r@10"):
        diffs = [on[key] - off[key] for off, on in pairs]
        mean = sum(diffs) / len(diffs)
        var = sum((d - mean) ** 2 for d in diffs) / max(1, len(diffs) - 1)
        report[key] = {"off": round(sum(p[0][key] for p in pairs) / len(pairs), 4),
                       "on": round(sum(p[1][key] for p in pairs) / len(pairs), 4),
                       "diff": round(mean, 4), "se": round(math.sqrt(var / len(diffs)), 4),
                       "better": sum(d > 0 for d in diffs), "worse": sum(d < 0 for d in diffs)}
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", required=True, help="a static model's directory")
    parser.add_argument("--weight", type=float, default=0.2)
    parser.add_argument("--hook-min-score", type=float,
                        help="the prompt hook's min_score (a control: the fusion lowers scores)")
    parser.add_argument("what", choices=("paired", "coding", "locomo", "notes"))
    args, rest = parser.parse_known_args(argv)
    semantic_signal.install(args.model, args.weight)
    if args.hook_min_score is not None:
        read = inject.options
        inject.options = lambda settings: dataclasses.replace(read(settings),  # type: ignore[misc]
                                                               min_score=args.hook_min_score)
    if args.what != "paired":
        return int({"coding": coding.main, "locomo": locomo.main, "notes": notes.main}[args.what](rest))
    more = argparse.ArgumentParser(prog="paired")
    more.add_argument("--locomo", type=Path)
    paired = more.parse_args(rest)
    report = {"notes": compare(notes_pairs(args.weight))}
    if paired.locomo:
        report["locomo"] = compare(locomo_pairs(paired.locomo, args.weight))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
