"""Proximity: query words that stand together in an entry count more than the same words apart.

Each pair of consecutive query words is looked for as an FTS5 `NEAR` group (at most WINDOW words
between them, in one field) in the best DEPTH candidates, on the scratch copy of their fields that
coverage uses (index/reads.py `holding`): its cost does not grow with the index. An entry earns,
per pair held close, the smaller of the two words' idf (as BM25's), added to its BM25 (rank.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

WINDOW = 2    # at most this many other words between the two query words
DEPTH = 10    # candidates (best BM25 first) looked at; the rest earn nothing


def phrase(group: Sequence[str]) -> str:
    """One query word as an FTS5 phrase: a plain term, or an identifier's parts in a row (which
    the identifier itself holds, as the index splits it the same way)."""
    return '"' + " ".join(group[:-1] if len(group) > 1 else group) + '"'


def pairs(groups: Sequence[Sequence[str]]) -> list[tuple[int, int]]:
    """The consecutive query words (by position in the query), as indexes into `groups`."""
    return [(n, n + 1) for n in range(len(groups) - 1)]


def exprs(groups: Sequence[Sequence[str]]) -> list[str]:
    """One FTS5 `NEAR` expression per pair of consecutive query words (`pairs` order)."""
    return [f"NEAR({phrase(groups[a])} {phrase(groups[b])}, {WINDOW})" for a, b in pairs(groups)]


def scores(groups: Sequence[Sequence[str]], held: Sequence[set[int]],
           info: Mapping[str, float]) -> dict[int, float]:
    """Per rowid, the summed idf of the pairs it holds close (`held`: for each pair of
    `exprs`, the rowids matching it); each pair is worth the smaller of its two words'
    idf (BM25's). Rowids holding none are left out."""
    out: dict[int, float] = {}
    for (a, b), rows in zip(pairs(groups), held, strict=True):
        worth = min(info.get(groups[a][-1], 0.0), info.get(groups[b][-1], 0.0))
        for rowid in rows:
            out[rowid] = out.get(rowid, 0.0) + worth
    return out
