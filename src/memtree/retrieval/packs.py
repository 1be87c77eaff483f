"""Context packs: the best entries for a prompt, cut to a token budget, each saying why.

Deterministic for the same tree and query. Reads only.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import field

from ..entries import store
from ..model import Entry, Hit
from ..record import Record, record
from .scopes import query, root_of

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    import datetime as dt
    from typing import Any

    from ..config import Workspace


def estimate_tokens(text: str) -> int:
    """A cheap, deterministic token estimate (about four characters a token)."""
    return (len(text) + 3) // 4


@record
class PackItem(Record):
    """One entry in a pack: why it was chosen, and its text as cut to the budget."""

    path: str
    id: str
    title: str
    tier: str
    score: float
    why: str
    tokens: int
    text: str
    scope: str = "project"

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in
                ("path", "id", "title", "tier", "score", "why", "tokens", "text", "scope")}


@record
class Pack(Record):
    """The entries for one query within a token budget, and those left out."""

    query: str
    budget: int
    items: tuple[PackItem, ...] = ()
    escalate: bool = False
    omitted: tuple[str, ...] = field(default=())

    @property
    def tokens(self) -> int:
        return sum(i.tokens for i in self.items)

    @property
    def text(self) -> str:
        """The pack as an agent reads it: framed as data (framing.py)."""
        from ..framing import frame

        return frame(i.text for i in self.items)

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "budget": self.budget, "tokens": self.tokens,
                "escalate": self.escalate, "items": [i.to_dict() for i in self.items],
                "omitted": list(self.omitted), "text": self.text}


MIN_ITEM_TOKENS = 24  # below this a cut entry says too little to be worth its path line


def build(ws: Workspace, text: str, budget: int = 800, limit: int = 8,
          exclude: Collection[str] = (), now: dt.datetime | None = None,
          min_evidence: float = 0.0, files: Sequence[str] = (), min_score: float = 0.0,
          margin: float = 1.0) -> Pack:
    """Pack the top hits for `text` into `budget` tokens, skipping ids in `exclude`.

    Hits come best first (ties by path), so the same tree and query give the same pack. An
    entry too long for what is left is cut at a word boundary; one that cannot keep even its
    heading and a few words is left out and named in `omitted`. `files` (project files the
    agent has open) rank as a signal of their own (touched.py).

    The gate (`leading`): hits are taken in rank order while each holds at least `min_evidence`
    of the query's information (full-text hits; the share, idf-weighted, held in its own
    fields), scores at least `min_score` and within `margin` of the first hit's score; the first
    hit that fails ends the pack, since every hit below it ranks lower still. The defaults gate
    nothing.
    """
    if files:
        from .touched import search

        result = search(ws, text, files, limit * 2, now)
    else:
        result = query(ws, text, limit=limit * 2, now=now)
    hits = leading(result.hits, min_evidence, min_score, margin)
    items: list[PackItem] = []
    omitted: list[str] = []
    used = 0
    labels = _entries(ws, [h.path for h in hits])
    for hit in hits:
        if hit.id in exclude:
            continue
        if len(items) >= limit:
            omitted.append(hit.path)
            continue
        item = labels.get(hit.path) or Entry(id=hit.id, title=hit.title, path=hit.path)
        block = _framed(item, _block(ws, hit), budget - used)
        if block is None:
            omitted.append(hit.path)
            continue
        cost = estimate_tokens(block)
        items.append(PackItem(hit.path, hit.id, hit.title, hit.tier.value, round(hit.score, 4),
                              hit.why, cost, block, hit.scope))
        used += cost
    return Pack(text, budget, tuple(items), result.escalate, tuple(omitted))


def leading(hits: Sequence[Hit], min_evidence: float = 0.0, min_score: float = 0.0,
            margin: float = 1.0) -> list[Hit]:
    """The hits ahead of the first that fails the gate: evidence (full-text hits) at least
    `min_evidence`, score at least `min_score` and at least (1 - `margin`) x the first hit's.
    A pack never reaches past a weak hit to a lower one: on the coding benchmark the entries
    once taken from below a failing hit were earlier work on the same problem 10-17 % of the
    time, the first hit 38-67 % (benchmarks/RESULTS.md)."""
    if not hits:
        return []
    floor = max(min_score, (1.0 - margin) * hits[0].score)
    out = []
    for hit in hits:
        if hit.score < floor or dict(hit.parts).get("evidence", 1.0) < min_evidence:
            break
        out.append(hit)
    return out


def _entries(ws: Workspace, paths: list[str]) -> dict[str, Entry]:
    """The hits' frontmatter from the index (author and provenance label each block)."""
    from ..index.db import open_index

    if not paths:
        return {}
    found = open_index(ws.root).entries(f"path IN ({','.join('?' * len(paths))})", paths)
    return {e.path: e for e in found}


def _framed(item: Entry, text: str, room: int) -> str | None:
    """`text` cut to fit `room` tokens with its label, labelled (framing.entry_block)."""
    from ..framing import entry_block

    overhead = estimate_tokens(entry_block(item, ""))
    cut = _fit(text, room - overhead)
    return entry_block(item, cut) if cut is not None else None


def _block(ws: Workspace, hit: Hit) -> str:
    body = store.read_body(root_of(ws.root, hit), hit.path)  # title and summary come with the hit
    where = f"{hit.path}.md" + (f", {hit.scope}" if hit.scope != "project" else "")
    head = f"## {hit.title} ({where})"
    return "\n".join(x for x in (head, hit.summary.strip(), body.strip()) if x)


def _fit(block: str, room: int) -> str | None:
    """The block itself if it fits in `room` tokens, else cut at a word boundary, or None."""
    if estimate_tokens(block) <= room:
        return block
    if room < MIN_ITEM_TOKENS:
        return None
    cut = block[: room * 4 - 4]
    head, _, rest = cut.partition("\n")
    if not rest:
        return None
    rest = rest.rsplit(None, 1)[0] if " " in rest else rest
    return f"{head}\n{rest.rstrip()} …"
