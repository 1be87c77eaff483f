"""Notes benchmark: a memory of reference notes, one per manual page installed on the machine.

A third kind of memory beside conversations (locomo.py) and commit history (coding.py): separate
notes on many topics, no dates, no order, no authors, written in one sitting. It is built at run
time from the section-1 manual pages under `--man` (default /usr/share/man/man1; their text is
not copied into the repository): each page becomes a `reference` note titled with its command,
whose body is its DESCRIPTION section (the first 1,500 characters), filed under
`commands/<first letter>/`. The question is the page's one-line summary from its NAME section
(`copy files and directories`, what `apropos` searches), which the note does not contain: the
gold is every page with that summary. Pages are sorted by file name and every `--every`-th kept.
memtree (`Memory.query`, limit 50) is scored beside plain BM25 (title, body and path, as in
coding.py), and the prompt hook's choice (agents/inject.py) by its precision and how often it
injects. The set depends on the packages installed: the output names its size and a digest.

    python benchmarks/notes.py [--man DIR] [--every 4] [--json OUT] [--dump OUT.jsonl]
                               [--set MODULE.NAME=VALUE]

`--dump` writes one line per question: its gold commands, the first gold rank of each system
(0: not in the first 50) and each system's first five commands, to study where they differ.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from coding_systems import BM25, Analyzer, mean, precision, score  # noqa: E402
from locomo import override  # noqa: E402

from memtree import Memory  # noqa: E402
from memtree.agents import inject  # noqa: E402
from memtree.entries.codec import from_mapping, render  # noqa: E402
from memtree.entries.layout import file_for  # noqa: E402

DEPTH = 50
BODY_CHARS = 1500
STAMP = "2026-01-01T00:00:00Z"  # one sitting: every note written at once
FONT_RE = re.compile(r"\\f(?:\[[^\]]*\]|\(..|.)")
ESCAPES = ((r"\-", "-"), (r"\(em", "-"), (r"\(en", "-"), (r"\(aq", "'"), (r"\(lq", '"'),
           (r"\(rq", '"'), (r"\&", ""), (r"\e", "\\"), (r"\ ", " "), (r"\%", ""), (r"\|", ""))
TEXT_MACROS = {".B", ".I", ".BR", ".IR", ".RB", ".RI", ".BI", ".IB", ".SM", ".SB"}


def plain(line: str) -> str:
    """One roff line as text: font changes dropped, common escapes replaced."""
    for raw, text in ESCAPES:
        line = line.replace(raw, text)
    return FONT_RE.sub("", line).replace("\\", "")


def sections(source: str) -> dict[str, str]:
    """The page's sections by name (`NAME`, `DESCRIPTION`, …) as plain text."""
    out: dict[str, list[str]] = defaultdict(list)
    current = ""
    for line in source.splitlines():
        if line.startswith((".SH", ".Sh")):
            current = plain(line[3:]).strip().strip('"').upper()
            continue
        if line.startswith(("'", ".\\\"")) or not current:
            continue
        if line.startswith("."):
            macro, _, rest = line.partition(" ")
            if macro not in TEXT_MACROS:
                continue
            line = rest.replace('"', "")
        out[current].append(plain(line))
    return {k: re.sub(r"\s+", " ", " ".join(v)).strip() for k, v in out.items()}


def page(file: Path) -> dict[str, str] | None:
    """A note and its question from one page, or None (a redirect, no summary, too short)."""
    try:
        source = gzip.decompress(file.read_bytes()).decode("utf-8", "replace") \
            if file.suffix == ".gz" else file.read_text(encoding="utf-8", errors="replace")
    except (OSError, EOFError, gzip.BadGzipFile):
        return None
    if source.lstrip().startswith(".so "):
        return None
    found = sections(source)
    name = found.get("NAME", "")
    command, dash, summary = name.partition(" - ")
    if not dash:
        return None
    body = found.get("DESCRIPTION", "")[:BODY_CHARS]
    command = command.split(",")[0].strip()
    if len(summary.split()) < 3 or len(body) < 100 or not re.fullmatch(r"[\w.+-]+", command):
        return None
    return {"command": command, "summary": summary.strip().rstrip("."), "body": body}


