"""Lifecycle scores as pure functions: effective importance, maturity with hysteresis, recency.

No I/O: usage counts and `now` come in as arguments. Every constant is documented in
docs/lifecycle.md and can be overridden in config.toml under `[lifecycle]`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping

from ..errors import InvalidEntry
from ..model import Entry, Maturity
from ..record import Record, record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any

    from ..config import Settings



@record
class Params(Record):
    """Every lifecycle constant (see docs/lifecycle.md); `[lifecycle]` in config.toml overrides."""

    decay_per_day: float = 0.995  # importance multiplier per day since the last update
    recency_days: float = 30.0  # recency = exp(-days / recency_days)
    recall_max: float = 10.0  # most importance recalls can ever add
    recall_scale: float = 20.0  # recalls needed to reach ~63 % of recall_max
    useful_max: float = 15.0  # most importance `feedback useful` can add
    wrong_max: float = 30.0  # most importance `feedback wrong` can take away
    feedback_scale: float = 3.0  # feedback events to reach ~63 % of their maximum
    update_max: float = 5.0  # most importance recorded `update` signals can add
    update_scale: float = 5.0
    validated_up: float = 65.0  # draft -> validated at or above
    core_up: float = 85.0  # -> core at or above
    core_down: float = 60.0  # core -> validated below
    validated_down: float = 35.0  # validated/core -> draft below
    archive_below: float = 35.0  # consolidate proposes archiving below this importance…
    stale_days: float = 90.0  # …when not updated for this many days
    merge_similarity: float = 0.6  # shingle Jaccard at or above which entries are near-duplicates
    factor_min: float = 0.6  # lifecycle_factor bounds: usage can never outweigh relevance
    factor_max: float = 1.3
    boost_core: float = 1.15  # maturity boosts in lifecycle_factor (pinned counts as core)
    boost_validated: float = 1.0
    boost_draft: float = 0.85
    subject_similarity: float = 0.5  # conflicts: title-word Jaccard for "same subject"
    statement_similarity: float = 0.6  # conflicts: content-word Jaccard for "same statement"
    link_min_chars: float = 8  # consolidate: shortest title/alias looked for in other bodies
    summary_top: float = 5  # entries listed in each _index.md summary

    @classmethod
    def from_settings(cls, table: Mapping[str, Any] | None) -> Params:
        """Read `[lifecycle]` from config.toml; unknown keys or non-numbers are errors."""
        if not table:
            return cls()
        known = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, float] = {}
        for key, value in table.items():
            if key not in known:
                raise InvalidEntry(f"config.toml [lifecycle] {key}: unknown setting")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidEntry(f"config.toml [lifecycle] {key}: must be a number")
            values[key] = float(value)
        made = cls(**values)
        if not 0 < made.decay_per_day <= 1:
            raise InvalidEntry("config.toml [lifecycle] decay_per_day: must be in (0, 1]")
        if made.core_down > made.core_up or made.validated_down > made.validated_up:
            raise InvalidEntry("config.toml [lifecycle]: a demotion threshold is above its promotion")
        return made


DEFAULT = Params()


def params_of(settings: Settings) -> Params:
    """The `[lifecycle]` table of a root's config.toml as Params (defaults when absent)."""
    table = settings.get("lifecycle")
    if table is not None and not isinstance(table, dict):
        raise InvalidEntry("config.toml [lifecycle]: must be a table")
    return Params.from_settings(table)


@record
class Usage(Record):
    """How an entry was used, summed over every writer's signals."""

    recalls: int = 0
    useful: int = 0
    wrong: int = 0
    updates: int = 0

    @classmethod
    def of(cls, totals: Mapping[tuple[str, str], int], entry_id: str) -> Usage:
        if not totals:
            return NO_USAGE
        return cls(
            recalls=int(totals.get((entry_id, "recall"), 0)),
            useful=int(totals.get((entry_id, "useful"), 0)),
            wrong=int(totals.get((entry_id, "wrong"), 0)),
            updates=int(totals.get((entry_id, "update"), 0)),
        )

    @property
    def total(self) -> int:
        return self.recalls + self.useful + self.wrong + self.updates

    def to_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


NO_USAGE = Usage()


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


