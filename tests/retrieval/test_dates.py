"""Dates named in a query against the entries' dates, and the recency prior's scope, on real trees."""

from __future__ import annotations

import datetime as dt

import pytest

from memtree import Memory
from memtree.retrieval import dates
from retrieval_support import write_entry

NOW = dt.datetime(2024, 1, 5, 12, tzinfo=dt.UTC)


def spans(text: str) -> list[tuple[str, str, bool]]:
    return [(p.start.date().isoformat(), p.end.date().isoformat(), p.yearly)
            for p in dates.named(text, NOW)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What did she paint on October 13, 2023?", [("2023-10-13", "2023-10-14", False)]),
        ("the store on 1 February, 2023", [("2023-02-01", "2023-02-02", False)]),
        ("notes of the 3rd of March 2022", [("2022-03-03", "2022-03-04", False)]),
        ("release 2023-10-13 went out", [("2023-10-13", "2023-10-14", False)]),
        ("what changed on Dec 20", [("2023-12-20", "2023-12-21", False)]),  # the last Dec 20
        ("the outage in July 2023", [("2023-07-01", "2023-08-01", False)]),
        ("camping in June", [("2024-06-01", "2024-07-01", True)]),  # June of any year
        ("a trip in summer 2021", [("2021-06-01", "2021-09-01", False)]),
        ("the beach in 2023", [("2023-01-01", "2024-01-01", False)]),
        ("what did we decide yesterday", [("2024-01-04", "2024-01-05", False)]),
        ("the deploy 3 days ago", [("2024-01-01", "2024-01-03", False)]),
        ("last week's incident", [("2023-12-23", "2024-01-06", False)]),
        ("last weekend before April 10, 2023", [("2023-04-10", "2023-04-11", False)]),
        ("31 February 2023", [("2023-02-01", "2023-03-01", False)]),  # no such day: the month
    ],
)
def test_named_periods(text: str, expected: list[tuple[str, str, bool]]) -> None:
    assert spans(text) == expected


@pytest.mark.parametrize("text", [
    "fix the timeout in SQL Server 2000",         # a product's number, not a year
    "it may 2 times retry",                        # a verb, not a month
    "bump to version 2.2023-01-01x",               # part of a version string
    "see src/2023/july.py and march on",           # a path and a verb
    "what is the retry policy",                    # nothing at all
])
def test_what_is_not_a_date(text: str) -> None:
    assert dates.named(text, NOW) == ()


def test_a_naive_clock_is_read_as_utc() -> None:
    naive = dates.named("what did we decide yesterday", NOW.replace(tzinfo=None))
    assert naive == dates.named("what did we decide yesterday", NOW)


def test_closeness_inside_after_and_before() -> None:
    day = dates.named("on October 13, 2023", NOW)
    at = lambda *a: dt.datetime(*a, tzinfo=dt.UTC)  # noqa: E731
    assert dates.closeness(at(2023, 10, 13, 18), day) == 1.0
    later = dates.closeness(at(2023, 10, 16), day)   # written down three days after
    earlier = dates.closeness(at(2023, 10, 12), day)  # a plan, the day before
    assert 0 < later < 1 and 0 < earlier < 1
    assert dates.closeness(at(2023, 10, 11), day) == 0.0  # before: a quarter of the slack only
    assert dates.closeness(at(2023, 11, 1), day) == 0.0
    assert dates.closeness(None, day) == 0.0
    june = dates.named("in June", NOW)
    assert dates.closeness(at(2019, 6, 30), june) == 1.0  # any year's June
    assert dates.closeness(at(2019, 9, 30), june) == 0.0


@pytest.mark.parametrize(("text", "current"), [
    ("Fix crash when the cache is cold", True),
    ("add a new migration for the invoices table", True),
    ("Do not update states after writing cache", True),  # an imperative, not a question
    ("will backport to 2.0", True),
    ("Is the pool size still 20?", True),
    ("When did Caroline go to the support group?", False),
    ("what did we decide about retries", False),
    ("Does the importer keep tags?", False),
    ("What is the current state of the migration?", True),
    ("Did the deploy fail again?", True),
])
def test_current_work_or_a_question_about_any_time(text: str, current: bool) -> None:
    assert dates.current(text) is current


def _episodes(memory: Memory) -> None:
    for month in (3, 7, 11):  # the same words, three dates
        write_entry(memory.root, f"trips/log/camping-{month:02d}", "Camping trip",
                    "We went camping by the lake with the kids.", type="episode",
                    created=f"2023-{month:02d}-10T10:00:00Z", updated=f"2023-{month:02d}-10T10:00:00Z")