def corpus(man: Path, every: int) -> list[dict[str, str]]:
    files = sorted(p for p in man.iterdir() if p.is_file())
    notes = [n for n in (page(f) for f in files) if n]
    seen: set[str] = set()
    out = []
    for note in notes:  # one note per command (a page can be installed under two names)
        if note["command"] not in seen:
            seen.add(note["command"])
            out.append(note)
    return out[::every]


def rel_of(note: dict[str, str]) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", note["command"].lower()).strip("-") or "page"
    return f"commands/{slug[0]}/{slug}"


def build(notes: list[dict[str, str]], root: Path) -> tuple[Memory, BM25, dict[str, int]]:
    memory = Memory.init(root, as_root=True, autocommit=False)
    bm25 = BM25(Analyzer())
    index_of: dict[str, int] = {}
    for n, note in enumerate(notes):
        rel = rel_of(note)
        meta = {"id": f"n{n:05d}", "title": note["command"], "type": "reference",
                "created": STAMP, "updated": STAMP, "source": {"by": "person:manual"}}
        target = file_for(root, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(from_mapping(meta, note["body"], rel)), encoding="utf-8")
        bm25.add(f"{note['command']}\n{note['body']}\n{rel.replace('/', ' ')}")
        index_of[rel] = n
    memory.reindex()
    return memory, bm25, index_of


def first_rank(ranked: list[int], gold: list[int]) -> int:
    return next((n for n, i in enumerate(ranked, 1) if i in gold), 0)


def run(notes: list[dict[str, str]], dump: Path | None = None) -> dict[str, Any]:
    gold_of: dict[str, list[int]] = defaultdict(list)
    for n, note in enumerate(notes):
        gold_of[note["summary"].lower()].append(n)
    rows: dict[str, list[dict[str, float]]] = defaultdict(list)
    hook: list[float | None] = []
    took: list[float] = []
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="memtree-notes-") as tmp:
        memory, bm25, index_of = build(notes, Path(tmp) / "memory")
        options = inject.options(memory.ws.settings)
        for summary, gold in gold_of.items():
            started = time.perf_counter()
            hits = memory.query(summary, limit=DEPTH).hits
            took.append((time.perf_counter() - started) * 1000)
            ranked = {"memtree": [index_of[h.path] for h in hits],
                      "bm25": bm25.search(summary, DEPTH)}
            for system, found in ranked.items():
                rows[system].append(score(found, gold, []))
            if dump:
                lines.append(json.dumps({
                    "question": summary, "gold": [notes[g]["command"] for g in gold],
                    **{f"{s}_rank": first_rank(r, gold) for s, r in ranked.items()},
                    **{f"{s}_top": [notes[i]["command"] for i in r[:5]] for s, r in ranked.items()}}))
            chosen = inject.for_prompt(memory, summary, options, ())
            hook.append(precision([index_of[i["path"]] for i in chosen.items], gold))
    if dump:
        dump.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    made = [p for p in hook if p is not None]
    names = "\n".join(n["command"] for n in notes).encode()
    return {"notes": len(notes), "questions": len(gold_of),
            "digest": hashlib.sha256(names).hexdigest()[:12],
            **{system: mean(found) for system, found in rows.items()},
            "hook_precision": round(sum(made) / len(made), 4) if made else 0.0,
            "hook_share": round(len(made) / len(hook), 4) if hook else 0.0,
            "hook_hit": round(sum(1 for p in made if p > 0) / len(hook), 4) if hook else 0.0,
            "query_ms_mean": round(sum(took) / len(took), 2) if took else 0.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--man", type=Path, default=Path("/usr/share/man/man1"))
    parser.add_argument("--every", type=int, default=1, help="keep every n-th page")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--dump", type=Path, help="write each question's ranks here (JSON lines)")
    parser.add_argument("--set", action="append", default=[], metavar="MODULE.NAME=VALUE",
                        help="override a ranking constant, as in locomo.py")
    args = parser.parse_args(argv)
    if args.every < 1:
        parser.error("--every: must be 1 or more")
    if not args.man.is_dir():
        parser.error(f"--man {args.man}: not a folder")
    for item in args.set:
        override(item)
    report = run(corpus(args.man, args.every), args.dump)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
