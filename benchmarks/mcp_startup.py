"""MCP server start-up: `memtree mcp` from process start until `initialize` is answered.

Runs the installed command in fresh processes against a synthetic tree (the one benchmarks/hook.py
builds and caches in benchmarks/out/), sends the client's `initialize` request on stdin, and times
the answer; then the first `tools/list` and the first `query` call (which opens the index).
Usage: python benchmarks/mcp_startup.py [--entries 10000] [--runs 20] [--sdk-only]
(--sdk-only: the SDK server without the fast start-up path, as `memtree mcp` was before it)
"""

from __future__ import annotations

import argparse
import json
import os
import select
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hook import HERE, MEMTREE, build  # noqa: E402  (the shared tree builder)

INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "bench", "version": "0"}}}
READY = {"jsonrpc": "2.0", "method": "notifications/initialized"}
LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
QUERY = {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
         "params": {"name": "query", "arguments": {"text": "cache queue retry", "budget": 600}}}


def _answer(proc: subprocess.Popen[bytes], wanted: int, limit: float = 30.0) -> dict[str, object]:
    assert proc.stdout is not None
    end = time.monotonic() + limit
    while time.monotonic() < end:
        ready, _, _ = select.select([proc.stdout], [], [], end - time.monotonic())
        if not ready:
            break
        line = proc.stdout.readline()
        if not line:
            break
        data = json.loads(line)
        if data.get("id") == wanted:
            return data  # type: ignore[no-any-return]
    raise TimeoutError(f"no answer to request {wanted}")


def _send(proc: subprocess.Popen[bytes], message: dict[str, object]) -> None:
    assert proc.stdin is not None
    proc.stdin.write((json.dumps(message) + "\n").encode())
    proc.stdin.flush()


SDK_ONLY = [sys.executable, "-c", "from memtree.agents.mcp_server import serve; serve(agent='bench')"]


def one(root: Path, argv: list[str]) -> tuple[float, float, float]:
    """Seconds from spawn to: initialize answered, tools listed, first query answered."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, cwd=root,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env={**os.environ, "MEMTREE_ROOT": str(root)})
    try:
        _send(proc, INIT)
        _answer(proc, 1)
        ready = time.monotonic() - start
        _send(proc, READY)
        _send(proc, LIST)
        _answer(proc, 2)
        listed = time.monotonic() - start
        _send(proc, QUERY)
        answer = _answer(proc, 3)
        assert "error" not in answer and not answer["result"].get("isError"), answer  # type: ignore[attr-defined]
        queried = time.monotonic() - start
    finally:
        proc.kill()
        proc.wait()
    return ready, listed, queried


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sdk-only", action="store_true")
    args = parser.parse_args()
    argv = SDK_ONLY if args.sdk_only else [str(MEMTREE), "mcp", "--agent", "bench"]
    root = HERE / "out" / f"hook-tree-{args.entries}"  # shared with benchmarks/hook.py
    if len(list(root.glob("*/*/*.md"))) < args.entries:  # absent, or a build cut short
        import shutil

        shutil.rmtree(root, ignore_errors=True)
        build(root, args.entries)
    one(root, argv)  # builds the index if needed, warms the file cache
    rows = [one(root, argv) for _ in range(args.runs)]
    load = os.getloadavg()[0]
    for name, column in zip(("initialize", "tools/list", "first query"), zip(*rows, strict=True), strict=True):
        ms = sorted(1000 * v for v in column)
        p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
        print(f"{name:12} p50 {statistics.median(ms):6.0f} ms  p95 {p95:6.0f} ms  "
              f"min {ms[0]:6.0f} ms  ({args.runs} runs, {args.entries} entries, load {load:.1f})")


if __name__ == "__main__":
    main()
