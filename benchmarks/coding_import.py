"""Coding benchmark with a memory built by `memtree import git` (run by hand; never in the tests).

The data (../shared/data/coding/, README.md there) holds each project's history as records, not
as a repository. This harness first builds a real git repository from them with one
`git fast-import`: one commit per record, in index order, with its subject and message body
(the record's body less its `Files:` paragraph), author name (e-mail `<name>@example.invalid`:
the data has none) and commit time (author and committer date), touching every path in `files`.
The data holds no file contents, so each touched file gets a placeholder line naming the path
and the commit; deletions and renames are not known, so every touched path is written. A commit
that touches nothing is an empty commit (the import's `git log`, limited to the project's paths
less the memory's folder, leaves it out).

Replay (the protocol of the data's README, with import in place of per-commit entries): queries
of both settings sorted by (`visible`, `i`); before each query, the branch is set to commit
`visible - 1` and `memtree import git` (in process: `imports.service.import_git`, no limit) is
re-run on the memory, which adds and updates episodes as the history grows, as a project that
re-runs the import would; then the index is synced and the query asked with the clock at the
query's time. No later commit is ever in the repository's history at that moment.

Scoring: results are episodes, gold are commits. An episode *contains* the commits of its group
(the import's own grouping, recomputed from the same `git log` output). An episode counts as a hit
when it contains a gold commit. R@k is the share of the query's gold commits contained in the
first k episodes; S@5, MRR and P@3 read "episode containing a gold commit" where the per-commit
benchmark reads "gold entry". An episode all of whose commits are in `ignore` is dropped before
scoring (P@3 keeps it as a miss, as in coding.py). The hook's precision is the share of injected
episodes that contain a gold commit. Because one episode can hold several gold commits, R@k here
is easier to reach than with one entry per commit; compare S@5 and MRR first.

    python benchmarks/coding_import.py [--data DIR] [--every N] [--setting next-day] [--json OUT]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from coding import DEFAULT_DATA, SETTINGS, VARIANTS, asked, read_jsonl, repositories  # noqa: E402
from coding_systems import DEPTH, METRICS, mean  # noqa: E402

from memtree import Memory  # noqa: E402
from memtree.agents import inject  # noqa: E402
from memtree.imports import gitlog  # noqa: E402
from memtree.imports.service import import_git  # noqa: E402
from memtree.index.db import open_index  # noqa: E402

FILES_PARAGRAPH = re.compile(r"(?:\A|\n\n)Files: [^\n]*\Z")
ENV = {**os.environ, "GIT_COMMITTER_NAME": "replay", "GIT_COMMITTER_EMAIL": "replay@example.invalid",
       "MEMTREE_PERSONAL": "off"}
NO_LIMIT = 1_000_000


def message(commit: dict[str, Any]) -> str:
    """The commit message: the subject, then the body without the data's `Files:` paragraph."""
    body = FILES_PARAGRAPH.sub("", commit.get("body", "")) if commit["files"] else commit.get("body", "")
    subject = commit["subject"] or commit["title"]
    return f"{subject}\n\n{body.strip()}\n" if body.strip() else f"{subject}\n"


def _path(name: str) -> str:
    """A path as fast-import reads it (C-style quoted when it must be)."""
    if name.startswith('"') or "\n" in name or "\\" in name:
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return name


def stream(commits: list[dict[str, Any]]) -> bytes:
    out: list[bytes] = []
    for c in commits:
        name = re.sub(r"[<>\n]", "", c["author"]).strip() or "unknown"
        mail = re.sub(r"[^a-z0-9]+", ".", name.lower()).strip(".") or "unknown"
        who = f"{name} <{mail}@example.invalid> {c['time']} +0000"
        data = message(c).encode()
        out += [b"commit refs/heads/main\n", f"mark :{c['i'] + 1}\n".encode(),
                f"author {who}\ncommitter {who}\n".encode(),
                f"data {len(data)}\n".encode(), data, b"\n"]
        for name in c["files"]:
            blob = f"placeholder: {name} at commit {c['i']} ({c['sha']})\n".encode()
            out += [f"M 100644 inline {_path(name)}\n".encode(), f"data {len(blob)}\n".encode(),
                    blob, b"\n"]
        out.append(b"\n")
    return b"".join(out)


