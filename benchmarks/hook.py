"""Hook path benchmark: `memtree hook claude-code UserPromptSubmit` from process start to exit.

Builds (once, cached in benchmarks/out/) a synthetic tree of N entries (each with a provenance
file), then runs the installed hook command in fresh processes with a new session each time, and
prints p50/p95 wall times. `--event PostToolUse` times the file hook: a Read of one of the
entries' files.
Usage: python benchmarks/hook.py [--entries 10000] [--runs 30] [--event UserPromptSubmit]
       [--root DIR]  (an existing tree instead: it gets the hook's session state and logs)
       [--resident off|on] [--gap SECONDS]  (a resident process answers; seconds between hooks)
       [--prompt TEXT]  (the same prompt in every run, each in a new session)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from memtree.entries import codec, layout as tree
from memtree.memory import Memory

HERE = Path(__file__).resolve().parent
MEMTREE = Path(sys.executable).with_name("memtree")
WORDS = ("auth token session cache queue worker deploy build release schema migration index "
         "search config logging metrics alert retry timeout billing invoice payment user account "
         "email webhook upload storage bucket image thumbnail render template route handler "
         "middleware database replica shard backup restore lock lease scheduler cron job batch "
         "stream kafka consumer producer api client server grpc http json yaml parser lexer "
         "compiler plugin feature flag rollout canary rollback latency throughput memory leak "
         "profile trace span dashboard report export import csv pdf locale timezone currency").split()


def build(root: Path, count: int, seed: int = 7) -> None:
    """Write `count` entries straight through the codec (fast; same files Memory writes)."""
    rng = random.Random(seed)
    Memory.init(root, as_root=True, autocommit=False)  # never commits into the project around it
    domains = [f"{w}" for w in rng.sample(WORDS, 12)]
    for n in range(count):
        words = rng.choices(WORDS, k=6, weights=[1 / (i + 1) for i in range(len(WORDS))])
        title = " ".join(words[:4]).capitalize() + f" {n}"
        rel = tree.entry_path(f"{rng.choice(domains)}/{rng.choice(WORDS)}", tree.slugify(title))
        body = " ".join(rng.choices(WORDS, k=rng.randint(40, 160))) + "."
        meta = {"id": codec.new_id(), "title": title, "summary": " ".join(words) + ".",
                "tags": sorted(set(words[:3])), "importance": rng.randint(20, 90),
                "maturity": rng.choice(["draft", "draft", "validated", "core"] if n % 97 else ["core"]),
                "pinned": n % 2500 == 0, "created": "2026-01-01T00:00:00Z",
                "updated": "2026-01-01T00:00:00Z",
                "source": {"by": "person:bench", "files": [source_file(rng)]}}
        item = codec.from_mapping(meta, body, rel)
        file = tree.file_for(root, rel)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(codec.render(item), encoding="utf-8")


def source_file(rng: random.Random) -> str:
    """A project file an entry came from: about 200,000 names, so most are one entry's."""
    return f"src/{rng.choice(WORDS)}/{rng.choice(WORDS)}_{rng.randrange(2000)}.py"


def measure(root: Path, event: str, runs: int, seed: int = 11, env: dict[str, str] | None = None,
            gap: float = 0.0, prompt: str | None = None) -> tuple[list[float], int]:
    """Wall times of `runs` hook processes (`gap` seconds apart), and how many of them injected
    something."""
    rng = random.Random(seed)
    times = []
    injected = 0
    files = sorted({f for e in Memory(root).catalog() for f in e.source.files}) if event == "PostToolUse" else []
    for n in range(runs):
        asked = prompt or "how do we handle " + " ".join(rng.sample(WORDS, 3)) + " in production?"
        body = {"session_id": f"bench-{time.time_ns()}-{n}", "cwd": str(root.parent), "hook_event_name": event,
                "prompt": asked, "source": "startup", "tool_name": "Read",
                "tool_input": {"file_path": str(root.parent / rng.choice(files))} if files else {}}
        started = time.perf_counter()
        out = subprocess.run([str(MEMTREE), "hook", "claude-code", event], input=json.dumps(body),
                             capture_output=True, text=True, check=True,
                             env={**(env or os.environ), "MEMTREE_ROOT": str(root)})
        times.append((time.perf_counter() - started) * 1000)
        injected += bool(out.stdout.strip())
        time.sleep(gap)
    return times, injected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--event", default="UserPromptSubmit")
    parser.add_argument("--root", type=Path, help="an existing memory root to run against")
    parser.add_argument("--resident", choices=("off", "on"), default="off",
                        help="on: a resident process answers the hooks (docs/resident.md), "
                             "started for the run in a private folder of its own")
    parser.add_argument("--gap", type=float, default=0.0, help="seconds between two hooks")
    parser.add_argument("--prompt", help="the prompt of every run (default: three random words "
                                         "of the synthetic tree's vocabulary)")
    args = parser.parse_args()
    root = args.root.resolve() if args.root else HERE / "out" / f"hook-tree-{args.entries}"
    if args.root:
        args.entries = sum(1 for _ in tree.walk(root))
    elif not (root / "config.toml").exists():
        started = time.perf_counter()
        build(root, args.entries)
        print(f"built {args.entries} entries in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    env = {**os.environ, "MEMTREE_RESIDENT": args.resident}
    runtime = tempfile.mkdtemp(prefix="mtbench", dir="/tmp")
    os.chmod(runtime, 0o700)
    env["XDG_RUNTIME_DIR"] = runtime
    try:
        if args.resident == "on":
            subprocess.run([str(MEMTREE), "resident", "start"], env=env, check=True,
                           stdout=subprocess.DEVNULL)
        measure(root, args.event, 2, env=env)  # warm the page cache
        found, injected = measure(root, args.event, args.runs, env=env, gap=args.gap,
                                  prompt=args.prompt)
    finally:
        if args.resident == "on":
            subprocess.run([str(MEMTREE), "resident", "stop"], env=env, stdout=subprocess.DEVNULL)
        shutil.rmtree(runtime, ignore_errors=True)
    times = sorted(found)
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    base = sorted(_python_start() for _ in range(10))[5]
    print(f"{args.event}, {args.entries} entries, {args.runs} runs, resident {args.resident}, "
          f"gap {args.gap:g} s: p50 {statistics.median(times):.0f} ms, "
          f"p95 {p95:.0f} ms, min {times[0]:.0f} ms; {injected} runs injected context "
          f"(bare `python -c pass`: {base:.0f} ms)")


def _python_start() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return (time.perf_counter() - started) * 1000


if __name__ == "__main__":
    main()
