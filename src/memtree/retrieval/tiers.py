"""The retrieval tiers over the index: path/id/slug/glob, keyword on names, full text re-ranked,
and the confidence gate that says whether an LLM tier would be needed. Never writes entry files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import time
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from ..index import tokens
from ..index.db import Index, open_index
from ..lifecycle import signals
from ..lifecycle.scores import DEFAULT, Params, params_of
from ..model import Entry, Hit, Result, Tier
from ..record import Record, record
from . import dates, proximity, rank

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from ..config import Workspace

GLOB_CHARS = "*?["
KEYWORD_NEAR = 0.5       # a name matches "near" when Jaccard(query terms, name terms) >= this
KEYWORD_POOL = 50        # candidates the keyword tier considers
FULLTEXT_POOL = 60       # candidates the full-text tier re-ranks (at least 5 x limit)
POSTINGS_BUDGET = 3000   # words sent to FTS5, rarest first, while their summed entry counts
POSTINGS_PER_ENTRY = 3   # stay within max(POSTINGS_BUDGET, entries x POSTINGS_PER_ENTRY)
RECENCY = True           # episodes and bugs get a recency prior (rank.recency_prior)
RECENCY_QUESTIONS = False  # ... for questions about any time too (off: only the work at hand)
DATES = True             # a query naming a date prefers entries of that time (retrieval.dates)
PROXIMITY = True         # consecutive query words held close count more (retrieval.proximity)


@record
class Filters(Record):
    """What a query is restricted to; hidden entries (superseded, archived) need include_all."""

    include_all: bool = False
    domain: str | None = None
    type: str | None = None
    tag: str | None = None

    def keep(self, item: Entry) -> bool:
        if not self.include_all and rank.is_hidden(item):
            return False
        if self.domain and item.path.removeprefix("_archive/").split("/")[0] != self.domain:
            return False
        if self.type and item.type != self.type:
            return False
        return not (self.tag and self.tag not in item.tags)

    @property
    def narrow(self) -> bool:
        return bool(self.domain or self.type or self.tag)


def query(ws: Workspace, text: str, limit: int = 10, filters: Filters | None = None,
          now: dt.datetime | None = None) -> Result:
    """Answer a query through the tiers; the index is brought up to date first."""
    return search(ws.root, text, limit, filters, params=params_of(ws.settings), now=now)


def search(root: Path, text: str, limit: int = 10, filters: Filters | None = None,
           fresh: bool = True, params: Params = DEFAULT, now: dt.datetime | None = None) -> Result:
    """`query` for a memory root (the lean command path uses it without opening a Memory).

    `fresh=False` skips the freshness check (benchmarks use it to time the search alone);
    `params` are the `[lifecycle]` settings that weigh each hit's lifecycle factor; `now` is the
    clock that ages entries (recency, importance decay), the wall clock if None.
    """
    started = time.perf_counter()
    chosen = filters or Filters()
    clock = now or dt.datetime.now(dt.UTC)
    idx = open_index(root)
    if fresh:
        idx.sync()
    hits = _tiers(root, idx, text, limit, chosen, params, clock)
    if fresh and idx.recheck([h.path for h in hits]):  # a hit's file changed in place
        hits = _tiers(root, idx, text, limit, chosen, params, clock)
    conf, escalate, reason = rank.confidence(hits, asked=bool(text.strip()))
    took = (time.perf_counter() - started) * 1000
    return Result(text, tuple(hits), conf, escalate, reason, took, tuple(idx.unreadable()))


def _tiers(root: Path, idx: Index, text: str, limit: int, chosen: Filters,
           params: Params = DEFAULT, now: dt.datetime | None = None) -> list[Hit]:
    """The first tier that finds anything: path/id/glob, else keyword plus full text."""
    hits = path_tier(idx, text, chosen)
    if not hits:
        usage = signals.usage(root)
        with idx.reads.reading():
            found = keyword_tier(idx, text, chosen, usage, params, now)
            if len(found) < limit:  # keyword hits come first; full text fills the rest
                pool = max(FULLTEXT_POOL, 5 * limit)
                found += fulltext_tier(idx, text, chosen, pool, limit - len(found), usage,
                                       frozenset(h.path for h in found), params, now)
        hits = sorted(found, key=_hidden) if chosen.include_all else found
    return hits[:limit]


def _hidden(hit: Hit) -> bool:
    """Superseded and archived hits (shown by --all) come after every active one."""
    return hit.status != "active" or hit.path.startswith("_archive/")


# ---------------------------------------------------------------- tier 1: path, id, slug, glob


def glob_regex(pattern: str) -> re.Pattern[str]:
    """`*` and `?` stay within one folder name, `**` crosses folders; `[...]` as in shells."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 1:]:
            end = pattern.index("]", i + 1)
            out.append(_char_class(pattern[i + 1:end]) or re.escape(pattern[i:end + 1]))
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def _char_class(inner: str) -> str | None:
    """A shell `[...]` as a regex class, or None when it is not a valid one (`[]`, `[z-a]`)."""
    text = "[" + inner.replace("!", "^", 1) + "]"
    try:
        re.compile(text)
    except re.error:
        return None
    return text


