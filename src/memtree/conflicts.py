"""Contradiction candidates without an LLM: entries on the same subject that state different values
or opposite things, and entries linked by `contradicts`. Pure: works on lists of entries.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from .model import Entry, Status

TOKEN_RE = re.compile(r"[a-z0-9]+(?:\.[0-9]+)*")
SENTENCE_RE = re.compile(r"(?<=[.!?;])\s+|\n+")
VALUE_RE = re.compile(
    r"\b([a-z][a-z_-]{2,})\s+(?:(?:is|are|was|=|:|of|to|at|set\s+to|version|uses?|needs?|must\s+be)\s+)?"
    r"v?(\d+(?:\.\d+)*)\s*(%|ms|s|sec|seconds?|minutes?|hours?|days?|kb|mb|gb)?\b"
)
STOP = frozenset(
    "a an and are as at be by do does for from how i in is it its of on or the to we what when where "
    "which who why with this that these those should must can will always all our us you your".split()
)
NEGATORS = frozenset({"not", "never", "no", "dont", "doesnt", "cannot", "cant", "shouldnt",
                      "mustnt", "wont", "without", "nor"})
ANTONYMS = {"disable": "enable", "disabled": "enabled", "false": "true", "off": "on",
            "avoid": "use", "forbid": "allow", "forbidden": "allowed", "disallow": "allow",
            "disallowed": "allowed", "reject": "accept", "rejected": "accepted",
            "unsupported": "supported", "insecure": "secure", "unsafe": "safe"}
POSITIVES = frozenset(ANTONYMS.values())
SUBJECT_SIMILARITY = 0.5  # title word Jaccard at or above which two entries share a subject
# …or their titles share a word (not a number) and they sit in one domain or share a tag
STATEMENT_SIMILARITY = 0.6  # content word Jaccard at or above which two sentences say the same thing


@dataclass(frozen=True)
class Conflict:
    """Two entries that may contradict each other, and why memtree thinks so."""

    a: str
    b: str
    kind: str  # contradicts | values | negation
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "kind": self.kind, "reason": self.reason}


def words(text: str) -> set[str]:
    return {w for w in TOKEN_RE.findall(text.lower().replace("'", "")) if w not in STOP}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def statement(sentence: str) -> tuple[frozenset[str], bool]:
    """(content words, negated?) of one sentence, antonyms folded into negation."""
    negated = False
    content = set()
    for word in TOKEN_RE.findall(sentence.lower().replace("'", "").replace("n't", "nt")):
        if word in NEGATORS:
            negated = not negated
        elif word in ANTONYMS:
            negated = not negated
            content.add(ANTONYMS[word])
        elif word not in STOP or word in POSITIVES:
            content.add(word)
    return frozenset(content), negated


def values(text: str) -> dict[str, set[str]]:
    """`{key word: {value[unit]}}` for numbers and versions stated in the text."""
    found: dict[str, set[str]] = defaultdict(set)
    for key, number, unit in VALUE_RE.findall(text.lower()):
        if key not in STOP:
            found[key].add(number + (unit or ""))
    return found


def _text(item: Entry) -> str:
    return f"{item.title}. {item.summary}. {item.body}"


def _same_subject(a: Entry, b: Entry) -> bool:
    names_a = {x.lower() for x in (a.title, *a.aliases)}
    names_b = {x.lower() for x in (b.title, *b.aliases)}
    title_a, title_b = words(a.title), words(b.title)
    if names_a & names_b or jaccard(title_a, title_b) >= SUBJECT_SIMILARITY:
        return True
    shared = {w for w in title_a & title_b if not w[0].isdigit()}
    return bool(shared) and (a.domain == b.domain or bool(set(a.tags) & set(b.tags)))


def _linked(a: Entry, b: Entry) -> set[str]:
    names_b, names_a = {b.id, b.path}, {a.id, a.path}
    return {r.type for r in a.relations if r.target in names_b} | {
        r.type for r in b.relations if r.target in names_a}


def _value_clash(a: Entry, b: Entry) -> str | None:
    va, vb = values(_text(a)), values(_text(b))
    for key in sorted(va.keys() & vb.keys()):
        if not va[key] & vb[key]:
            first, second = ", ".join(sorted(va[key])), ", ".join(sorted(vb[key]))
            return f"different values for {key!r}: {first} vs {second}"
    return None


def _negation_clash(a: Entry, b: Entry) -> str | None:
    sa = [s.strip() for s in SENTENCE_RE.split(_text(a)) if s.strip()]
    sb = [s.strip() for s in SENTENCE_RE.split(_text(b)) if s.strip()]
    parsed_b = [(s, statement(s)) for s in sb]
    for first in sa:
        words_a, neg_a = statement(first)
        if len(words_a) < 2:
            continue
        for second, (words_b, neg_b) in parsed_b:
            if neg_a != neg_b and jaccard(set(words_a), set(words_b)) >= STATEMENT_SIMILARITY:
                return f"opposite statements: {first[:80]!r} vs {second[:80]!r}"
    return None


def _candidates(entries: list[Entry]) -> Iterable[tuple[Entry, Entry]]:
    """Pairs sharing at least one title or alias word (an inverted index, not all pairs)."""
    by_word: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(entries):
        for word in words(" ".join((item.title, *item.aliases))):
            by_word[word].append(i)
    pairs: set[tuple[int, int]] = set()
    for members in by_word.values():
        pairs.update(combinations(members, 2))
    for i, j in sorted(pairs):
        yield entries[i], entries[j]


def find(entries: list[Entry]) -> list[Conflict]:
    """Contradiction candidates among active entries, each with its reason."""
    active = [e for e in entries if e.status is Status.ACTIVE]
    look = {key: e for e in active for key in (e.id, e.path)}
    out: list[Conflict] = []
    seen: set[frozenset[str]] = set()
    for item in active:
        for rel in item.relations:
            other = look.get(rel.target)
            if rel.type == "contradicts" and other is not None:
                seen.add(frozenset((item.path, other.path)))
                out.append(Conflict(item.path, other.path, "contradicts", "linked by contradicts"))
    for a, b in _candidates(active):
        key = frozenset((a.path, b.path))
        if key in seen or not _same_subject(a, b) or _linked(a, b) & {"supersedes", "superseded_by"}:
            continue
        for kind, reason in (("values", _value_clash(a, b)), ("negation", _negation_clash(a, b))):
            if reason:
                seen.add(key)
                out.append(Conflict(a.path, b.path, kind, reason))
                break
    return sorted(out, key=lambda c: (c.a, c.b))
