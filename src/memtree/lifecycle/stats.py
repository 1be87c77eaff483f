"""The numbers behind `memtree stats`: distribution per domain and maturity, most and least used,
stale entries. Pure: entries, usage totals and flags come in; a plain mapping goes out.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from typing import Any

from ..model import Entry, Status
from . import scores as lifecycle
from .scores import Params, Usage

SHOWN = 5  # entries listed as most / least used


def _row(item: Entry, usage: Usage, score: float) -> dict[str, Any]:
    return {"path": item.path, "title": item.title, "maturity": item.maturity.value,
            "importance": round(score, 1), **usage.to_dict()}


def compute(entries: list[Entry], totals: Mapping[tuple[str, str], int], now: dt.datetime,
            params: Params, anchor_flags: Mapping[str, str], stale_summaries: list[str]) -> dict[str, Any]:
    """Everything `stats` shows, computed at `now`."""
    by_status = Counter(e.status.value for e in entries)
    active = [e for e in entries if e.status is Status.ACTIVE]
    by_domain: dict[str, Counter[str]] = {}
    rows = []
    for item in active:
        by_domain.setdefault(item.domain, Counter())[item.maturity.value] += 1
        usage = Usage.of(totals, item.id)
        score = lifecycle.importance(item, now, usage, params)
        rows.append((usage, score, item))
    used = sorted((r for r in rows if r[0].total), key=lambda r: (-r[0].total, r[2].path))
    unused = sorted((r for r in rows if not r[0].total),
                    key=lambda r: (-lifecycle.age_days(r[2], now), r[2].path))
    stale = [r for r in rows if not r[2].pinned and r[1] < params.archive_below
             and lifecycle.age_days(r[2], now) >= params.stale_days]
    return {
        "entries": len(active),
        "by_status": dict(sorted(by_status.items())),
        "by_maturity": dict(sorted(Counter(e.maturity.value for e in active).items())),
        "by_domain": {d: {"total": sum(c.values()), **dict(sorted(c.items()))}
                      for d, c in sorted(by_domain.items())},
        "pinned": sum(1 for e in active if e.pinned),
        "most_used": [_row(i, u, s) for u, s, i in used[:SHOWN]],
        "least_used": [_row(i, u, s) for u, s, i in unused[:SHOWN]],
        "stale": {
            "entries": [_row(i, u, s) for u, s, i in sorted(stale, key=lambda r: r[1])],
            "anchors": [{"path": e.path, "flag": anchor_flags[e.id]}
                        for e in active if e.id in anchor_flags],
            "summaries": stale_summaries,
        },
    }
