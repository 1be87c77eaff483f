"""The Open Knowledge Format: markdown concept files with YAML frontmatter (`type`, `title`,
`description`, `tags`, `timestamp`), plus `index.md` and `log.md`. Each entry keeps memtree's own
frontmatter whole, as text, in `memtree_frontmatter`, so the import rebuilds the file byte for
byte; values are written as JSON strings or lists (valid YAML), and read back the same way.
`_index.md` summaries travel as they are."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..entries import codec

FRONT = re.compile(r"\A---\n(.*?\n)---\n(.*)\Z", re.S)
KEEP = "memtree_frontmatter"


def write(files: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    lines = ["# Index", ""]
    for rel, text in files.items():
        match = FRONT.match(text)
        if rel.endswith("_index.md") or match is None:
            out[rel] = text
            continue
        item = codec.parse(text, rel.removesuffix(".md"))
        meta = {"type": item.type, "title": item.title, "description": item.summary,
                "tags": list(item.tags), "timestamp": item.updated or item.created,
                KEEP: match.group(1)}
        head = "".join(f"{k}: {json.dumps(v, ensure_ascii=False)}\n" for k, v in meta.items())
        out[rel] = f"---\n{head}---\n{match.group(2)}"
        lines.append(f"- [{item.title}]({rel})")
    out["index.md"] = "\n".join(lines) + "\n"
    out["log.md"] = "# Log\n\n- exported from memtree\n"
    return out


def read(folder: Path) -> tuple[dict[str, str], list[dict[str, str]]]:
    files: dict[str, str] = {}
    reported: list[dict[str, str]] = []
    for file in sorted(folder.rglob("*.md")):
        rel = file.relative_to(folder).as_posix()
        if rel in ("index.md", "log.md"):
            continue
        text = file.read_text(encoding="utf-8")
        if rel.endswith("_index.md"):
            files[rel] = text
            continue
        match = FRONT.match(text)
        meta = _meta(match.group(1)) if match else {}
        kept = meta.get(KEEP)
        if match is None or not isinstance(kept, str):
            reported.append({"path": rel, "message": "an OKF concept not written by memtree",
                             "fix": f"memtree add TITLE --path DOMAIN/TOPIC --file {file}"})
            continue
        files[rel] = f"---\n{kept}---\n{match.group(2)}"
    return files, reported


def _meta(head: str) -> dict[str, object]:
    meta: dict[str, object] = {}
    for line in head.splitlines():
        key, sep, value = line.partition(": ")
        if sep:
            try:
                meta[key] = json.loads(value)
            except ValueError:
                meta[key] = value
    return meta
