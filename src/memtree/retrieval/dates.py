"""Time in a query: the dates it names, how close an entry's date lies to them, and whether it is
about the work at hand (where newer episodes are likelier wanted) or asks about any time.

Pure functions, no I/O: `named(text, now)`, `closeness(when, periods)`, `current(text)`.
The rules and constants are in docs/retrieval.md ("Dates named in the query").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from ..record import Record, record

MONTHS = {name: n for n, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
    ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
    ("october", "oct"), ("november", "nov"), ("december", "dec")), 1) for name in names}
SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}  # first month, 3 long
UNITS = {"day": 1, "week": 7, "month": 30, "year": 365}
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
           "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a few": 3, "few": 3, "several": 3}
SLACK_MIN = dt.timedelta(days=7)   # an entry up to a week (or the period's length) after it fits
BEFORE_SHARE = 0.25                # ... and a quarter of that before it

_MONTH = r"(?P<{g}>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<{g}>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<{g}>(?:19[7-9]|20\d)\d)"
_END = r"(?![\w/.-]*\w)"  # not the start of an identifier, version or path
# Compiled on first use (`_rx`): most queries name no date and never need them.
_SOURCES: dict[str, tuple[str, int]] = {
    "iso_day": (r"(?<![\w.-])" + _YEAR.format(g="y") + r"-(?P<m>[01]?\d)-(?P<d>[0-3]?\d)" + _END, 0),
    "day_month": (r"\b" + _DAY.format(g="d") + r"(?: of)? " + _MONTH.format(g="m")
                  + r"(?:,? " + _YEAR.format(g="y") + r")?" + _END, re.I),
    "month_day": (r"\b" + _MONTH.format(g="m") + r" " + _DAY.format(g="d")
                  + r"(?:,? " + _YEAR.format(g="y") + r")?" + _END, re.I),
    "month_year": (r"\b" + _MONTH.format(g="m") + r",? (?:of )?" + _YEAR.format(g="y") + _END,
                   re.I),
    "season": (r"\b(?P<s>spring|summer|autumn|fall|winter),? (?:of )?" + _YEAR.format(g="y")
               + _END, re.I),
    "month": (r"\b(?:in|during|since|until|by|before|after|early|late|mid|of|last|this|"
              r"next|from|through) (?:early |late |mid-?)?" + _MONTH.format(g="m") + r"(?![\w-])",
              re.I),
    "year": (r"\b(?:in|during|since|until|by|before|after|early|late|mid|of|year|from|"
             r"through|spring|summer|autumn|fall|winter) (?:early |late |mid-?)?"
             + _YEAR.format(g="y") + _END, re.I),
    "ago": (r"\b(?P<n>\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|(?:a )?few|"
            r"several) (?P<u>day|week|month|year)s? ago\b", re.I),
    "last": (r"\b(?P<w>last|past|previous|this) (?P<u>day|week|weekend|month|year)\b", re.I),
    "question": (r"\s*(?:what|when|where|who|whom|whose|which|why|how)\b", re.I),
    "now": (r"\b(?:latest|newest|recent|recently|lately|currently|current|now|still|again|"
            r"last time|so far|yet)\b", re.I),
    "near": (r"\b(?P<w>today|tonight|yesterday|last night)\b", re.I),
}
_ABSOLUTE = ("iso_day", "day_month", "month_day", "month_year", "season", "month", "year")
# A word every match of a pattern holds (after casefold), or any digit: a text with none of them
# cannot match, so it is not searched and the patterns are not compiled (about 3 ms at start).
_DATED = (*MONTHS, *SEASONS, "ago", "last", "past", "previous", "this", "today", "tonight",
          "yesterday")
_QUESTIONS = ("what", "when", "where", "who", "which", "why", "how")
_NOWS = ("latest", "newest", "recent", "lately", "current", "now", "still", "again", "last time",
         "so far", "yet")
_compiled: dict[str, re.Pattern[str]] = {}


def _rx(name: str) -> re.Pattern[str]:
    pattern = _compiled.get(name)
    if pattern is None:
        pattern = _compiled[name] = re.compile(*_SOURCES[name])
    return pattern


def _holds(text: str, words: tuple[str, ...], digits: bool = False) -> bool:
    """Could `text` match a pattern whose every match holds one of `words` (or a digit)?"""
    folded = text.casefold()
    return any(w in folded for w in words) or (digits and any(c.isdigit() for c in text))


@record
class Period(Record):
    """A span of time [start, end); `yearly` when no year was named (that month, any year)."""

    start: dt.datetime
    end: dt.datetime
    yearly: bool = False


def named(text: str, now: dt.datetime) -> tuple[Period, ...]:
    """The periods `text` names. Absolute dates win: relative words ("last week") are read
    against `now` only when the text names no date of its own."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    found: list[Period] = []
    taken: list[tuple[int, int]] = []
    if not _holds(text, _DATED, digits=True):
        return ()
    for kind in _ABSOLUTE:
        for match in _rx(kind).finditer(text):
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            if match.groupdict().get("m") and not _capitalised(match.group("m")):
                continue
            period = _absolute(kind, match, now)
            if period is not None:
                found.append(period)
                taken.append(match.span())
    return tuple(found) if found else _relative(text, now)


