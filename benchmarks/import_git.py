"""Time of `memtree import git` on a generated history of N commits (default 10,000).

Run by hand: `nice -n 10 .venv/bin/python benchmarks/import_git.py [N]`. Builds a repository with
`git fast-import` (one process): files laid out as `src/<package>/<area>/<module>.py`, each commit
touching one to three files, about 40% of the messages referencing an issue (`#N`, `gh-N` or
`Fixes: #N`), twenty authors, one commit an hour. Then times the installed `memtree` command in
a subprocess: `import git --dry-run`, the first `import git` (writes and commits the entries), a
re-run (nothing changed) and a query afterwards.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MEMTREE = Path(sys.executable).with_name("memtree")
ENV = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "b@example.com",
       "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "b@example.com",
       "MEMTREE_PERSONAL": "off"}
AREAS = [f"src/shop/{a}/{m}.py" for a in ("billing", "auth", "catalog", "orders", "search",
                                           "shipping", "users", "admin")
         for m in ("models", "views", "service", "api", "utils", "tasks")]
FILES = AREAS + [f"tests/test_{i}.py" for i in range(20)] + ["README.md", "docs/guide.md"]
WORDS = ("fix refund rounding cache token expiry race retry timeout index query migration "
         "webhook invoice tax currency locale session cookie csrf pagination sort filter").split()


def stream(n: int, seed: int = 7) -> bytes:
    """A fast-import stream of n commits on refs/heads/main."""
    rng = random.Random(seed)
    out: list[bytes] = []
    start = 1_600_000_000
    for i in range(n):
        touched = rng.sample(FILES, rng.choice((1, 1, 2, 3)))
        words = " ".join(rng.sample(WORDS, 4))
        roll = rng.random()
        issue = rng.randint(1, n // 5)
        if roll < 0.2:
            message = f"{words.capitalize()} (#{issue})"
        elif roll < 0.3:
            message = f"{words.capitalize()}\n\nFixes: #{issue}"
        elif roll < 0.4:
            message = f"{words.capitalize()}\n\nSee gh-{issue}"
        else:
            message = words.capitalize()
        author = f"Dev {rng.randint(1, 20)} <dev{i % 20}@example.com>"
        data = message.encode()
        out.append(b"commit refs/heads/main\n")
        out.append(f"author {author} {start + i * 3600} +0000\n".encode())
        out.append(f"committer {author} {start + i * 3600} +0000\n".encode())
        out.append(f"data {len(data)}\n".encode() + data + b"\n")
        for path in touched:
            blob = f"# {path} at commit {i}\nVALUE = {rng.random()}\n".encode()
            out.append(f"M 100644 inline {path}\ndata {len(blob)}\n".encode() + blob + b"\n")
        out.append(b"\n")
    return b"".join(out)


def build(base: Path, n: int) -> Path:
    project = base / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=project, check=True, env=ENV)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=project, input=stream(n), check=True, env=ENV)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=project, check=True, env=ENV)
    subprocess.run([str(MEMTREE), "init"], cwd=project, check=True, env=ENV, capture_output=True)
    return project


def timed(project: Path, *args: str) -> tuple[float, dict[str, object]]:
    start = time.perf_counter()
    done = subprocess.run([str(MEMTREE), *args], cwd=project, capture_output=True, text=True,
                          env=ENV, check=True)
    took = time.perf_counter() - start
    return took, (json.loads(done.stdout) if "--json" in args else {})


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        project = build(Path(tmp), n)
        print(f"built {n} commits in {time.perf_counter() - started:.1f} s")
        for label, args in (("dry run", ("import", "git", "--dry-run", "--json")),
                            ("first import", ("import", "git", "--json")),
                            ("re-run", ("import", "git", "--json")),
                            ("query after", ("query", "refund rounding", "--json"))):
            took, data = timed(project, *args)
            counts = data.get("counts", "")
            print(f"{label:13} {took:7.2f} s  {counts}")


if __name__ == "__main__":
    main()
