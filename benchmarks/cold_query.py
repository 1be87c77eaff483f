"""Cold `memtree query WORD` against `rg -li WORD .memory` on the same tree (run by hand).

The tree is scale.py's (same generator and seed) in a project's `.memory/`, built once in
`--tree DIR` and reused. Each round runs, interleaved, fresh processes of: `memtree query WORD`
with its output to a pipe (plain lines, no rich) and `memtree query WORD --json`, each answered
by a resident process (docs/resident.md; started for the run in a private folder of its own) and
alone (MEMTREE_RESIDENT=off), and `rg -li WORD .memory`, for a few body words of different
frequencies. Reported per command: wall time p50 / min, the CPU time of the process (user +
system) p50, the CPU time of the whole machine during it (mean; it counts the resident process's
work too, and anything else running), and the ratios of memtree's to rg's; and whether the
console script imports `re` (pip before 25 writes one that does, ~6-10 ms here). Python's
bytecode caches are written first (`compileall`), as an installed package has them;
PYTHONDONTWRITEBYTECODE is dropped from the children's environment. `--page-cache cold`
evicts every file under `.memory` (the entries and the index) from the page cache before each
process (posix_fadvise DONTNEED; the programs' own files stay cached): the memory's first query
after a checkout or a while away. The default, `warm`, is the every-prompt case.

    python benchmarks/cold_query.py --tree DIR [--size 10000] [--rounds 20] [--page-cache warm|cold]
        [--json OUT]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402  (the generator of the scale benchmark)

import memtree  # noqa: E402
from memtree import Memory  # noqa: E402
from memtree.index.db import open_index  # noqa: E402

MEMTREE = Path(sys.executable).with_name("memtree")


def project(folder: Path, size: int) -> Path:
    """A project folder whose `.memory/` holds `size` synthetic entries, indexed."""
    root = folder / ".memory"
    if not (root / ".index").is_dir():
        memory = Memory.init(folder, autocommit=False)
        scale.make_tree(memory.root, size)
        open_index(memory.root).sync(rebuild=True)
    return folder


def words(folder: Path) -> list[str]:
    """Body words held by about 0.5 %, 1 %, 2 % and 3 % of the entries (the index's counts)."""
    idx = open_index((folder / ".memory").resolve())
    idx.sync()  # an index of another version is rebuilt here, not in a timed process
    size = idx.reads.size()
    vocab = set(scale.vocabulary(__import__("random").Random(scale.SEED)))
    counts = {str(t): int(str(n)) for t, n in idx.read("SELECT term, df FROM terms") if t in vocab}
    return [min(sorted(counts), key=lambda w: abs(counts[w] - share * size))
            for share in (0.005, 0.01, 0.02, 0.03)]


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall ms, CPU ms) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                   check=True)
    wall = (time.perf_counter() - started) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def evict(folder: Path) -> None:
    """Drop the data of every file under `folder` from the page cache (metadata stays)."""
    for parent, _, names in os.walk(folder):
        for name in names:
            try:
                fd = os.open(os.path.join(parent, name), os.O_RDONLY)
            except OSError:
                continue
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def machine_cpu() -> float:
    """CPU milliseconds spent by the whole machine so far (every process, the resident one too)."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    busy = sum(fields) - fields[3] - fields[4]  # all but idle and iowait
    return busy * 1000 / os.sysconf("SC_CLK_TCK")


def resident_env(env: dict[str, str]) -> tuple[dict[str, str], str]:
    """An environment whose resident process lives in a private folder of this run."""
    import tempfile

    runtime = tempfile.mkdtemp(prefix="mtbench", dir="/tmp")
    os.chmod(runtime, 0o700)
    return {**env, "XDG_RUNTIME_DIR": runtime, "MEMTREE_RESIDENT": "on"}, runtime


def measure(folder: Path, rounds: int, cold_cache: bool = False) -> dict[str, Any]:
    compileall.compile_dir(Path(memtree.__file__).parent, quiet=1)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    served, runtime = resident_env(env)
    direct = {**env, "MEMTREE_RESIDENT": "off"}
    asked = words(folder)
    rg = shutil.which("rg") or "rg"
    # In this order, so two resident queries never follow each other at once: after each, the
    # resident process warms a spare for the next (~15 ms), as between an agent's prompts.
    commands = {"memtree query (pipe), resident": ([str(MEMTREE), "query"], served),
                "memtree query (pipe), alone": ([str(MEMTREE), "query"], direct),
                "rg -li": ([rg, "-li"], env),
                "memtree query --json, resident": ([str(MEMTREE), "query", "--json"], served),
                "memtree query --json, alone": ([str(MEMTREE), "query", "--json"], direct)}

    def args(name: str, word: str) -> list[str]:
        cmd = commands[name][0]
        return [*cmd, word, ".memory"] if name == "rg -li" else [*cmd[:2], word, *cmd[2:]]

    subprocess.run([str(MEMTREE), "resident", "start", "--idle", "600"], cwd=folder, env=served,
                   check=True, stdout=subprocess.DEVNULL)
    times: dict[str, tuple[list[float], list[float], list[float]]] = {k: ([], [], []) for k in commands}
    try:
        for name in commands:  # warm the page cache and the bytecode caches
            timed(args(name, asked[0]), folder, commands[name][1])
        for _ in range(rounds):
            for word in asked:
                for name in commands:
                    if cold_cache:
                        evict(folder / ".memory")
                    before = machine_cpu()
                    wall, cpu = timed(args(name, word), folder, commands[name][1])
                    times[name][0].append(wall)
                    times[name][1].append(cpu)
                    times[name][2].append(machine_cpu() - before)
    finally:
        subprocess.run([str(MEMTREE), "resident", "stop"], env=served, stdout=subprocess.DEVNULL)
        shutil.rmtree(runtime, ignore_errors=True)
    out: dict[str, Any] = {"words": asked, "rounds": rounds, "load": os.getloadavg(),
                           "page_cache": "cold" if cold_cache else "warm",
                           "launcher_imports_re": "import re" in MEMTREE.read_text()}
    for name, (wall, cpu, machine) in times.items():
        out[name] = {"wall_p50": round(statistics.median(wall), 1), "wall_min": round(min(wall), 1),
                     "cpu_p50": round(statistics.median(cpu), 1),
                     "machine_cpu_mean": round(statistics.mean(machine), 1)}
    base = out["rg -li"]
    for name in commands:
        if name != "rg -li":
            out[name]["ratio_wall_p50"] = round(out[name]["wall_p50"] / base["wall_p50"], 2)
            out[name]["ratio_machine_cpu"] = round(out[name]["machine_cpu_mean"]
                                                   / base["machine_cpu_mean"], 2)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, required=True, help="folder to build the project in, or reuse")
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--page-cache", choices=("warm", "cold"), default="warm")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    args.tree.mkdir(parents=True, exist_ok=True)
    report = measure(project(args.tree, args.size), args.rounds, args.page_cache == "cold")
    print(json.dumps(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
