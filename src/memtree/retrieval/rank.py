"""Ranking as pure functions: score = text relevance x lifecycle x relations, explained.

No I/O: takes candidates (entries with their BM25 and matched query terms) and returns Hits
with their score parts. Constants are documented in docs/retrieval.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field

from ..index.source import author_of
from ..lifecycle.scores import DEFAULT, Params, Usage, lifecycle_factor, parse_time
from ..model import Entry, Hit, Status, Tier
from ..record import Record, record
from . import dates

PROXIMITY_GAIN = 0.25    # added to bm25 x the summed idf of query word pairs held close
ACTOR_BONUS = 0.4        # added (x top BM25) to entries whose author the query names
FOLDER_BONUS = 0.0       # added (x top BM25) x how strongly the entry's folder matched (off)
FOLDER_TOP = 3           # a folder's strength: the sum of its best 3 BM25 scores / 3
STRONG = 0.6             # a hit whose text relevance is at least this lends weight to its links
RELATION_GAIN = 0.2      # relations = 1 + gain x the strongest linked hit's text relevance
HIDDEN_FACTOR = 0.5      # superseded/archived entries, when shown at all, rank lower
RECENT_TYPES = frozenset({"episode", "bug"})  # what happened: the newer, the likelier asked for
RECENCY_K = 60           # prior of an entry with n entries updated a day or more after it: K/(K+n)
RECENCY_GAIN = 2.0       # an episode's score is multiplied by (1 + gain x prior) / (1 + gain)
RECENCY_DEPTH = 1000     # entries beyond the newest 1000 count as 1000 newer
DATE_GAIN = 1.0          # a query naming a date: score x (1 + gain x closeness) / (1 + gain)
GAP_FULL = 0.25          # a gap of 25 % between #1 and #2 counts as fully clear
ESCALATE_BELOW = 0.45    # confidence under this: a query would go to the LLM tier


@record
class Candidate(Record):
    """An entry the full-text search found, with its raw BM25, which query terms it holds and
    the summed idf of the consecutive query word pairs it holds close (retrieval.proximity)."""

    entry: Entry
    bm25: float
    matched: frozenset[str] = field(default_factory=frozenset)
    near: float = 0.0


def is_hidden(item: Entry) -> bool:
    return item.status is not Status.ACTIVE or item.path.startswith("_archive/")


def flags(item: Entry) -> tuple[str, ...]:
    out = []
    if item.status is Status.SUPERSEDED:
        target = next((r.target for r in item.relations if r.type == "superseded_by"), "")
        out.append(f"superseded by {target}" if target else "superseded")
    if item.status is Status.ARCHIVED or item.path.startswith("_archive/"):
        out.append("archived")
    return tuple(out)


def folder_of(item: Entry) -> str:
    return item.path.rsplit("/", 1)[0]


def text_scores(cands: Sequence[Candidate], n_terms: int,
                actors: frozenset[str] = frozenset()) -> list[dict[str, float]]:
    """Per candidate, the parts of its text relevance; `text` is scaled so the best is 1.

    relevance = (text + ACTOR_BONUS x [query names its author] + FOLDER_BONUS x folder
    strength) / the best such value, text = (bm25 + PROXIMITY_GAIN x near) / the best such sum.
    Coverage (share of query words held) is reported, not used.
    """
    sums = [c.bm25 + PROXIMITY_GAIN * c.near for c in cands]
    top = max(sums, default=0.0) or 1.0
    folders: dict[str, list[float]] = {}
    for cand, total in sorted(zip(cands, sums, strict=True), key=lambda p: -p[1]):
        folders.setdefault(folder_of(cand.entry), []).append(total / top)
    strength = {f: sum(v[:FOLDER_TOP]) / FOLDER_TOP for f, v in folders.items()}
    best_folder = max(strength.values(), default=0.0) or 1.0
    out = []
    for cand, total in zip(cands, sums, strict=True):
        parts = {"text": total / top, "proximity": cand.near,
                 "coverage": len(cand.matched) / n_terms if n_terms else 1.0,
                 "actor": 1.0 if actors and author_of(cand.entry) in actors else 0.0,
                 "folder": strength[folder_of(cand.entry)] / best_folder}
        parts["raw"] = (parts["text"] + ACTOR_BONUS * parts["actor"]
                        + FOLDER_BONUS * parts["folder"])
        out.append(parts)
    scale = max((p["raw"] for p in out), default=0.0) or 1.0
    for parts in out:
        parts["relevance"] = parts.pop("raw") / scale
    return out


def relation_factors(texts: Mapping[str, float], links: Iterable[tuple[str, str]]) -> dict[str, float]:
    """1 + RELATION_GAIN x the best text relevance among strong hits linked to each entry."""
    best: dict[str, float] = {}
    for a, b in links:
        for src, dst in ((a, b), (b, a)):
            strength = texts.get(src, 0.0)
            if strength >= STRONG and src != dst:
                best[dst] = max(best.get(dst, 0.0), strength)
    return {path: 1 + RELATION_GAIN * s for path, s in best.items()}


def recency_prior(updated: str, newest: Sequence[str]) -> float:
    """K / (K + n), n = how many of `newest` (stamps, newest first) are a day or more newer than
    `updated`. Counted in entries, not days, so it adapts to how busy the memory is; work of the
    same day counts as equally recent."""
    when = parse_time(updated)
    if when is None:
        return 0.0
    later = (when + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    lo, hi = 0, len(newest)
    while lo < hi:  # newest is sorted descending: count the stamps > later
        mid = (lo + hi) // 2
        if newest[mid] > later:
            lo = mid + 1
        else:
            hi = mid
    n = lo if lo < len(newest) or len(newest) < RECENCY_DEPTH else RECENCY_DEPTH
    return RECENCY_K / (RECENCY_K + n)


def date_factors(cands: Sequence[Candidate], periods: Sequence[dates.Period]) -> dict[str, float]:
    """Per candidate, (1 + DATE_GAIN x closeness of its date to the named periods) / (1 +
    DATE_GAIN); empty (no effect) when the query names no date or no candidate fits one."""
    if not periods:
        return {}
    fit = {c.entry.path: dates.closeness(parse_time(c.entry.created or c.entry.updated), periods)
           for c in cands}
    if not any(fit.values()):
        return {}
    return {path: (1 + DATE_GAIN * f) / (1 + DATE_GAIN) for path, f in fit.items()}


def life_of(item: Entry, now: dt.datetime,
            usage: Mapping[tuple[str, str], int] | None, params: Params = DEFAULT) -> float:
    """The lifecycle factor, with usage signals when they were read (bounded in scores.py)."""
    return lifecycle_factor(item, now, None if usage is None else Usage.of(usage, item.id), params)


def rank(cands: Sequence[Candidate], n_terms: int, now: dt.datetime,
         links: Iterable[tuple[str, str]] = (), actors: frozenset[str] = frozenset(),
         usage: Mapping[tuple[str, str], int] | None = None, top: int | None = None,
         params: Params = DEFAULT, newest: Sequence[str] = (),
         periods: Sequence[dates.Period] = (), current: bool = True) -> list[Hit]:
    """Full-text hits, best first: relevance x lifecycle x relations x recency (ties by path);
    only the best `top` when given (every candidate is scored either way).

    `usage` (every writer's summed signals) makes lifecycle use effective importance. `newest`
    (the memory's newest `updated` stamps, newest first) gives episodes and bugs a recency prior.
    `periods` (the dates the query names) prefer entries dated in or just after them. A query
    that is not about the work at hand (`current` False: a question about any time) does not age
    episodes and bugs: their lifecycle factor is taken at their own date.
    """
    scored = text_scores(cands, n_terms, actors)
    timely = date_factors(cands, periods)
    texts = {c.entry.path: s["relevance"] for c, s in zip(cands, scored, strict=True)}
    boosts = relation_factors(texts, links)
    order = []
    for cand, found in zip(cands, scored, strict=True):
        item = cand.entry
        life = life_of(item, now if current or item.type not in RECENT_TYPES
                       else parse_time(item.updated) or now, usage, params)
        rel = boosts.get(item.path, 1.0)
        hidden = HIDDEN_FACTOR if is_hidden(item) else 1.0
        recent = 1.0
        if newest and item.type in RECENT_TYPES:
            recent = (1 + RECENCY_GAIN * recency_prior(item.updated, newest)) / (1 + RECENCY_GAIN)
            found["recency"] = recent
        when = timely.get(item.path, 1.0)
        if timely:
            found["date"] = when
        order.append((-found["relevance"] * life * rel * hidden * recent * when, item.path, cand, found,
                      life, rel))
    order.sort(key=lambda o: (is_hidden(o[2].entry), o[0], o[1]))  # active entries first
    return [_hit(cand, found, -neg, life, rel) for neg, _, cand, found, life, rel in order[:top]]


def _hit(cand: Candidate, found: dict[str, float], score: float, life: float, rel: float) -> Hit:
    item = cand.entry
    parts: tuple[tuple[str, float], ...] = (("bm25", cand.bm25), *found.items(),
                                            ("lifecycle", life), ("relations", rel))
    if is_hidden(item):
        parts += (("hidden", HIDDEN_FACTOR),)
    why = "matched " + ", ".join(sorted(cand.matched)) if cand.matched else "full-text match"
    if found["actor"]:
        why += f"; written by {author_of(item)}"
    if rel > 1.0:
        why += "; linked to a strong hit"
    return make_hit(item, Tier.FULLTEXT, score, why, parts)


def make_hit(item: Entry, tier: Tier, score: float, why: str,
             parts: tuple[tuple[str, float], ...] = (), snippet: str = "") -> Hit:
    return Hit(item.path, item.id, item.title, tier, score, why, item.summary, item.type,
               item.status.value, parts, snippet, flags(item))


def confidence(hits: Sequence[Hit], asked: bool = True) -> tuple[float, bool, str]:
    """The escalation gate: (confidence in [0,1], escalate?, reason).

    Path and exact keyword hits are certain. For full text, confidence = level x clarity,
    where level = the top hit's share of query terms matched (coverage) and clarity =
    0.5 + 0.5 x min(1, gap / GAP_FULL), gap = (score #1 - score #2) / score #1.
    """
    if not hits:
        return 0.0, asked, "no hits" if asked else "empty query"
    top = hits[0]
    if top.tier is Tier.PATH:
        return 1.0, False, "exact path, id or glob match"
    if top.tier is Tier.KEYWORD:
        level = dict(top.parts).get("keyword", 0.0)
        return level, level < ESCALATE_BELOW, f"keyword match on a name (level {level:.2f})"
    level = dict(top.parts).get("coverage", 0.0)
    second = hits[1].score if len(hits) > 1 else 0.0
    gap = (top.score - second) / top.score if top.score > 0 else 0.0
    clarity = 0.5 + 0.5 * min(1.0, gap / GAP_FULL)
    conf = level * clarity
    low = conf < ESCALATE_BELOW
    reason = (f"top hit matches {level:.0%} of the query terms; gap to #2 {gap:.0%}"
              + ("; low confidence" if low else ""))
    return conf, low, reason
