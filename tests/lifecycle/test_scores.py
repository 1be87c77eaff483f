"""Lifecycle scores over simulated time: decay, bounded usage, hysteresis, pins, config overrides."""

from __future__ import annotations

import datetime as dt

import pytest

from memtree import Memory
from memtree.errors import InvalidEntry
from memtree.lifecycle.scores import (
    DEFAULT,
    Params,
    Usage,
    decide,
    importance,
    lifecycle_factor,
    maturity_boost,
    next_maturity,
    recency,
)
from memtree.model import Entry, Maturity

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
D, V, C = Maturity.DRAFT, Maturity.VALIDATED, Maturity.CORE


def entry(importance: int = 50, maturity: Maturity = D, pinned: bool = False, eid: str = "a") -> Entry:
    return Entry(id=eid, title="t", path=f"d/t/{eid}", importance=importance, maturity=maturity,
                 pinned=pinned, created="2026-01-01T00:00:00Z", updated="2026-01-01T00:00:00Z")


def days(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


def test_importance_decays_by_the_daily_factor() -> None:
    item = entry(80)
    assert importance(item, days(0)) == pytest.approx(80)
    assert importance(item, days(1)) == pytest.approx(80 * 0.995)
    assert importance(item, days(100)) == pytest.approx(80 * 0.995**100)
    assert importance(item, days(100)) > importance(item, days(200)) > importance(item, days(400))


def test_recency_falls_as_exp_of_days_over_30() -> None:
    item = entry()
    assert recency(item, days(0)) == pytest.approx(1.0)
    assert recency(item, days(30)) == pytest.approx(0.36788, rel=1e-4)


def test_pinned_entries_never_decay_and_count_as_core() -> None:
    item = entry(50, D, pinned=True)
    assert importance(item, days(1000)) == pytest.approx(50)
    assert recency(item, days(1000)) == 1.0
    assert maturity_boost(item) == 1.15
    assert next_maturity(D, 0, pinned=True) is C


def test_usage_is_bounded_so_it_cannot_outweigh_relevance() -> None:
    item = entry(50)
    some = importance(item, days(0), Usage(recalls=20))
    lots = importance(item, days(0), Usage(recalls=100_000))
    assert 50 < some < lots <= 50 + DEFAULT.recall_max + 1e-9
    # the whole lifecycle multiplier stays in [0.6, 1.3] however much an entry is used
    factor = lifecycle_factor(entry(100, C), days(0), Usage(recalls=10**6, useful=10**6))
    assert factor <= 1.3
    assert lifecycle_factor(entry(0, D), days(5000), Usage(wrong=10**6)) >= 0.6


def test_usage_decays_with_the_entry() -> None:
    item = entry(50)
    used = Usage(recalls=40, useful=3)
    fresh, later = importance(item, days(0), used), importance(item, days(180), used)
    assert later < fresh
    assert later - importance(item, days(180)) < fresh - importance(item, days(0))


def test_feedback_raises_and_lowers_importance() -> None:
    item = entry(50)
    assert importance(item, days(0), Usage(useful=2)) > 50
    assert importance(item, days(0), Usage(wrong=2)) < 50
    assert importance(entry(10), days(0), Usage(wrong=50)) == 0.0


@pytest.mark.parametrize(
    ("current", "score", "expected"),
    [
        (D, 64, D), (D, 65, V), (D, 85, C),
        (V, 64, V), (V, 35, V), (V, 34.9, D), (V, 85, C),
        (C, 84, C), (C, 60, C), (C, 59.9, V), (C, 34, D),
    ],
)
def test_maturity_hysteresis(current: Maturity, score: float, expected: Maturity) -> None:
    assert next_maturity(current, score) is expected


def test_hysteresis_stops_flapping_around_one_threshold() -> None:
    state = D
    path = []
    for score in (66, 63, 66, 62, 64, 66):  # wobbling around the promotion threshold
        state = next_maturity(state, score)
        path.append(state)
    assert path == [V] * 6


def test_decide_promotes_with_usage_and_demotes_with_time() -> None:
    popular, old = entry(60, D, eid="p"), entry(70, V, eid="o")
    totals = {("p", "useful"): 3, ("p", "recall"): 30}
    changes = {c.id: c for c in decide([popular, old], totals, days(0))}
    assert changes["p"].new is V and "o" not in changes
    later = {c.id: c for c in decide([popular, old], {}, days(200))}
    assert later["o"].new is D  # 70 · 0.995^200 ≈ 25.7 < 35


def test_lifecycle_factor_keeps_its_old_signature() -> None:
    item = entry(50, V)
    assert lifecycle_factor(item, days(0)) == pytest.approx(0.8 + 0.1 + 0.1)
    assert lifecycle_factor(item, days(0), usage=Usage()) == pytest.approx(1.0)


def test_params_from_config(memory: Memory) -> None:
    (memory.root / "config.toml").write_text("format = 1\n[lifecycle]\ndecay_per_day = 0.9\ncore_up = 90\n")
    loaded = Memory.open(memory.root)
    params = loaded.lifecycle.params()
    assert params.decay_per_day == 0.9 and params.core_up == 90 and params.validated_up == 65
    assert importance(entry(50), days(1), params=params) == pytest.approx(45)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"decay": 1}, "decay: unknown setting"),
        ({"core_up": "high"}, "core_up: must be a number"),
        ({"decay_per_day": 1.5}, "decay_per_day: must be in"),
        ({"core_down": 90}, "demotion threshold"),
    ],
)
def test_bad_params_are_named(table: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidEntry, match=message):
        Params.from_settings(table)


def test_memory_lifecycle_apply_writes_maturity_only(memory: Memory) -> None:
    made = memory.add("Popular", "d/t", "text", importance=80)
    before = memory.get(made.id)
    assert [c.new for c in memory.lifecycle.maturity()] == [V]
    assert memory.get(made.id).maturity is D  # a dry run writes nothing
    memory.lifecycle.maturity(apply=True)
    after = memory.get(made.id)
    assert after.maturity is V and after.importance == 80 and after.updated == before.updated
    assert memory.lifecycle.maturity() == []


def test_recalls_alone_never_promote_a_default_entry() -> None:
    """The rich-get-richer guard: being returned and used a thousand times is not enough."""
    item = entry(50, D, eid="hot")
    many = {("hot", "recall"): 100_000}
    assert decide([item], many, days(0)) == []
    plain = lifecycle_factor(entry(50, D, eid="cold"), days(0), usage=Usage())
    hot = lifecycle_factor(item, days(0), usage=Usage.of(many, "hot"))
    assert hot / plain <= 1.03  # relevance decides between two default entries, not popularity