def build(commits: list[dict[str, Any]], project: Path) -> list[str]:
    """The repository made from the records; the git commit id of each record, by index."""
    project.mkdir(parents=True)
    marks = project.parent / "marks"
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=project, check=True, env=ENV)
    subprocess.run(["git", "fast-import", "--quiet", f"--export-marks={marks}"], cwd=project,
                   input=stream(commits), check=True, env=ENV)
    ids = {int(m[1:]) - 1: sha for m, sha in (ln.split() for ln in marks.read_text().splitlines())}
    return [ids[i] for i in range(len(commits))]


class Replay:
    """One repository's memory, re-imported from its history as the history grows."""

    def __init__(self, folder: Path, base: Path) -> None:
        self.commits = read_jsonl(folder / "commits.jsonl")
        self.project = base / "project"
        started = time.perf_counter()
        self.shas = build(self.commits, self.project)
        self.built_s = time.perf_counter() - started
        index_of = {sha: i for i, sha in enumerate(self.shas)}
        self.log = {index_of[c.sha]: c for c in gitlog.read_log(self.project, limit=NO_LIMIT)}
        self.memory = Memory.init(self.project / ".memory", as_root=True, autocommit=False)
        self.hook = inject.options(self.memory.ws.settings)
        self.members: dict[str, frozenset[int]] = {}
        self.size = 0
        self.import_s: list[float] = []

    def grow(self, visible: int) -> None:
        """Set the branch to commit `visible - 1`, re-run the import, map episodes to commits (an
        episode whose group merged into another's stays in the memory, `gone`, with its commits)."""
        if visible == self.size:
            return
        subprocess.run(["git", "update-ref", "refs/heads/main", self.shas[visible - 1]],
                       cwd=self.project, check=True, env=ENV)
        started = time.perf_counter()
        report = import_git(self.memory.ws, limit=NO_LIMIT)
        self.import_s.append(time.perf_counter() - started)
        index_of = {self.log[i].sha: i for i in range(visible)}
        # as the import reads the log: limited to the project's paths, so a commit touching
        # nothing is left out
        groups = gitlog.group([self.log[i] for i in range(visible - 1, -1, -1) if self.log[i].files])
        made = [o for o in report.outcomes if o.action != "gone"]
        if len(made) != len(groups):
            raise SystemExit(f"import gave {len(made)} episodes for {len(groups)} groups")
        for (key, items), outcome in zip(groups.items(), made, strict=True):
            label = f"#{key[4:]}" if key.startswith("ref:") else f"Changes to {key[5:]}"
            if label not in outcome.title:
                raise SystemExit(f"episode {outcome.path} ({outcome.title}) is not group {key}")
            self.members[outcome.path] = frozenset(index_of[c.sha] for c in items)
        open_index(self.memory.root).sync()  # outside the timed query
        self.size = visible

    def ask(self, query: dict[str, Any], variant: str) -> tuple[list[frozenset[int]], list[frozenset[int]], float]:
        """The ranked episodes (as commit sets), the hook's injected ones, memtree's time (ms)."""
        text = asked(query, variant)
        now = dt.datetime.fromtimestamp(query["time"], dt.UTC)
        started = time.perf_counter()
        result = self.memory.query(text, limit=DEPTH + len(query["ignore"]), now=now)
        took = (time.perf_counter() - started) * 1000
        ranked = [self.members.get(h.path, frozenset()) for h in result.hits]
        injected = inject.for_prompt(self.memory, text, self.hook, (), now=now)
        return ranked, [self.members.get(i["path"], frozenset()) for i in injected.items], took


def score(ranked: list[frozenset[int]], gold: list[int], ignore: list[int]) -> dict[str, float]:
    """coding_systems.score over episodes: a hit is an episode containing a gold commit."""
    wanted, skipped = set(gold), set(ignore)
    kept = [e for e in ranked if not e or not e <= skipped][:DEPTH]
    first = next((n for n, e in enumerate(kept, 1) if e & wanted), 0)
    return {"r@5": len(wanted & set().union(*kept[:5])) / len(wanted),
            "r@10": len(wanted & set().union(*kept[:10])) / len(wanted),
            "s@5": 1.0 if first and first <= 5 else 0.0,
            "mrr": 1 / first if first else 0.0,
            "p@3": sum(1 for e in ranked[:3] if e & wanted) / 3}