def path_tier(idx: Index, text: str, filters: Filters) -> list[Hit]:
    """Exact path, id or slug, a folder, or a glob matching an entry's path or a folder of it."""
    ref = text.strip().removesuffix(".md").strip("/")
    if not ref or any(c.isspace() for c in ref):
        return []
    if any(c in ref for c in GLOB_CHARS):
        found, why = _glob(idx, ref), f"glob {ref!r}"
    else:
        found = idx.entries("path IN (?, ?) OR id = ? OR slug = ?",
                            (ref, f"_archive/{ref}", ref, ref.lower()))
        why = f"exact match on {ref!r}"
        if not found and "/" in ref:
            found = idx.entries("path LIKE ? ESCAPE '\\'", (_like(ref) + "/%",))
            why = f"in folder {ref!r}"
    kept = sorted((e for e in found if filters.keep(e)), key=lambda e: e.path)
    return [rank.make_hit(e, Tier.PATH, 1.0, why, (("path", 1.0),)) for e in kept]


def _glob(idx: Index, pattern: str) -> list[Entry]:
    prefix = re.split(r"[*?\[]", pattern, maxsplit=1)[0]
    regex = glob_regex(pattern)
    out = []
    for item in idx.entries("path LIKE ? ESCAPE '\\'", (_like(prefix) + "%",)):
        parts = item.path.split("/")
        if any(regex.fullmatch("/".join(parts[:n])) for n in range(1, len(parts) + 1)):
            out.append(item)
    return out


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# ---------------------------------------------------------------- tier 2: keyword on names


def _group_expr(group: Sequence[str]) -> str:
    """One query word as FTS5: a plain term, or (all its parts) OR its joined whole."""
    quoted = [f'"{t}"' for t in group]
    if len(quoted) == 1:
        return quoted[0]
    return f"(({' AND '.join(quoted[:-1])}) OR {quoted[-1]})"


def _light_stem(term: str) -> str:
    if len(term) > 3 and term.endswith("s") and not term.endswith("ss"):
        return term[:-1]
    return term


def _name_score(asked: frozenset[str], name: str) -> float:
    have = frozenset(_light_stem(t) for t in tokens.name_terms(name))
    if not have or not asked:
        return 0.0
    if have == asked:
        return 1.0
    jaccard = len(asked & have) / len(asked | have)
    return 0.5 + 0.5 * jaccard if jaccard >= KEYWORD_NEAR else 0.0


