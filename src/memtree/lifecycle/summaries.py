"""`_index.md` summaries of domains and topics, generated from their entries, with a hash of the
children so a summary is known stale when they change. Builds text; store.py writes it.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..entries import codec, layout as tree, store
from ..errors import InvalidEntry
from ..model import Entry, Status

START = "<!-- memtree:summary:start -->"
END = "<!-- memtree:summary:end -->"
HASH_KEY = "children_hash"


@dataclass(frozen=True)
class Summary:
    folder: str  # `domain` or `domain/topic[/subtopic]`
    entries: int
    hash: str
    state: str  # fresh | stale | missing | unhashed

    def to_dict(self) -> dict[str, Any]:
        return {"folder": self.folder, "entries": self.entries, "hash": self.hash, "state": self.state}


def folders(entries: list[Entry]) -> dict[str, list[Entry]]:
    """Every domain, topic and subtopic folder with the active entries beneath it."""
    out: dict[str, list[Entry]] = defaultdict(list)
    for item in entries:
        if item.status is not Status.ACTIVE or item.path.startswith(tree.ARCHIVE_DIR + "/"):
            continue
        parts = item.path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            out["/".join(parts[:depth])].append(item)
    return dict(sorted(out.items()))


def children_hash(entries: list[Entry]) -> str:
    """Changes whenever an entry beneath is added, removed, renamed or updated."""
    rows = sorted(f"{e.path}\t{e.id}\t{e.title}\t{e.summary}\t{e.updated}" for e in entries)
    return hashlib.sha256("\n".join(rows).encode("utf-8")).hexdigest()[:16]


def read(root: Path, folder: str) -> tuple[dict[str, Any], str] | None:
    file = root / folder / tree.INDEX_FILE
    if not file.is_file():
        return None
    try:
        return codec.split_meta(store.read_text(file), f"{folder}/{tree.INDEX_FILE}")
    except InvalidEntry:
        return None


def states(root: Path, entries: list[Entry]) -> list[Summary]:
    out = []
    for folder, members in folders(entries).items():
        digest = children_hash(members)
        found = read(root, folder)
        if found is None:
            state = "missing"
        elif HASH_KEY not in found[0]:
            state = "unhashed"
        else:
            state = "fresh" if str(found[0][HASH_KEY]) == digest else "stale"
        out.append(Summary(folder, len(members), digest, state))
    return out


def render(folder: str, members: list[Entry], existing: tuple[dict[str, Any], str] | None,
           score: Callable[[Entry], float], top: int = 5) -> str:
    """The `_index.md` text: kept human fields and prose, a regenerated block between markers."""
    meta, body = existing if existing else ({}, "")
    ranked = sorted(members, key=lambda e: (-score(e), e.path))[:top]
    auto = meta.get("auto_summary") is True or not meta.get("summary")
    titles = "; ".join(e.title for e in ranked[:3])
    fields: dict[str, Any] = dict(meta)
    fields["title"] = meta.get("title") or folder.rsplit("/", 1)[-1].replace("-", " ").capitalize()
    if auto:
        fields["summary"] = f"{len(members)} entries, notably: {titles}"[:240]
        fields["auto_summary"] = True
    fields["entries"] = len(members)
    fields[HASH_KEY] = children_hash(members)
    lines = [f"{len(members)} entries. Most important:"]
    lines += [f"- [[{e.path}]] {e.title}" + (f": {e.summary}" if e.summary else "") for e in ranked]
    block = "\n".join([START, *lines, END])
    if START in body and END in body:
        before, _, rest = body.partition(START)
        new_body = before + block + rest.partition(END)[2]
    else:
        new_body = (body.rstrip("\n") + "\n\n" if body.strip() else "") + block + "\n"
    head = "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in fields.items())
    return f"---\n{head}\n---\n{new_body.rstrip(chr(10))}\n"


def regenerate(root: Path, entries: list[Entry], score: Callable[[Entry], float],
               only_stale: bool = True, top: int = 5) -> list[str]:
    """Write `_index.md` for every folder whose summary is missing or stale; returns the files.

    Caller holds the lock.
    """
    written = []
    current = {s.folder: s for s in states(root, entries)}
    for folder, members in folders(entries).items():
        if only_stale and current[folder].state == "fresh":
            continue
        text = render(folder, members, read(root, folder), score, top)
        file = root / folder / tree.INDEX_FILE
        tree.ensure_inside(root, file)
        store.atomic_write(file, text)
        written.append(f"{folder}/{tree.INDEX_FILE}")
    return written
