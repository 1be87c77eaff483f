"""Torture run: concurrent writers and readers through the installed `memtree` command, SIGKILL
at random and after every step of multi-file operations, corrupt and hostile files planted while
they run. Ends by counting acknowledged writes lost, invalid trees, stuck states and tracebacks.

    nice -n 10 .venv/bin/python benchmarks/torture.py --seed 1 [--writers 4] [--per 15]
        [--rounds 2] [--repeats 2]

Prints one JSON object; every count but `acknowledged` and `killed` must be 0.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MEMTREE = str(Path(sys.executable).with_name("memtree"))
BAD = "internal error", "Traceback"
HOSTILE = {
    "zz/bad/typo.md": "---\ntitle: Typo\ntags: [a, b\n---\nx\n",
    "zz/bad/drafty.md": "---\ntitle: Drafty\nmaturity: drafty\n---\nx\n",
    "zz/bad/day.md": "---\ntitle: Day\ncreated: 2026-02-30\n---\nx\n",
    "zz/bad/deep.md": "---\ntitle: Deep\nx: " + "[" * 500 + "]" * 500 + "\n---\nx\n",
    "zz/bad/bomb.md": "---\ntitle: Bomb\na: &a [x, x, x, x, x, x, x, x, x]\n"
                      + "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n"
                                for p, c in zip("abcdefgh", "bcdefghi", strict=True)) + "---\n",
    "zz/note.md": "---\ntitle: Misplaced\n---\nx\n",
}
LATE = {  # planted while writers and readers run
    "zz/bad/empty.md": b"",
    "zz/bad/binary.md": bytes(range(256)) * 8,
    "zz/bad/huge.md": b"---\ntitle: Huge\n---\n" + b"x" * 3_000_000,
    "zz/bad/torn.md": b"---\ntitle: Torn\ntags: [a,",
}


def run(cwd: Path, *args: str, env: dict[str, str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MEMTREE, *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout, check=False)


def plant_hostile(root: Path) -> None:
    for rel, text in HOSTILE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    os.mkfifo(root / "zz/bad/pipe.md")
    with open(os.path.join(os.fsencode(root / "zz/bad"), b"caf\xe9.md"), "wb") as handle:
        handle.write(b"---\ntitle: Latin-1 name\n---\nx\n")


def plant_late(root: Path, rng: random.Random) -> None:
    rel = rng.choice(sorted(LATE))
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_bytes(LATE[rel])
    link = root / "zz/bad/outside.md"
    if not link.is_symlink():
        link.symlink_to("/etc/passwd")


def writers_and_readers(project: Path, rng: random.Random, writers: int, per: int,
                        counts: dict[str, int]) -> set[str]:
    """Writers add entries while readers query, list, tree and show; some of each SIGKILLed at
    a random moment; hostile files planted meanwhile."""
    acked: set[str] = set()
    pending: list[tuple[subprocess.Popen[str], str, bool]] = []
    for n in range(writers * per):
        if n % 7 == 3:
            plant_late(project / ".memory", rng)
        title = f"Entry {n} {rng.randrange(10**6)}"
        proc = subprocess.Popen([MEMTREE, "add", title, "-p", f"w{n % writers}/t",
                                 "--body", f"torture body {n}"], cwd=project, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        read = rng.choice([["query", "torture"], ["list"], ["list", "--json"], ["tree", "--json"],
                           ["stats", "--json"], ["query", "torture", "--json"]])
        reader = subprocess.Popen([MEMTREE, *read], cwd=project, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        kill = rng.random() < 0.3
        kill_reader = rng.random() < 0.3
        if kill or kill_reader:
            time.sleep(rng.uniform(0.0, 0.4))
        if kill:
            proc.send_signal(signal.SIGKILL)
        if kill_reader:
            reader.send_signal(signal.SIGKILL)
        pending.append((proc, title, kill))
        pending.append((reader, "", kill_reader))
        if len(pending) >= 2 * writers:
            _reap(pending, acked, counts)
    _reap(pending, acked, counts)
    return acked


def _reap(pending: list[tuple[subprocess.Popen[str], str, bool]], acked: set[str],
          counts: dict[str, int]) -> None:
    for proc, title, kill in pending:
        out, err = proc.communicate(timeout=300)
        if any(b in err for b in BAD):
            counts["tracebacks"] += 1
        if kill:
            counts["killed"] += 1
            counts["killed_writers" if title else "killed_readers"] += 1
        if title and proc.returncode == 0 and out.startswith("added "):
            acked.add(out.split()[1].removesuffix(".md"))
            counts["acknowledged"] += 1
    pending.clear()


OPERATIONS = {"mv": (("mv", "target", "k/moved"), 5), "rm": (("rm", "target"), 2),
              "rm --hard": (("rm", "--hard", "target"), 4),
              "supersede": (("supersede", "target", "newer", "--reason", "r"), 2)}


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          check=False).stdout


def _template(base: Path) -> Path:
    """A project repository whose memory commits every write (embedded mode)."""
    project = base / "template"
    project.mkdir(parents=True)
    _git(project, "init", "-q", "-b", "main")
    (project / "app.py").write_text("x = 1\n")
    _git(project, "add", "app.py")
    _git(project, "commit", "-qm", "code")
    run(project, "init")
    run(project, "add", "Target", "-p", "k/t", "--body", "see [[k/t/target]]")
    for i in range(3):
        run(project, "add", f"Linker {i}", "-p", "k/l", "--body", "[[k/t/target]]",
            "--link", "depends_on=k/t/target")
    run(project, "add", "Newer", "-p", "k/t", "--body", "newer")
    return project


def killed_operations(base: Path, counts: dict[str, int], repeats: int) -> None:
    """Each multi-file operation killed after every one of its steps and between its writes
    and its git commit, then the next commands: the tree must be valid and, after the next
    write, every change committed."""
    template = _template(base)
    for name, (args, steps) in OPERATIONS.items():
        for stop in [*map(str, range(steps + 1)), "commit"] * repeats:
            project = base / f"{name}-{stop}-{counts['killed']}"
            shutil.copytree(template, project, symlinks=True)
            killed = run(project, *args, env={"MEMTREE_STOP_AFTER_STEP": stop})
            counts["killed"] += killed.returncode == -signal.SIGKILL
            counts["killed_operations"] += killed.returncode == -signal.SIGKILL
            checked = run(project, "validate", "--json")
            counts["tracebacks"] += any(b in checked.stderr for b in BAD)
            if checked.returncode != 0:
                counts["invalid_trees"] += 1
            if (project / ".memory/.local/journal.json").exists():
                counts["stuck_states"] += 1
            after = run(project, "add", "After", "-p", "k/a", "--body", "next write")
            counts["stuck_states"] += after.returncode != 0
            left = _git(project, "status", "--porcelain", "--untracked-files=all")
            counts["uncommitted_after_next_write"] += bool(left.strip())


def final_checks(project: Path, acked: set[str], counts: dict[str, int]) -> None:
    root = project / ".memory"
    listed = run(project, "list", "--json")
    counts["tracebacks"] += any(b in listed.stderr for b in BAD)
    paths = {e["path"] for e in json.loads(listed.stdout or "{}").get("entries", [])}
    counts["lost_writes"] += len(acked - paths)
    found = run(project, "validate", "--json")
    counts["tracebacks"] += any(b in found.stderr for b in BAD)
    problems = [p for p in json.loads(found.stdout or "[]")
                if p["severity"] == "error" and not p["path"].startswith("zz/")]
    counts["invalid_trees"] += bool(problems)
    if (root / ".local/journal.json").exists():
        counts["stuck_states"] += 1
    probe = run(project, "add", "Probe", "-p", "p/q", "--body", "x", timeout=60)
    counts["stuck_states"] += probe.returncode != 0  # a lock left held would fail this
    leftovers = [p for p in root.rglob(".*.tmp")]
    counts["temp_files_left"] += len(leftovers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--per", type=int, default=15, help="adds per writer per round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1, help="runs of every killed step")
    opts = parser.parse_args()
    rng = random.Random(opts.seed)
    counts = dict.fromkeys(("acknowledged", "killed", "killed_writers", "killed_readers",
                            "killed_operations", "lost_writes", "invalid_trees", "stuck_states",
                            "tracebacks", "temp_files_left", "uncommitted_after_next_write"), 0)
    base = Path(tempfile.mkdtemp(prefix="memtree-torture-"))
    started = time.perf_counter()
    try:
        project = base / "shared"
        project.mkdir()
        run(project, "init", "--no-autocommit")
        plant_hostile(project / ".memory")
        acked: set[str] = set()
        for _ in range(opts.rounds):
            acked |= writers_and_readers(project, rng, opts.writers, opts.per, counts)
        final_checks(project, acked, counts)
        killed_operations(base / "ops", counts, opts.repeats)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(json.dumps({**counts, "seed": opts.seed, "seconds": round(time.perf_counter() - started)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