def current(text: str) -> bool:
    """Is the query about the work at hand? A task or statement is ("fix the retry loop", "do not
    retry twice"); a question (a wh-word first, or a `?` at the end: "When did we…", "What did
    Caroline say…") asks about any time, unless it asks for the latest ("current", "recently")."""
    question = text.rstrip().endswith("?") or (
        _holds(text.lstrip()[:5], _QUESTIONS) and bool(_rx("question").match(text)))
    return not question or (_holds(text, _NOWS) and bool(_rx("now").search(text)))


def _capitalised(word: str) -> bool:
    """A month counts only when written as a name ("in May", not "in may"), or as a number."""
    return word[:1].isupper() or word.isdigit()


def _absolute(kind: str, match: re.Match[str], now: dt.datetime) -> Period | None:
    groups = match.groupdict()
    year = int(groups["y"]) if groups.get("y") else None
    try:
        if kind == "year":
            assert year is not None
            return Period(_at(year, 1, 1, now), _at(year + 1, 1, 1, now))
        if kind == "season":
            first = SEASONS[groups["s"].lower()]
            return _months(year or now.year, first, 3, now)
        month = int(groups["m"]) if groups["m"].isdigit() else MONTHS[groups["m"].lower()]
        if kind in ("month_year", "month"):
            return _months(year or now.year, month, 1, now, yearly=year is None)
        day = int(groups["d"])
        start = _at(year or now.year, month, day, now)
        if year is None and start > now:  # "October 13" without a year: the last one
            start = start.replace(year=start.year - 1)
        return Period(start, start + dt.timedelta(days=1))
    except (ValueError, KeyError, AssertionError):  # "31 February", a month number of 13
        return None


def _at(year: int, month: int, day: int, now: dt.datetime) -> dt.datetime:
    return dt.datetime(year, month, day, tzinfo=now.tzinfo or dt.UTC)


def _months(year: int, first: int, count: int, now: dt.datetime, yearly: bool = False) -> Period:
    start = _at(year, first, 1, now)
    last = first + count
    end = _at(year + (last - 1) // 12, (last - 1) % 12 + 1, 1, now)
    return Period(start, end, yearly)


def _relative(text: str, now: dt.datetime) -> tuple[Period, ...]:
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    day = dt.timedelta(days=1)
    out = []
    for match in _rx("near").finditer(text):
        back = 0 if match.group("w").lower() in ("today", "tonight") else 1
        out.append(Period(today - back * day, today - back * day + day))
    for match in _rx("ago").finditer(text):
        n = match.group("n").lower()
        count = int(n) if n.isdigit() else NUMBERS.get(n, 1)
        span = UNITS[match.group("u").lower()] * day
        centre = today - count * span
        out.append(Period(centre - span / 2, centre + span / 2 + day))
    for match in _rx("last").finditer(text):
        unit = match.group("u").lower()
        span = 7 * day if unit == "weekend" else UNITS[unit] * day
        if match.group("w").lower() == "this":
            out.append(Period(today - span + day, today + day))
        else:
            out.append(Period(today - 2 * span + day, today + day))
    return tuple(out)


def closeness(when: dt.datetime | None, periods: Sequence[Period]) -> float:
    """How well a date fits the best of `periods`: 1 inside one, falling linearly to 0 over
    the slack after it (max(SLACK_MIN, its length)) and BEFORE_SHARE of that before it."""
    if when is None:
        return 0.0
    return max((_fit(when, p) for p in periods), default=0.0)


def _fit(when: dt.datetime, period: Period) -> float:
    if period.yearly:  # the named month in the entry's own year, or the one before it
        shifted = [_in_year(period, when.year + k) for k in (-1, 0)]
        return max((_fit(when, p) for p in shifted if p is not None), default=0.0)
    slack = max(SLACK_MIN, period.end - period.start)
    if when < period.start:
        return max(0.0, 1 - (period.start - when) / (slack * BEFORE_SHARE))
    if when >= period.end:
        return max(0.0, 1 - (when - period.end) / slack)
    return 1.0


def _in_year(period: Period, year: int) -> Period | None:
    try:
        length = period.end - period.start
        start = period.start.replace(year=year)
    except ValueError:
        return None
    return Period(start, start + length)