def _saturate(count: int, top: float, scale: float) -> float:
    """Bounded growth: `top · (1 − e^(−count/scale))`, never above `top`."""
    return top * (1.0 - math.exp(-max(0, count) / scale)) if scale > 0 else 0.0


def usage_bonus(usage: Usage, params: Params = DEFAULT) -> float:
    """What usage adds before decay (recalls, useful feedback, updates), bounded."""
    if usage is NO_USAGE:
        return 0.0
    return (
        _saturate(usage.recalls, params.recall_max, params.recall_scale)
        + _saturate(usage.useful, params.useful_max, params.feedback_scale)
        + _saturate(usage.updates, params.update_max, params.update_scale)
    )


def importance(
    entry: Entry, now: dt.datetime, usage: Usage = NO_USAGE, params: Params = DEFAULT
) -> float:
    """Effective importance 0–100: (base + usage bonus) × decay^days − wrong-feedback penalty.

    Pinned entries never decay. The file's `importance` is the base and is never rewritten here.
    """
    return _importance(entry, age_days(entry, now), usage, params)


def _importance(entry: Entry, days: float, usage: Usage, params: Params) -> float:
    decay = 1.0 if entry.pinned else params.decay_per_day ** days
    penalty = _saturate(usage.wrong, params.wrong_max, params.feedback_scale)
    value = (entry.importance + usage_bonus(usage, params)) * decay - penalty
    return max(0.0, min(100.0, value))


def next_maturity(current: Maturity, score: float, pinned: bool = False,
                  params: Params = DEFAULT) -> Maturity:
    """Maturity after one lifecycle pass; promotion and demotion thresholds differ (hysteresis)."""
    if pinned:
        return Maturity.CORE
    if score >= params.core_up:
        return Maturity.CORE
    if current is Maturity.CORE and score >= params.core_down:
        return Maturity.CORE
    if current is Maturity.DRAFT:
        return Maturity.VALIDATED if score >= params.validated_up else Maturity.DRAFT
    return Maturity.VALIDATED if score >= params.validated_down else Maturity.DRAFT


def recency(entry: Entry, now: dt.datetime, params: Params = DEFAULT) -> float:
    """1.0 for an entry updated now, falling as exp(-days/30); pinned entries never decay."""
    return _recency(entry, age_days(entry, now), params)


def _recency(entry: Entry, days: float, params: Params) -> float:
    return 1.0 if entry.pinned else math.exp(-days / params.recency_days)


def maturity_boost(entry: Entry, params: Params = DEFAULT) -> float:
    if entry.pinned or entry.maturity is Maturity.CORE:
        return params.boost_core
    return params.boost_validated if entry.maturity is Maturity.VALIDATED else params.boost_draft


def lifecycle_factor(entry: Entry, now: dt.datetime, usage: Usage | None = None,
                     params: Params = DEFAULT) -> float:
    """The multiplier retrieval applies to text relevance, bounded to [0.6, 1.3].

    With `usage`, the effective importance (usage and decay included) replaces the stored base.
    """
    days = age_days(entry, now)  # once: both parts below need it
    if usage is None:
        imp = entry.importance / 100.0
    else:
        imp = _importance(entry, days, usage, params) / 100.0
    factor = (0.8 + 0.2 * imp + 0.1 * _recency(entry, days, params)) * maturity_boost(entry, params)
    return max(params.factor_min, min(params.factor_max, factor))


@record
class MaturityChange(Record):
    """One maturity move `lifecycle --apply` would write."""

    id: str
    path: str
    old: Maturity
    new: Maturity
    importance: float

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "path": self.path, "from": self.old.value, "to": self.new.value,
                "importance": round(self.importance, 1)}


def decide(entries: list[Entry], totals: Mapping[tuple[str, str], int], now: dt.datetime,
           params: Params = DEFAULT) -> list[MaturityChange]:
    """Maturity changes for active entries given their usage at `now` (pure)."""
    out = []
    for item in entries:
        if item.status.value != "active":
            continue
        score = importance(item, now, Usage.of(totals, item.id), params)
        target = next_maturity(item.maturity, score, item.pinned, params)
        if target is not item.maturity:
            out.append(MaturityChange(item.id, item.path, item.maturity, target, score))
    return out
