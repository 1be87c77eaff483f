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

from ..model import Entry, Status
from .scores import DEFAULT, Params

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
CHAINED = {"supersedes", "superseded_by"}  # pairs in one supersession chain are not conflicts


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


@dataclass(frozen=True)
class _Facts:
    """What the pair checks need from one entry, computed once."""

    title: set[str]
    names: set[str]
    values: dict[str, set[str]]
    statements: list[tuple[str, frozenset[str], bool]]


def _facts(item: Entry) -> _Facts:
    sentences = [s.strip() for s in SENTENCE_RE.split(_text(item)) if s.strip()]
    parsed = [(s, *statement(s)) for s in sentences]
    return _Facts(words(item.title), {x.lower() for x in (item.title, *item.aliases)},
                  values(_text(item)), [p for p in parsed if len(p[1]) >= 2])


def _same_subject(a: Entry, b: Entry, fa: _Facts, fb: _Facts, params: Params) -> bool:
    """Shared name, similar titles, or a shared title word within one domain or tag."""
    if fa.names & fb.names or jaccard(fa.title, fb.title) >= params.subject_similarity:
        return True
    shared = {w for w in fa.title & fb.title if not w[0].isdigit()}
    return bool(shared) and (a.domain == b.domain or bool(set(a.tags) & set(b.tags)))


def _linked(a: Entry, b: Entry) -> set[str]:
    names_b, names_a = {b.id, b.path}, {a.id, a.path}
    return {r.type for r in a.relations if r.target in names_b} | {
        r.type for r in b.relations if r.target in names_a}


def _value_clash(fa: _Facts, fb: _Facts) -> str | None:
    va, vb = fa.values, fb.values
    for key in sorted(va.keys() & vb.keys()):
        if not va[key] & vb[key]:
            first, second = ", ".join(sorted(va[key])), ", ".join(sorted(vb[key]))
            return f"different values for {key!r}: {first} vs {second}"
    return None


def _negation_clash(fa: _Facts, fb: _Facts, params: Params) -> str | None:
    for first, words_a, neg_a in fa.statements:
        for second, words_b, neg_b in fb.statements:
            if neg_a != neg_b and jaccard(set(words_a), set(words_b)) >= params.statement_similarity:
                return f"opposite statements: {first[:80]!r} vs {second[:80]!r}"
    return None


def _candidates(entries: list[Entry]) -> Iterable[tuple[Entry, Entry]]:
    """Pairs sharing a name, or a title or alias word, that few entries share (an inverted index,
    not all pairs). A word or name in more than `_common(n)` titles names no one subject ("fix",
    "add"): pairing on it would make the work quadratic in the tree's size."""
    by_word: dict[str, list[int]] = defaultdict(list)
    by_name: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(entries):
        for word in words(" ".join((item.title, *item.aliases))):
            by_word[word].append(i)
        for name in {x.lower() for x in (item.title, *item.aliases)}:
            by_name[name].append(i)
    cap = _common(len(entries))
    pairs: set[tuple[int, int]] = set()
    for members in (*by_name.values(), *by_word.values()):
        if len(members) > cap:
            continue
        pairs.update(combinations(members, 2))
    for i, j in sorted(pairs):
        yield entries[i], entries[j]


def _common(n: int) -> int:
    """How many titles a word may appear in and still pair entries: 25, or √n in a larger tree."""
    return max(25, int(n ** 0.5))


def find(entries: list[Entry], params: Params = DEFAULT) -> list[Conflict]:
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
    facts = {e.path: _facts(e) for e in active}
    for a, b in _candidates(active):
        key = frozenset((a.path, b.path))
        fa, fb = facts[a.path], facts[b.path]
        if key in seen or not _same_subject(a, b, fa, fb, params) or _linked(a, b) & CHAINED:
            continue
        clashes = (("values", _value_clash(fa, fb)), ("negation", _negation_clash(fa, fb, params)))
        for kind, reason in clashes:
            if reason:
                seen.add(key)
                out.append(Conflict(a.path, b.path, kind, reason))
                break
    return sorted(out, key=lambda c: (c.a, c.b))
