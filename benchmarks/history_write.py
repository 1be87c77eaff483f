"""Added latency of a memtree write when it is committed to git (autocommit on vs off).

Run by hand: `.venv/bin/python benchmarks/history_write.py [N]`. Measures the installed `memtree add`
command end to end, and `Memory.add` in process, in an embedded project repository.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MEMTREE = Path(sys.executable).with_name("memtree")
ENV = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "b@example.com",
       "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "b@example.com"}


def project(base: Path, name: str, *init: str) -> Path:
    path = base / name
    path.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True, env=ENV)
    (path / "app.py").write_text("x = 1\n")
    subprocess.run(["git", "add", "app.py"], cwd=path, check=True, env=ENV)
    subprocess.run(["git", "commit", "-qm", "code"], cwd=path, check=True, env=ENV)
    subprocess.run([str(MEMTREE), "init", *init], cwd=path, check=True, env=ENV,
                   capture_output=True)
    return path


def cli_times(paths: list[Path], n: int) -> list[list[float]]:
    """Alternate between the projects so machine load drifts equally over both."""
    out: list[list[float]] = [[] for _ in paths]
    for i in range(n):
        for slot, path in enumerate(paths):
            start = time.perf_counter()
            subprocess.run([str(MEMTREE), "add", f"Entry {i}", "--path", "bench/cli", "--body", "x"],
                           cwd=path, check=True, env=ENV, capture_output=True, input="")
            out[slot].append((time.perf_counter() - start) * 1000)
    return out


def api_times(path: Path, n: int) -> list[float]:
    os.environ.update(ENV)
    from memtree import Memory

    memory = Memory.open(path)
    out = []
    for i in range(n):
        start = time.perf_counter()
        memory.add(f"Api {i}", "bench/api", "x")
        out.append((time.perf_counter() - start) * 1000)
    return out


def show(label: str, times: list[float]) -> None:
    q = statistics.quantiles(times, n=10)
    print(f"{label:34} median {statistics.median(times):7.1f} ms   p90 {q[-1]:7.1f} ms")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        on = project(base, "on")
        off = project(base, "off", "--no-autocommit")
        with_git, without = cli_times([on, off], n)
        show("cli add, autocommit (embedded)", with_git)
        show("cli add, --no-autocommit", without)
        show("Memory.add, autocommit (embedded)", api_times(on, n))
        show("Memory.add, --no-autocommit", api_times(off, n))


if __name__ == "__main__":
    main()
