"""Text to search terms: code identifiers split and kept whole, prose lowercased, query stopwords.

Pure functions, no I/O. Documents and queries go through the same rules, so `snake_case`,
`camelCase`, `dotted.paths`, `invoice.py` and `kebab-case` match by their whole and by their parts.
"""

from __future__ import annotations

import re
import unicodedata

# A "word" may hold identifier joiners (_ . - /) between alphanumeric runs.
WORD_RE = re.compile(r"[^\W_]+(?:[_.\-/]+[^\W_]+)*|_+[^\W_]+(?:[_.\-/]+[^\W_]+)*", re.UNICODE)
PART_RE = re.compile(r"[^\W_]+", re.UNICODE)
CAMEL_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[^\W\d_a-zA-Z]+", re.UNICODE)

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    s t don ll ve re m d""".split()
)


def strip_accents(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Lowercase and strip accents, so `Café` and `cafe` meet."""
    return strip_accents(text).lower()


def split_identifier(word: str) -> list[str]:
    """The parts of one identifier: `parseHTTPResponse_v2` -> parse, http, response, v2 parts."""
    parts: list[str] = []
    for chunk in PART_RE.findall(strip_accents(word)):
        pieces = CAMEL_RE.findall(chunk) or [chunk]
        parts.extend(fold(p) for p in pieces if p)
    return parts


def word_terms(word: str) -> list[str]:
    """Terms for one word: its parts, then the whole joined form when it has several parts."""
    parts = split_identifier(word)
    if len(parts) > 1:
        return [*parts, "".join(parts)]
    return parts


_KNOWN: dict[str, list[str]] = {}  # word -> its terms (vocabularies repeat; bounded below)
KNOWN_MAX = 200_000


def _word(word: str) -> list[str]:
    if word.isalnum() and word.isascii() and (word.islower() or word[1:].islower()
                                             or word.isdigit()):
        return [word.lower()]  # plain prose word: the common case
    return word_terms(word)


def terms(text: str) -> list[str]:
    """Every term of a document text, in order (identifiers give parts and their whole)."""
    out: list[str] = []
    known = _KNOWN
    for word in WORD_RE.findall(text):
        found = known.get(word)
        if found is None:
            found = _word(word)
            if len(known) < KNOWN_MAX:
                known[word] = found
        out += found
    return out


def index_text(text: str) -> str:
    """Document text as FTS5 will store it: the terms joined by spaces."""
    return " ".join(terms(text))


def query_terms(text: str) -> list[str]:
    """Distinct query terms without stopwords, in order. Identifiers keep their parts and whole.

    A query made only of stopwords keeps them, so asking for "the who" still finds something.
    """
    found = terms(text)
    kept = [t for t in found if t not in STOPWORDS]
    chosen = kept or found
    out: list[str] = []
    for term in chosen:
        if term not in out:
            out.append(term)
    return out


def name_terms(text: str) -> frozenset[str]:
    """The set of content terms of a short name (title, alias, tag) for keyword matching."""
    return frozenset(query_terms(text))


def query_groups(text: str) -> list[list[str]]:
    """One group per distinct query word without stopwords: [term] or [parts…, whole].

    The last term of a group names it. A query made only of stopwords keeps them.
    """
    groups: list[list[str]] = []
    everything: list[list[str]] = []
    for word in WORD_RE.findall(text):
        group = word_terms(word)
        if not group:
            continue
        everything.append(group)
        if len(group) == 1 and group[0] in STOPWORDS:
            continue
        groups.append(group)
    out: list[list[str]] = []
    for group in groups or everything:
        if group not in out:
            out.append(group)
    return out