def keyword_tier(idx: Index, text: str, filters: Filters,
                 usage: Mapping[tuple[str, str], int] | None = None,
                 params: Params = DEFAULT, now: dt.datetime | None = None) -> list[Hit]:
    """Entries whose title, an alias or a tag is the query, or nearly (precision first)."""
    groups = tokens.query_groups(text)
    if not groups:
        return []
    asked = frozenset(_light_stem(g[-1]) for g in groups)
    df = idx.reads.doc_freq(t for g in groups for t in g)
    rarest = sorted(groups, key=lambda g: max(df.get(t, 0) for t in g))  # the fewest to check
    now = now or dt.datetime.now(dt.UTC)
    hits = []
    for item in idx.reads.named([_group_expr(g) for g in rarest], KEYWORD_POOL):
        if not filters.keep(item):
            continue
        names = [("title", item.title), *(("alias", a) for a in item.aliases),
                 *(("tag", t) for t in item.tags)]
        best, which = max(((_name_score(asked, n), f"{kind} {n!r}") for kind, n in names),
                          default=(0.0, ""))
        if best <= 0:
            continue
        life = rank.life_of(item, now, usage, params)
        kind = "exact" if best == 1.0 else "near"
        hits.append(rank.make_hit(item, Tier.KEYWORD, best * life, f"{kind} match on {which}",
                                  (("keyword", best), ("lifecycle", life))))
    hits.sort(key=lambda h: (-h.score, h.path))
    return hits


# ---------------------------------------------------------------- tier 3: full text


def fulltext_tier(idx: Index, text: str, filters: Filters, pool: int, wanted: int = 10,
                  usage: Mapping[tuple[str, str], int] | None = None,
                  skip: Collection[str] = frozenset(), params: Params = DEFAULT,
                  now: dt.datetime | None = None) -> list[Hit]:
    """BM25 over every field, then re-ranked by coverage, lifecycle and relations: the best
    `wanted` of `pool` candidates, leaving out `skip` (paths an earlier tier returned)."""
    groups = tokens.query_groups(text)
    if not groups:
        return []
    groups, actors = _people(idx, text, groups)
    worth = _within_budget(idx, groups)
    if not worth:
        return []
    expr = " OR ".join(_group_expr(g) for g in worth)
    fetch = pool * (8 if filters.narrow else 1)
    while True:  # widen only when filters or hidden entries left too few candidates
        kept, seen_all = idx.reads.ranked(expr, fetch, filters.keep, pool)
        if len(kept) >= pool or seen_all:
            break
        fetch *= 4
    if not kept:
        return []
    names: dict[str, str] = {}
    for found in kept:
        names[found.entry.path] = names[found.entry.id] = found.entry.path
    names.pop("", None)
    links = [(f.entry.path, names[t]) for f in kept for t in f.links if t in names]
    held, close = _probe_best(idx, groups, [f.rowid for f in kept[:proximity.DEPTH]])
    cands = [rank.Candidate(f.entry, f.bm25, near=close.get(f.rowid, 0.0)) for f in kept]
    clock = now or dt.datetime.now(dt.UTC)
    current = RECENCY_QUESTIONS or dates.current(text)
    newest = idx.reads.newest(rank.RECENCY_DEPTH) if RECENCY and current else ()
    hits = rank.rank(cands, len(groups), clock, links, actors, usage, wanted + len(skip), params,
                     newest, dates.named(text, clock) if DATES else (), current)
    hits = [h for h in hits if h.path not in skip][:wanted]
    return _explain(idx, hits, groups, {f.entry.path: f.rowid for f in kept}, held)


def _probe_best(idx: Index, groups: list[list[str]],
                best: list[int]) -> tuple[dict[int, set[int]], dict[int, float]]:
    """One scratch copy of the best candidates answers both which query words each holds (its
    coverage, `_explain`) and which consecutive words it holds close (retrieval.proximity):
    (rowid -> indexes of the groups it holds, rowid -> proximity)."""
    if not PROXIMITY or len(groups) < 2:
        return {}, {}
    found = idx.reads.holding([_group_expr(g) for g in groups] + proximity.exprs(groups), best)
    held: dict[int, set[int]] = {rowid: set() for rowid in best}
    for n, rows in enumerate(found[:len(groups)]):
        for rowid in rows:
            held[rowid].add(n)
    return held, proximity.scores(groups, found[len(groups):], _informations(idx, groups, True))


