"""The coding benchmark's baselines and metrics (see ../shared/data/coding/README.md): an Okapi
BM25 grown entry by entry, BM25 fused with recency, grep and `git log -- files`, each over exactly
the entries added so far; and the per-query scores the harness averages. Pure Python, no memtree.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence

from memtree.index.tokens import STOPWORDS

K1, B = 1.2, 0.75  # Okapi BM25 as the data README defines it
RRF_K = 60  # reciprocal rank fusion constant
FUSE_DEPTH = 200  # BM25's first 200 and the 200 newest entries are fused
DEPTH = 50  # results scored per query
METRICS = ("r@5", "r@10", "s@5", "mrr", "p@3")
TOKEN_RE = re.compile(r"[a-z0-9]+")
GREP_WORD_RE = re.compile(r"[a-z0-9]{3,}")


def _stemmer() -> Callable[[str], str]:
    import snowballstemmer  # the `dev` extra; only the benchmark needs it

    stem = snowballstemmer.stemmer("porter").stemWord
    cache: dict[str, str] = {}

    def run(word: str) -> str:
        found = cache.get(word)
        if found is None:
            found = cache[word] = stem(word)
        return found

    return run


class Analyzer:
    """Lowercase alphanumeric runs, English stopwords and one-letter tokens dropped, Porter."""

    def __init__(self) -> None:
        self.stem = _stemmer()

    def __call__(self, text: str) -> list[str]:
        return [self.stem(t) for t in TOKEN_RE.findall(text.lower())
                if len(t) > 1 and t not in STOPWORDS]


class BM25:
    """Okapi BM25 over documents added in order (doc n is the n-th added); idf
    ln(1 + (N - n + 0.5) / (n + 0.5)) over the documents held at query time."""

    def __init__(self, analyze: Callable[[str], list[str]]) -> None:
        self.analyze = analyze
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.lengths: list[int] = []
        self.total = 0

    def add(self, text: str) -> None:
        doc = len(self.lengths)
        counts = Counter(self.analyze(text))
        for term, tf in counts.items():
            self.postings[term].append((doc, tf))
        length = sum(counts.values())
        self.lengths.append(length)
        self.total += length

    def search(self, text: str, depth: int) -> list[int]:
        """The best `depth` documents for a query (each distinct query term counted once)."""
        n_docs = len(self.lengths)
        if not n_docs:
            return []
        avg = self.total / n_docs or 1.0
        scores: dict[int, float] = defaultdict(float)
        for term in dict.fromkeys(self.analyze(text)):
            posts = self.postings.get(term)
            if not posts:
                continue
            idf = math.log(1 + (n_docs - len(posts) + 0.5) / (len(posts) + 0.5))
            for doc, tf in posts:
                norm = K1 * (1 - B + B * self.lengths[doc] / avg)
                scores[doc] += idf * tf * (K1 + 1) / (tf + norm)
        return sorted(scores, key=lambda d: (-scores[d], -d))[:depth]


def fuse_recency(ranked: Sequence[int], size: int, depth: int = FUSE_DEPTH) -> list[int]:
    """Reciprocal rank fusion (k 60) of `ranked`'s first `depth` and the `depth` newest of
    `size` entries (entry n is newer than entry n - 1)."""
    scores: dict[int, float] = defaultdict(float)
    for rank, doc in enumerate(ranked[:depth], 1):
        scores[doc] += 1 / (RRF_K + rank)
    for rank, doc in enumerate(range(size - 1, max(-1, size - 1 - depth), -1), 1):
        scores[doc] += 1 / (RRF_K + rank)
    return sorted(scores, key=lambda d: (-scores[d], -d))


class Grep:
    """Entries ranked by how many distinct query words (3+ letters, stopwords dropped) they hold
    as case-insensitive substrings; newest first among equals."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def add(self, text: str) -> None:
        self.texts.append(text.lower())

    def search(self, text: str, depth: int) -> list[int]:
        words = [w for w in dict.fromkeys(GREP_WORD_RE.findall(text.lower())) if w not in STOPWORDS]
        counts: Counter[int] = Counter()
        for word in words:
            counts.update(i for i, t in enumerate(self.texts) if word in t)
        return sorted(counts, key=lambda d: (-counts[d], -d))[:depth]


class Files:
    """`git log -- <files>`: entries ranked by how many of the files they touched, newest first."""

    def __init__(self) -> None:
        self.touched: dict[str, list[int]] = defaultdict(list)
        self.size = 0

    def add(self, files: Iterable[str]) -> None:
        for name in dict.fromkeys(files):
            self.touched[name].append(self.size)
        self.size += 1

    def search(self, files: Iterable[str], depth: int) -> list[int]:
        counts: Counter[int] = Counter()
        for name in dict.fromkeys(files):
            counts.update(self.touched.get(name, ()))
        return sorted(counts, key=lambda d: (-counts[d], -d))[:depth]


def score(ranked: Sequence[int], gold: Iterable[int], ignore: Iterable[int] = ()) -> dict[str, float]:
    """One query's R@5, R@10, S@5, MRR (first 50 after `ignore` is removed) and P@3 (the raw
    first three: an ignored entry there is a miss)."""
    wanted, skipped = set(gold), set(ignore)
    if not wanted:
        raise ValueError("a query needs at least one gold entry")
    kept = [i for i in ranked if i not in skipped][:DEPTH]
    first = next((n for n, i in enumerate(kept, 1) if i in wanted), 0)
    return {"r@5": len(wanted & set(kept[:5])) / len(wanted),
            "r@10": len(wanted & set(kept[:10])) / len(wanted),
            "s@5": 1.0 if first and first <= 5 else 0.0,
            "mrr": 1 / first if first else 0.0,
            "p@3": sum(1 for i in ranked[:3] if i in wanted) / 3}


def precision(injected: Sequence[int], gold: Iterable[int]) -> float | None:
    """Share of injected entries that are gold; None when nothing was injected."""
    if not injected:
        return None
    wanted = set(gold)
    return sum(1 for i in injected if i in wanted) / len(injected)


def mean(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    """Per-metric means over queries (keys of the first row)."""
    if not rows:
        return {}
    return {k: sum(r[k] for r in rows) / len(rows) for k in rows[0]}
