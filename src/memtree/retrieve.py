"""The retrieval tiers: exact path/id/glob, then keyword on titles, aliases and tags,
then word overlap over bodies. Reads only; never writes an entry file.
"""

from __future__ import annotations

import fnmatch
import re
import time
from typing import TYPE_CHECKING

from .model import Entry, Hit, Result, Status, Tier

if TYPE_CHECKING:
    from .memory import Memory

WORD_RE = re.compile(r"[a-z0-9]+")
STOP = frozenset(
    "a an and are as at be by do does for from how i in is it of on or the to we what when where "
    "which who why with".split()
)


def words(text: str) -> list[str]:
    return [w for w in WORD_RE.findall(text.lower()) if w not in STOP]


def query(memory: Memory, text: str, limit: int = 10, include_all: bool = False) -> Result:
    started = time.perf_counter()
    entries, _ = memory.load(archived=include_all)
    if not include_all:
        entries = [e for e in entries if e.status is Status.ACTIVE]
    hits = _path_tier(entries, text) or _keyword_tier(entries, text)
    hits = sorted(hits, key=lambda h: (-h.score, h.path))[:limit]
    took = (time.perf_counter() - started) * 1000
    confidence = hits[0].score if hits else 0.0
    return Result(text, tuple(hits), confidence, confidence < 0.5, "", took)


def _hit(item: Entry, tier: Tier, score: float, why: str) -> Hit:
    return Hit(item.path, item.id, item.title, tier, score, why, item.summary, item.type,
               item.status.value)


def _path_tier(entries: list[Entry], text: str) -> list[Hit]:
    ref = text.strip().removesuffix(".md")
    out = []
    for item in entries:
        if ref in (item.path, item.id) or (
            any(c in ref for c in "*?[") and fnmatch.fnmatch(item.path, ref.replace("**", "*"))
        ):
            out.append(_hit(item, Tier.PATH, 1.0, f"exact match on {ref!r}"))
    return out


def _keyword_tier(entries: list[Entry], text: str) -> list[Hit]:
    asked = set(words(text))
    if not asked:
        return []
    out = []
    for item in entries:
        names = set(words(" ".join((item.title, *item.aliases, *item.tags))))
        body = set(words(item.summary + " " + item.body))
        score = (2 * len(asked & names) + len(asked & body)) / (3 * len(asked))
        if score > 0:
            matched = ", ".join(sorted(asked & (names | body)))
            out.append(_hit(item, Tier.KEYWORD, score, f"words in {matched}"))
    return out