def test_a_query_naming_a_date_prefers_entries_of_that_time(memory: Memory) -> None:
    _episodes(memory)
    now = dt.datetime(2023, 12, 1, tzinfo=dt.UTC)
    for text, first in (("camping trip by the lake in July 2023", "trips/log/camping-07"),
                        ("camping by the lake on 10 March, 2023", "trips/log/camping-03"),
                        ("camping by the lake in March", "trips/log/camping-03")):
        hits = memory.query(text, now=now).hits
        assert hits[0].path == first, text
        parts = dict(hits[0].parts)
        assert parts["date"] == 1.0 > dict(hits[1].parts)["date"], text


def test_no_date_or_no_fitting_entry_leaves_the_ranking_alone(memory: Memory) -> None:
    _episodes(memory)
    now = dt.datetime(2023, 12, 1, tzinfo=dt.UTC)
    task = memory.query("camping by the lake with the kids", now=now).hits
    assert [h.path for h in task][0] == "trips/log/camping-11"  # a task: the newest first
    assert all("date" not in dict(h.parts) for h in task)
    nowhere = memory.query("camping by the lake with the kids in 2019", now=now).hits
    assert [h.path for h in nowhere] == [h.path for h in task]  # no entry of 2019: no effect
    assert all("date" not in dict(h.parts) for h in nowhere)


def test_a_question_about_any_time_gets_no_recency_prior(memory: Memory) -> None:
    _episodes(memory)
    now = dt.datetime(2023, 12, 1, tzinfo=dt.UTC)
    asked = memory.query("When did we go camping by the lake?", now=now).hits
    assert len(asked) == 3 and all("recency" not in dict(h.parts) for h in asked)
    latest = memory.query("What did we do on the latest camping trip?", now=now).hits
    assert latest[0].path == "trips/log/camping-11"
    assert "recency" in dict(latest[0].parts)


def test_a_question_about_any_time_does_not_age_episodes(memory: Memory) -> None:
    _episodes(memory)
    now = dt.datetime(2023, 12, 1, tzinfo=dt.UTC)
    asked = memory.query("Where did we go camping by the lake with the kids?", now=now).hits
    assert len({dict(h.parts)["lifecycle"] for h in asked}) == 1  # March is as fresh as November
    task = memory.query("camping by the lake with the kids", now=now).hits
    life = {h.path: dict(h.parts)["lifecycle"] for h in task}
    assert life["trips/log/camping-11"] > life["trips/log/camping-03"]  # a task: age counts


# Texts built from every word the date patterns hold, in several cases and spacings: the quick
# word test before the patterns must never turn away a text that one of them matches.
_PIECES = ["in", "since", "last", "past", "this", "previous", "early", "mid-", "of", "the",
           "ago", "a few", "two", "3", "days", "week", "weekend", "month", "year", "today",
           "tonight", "yesterday", "last night", "May", "june", "Sept.", "dec", "spring", "Fall",
           "2023", "1999", "13th", "2023-10-13", "what", "When", "  how", "who", "recently",
           "still", "so far", "yet", "fix", "deploy", "?", ",", "ſpring", "WHICH"]


def _texts() -> list[str]:
    import random

    rng = random.Random(7)
    out = []
    for _ in range(3000):
        words = rng.sample(_PIECES, rng.randint(1, 5))
        text = " ".join(w.upper() if rng.random() < 0.2 else w for w in words)
        out.append(text)
    return out


def test_the_word_test_never_skips_a_text_a_pattern_matches() -> None:
    for text in _texts():
        if not dates._holds(text, dates._DATED, digits=True):
            assert not any(dates._rx(k).search(text) for k in (*dates._ABSOLUTE, "near", "ago",
                                                                "last")), text
        if not dates._holds(text.lstrip()[:5], dates._QUESTIONS):
            assert not dates._rx("question").match(text), text
        if not dates._holds(text, dates._NOWS):
            assert not dates._rx("now").search(text), text


def test_a_text_without_a_date_word_compiles_no_pattern() -> None:
    import subprocess
    import sys

    code = ("import datetime as dt; from memtree.retrieval import dates; "
            "dates.named('fix the retry loop', dt.datetime.now(dt.UTC)); "
            "assert dates.current('fix the retry loop'); print(len(dates._compiled))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
