"""The Open Knowledge Format: markdown concept files with YAML frontmatter (`type`, `title`,
`description`, `tags`, `timestamp`), plus `index.md` and `log.md`. Each entry keeps memtree's own
frontmatter whole, as text, in `memtree_frontmatter`, so the import rebuilds the file byte for
byte. Concepts written elsewhere are adopted (adopt.py); what cannot be is reported, precisely.
`_index.md` summaries travel as they are."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..entries import codec
from ..errors import InvalidEntry

Reading = tuple[dict[str, str], list[dict[str, str]], list[dict[str, Any]]]

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


def read(folder: Path, taken: Callable[[str, str], bool] = lambda _p, _i: False) -> Reading:
    """The files of a bundle: memtree's own rebuilt byte for byte, foreign concepts adopted at a
    free path (`taken(path, id)`: whether another entry than `id` holds that memory path), the
    rest reported with the fix."""
    files: dict[str, str] = {}
    reported: list[dict[str, str]] = []
    adopted: list[dict[str, Any]] = []
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = file.relative_to(folder).as_posix()
        if rel.rsplit("/", 1)[-1] in ("index.md", "log.md") or any(p.startswith(".") for p in rel.split("/")):
            continue
        if not rel.endswith(".md"):
            reported.append({"path": rel, "message": "not a markdown file: not imported",
                             "fix": "copy it beside the memory by hand if it is needed"})
            continue
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            reported.append({"path": rel, "message": "not UTF-8 text: not imported",
                             "fix": f"convert it (iconv -t UTF-8 {file}), then import again"})
            continue
        match = FRONT.match(text)
        kept = (_meta(match.group(1)) if match else {}).get(KEEP)
        if rel.endswith("_index.md") or isinstance(kept, str):
            files[rel] = f"---\n{kept}---\n{match.group(2)}" if isinstance(kept, str) and match else text
            continue
        _adopt(file, rel, text, taken, files, reported, adopted)
    return files, reported, adopted


def _adopt(file: Path, rel: str, text: str, taken: Callable[[str, str], bool], files: dict[str, str],
           reported: list[dict[str, str]], adopted: list[dict[str, Any]]) -> None:
    """A concept written elsewhere, as an entry (or reported with the fix when it cannot be)."""
    from ..imports.draft import stable_id
    from .adopt import adopt, place

    new_id = stable_id(f"okf:{rel}")
    path, notes = place(rel, lambda p: p + ".md" in files or taken(p, new_id), fallback="imported/okf")
    try:
        done = adopt(rel, text, path, new_id, file.stat().st_mtime, "import:okf")
    except InvalidEntry as exc:
        reported.append({"path": rel, "message": f"not adopted: {exc.message}",
                         "fix": f"fix {file} (the line named), then import again"})
        return
    files[path + ".md"] = done.text
    adopted.append({"from": rel, "path": path + ".md", "notes": notes + done.notes})


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
