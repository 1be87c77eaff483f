"""Consolidation proposals as pure functions: merges of near-duplicates, archives of stale
low-importance entries, and links between entries that mention each other. No I/O; carrying a
proposal out is Memory's job (one write each).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..entries.codec import wikilinks
from ..model import Entry, Maturity, Status
from . import scores as lifecycle
from .scores import Params, Usage

TOKEN_RE = re.compile(r"[a-z0-9]+")
SHINGLE = 3  # words per shingle


@dataclass(frozen=True)
class Proposal:
    """One change consolidation suggests: merge `other` into `path`, archive `path`, or link."""

    kind: str  # merge | archive | link
    path: str
    reason: str
    other: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.path, "other": self.other, "reason": self.reason}


def shingles(text: str, size: int = SHINGLE) -> set[str]:
    words = TOKEN_RE.findall(text.lower())
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def _doc(item: Entry) -> str:
    return f"{item.title} {item.summary} {item.body}"


def _keep_first(a: Entry, b: Entry, score: Mapping[str, float]) -> tuple[Entry, Entry]:
    """Which of two near-duplicates survives: pinned, then core, then importance, then older."""
    def rank(e: Entry) -> tuple[bool, bool, float, str]:
        return (e.pinned, e.maturity is Maturity.CORE, score[e.path], _neg(e.created))
    return (a, b) if rank(a) >= rank(b) else (b, a)


def _neg(stamp: str) -> str:
    # older created stamps rank higher: invert the characters so max() prefers the earlier date
    return "".join(chr(255 - ord(c)) for c in stamp)


def merges(entries: list[Entry], score: Mapping[str, float], threshold: float) -> list[Proposal]:
    sets = {e.path: shingles(_doc(e)) for e in entries}
    by_shingle: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(entries):
        for piece in sets[item.path]:
            by_shingle[piece].append(i)
    shared: Counter[tuple[int, int]] = Counter()
    for members in by_shingle.values():
        if len(members) < 50:  # a shingle in very many entries says nothing about duplication
            for x in range(len(members)):
                for y in range(x + 1, len(members)):
                    shared[(members[x], members[y])] += 1
    out, used = [], set()
    for (i, j), common in sorted(shared.items()):
        a, b = entries[i], entries[j]
        union = len(sets[a.path] | sets[b.path])
        similarity = common / union if union else 0.0
        if similarity < threshold or a.path in used or b.path in used or (a.pinned and b.pinned):
            continue
        keep, drop = _keep_first(a, b, score)
        used |= {a.path, b.path}
        out.append(Proposal("merge", keep.path, f"near-duplicate ({similarity:.0%} shared text)",
                            drop.path))
    return out


def archives(entries: list[Entry], score: Mapping[str, float], now: dt.datetime,
             params: Params) -> list[Proposal]:
    out = []
    for item in entries:
        if item.pinned or item.maturity is Maturity.CORE:
            continue
        days = lifecycle.age_days(item, now)
        if score[item.path] < params.archive_below and days >= params.stale_days:
            out.append(Proposal("archive", item.path,
                                f"importance {score[item.path]:.0f} < {params.archive_below:.0f}, "
                                f"not updated for {days:.0f} days"))
    return out


def _names(item: Entry, shortest: float) -> list[str]:
    return [n.lower() for n in (item.title, *item.aliases) if len(n) >= shortest]


def _mentions(body: str, name: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])", body) is not None


def links(entries: list[Entry], skip: set[frozenset[str]], shortest: float) -> list[Proposal]:
    """A link proposal for each entry whose body mentions another's title or alias. Each name
    is filed under its rarest word, so an entry is checked only against the names whose every
    word its body has (linear in the entries, where comparing every pair took 20 s at 10,000)."""
    out = []
    names = {e.path: [(n, set(TOKEN_RE.findall(n))) for n in _names(e, shortest)] for e in entries}
    seen = Counter(w for found in names.values() for _, words in found for w in words)
    filed: dict[str, set[int]] = defaultdict(set)  # a word -> the entries with a name keyed on it
    wordless: set[int] = set()  # names without a word: checked against every body
    for n, other in enumerate(entries):
        for _, words in names[other.path]:
            if words:
                filed[min(words, key=lambda w: (seen[w], w))].add(n)
            else:
                wordless.add(n)
    for item in entries:
        body = item.body.lower()
        body_words = set(TOKEN_RE.findall(body))
        linked = {r.target for r in item.relations} | set(wikilinks(item.body))
        candidates = set(wordless).union(*(filed.get(w, ()) for w in body_words))
        for n in sorted(candidates):
            other = entries[n]
            if other is item or {other.path, other.id} & linked:
                continue
            if frozenset((item.path, other.path)) in skip:
                continue
            for name, name_words in names[other.path]:
                if name_words <= body_words and name in body and _mentions(body, name):
                    out.append(Proposal("link", item.path, f"mentions {name!r}", other.path))
                    break
    return out


def propose(entries: list[Entry], totals: Mapping[tuple[str, str], int], now: dt.datetime,
            params: Params = lifecycle.DEFAULT) -> list[Proposal]:
    """Every consolidation proposal for the active entries at `now`, merges first."""
    active = [e for e in entries if e.status is Status.ACTIVE]
    score = {e.path: lifecycle.importance(e, now, Usage.of(totals, e.id), params) for e in active}
    merged = merges(active, score, params.merge_similarity)
    gone = {p.other for p in merged}
    rest = [e for e in active if e.path not in gone]
    archived = archives(rest, score, now, params)
    gone |= {p.path for p in archived}
    pairs = {frozenset((p.path, p.other)) for p in merged}
    linked = links([e for e in rest if e.path not in gone], pairs, params.link_min_chars)
    return [*merged, *archived, *linked]