def run_repository(folder: Path, settings: tuple[str, ...], every: int) -> dict[str, Any]:
    queries = [q for q in read_jsonl(folder / "queries.jsonl") if q["setting"] in settings]
    chosen: list[dict[str, Any]] = []
    for setting in settings:
        mine = sorted((q for q in queries if q["setting"] == setting), key=lambda q: (q["visible"], q["i"]))
        chosen += mine[::every]
    chosen.sort(key=lambda q: (q["visible"], q["i"], q["setting"]))
    rows: dict[tuple[str, str], list[dict[str, float]]] = defaultdict(list)
    hook: dict[tuple[str, str], list[float | None]] = defaultdict(list)
    times: dict[tuple[str, str], list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="memtree-coding-import-") as tmp:
        replay = Replay(folder, Path(tmp))
        for n, query in enumerate(chosen, 1):
            replay.grow(query["visible"])
            for variant in VARIANTS:
                ranked, injected, took = replay.ask(query, variant)
                key = (query["setting"], variant)
                rows[key].append(score(ranked, query["gold"], query["ignore"]))
                times[key].append(took)
                hook[key].append(sum(1 for e in injected if e & set(query["gold"])) / len(injected)
                                 if injected else None)
            if n % 20 == 0:
                print(f"  {folder.name}: {n}/{len(chosen)} queries", file=sys.stderr, flush=True)
        sizes = [len(m) for m in replay.members.values()]
        facts = {"commits": len(replay.commits), "build_s": round(replay.built_s, 1),
                 "episodes_at_end": len(sizes), "commits_per_episode_mean": round(statistics.mean(sizes), 2),
                 "import_s_median": round(statistics.median(replay.import_s), 2),
                 "import_s_max": round(max(replay.import_s), 2), "imports": len(replay.import_s)}
    out: dict[str, Any] = {"facts": facts}
    for (setting, variant), found in rows.items():
        made = [p for p in hook[(setting, variant)] if p is not None]
        out.setdefault(setting, {})[variant] = {
            **mean(found), "hook_precision": sum(made) / len(made) if made else 0.0,
            "hook_share": len(made) / len(found), "ms": statistics.median(times[(setting, variant)]),
            "queries": len(found)}
    return out


def table(name: str, found: dict[str, Any], every: int) -> str:
    facts = found["facts"]
    lines = [f"## {name}: memory from `import git`" + (f" (every {every}th query)" if every > 1 else ""),
             "", ", ".join(f"{k} {v}" for k, v in facts.items())]
    for setting in SETTINGS:
        if setting not in found:
            continue
        lines += ["", f"### {setting} ({found[setting]['text']['queries']} queries)", "",
                  "| query | " + " | ".join(m.upper() for m in METRICS) + " | hook precision | hook injects | p50 ms |",
                  "|---|" + "---|" * (len(METRICS) + 3)]
        for variant, cell in found[setting].items():
            values = " | ".join(f"{cell[m]:.3f}" for m in METRICS)
            lines.append(f"| {variant} | {values} | {cell['hook_precision']:.3f} | "
                         f"{cell['hook_share']:.0%} | {cell['ms']:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--every", type=int, default=1, help="ask every n-th query (replay order kept)")
    parser.add_argument("--setting", choices=SETTINGS, action="append", help="default: both")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    if args.every < 1:
        parser.error("--every: must be 1 or more")
    settings = tuple(args.setting or SETTINGS)
    found: dict[str, Any] = {}
    for folder in repositories(args.data):
        started = time.perf_counter()
        found[folder.name] = run_repository(folder, settings, args.every)
        print(table(folder.name, found[folder.name], args.every), flush=True)
        print(f"\n({folder.name}: {time.perf_counter() - started:.0f} s)\n", flush=True)
    if args.json:
        args.json.write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
