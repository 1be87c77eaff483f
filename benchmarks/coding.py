"""Coding-memory retrieval benchmark (run by hand; never part of the test suite).

Replays a repository's history as a memory, following the replay protocol of
../shared/data/coding/README.md: one memory grown in commit order, each query asked when the
memory holds exactly its visible entries, with the query's time as memtree's clock. Both
settings are replayed on one memory (queries sorted by visible size, so each is asked on exactly
its own entries). memtree and the baselines (bm25, bm25+recency, grep, files) are scored side by
side in one run, for the variants `text` and `+files`; so is what the prompt hook would inject
(agents/inject.py `for_prompt`): its precision on prompts where it injects, and how often it does.

    python benchmarks/coding.py [--data DIR] [--every N] [--setting next-day] [--json OUT]
                                [--set MODULE.NAME=VALUE]

`--data` is one repository folder (commits.jsonl, queries.jsonl) or a folder holding several;
with one repository `--json` writes {setting: {variant: {system: {metric: value}}}}, with several
{repository: {setting: ...}}. memtree's dict also holds `hook_precision`, `hook_share`,
`hook_hit` (the share of prompts given at least one gold entry) and `ms`;
under `files-context` also `file_hook_precision`, `file_hook_share`, `file_hook_entries`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from coding_systems import (  # noqa: E402  (a sibling module, not a package)
    BM25,
    DEPTH,
    METRICS,
    Analyzer,
    Files,
    Grep,
    fuse_recency,
    mean,
    precision,
    score,
)
from locomo import override  # noqa: E402

from memtree import Memory  # noqa: E402
from memtree.agents import files_context, inject  # noqa: E402
from memtree.entries.codec import from_mapping, render  # noqa: E402
from memtree.entries.layout import file_for  # noqa: E402
from memtree.index.db import open_index  # noqa: E402
from memtree.retrieval import touched  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "coding"
SETTINGS = ("next-day", "same-day")
VARIANTS = ("text", "+files", "files-context")
FILE_VARIANT = "files-context"
SYSTEMS = ("memtree", "bm25", "bm25+recency", "grep", "files")


def read_jsonl(file: Path) -> list[dict[str, Any]]:
    with file.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def repositories(data: Path) -> list[Path]:
    """`data` itself when it holds a repository, else its subfolders that do."""
    if (data / "commits.jsonl").is_file():
        return [data]
    found = sorted(p for p in data.iterdir() if (p / "commits.jsonl").is_file()) if data.is_dir() else []
    if not found:
        raise SystemExit(f"--data {data}: no commits.jsonl in it or in its subfolders")
    return found


def asked(query: dict[str, Any], variant: str) -> str:
    """What is asked: the text, and for `+files` the first 20 open files appended."""
    files = query["files"][:20]
    if variant == "+files" and files:  # files-context: the text; the files go apart
        return query["text"] + "\n\nFiles: " + " ".join(files)
    return str(query["text"])


def entry_text(commit: dict[str, Any]) -> str:
    return f"{commit['title']}\n{commit.get('body', '')}\n{commit['path'].replace('/', ' ')}"


def write_entry(root: Path, commit: dict[str, Any]) -> None:
    """One commit as memtree holds it (the protocol's rule 3), written through the entry codec."""
    stamp = dt.datetime.fromtimestamp(commit["time"], dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    meta = {"id": commit["sha"][:12], "title": commit["title"], "type": "episode",
            "importance": 50, "maturity": "draft", "created": stamp, "updated": stamp,
            "source": {"by": f"person:{commit['author']}", "commit": commit["sha"][:12],
                       "files": commit["files"][:50]}}
    item = from_mapping(meta, commit.get("body", ""), commit["path"])
    target = file_for(root, commit["path"])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(item), encoding="utf-8")


class Replay:
    """One repository's memory and baselines, grown in commit order."""

    def __init__(self, folder: Path, root: Path) -> None:
        self.commits = read_jsonl(folder / "commits.jsonl")
        self.memory = Memory.init(root, as_root=True, autocommit=False)
        self.hook = inject.options(self.memory.ws.settings)
        self.index_of = {c["path"]: c["i"] for c in self.commits}
        self.bm25, self.grep, self.files = BM25(Analyzer()), Grep(), Files()
        self.size = 0

    def grow(self, visible: int) -> None:
        while self.size < visible:
            commit = self.commits[self.size]
            write_entry(self.memory.root, commit)
            self.bm25.add(entry_text(commit))
            self.grep.add(entry_text(commit))
            self.files.add(commit["files"])
            self.size += 1
        open_index(self.memory.root).sync()  # outside the timed query

    def ask(self, query: dict[str, Any], variant: str) -> tuple[dict[str, list[int]], float]:
        """Every system's ranking for one query and variant, and memtree's query time (ms)."""
        text, deep = asked(query, variant), DEPTH + len(query["ignore"])
        now = dt.datetime.fromtimestamp(query["time"], dt.UTC)
        if variant == FILE_VARIANT:
            return self.ask_with_files(query, text, deep, now)
        started = time.perf_counter()
        result = self.memory.query(text, limit=deep, now=now)
        took = (time.perf_counter() - started) * 1000
        lexical = self.bm25.search(text, max(deep, 200))
        out = {"memtree": [self.index_of[h.path] for h in result.hits],
               "bm25": lexical[:deep], "bm25+recency": fuse_recency(lexical, self.size)[:deep],
               "grep": self.grep.search(text, deep)}
        if variant == "+files":
            out["files"] = self.files.search(query["files"], deep)
        injected = inject.for_prompt(self.memory, text, self.hook, (), now=now)
        out["hook"] = [self.index_of[i["path"]] for i in injected.items]
        return out, took


    def ask_with_files(self, query: dict[str, Any], text: str, deep: int,
                       now: dt.datetime) -> tuple[dict[str, list[int]], float]:
        """memtree with the query's files as touched files: its ranking, the prompt hook, and
        the file hook fed one file at a time (each entry once)."""
        files = query["files"][:20]
        started = time.perf_counter()
        result = touched.search(self.memory.ws, text, files, limit=deep, now=now)
        took = (time.perf_counter() - started) * 1000
        injected = inject.for_prompt(self.memory, text, self.hook, (), now=now, files=files)
        given: list[str] = []  # paths
        seen: set[str] = set()  # ids
        for file in files:
            shot = files_context.for_files(self.memory, [file], self.hook, seen)
            seen.update(shot.ids)
            given += [i["path"] for i in shot.items]
        return {"memtree": [self.index_of[h.path] for h in result.hits],
                "hook": [self.index_of[i["path"]] for i in injected.items],
                "file_hook": [self.index_of[p] for p in given]}, took


def run_repository(folder: Path, settings: tuple[str, ...], every: int) -> dict[str, Any]:
    """{setting: {variant: {system: metrics}}} for one repository."""
    queries = [q for q in read_jsonl(folder / "queries.jsonl") if q["setting"] in settings]
    chosen: list[dict[str, Any]] = []
    for setting in settings:
        mine = sorted((q for q in queries if q["setting"] == setting), key=lambda q: (q["visible"], q["i"]))
        chosen += mine[::every]
    chosen.sort(key=lambda q: (q["visible"], q["i"], q["setting"]))
    rows: dict[tuple[str, str, str], list[dict[str, float]]] = defaultdict(list)
    hook: dict[tuple[str, str], list[float | None]] = defaultdict(list)
    files_hook: dict[tuple[str, str], list[tuple[float | None, int]]] = defaultdict(list)
    times: dict[tuple[str, str], list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="memtree-coding-") as tmp:
        replay = Replay(folder, Path(tmp) / "memory")
        for n, query in enumerate(chosen, 1):
            replay.grow(query["visible"])
            for variant in VARIANTS:
                ranked, took = replay.ask(query, variant)
                key = (query["setting"], variant)
                times[key].append(took)
                hook[key].append(precision(ranked.pop("hook"), query["gold"]))
                if "file_hook" in ranked:
                    given = ranked.pop("file_hook")
                    files_hook[key].append((precision(given, query["gold"]), len(given)))
                for system, order in ranked.items():
                    rows[(*key, system)].append(score(order, query["gold"], query["ignore"]))
            if n % 100 == 0:
                print(f"  {folder.name}: {n}/{len(chosen)} queries", file=sys.stderr, flush=True)
    return summarise(settings, rows, hook, times, files_hook)


def summarise(settings: tuple[str, ...], rows: dict[tuple[str, str, str], list[dict[str, float]]],
              hook: dict[tuple[str, str], list[float | None]],
              times: dict[tuple[str, str], list[float]],
              files_hook: dict[tuple[str, str], list[tuple[float | None, int]]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for setting in settings:
        for variant in VARIANTS:
            cell = out.setdefault(setting, {}).setdefault(variant, {})
            for system in SYSTEMS:
                if rows.get((setting, variant, system)):
                    cell[system] = mean(rows[(setting, variant, system)])
            if "memtree" not in cell:
                continue
            made = [p for p in hook[(setting, variant)] if p is not None]
            cell["memtree"]["hook_precision"] = sum(made) / len(made) if made else 0.0
            cell["memtree"]["hook_share"] = len(made) / len(hook[(setting, variant)])
            cell["memtree"]["hook_hit"] = sum(1 for p in made if p > 0) / len(hook[(setting, variant)])
            cell["memtree"]["ms"] = statistics.median(times[(setting, variant)])
            cell["memtree"]["queries"] = len(rows[(setting, variant, "memtree")])
            given = files_hook.get((setting, variant))
            if given:
                made = [p for p, _ in given if p is not None]
                cell["memtree"]["file_hook_precision"] = sum(made) / len(made) if made else 0.0
                cell["memtree"]["file_hook_share"] = len(made) / len(given)
                cell["memtree"]["file_hook_entries"] = sum(n for _, n in given) / len(given)
    return out


def table(name: str, found: dict[str, Any], every: int) -> str:
    lines = [f"## {name}" + (f" (every {every}th query, replay order kept)" if every > 1 else "")]
    for setting, variants in found.items():
        count = variants["text"]["memtree"]["queries"]
        lines += ["", f"### {setting} ({count} queries)", "",
                  "| system | query | " + " | ".join(m.upper() for m in METRICS) + " |",
                  "|---|---|" + "---|" * len(METRICS)]
        for system in SYSTEMS:
            for variant, cells in variants.items():
                if system in cells:
                    values = " | ".join(f"{cells[system][m]:.3f}" for m in METRICS)
                    lines.append(f"| {system} | {variant} | {values} |")
        for variant, cells in variants.items():
            mem = cells["memtree"]
            lines.append(f"\nhook ({variant}): precision {mem['hook_precision']:.3f} where it injects, "
                         f"injects for {mem['hook_share']:.0%} of prompts, earlier work on the same problem "
                         f"for {mem['hook_hit']:.0%}; memtree query p50 {mem['ms']:.1f} ms")
            if "file_hook_share" in mem:
                lines.append(f"file hook ({variant}): precision {mem['file_hook_precision']:.3f} "
                             f"where it injects, injects for {mem['file_hook_share']:.0%} of "
                             f"queries, {mem['file_hook_entries']:.2f} entries a query")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--every", type=int, default=1, help="ask every n-th query (replay order kept)")
    parser.add_argument("--setting", choices=SETTINGS, action="append", help="default: both")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--set", action="append", default=[], metavar="MODULE.NAME=VALUE",
                        help="override a ranking constant for an ablation, as in locomo.py")
    args = parser.parse_args(argv)
    if args.every < 1:
        parser.error("--every: must be 1 or more")
    for item in args.set:
        override(item)
    settings = tuple(args.setting or SETTINGS)
    found: dict[str, Any] = {}
    for folder in repositories(args.data):
        started = time.perf_counter()
        found[folder.name] = run_repository(folder, settings, args.every)
        print(table(folder.name, found[folder.name], args.every), flush=True)
        print(f"\n({folder.name}: {time.perf_counter() - started:.0f} s)\n", flush=True)
    if args.json:
        data = next(iter(found.values())) if len(found) == 1 else found
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