def _people(idx: Index, text: str, groups: list[list[str]]) -> tuple[list[list[str]], frozenset[str]]:
    """Names of people who wrote entries, written capitalised in the query (`Caroline`), become
    an author prior instead of words to match; agents' names never do (see index.source.entry_row)."""
    capital = {tokens.fold(w) for w in tokens.WORD_RE.findall(text) if w[:1].isupper()}
    if not capital:
        return groups, frozenset()
    authors = idx.reads.authors()
    named = [g for g in groups if len(g) == 1 and g[0] in authors and g[0] in capital]
    if not named or len(named) == len(groups):
        return groups, frozenset(authors[g[0]] for g in named)
    return [g for g in groups if g not in named], frozenset(authors[g[0]] for g in named)


def _within_budget(idx: Index, groups: list[list[str]]) -> list[list[str]]:
    """The query words worth their cost: BM25 is computed for every entry matching any word,
    and words held by most entries add little to it, so rarest first within a postings budget."""
    df = idx.reads.doc_freq(t for g in groups for t in g)
    cost = {tuple(g): _matches(g, df) for g in groups}
    budget = max(POSTINGS_BUDGET, idx.reads.size() * POSTINGS_PER_ENTRY)
    chosen: list[list[str]] = []
    spent = 0
    for group in sorted(groups, key=lambda g: cost[tuple(g)]):
        # `spent`, not `chosen`: words no entry holds cost nothing and must not stop the first
        # word that does from being searched, however common it is.
        if spent and spent + cost[tuple(group)] > budget:
            break
        chosen.append(group)
        spent += cost[tuple(group)]
    return chosen


def _informations(idx: Index, groups: list[list[str]], bm25: bool = False) -> dict[str, float]:
    """How much each query word tells: its idf, ln(1 + (N - n + 0.5) / (n + 0.5)), n the entries
    holding it (an identifier: its rarest term held, else 0). A word no entry holds tells the
    most, and no entry explains it. `bm25`: FTS5's form, ln((N - n + 0.5) / (n + 0.5)) and 0 for
    a word most entries hold, on the scale of the BM25 it is added to."""
    df = idx.reads.doc_freq(t for g in groups for t in g)
    size = idx.reads.size()
    out = {}
    for group in groups:
        n = min((df[t] for t in group if df.get(t)), default=0)
        ratio = (size - n + 0.5) / (n + 0.5)
        out[group[-1]] = max(0.0, math.log(ratio)) if bm25 else math.log(1 + ratio)
    return out


def _matches(group: Sequence[str], df: Mapping[str, int]) -> int:
    """At most how many entries a query word matches: a plain term its own count; an identifier
    (all its parts, or its whole) at most its rarest part's count plus its whole's."""
    if len(group) == 1:
        return df.get(group[0], 0)
    return min(df.get(t, 0) for t in group[:-1]) + df.get(group[-1], 0)


def _explain(idx: Index, hits: list[Hit], groups: list[list[str]],
             rowids_of: dict[str, int], known: Mapping[int, set[int]]) -> list[Hit]:
    """Say which query words each hit holds in its own fields (its coverage, used by the gate);
    `known` already says it for some rowids (the best candidates, `_probe_best`)."""
    rest = [rowids_of[h.path] for h in hits if rowids_of[h.path] not in known]
    held = idx.reads.holding([_group_expr(g) for g in groups], rest)
    holds = {rowid: set(found) for rowid, found in known.items()}
    for n, rows in enumerate(held):
        for rowid in rows:
            holds.setdefault(rowid, set()).add(n)
    matched = {h.path: [g[-1] for n, g in enumerate(groups)
                        if n in holds.get(rowids_of[h.path], ())] for h in hits}
    weight = _informations(idx, groups)
    total = sum(weight.values()) or 1.0
    out = []
    for hit in hits:
        words = sorted(matched[hit.path])
        parts = tuple((k, len(words) / len(groups) if k == "coverage" else v) for k, v in hit.parts)
        parts += (("evidence", sum(weight.get(w, 0.0) for w in words) / total),)
        why = hit.why.replace("full-text match", "matched " + ", ".join(words) if words else
                              "matched only through its neighbours or folder", 1)
        out.append(dataclasses.replace(hit, parts=parts, why=why))
    return out
