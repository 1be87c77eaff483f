"""Context packs: the best entries for a prompt, cut to a token budget, each saying why.

Deterministic for the same tree and query. Reads only.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .model import Hit

if TYPE_CHECKING:
    from .memory import Memory


def estimate_tokens(text: str) -> int:
    """A cheap, deterministic token estimate (about four characters a token)."""
    return (len(text) + 3) // 4


@dataclass(frozen=True)
class PackItem:
    path: str
    id: str
    title: str
    tier: str
    score: float
    why: str
    tokens: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in
                ("path", "id", "title", "tier", "score", "why", "tokens", "text")}


@dataclass(frozen=True)
class Pack:
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
        return "\n\n".join(i.text for i in self.items)

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "budget": self.budget, "tokens": self.tokens,
                "escalate": self.escalate, "items": [i.to_dict() for i in self.items],
                "omitted": list(self.omitted), "text": self.text}


def build(memory: Memory, text: str, budget: int = 800, limit: int = 8,
          exclude: Collection[str] = ()) -> Pack:
    """Pack the top hits for `text` into `budget` tokens, skipping ids in `exclude`."""
    result = memory.query(text, limit=limit * 2)
    items: list[PackItem] = []
    omitted: list[str] = []
    used = 0
    for hit in result.hits:
        if hit.id in exclude or len(items) >= limit:
            continue
        block = _block(memory, hit)
        cost = estimate_tokens(block)
        if used + cost > budget:
            block = _short_block(hit)
            cost = estimate_tokens(block)
            if used + cost > budget:
                omitted.append(hit.path)
                continue
        items.append(PackItem(hit.path, hit.id, hit.title, hit.tier.value, hit.score,
                              hit.why, cost, block))
        used += cost
    return Pack(text, budget, tuple(items), result.escalate, tuple(omitted))


def _block(memory: Memory, hit: Hit) -> str:
    entry = memory.get(hit.path)
    body = entry.body.strip()
    head = f"## {entry.title} ({entry.path}.md)"
    return "\n".join(x for x in (head, entry.summary, body) if x)


def _short_block(hit: Hit) -> str:
    return "\n".join(x for x in (f"## {hit.title} ({hit.path}.md)", hit.summary) if x)
