"""`memtree import --curate` and `memtree import git --curate`: what the zero-LLM importers
found (rules sections, decision records, git episodes) sent through curation (`agents.curate`)
instead of written as entries: the model proposes operations, they are checked and queued for
`memtree review` (or applied with `apply`). The material goes in batches that fit the model's
source window, a bounded number of calls per run; a ledger in `.local/` records each piece (its
stable id and content digest) once curated, so a re-run sends only what is new or changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..entries import local
from ..errors import LLMError, UsageError
from ..imports import service
from . import curate as curating

if TYPE_CHECKING:
    from ..imports.draft import Draft
    from ..memory import Memory

LEDGER = "import-curated.jsonl"
CALLS = 10            # model calls per run, by default
PIECE_CHARS = 6_000   # how much of one piece the model reads


def curate_import(memory: Memory, source: str, since: str | None = None, limit: int = 10_000,
                  apply: bool = False, calls: int = CALLS) -> dict[str, Any]:
    """Send the import's new or changed material through curation, `calls` batches at most."""
    from ..llm.client import resolve

    if calls < 1:
        raise UsageError(f"--calls {calls}: must be at least 1")
    if resolve(memory.ws) is None:
        raise LLMError("import --curate: no model configured ([llm] provider in config.toml; see "
                       "`memtree llm status`); without --curate the import needs no model")
    found = service.pending(memory.ws, source, since, limit)
    done = {(r.get("id"), r.get("digest")) for r in local.records(memory.root, LEDGER)}
    todo = [d for d in found if (d.id, d.digest) not in done]
    batches = _batches(todo)
    results: list[dict[str, Any]] = []
    stopped = ""
    for batch in batches[:calls]:
        try:
            results.append(curating.curate(memory, "\n\n".join(piece(d) for d in batch),
                                           _where(source, batch), apply))
        except LLMError as exc:
            if not results:
                raise
            stopped = str(exc)
            break
        for item in batch:
            local.append(memory.root, LEDGER, {"id": item.id, "digest": item.digest, "key": item.key})
    sent = sum(len(b) for b in batches[:len(results)])
    return {"source": source, "found": len(found), "already_curated": len(found) - len(todo),
            "sent": sent, "left": len(todo) - sent, "calls": results,
            "message": _message(results, len(todo) - sent, stopped, apply)}


def piece(item: Draft) -> str:
    """One piece of material as the model reads it: title, where it came from, summary, body."""
    origin = item.origin
    where = origin.get("file", item.key)
    if origin.get("lines"):
        where += f" lines {origin['lines']}"
    head = f"## {item.title}\n({item.type} from {where}; suggested place {item.folder})"
    text = "\n".join(p for p in (head, item.summary, item.body) if p)
    return text[:PIECE_CHARS]


def _batches(items: list[Draft]) -> list[list[Draft]]:
    out: list[list[Draft]] = []
    size = curating.SOURCE_CHARS
    for item in items:
        length = len(piece(item)) + 2
        if not out or size + length > curating.SOURCE_CHARS:
            out.append([])
            size = 0
        out[-1].append(item)
        size += length
    return out


def _where(source: str, batch: list[Draft]) -> str:
    names = list(dict.fromkeys(d.origin.get("file", d.key) for d in batch))
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"import {source}: {len(batch)} piece(s) from {shown}"


def _message(results: list[dict[str, Any]], left: int, stopped: str, apply: bool) -> str:
    if not results:
        return "nothing new to curate: every piece was curated before (or the source is empty)"
    kept = sum(len(r["operations"]) for r in results)
    refused = sum(len(r["refused"]) for r in results)
    verb = "applied" if apply else "queued for `memtree review`"
    out = f"{len(results)} model call(s): {kept} operation(s) {verb}, {refused} refused"
    if stopped:
        out += f"; stopped early: {stopped}"
    if left:
        out += f"; {left} piece(s) left for the next run"
    return out
