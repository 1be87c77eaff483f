"""LoCoMo turn-level retrieval benchmark for memtree (run by hand; never part of the test suite).

Builds one memory tree per conversation, one entry per turn (speaker and session in the entry's
frontmatter `source`), dated when it was said: `created` = the session's date and time (plus one
second per turn, keeping the turns' order), as a memory written during the conversation would
hold it; entries are written through the entry codec as `benchmarks/coding.py` does. Questions
are asked through `Memory.query` with the clock one day after the last session (they are asked
after the conversation). `--undated` builds through `Memory.add` instead (every entry stamped
with the wall clock, the clock the wall clock), the way this benchmark ran before 2026-11-28.
Reports turn-level R@5, R@10 and MRR per category and overall (1-4), and what the prompt hook
(agents/inject.py `for_prompt`) would inject for each question of categories 1-4: its precision
(the share of injected turns that are evidence) where it injects, and how often it does.

    python benchmarks/locomo.py --data ../shared/data/locomo/locomo-dev.json [--json OUT]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from memtree import Memory
from memtree.agents import inject
from memtree.entries.codec import from_mapping, render
from memtree.entries.layout import file_for
from memtree.retrieval.dates import named

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
DEPTH = 50  # hits asked for per question (MRR looks this deep)
EVIDENCE_RE = re.compile(r"D:?(\d+):0*(\d+)")


def sessions(conv: dict[str, Any]) -> list[tuple[int, str, list[dict[str, Any]]]]:
    """(number, date text, turns) for every `session_<n>` key holding turns, in order."""
    out = []
    for key, turns in conv.items():
        match = re.fullmatch(r"session_(\d+)", key)
        if match and isinstance(turns, list):
            n = int(match.group(1))
            out.append((n, str(conv.get(f"{key}_date_time", "")), turns))
    return sorted(out, key=lambda s: s[0])


def norm_evidence(items: list[str]) -> list[str]:
    """`"D8:6; D9:17"`, `"D:11:26"`, `"D30:05"` -> `D8:6`, `D9:17`, `D11:26`, `D30:5`."""
    out: list[str] = []
    for item in items:
        for match in EVIDENCE_RE.finditer(str(item)):
            ref = f"D{int(match.group(1))}:{int(match.group(2))}"
            if ref not in out:
                out.append(ref)
    return out


def turn_text(turn: dict[str, Any]) -> str:
    text = str(turn.get("text", ""))
    if turn.get("blip_caption"):
        text += f"\n\n[shared an image: {turn['blip_caption']}]"
    return text


SESSION_TIME = "%I:%M %p on %d %B, %Y"  # "1:56 pm on 8 May, 2023"


def session_time(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(text.strip(), SESSION_TIME).replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def build_dated(sample: dict[str, Any], folder: Path) -> tuple[Memory, dict[str, str], dt.datetime | None]:
    """One memory per conversation, each turn dated when it was said; returns it, `entry path ->
    dia_id` and the clock to ask at (a day after the last session; None if no session is dated)."""
    memory = Memory.init(folder, as_root=True, autocommit=False)
    paths: dict[str, str] = {}
    last: dt.datetime | None = None
    for number, date, turns in sessions(sample["conversation"]):
        start = session_time(date)
        for k, turn in enumerate(turns):
            speaker = str(turn.get("speaker", "unknown"))
            dia = str(turn["dia_id"])
            rel = f"conversation/session-{number:02d}/" + re.sub(r"[^a-z0-9]+", "-", dia.lower())
            meta: dict[str, Any] = {"id": f"t{len(paths):05d}", "title": f"{speaker}, session {number}",
                                    "type": "episode", "source": {"by": f"person:{speaker}",
                                                                  "session": f"session {number}, {date}"}}
            if start is not None:
                said = start + dt.timedelta(seconds=k)
                meta["created"] = meta["updated"] = said.strftime("%Y-%m-%dT%H:%M:%SZ")
                last = max(last or said, said)
            target = file_for(memory.root, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(render(from_mapping(meta, turn_text(turn), rel)), encoding="utf-8")
            paths[rel] = norm_evidence([dia])[0] if norm_evidence([dia]) else dia
    memory.reindex()
    return memory, paths, (last + dt.timedelta(days=1)) if last else None


def build(sample: dict[str, Any], folder: Path) -> tuple[Memory, dict[str, str]]:
    """One memory per conversation through `Memory.add` (undated); returns it and
    `entry path -> dia_id`."""
    memory = Memory.init(folder, as_root=True, autocommit=False)  # history is not measured here
    paths: dict[str, str] = {}
    conv = sample["conversation"]
    for number, date, turns in sessions(conv):
        for turn in turns:
            speaker = str(turn.get("speaker", "unknown"))
            writer = Memory(memory.root, memory.ws.settings, actor=f"person:{speaker}",
                            tool="benchmark", session=f"session {number}, {date}")
            dia = str(turn["dia_id"])
            made = writer.add(
                f"{speaker}, session {number}", f"conversation/session-{number:02d}",
                turn_text(turn), type="episode", slug=re.sub(r"[^a-z0-9]+", "-", dia.lower()),
            )
            paths[made.path] = norm_evidence([dia])[0] if norm_evidence([dia]) else dia
    memory.reindex()
    return memory, paths


def ranked_turns(memory: Memory, question: str, paths: dict[str, str],
                 now: dt.datetime | None = None) -> list[str]:
    """Distinct turns in the order memtree ranks the entries covering them."""
    out: list[str] = []
    for hit in memory.query(question, limit=DEPTH, now=now).hits:
        turn = paths.get(hit.path)
        if turn and turn not in out:
            out.append(turn)
    return out


def hook_precision(memory: Memory, question: str, paths: dict[str, str], gold: list[str],
                   now: dt.datetime | None = None) -> float | None:
    """The share of the turns the prompt hook would inject that are evidence; None if none."""
    given = inject.for_prompt(memory, question, inject.options(memory.ws.settings), (), now=now)
    turns = [paths.get(i["path"], "") for i in given.items]
    return sum(1 for t in turns if t in gold) / len(turns) if turns else None


def score(ranked: list[str], gold: list[str]) -> dict[str, float]:
    first = next((i for i, t in enumerate(ranked, 1) if t in gold), 0)
    return {"r@5": len(set(ranked[:5]) & set(gold)) / len(gold),
            "r@10": len(set(ranked[:10]) & set(gold)) / len(gold),
            "mrr": 1.0 / first if first else 0.0}


def mean(rows: list[dict[str, float]]) -> dict[str, float]:
    keys = ("r@5", "r@10", "mrr")
    return {k: round(sum(r[k] for r in rows) / len(rows), 4) if rows else 0.0 for k in keys}


def run(data: list[dict[str, Any]], dated: bool = True) -> dict[str, Any]:
    per_cat: dict[int, list[dict[str, float]]] = defaultdict(list)
    dated_q: dict[bool, list[dict[str, float]]] = defaultdict(list)
    skipped, build_s, query_s = 0, 0.0, 0.0
    hook: list[float | None] = []
    for sample in data:
        with tempfile.TemporaryDirectory(prefix="memtree-locomo-") as tmp:
            started = time.perf_counter()
            now = None
            if dated:
                memory, paths, now = build_dated(sample, Path(tmp) / "memory")
            else:
                memory, paths = build(sample, Path(tmp) / "memory")
            build_s += time.perf_counter() - started
            known = set(paths.values())
            for qa in sample["qa"]:
                gold = [t for t in norm_evidence(qa.get("evidence", [])) if t in known]
                if not gold:
                    skipped += 1
                    continue
                started = time.perf_counter()
                ranked = ranked_turns(memory, str(qa["question"]), paths, now)
                query_s += time.perf_counter() - started
                found = score(ranked, gold)
                per_cat[int(qa["category"])].append(found)
                if int(qa["category"]) in (1, 2, 3, 4):
                    hook.append(hook_precision(memory, str(qa["question"]), paths, gold, now))
                    clock = now or dt.datetime.now(dt.UTC)
                    dated_q[bool(named(str(qa["question"]), clock))].append(found)
    main_rows = [r for c in (1, 2, 3, 4) for r in per_cat[c]]
    made = [p for p in hook if p is not None]
    return {
        "overall_1_4": mean(main_rows),
        "per_category": {f"{c} {CATEGORIES.get(c, '?')}": {**mean(rows), "questions": len(rows)}
                         for c, rows in sorted(per_cat.items())},
        "questions": len(main_rows),
        "naming_a_date_1_4": {**mean(dated_q[True]), "questions": len(dated_q[True])},
        "naming_no_date_1_4": {**mean(dated_q[False]), "questions": len(dated_q[False])},
        "hook_precision": round(sum(made) / len(made), 4) if made else 0.0,
        "hook_share": round(len(made) / len(hook), 4) if hook else 0.0,
        "hook_hit": round(sum(1 for p in made if p > 0) / len(hook), 4) if hook else 0.0,
        "skipped_without_valid_evidence": skipped,
        "conversations": len(data),
        "build_seconds": round(build_s, 2),
        "query_ms_mean": round(1000 * query_s / max(1, sum(map(len, per_cat.values()))), 2),
        "indexed": "turns only (text and image captions); no observations or summaries",
        "entries": "dated by session" if dated else "undated (Memory.add, wall clock)",
    }


def override(item: str) -> None:
    """Set one module constant (memtree.<module>.<NAME>) before any index is built."""
    import importlib

    target, _, value = item.partition("=")
    module_name, _, name = target.rpartition(".")
    module = importlib.import_module(f"memtree.{module_name}")
    if not hasattr(module, name):
        raise SystemExit(f"--set {item}: memtree.{module_name} has no {name}")
    old = getattr(module, name)
    if isinstance(old, bool):
        setattr(module, name, value.strip().lower() in ("1", "true", "yes", "on"))
    else:
        setattr(module, name, type(old)(value))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", required=True, type=Path, help="a LoCoMo-format JSON file")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--set", action="append", default=[], metavar="MODULE.NAME=VALUE",
                        help="override a ranking constant for an ablation, e.g."
                             " retrieval.rank.FOLDER_BONUS=0.4 or retrieval.tiers.DATES=0")
    parser.add_argument("--undated", action="store_true",
                        help="build through Memory.add: every entry stamped with the wall clock")
    args = parser.parse_args(argv)
    for item in args.set:
        override(item)
    data = json.loads(args.data.read_text(encoding="utf-8"))
    report = run(data, dated=not args.undated)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
