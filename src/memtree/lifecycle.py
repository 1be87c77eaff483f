"""Lifecycle scores as pure functions: recency decay, maturity boost, effective importance.

No I/O. Constants are documented in docs/lifecycle.md and can be overridden in config.
"""

from __future__ import annotations

import datetime as dt
import math

from .model import Entry, Maturity

RECENCY_HALF_LIFE_DAYS = 30.0 * math.log(2)  # recency = exp(-days / 30)
MATURITY_BOOST = {Maturity.CORE: 1.15, Maturity.VALIDATED: 1.0, Maturity.DRAFT: 0.85}


def parse_time(stamp: str) -> dt.datetime | None:
    if not stamp:
        return None
    try:
        return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None


def age_days(entry: Entry, now: dt.datetime) -> float:
    when = parse_time(entry.updated) or parse_time(entry.created)
    if when is None:
        return 0.0
    return max(0.0, (now - when).total_seconds() / 86400.0)


def recency(entry: Entry, now: dt.datetime) -> float:
    """1.0 for an entry updated now, falling as exp(-days/30); pinned entries never decay."""
    if entry.pinned:
        return 1.0
    return math.exp(-age_days(entry, now) / 30.0)


def maturity_boost(entry: Entry) -> float:
    return 1.15 if entry.pinned else MATURITY_BOOST.get(entry.maturity, 1.0)


def lifecycle_factor(entry: Entry, now: dt.datetime) -> float:
    """The multiplier retrieval applies to text relevance (bounded to [0.6, 1.3])."""
    imp = entry.importance / 100.0
    factor = (0.8 + 0.2 * imp + 0.1 * recency(entry, now)) * maturity_boost(entry)
    return max(0.6, min(1.3, factor))
