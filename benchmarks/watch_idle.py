"""Idle CPU of `memtree watch`: a tree of N entries, the watcher left alone for S seconds; prints
the CPU seconds the process used after start-up, as a share of one core.

    nice -n 10 .venv/bin/python benchmarks/watch_idle.py [N] [SECONDS]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MEMTREE = Path(sys.executable).with_name("memtree")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        subprocess.run([str(MEMTREE), "init"], cwd=project, check=True, capture_output=True)
        for i in range(count):
            folder = project / ".memory" / f"d{i % 10}" / f"t{i % 50}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"e{i}.md").write_text(f"---\nid: idle{i:06d}\ntitle: Entry {i}\n---\nbody {i}\n")
        subprocess.run([str(MEMTREE), "reindex"], cwd=project, check=True, capture_output=True)
        watch = subprocess.Popen([str(MEMTREE), "watch", "--for", str(seconds + 10)], cwd=project,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(5)  # start-up and the first sync
            start = cpu_seconds(watch.pid)
            time.sleep(seconds)
            used = cpu_seconds(watch.pid) - start
        finally:
            watch.terminate()
            watch.wait(timeout=10)
    print(f"entries={count} idle_seconds={seconds:.0f} cpu_seconds={used:.2f} "
          f"share_of_one_core={100 * used / seconds:.2f}%")


if __name__ == "__main__":
    main()
