"""Start-up benchmark: what the two hottest processes pay before any work, and in all.

For `memtree --root R query TEXT --json` and `memtree hook claude-code UserPromptSubmit` (payload
on stdin, a new session each run) it prints, over fresh processes: the import time as Python's
`-X importtime` reports it (the sum of the top-level cumulative times, PYTHONPROFILEIMPORTTIME=1
on the installed command), the wall time of the same command without profiling, and the same for
a bare `python -c pass`. The hook writes its session state and logs under R/.local: point --root
at a copy of a tree you care about.
Usage: python benchmarks/startup.py --root R [--runs 20] [--query "cache queue"]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

MEMTREE = Path(sys.executable).with_name("memtree")


def run(cmd: list[str], stdin: str, env: dict[str, str]) -> tuple[float, float]:
    """(wall ms, import ms) of one process; import ms is 0 unless profiling was asked for."""
    started = time.perf_counter()
    out = subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=env, check=True)
    wall = (time.perf_counter() - started) * 1000
    total = 0
    for line in out.stderr.splitlines():
        if line.startswith("import time:") and "[us]" not in line:
            _, cumulative, name = line[len("import time:"):].split("|")
            if not name.startswith("  "):  # top level: its cumulative time holds its imports
                total += int(cumulative)
    return wall, total / 1000


def measure(cmd: list[str], runs: int, stdin: str = "", env: dict[str, str] | None = None,
            fresh: str = "") -> dict[str, list[float]]:
    base = {**os.environ, **(env or {})}
    profiled = {**base, "PYTHONPROFILEIMPORTTIME": "1"}
    walls, imports = [], []
    for n in range(runs + 1):
        text = stdin.replace(fresh, f"{fresh}-{time.time_ns()}-{n}") if fresh else stdin
        _, imported = run(cmd, text, profiled)
        text = stdin.replace(fresh, f"{fresh}-{time.time_ns()}-{n}w") if fresh else stdin
        wall, _ = run(cmd, text, base)
        if n:  # the first run warms the page cache and writes bytecode caches
            walls.append(wall)
            imports.append(imported)
    return {"imports": imports, "wall": walls}


def line(label: str, found: dict[str, list[float]]) -> str:
    parts = []
    for key in ("imports", "wall"):
        values = sorted(found[key])
        parts.append(f"{key} p50 {statistics.median(values):.1f} ms, min {values[0]:.1f} ms")
    return f"{label:32s} " + "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--query", default="cache queue")
    args = parser.parse_args()
    root = args.root.resolve()
    if sys.flags.dont_write_bytecode or os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("note: PYTHONDONTWRITEBYTECODE is set: memtree's modules are compiled from source in "
              "every process (installed packages have bytecode caches); unset it to measure that",
              file=sys.stderr)
    prompt = json.dumps({"session_id": "startup", "cwd": str(root.parent), "source": "startup",
                         "hook_event_name": "UserPromptSubmit",
                         "prompt": f"how do we handle {args.query} in production?"})
    rows = [
        ("python -c pass", measure([sys.executable, "-c", "pass"], args.runs)),
        ("memtree query --json", measure([str(MEMTREE), "--root", str(root), "query", args.query,
                                          "--json"], args.runs)),
        ("memtree query (text output)", measure([str(MEMTREE), "--root", str(root), "query",
                                                 args.query], args.runs)),
        ("memtree hook UserPromptSubmit", measure([str(MEMTREE), "hook", "claude-code",
                                                   "UserPromptSubmit"], args.runs, prompt,
                                                  {"MEMTREE_ROOT": str(root)}, fresh="startup")),
    ]
    print(f"{root} ({args.runs} runs each, load average {os.getloadavg()[0]:.1f})")
    for label, found in rows:
        print(line(label, found))


if __name__ == "__main__":
    main()
