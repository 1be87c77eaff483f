"""The semantic signal of the trial recorded in benchmarks/RESULTS.md ("Semantic signal
(optional): tried"; docs/decisions/0004-no-semantic-signal.md): a static word-piece embedding
model (a table of token vectors, as `benchmarks/semantic_distil.py` makes) scores memtree's
full-text candidates by the cosine between the query and each entry, and a light score-level
fusion re-orders them. Not part of memtree: `install` wraps the full-text tier of the running
process (benchmarks only).
"""

from __future__ import annotations

import dataclasses
import functools
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from memtree.model import Entry, Hit
from memtree.retrieval import tiers

WEIGHT = 0.0        # fused = score / best + WEIGHT x (cosine - lowest) / (highest - lowest)
MODEL = ""          # a directory holding vectors.npy (tokens x dims) and vocab.txt
MAX_TOKENS = 512    # word pieces of an entry that are embedded (title, summary, body in order)
MAX_CHARS = 100     # a longer word is one unknown token, as BERT's WordPiece does
ORIGINAL = tiers.fulltext_tier


def install(folder: str, weight: float) -> None:
    """From now on the full-text tier of this process re-ranks its whole candidate pool with the
    signal (weight 0: as memtree ranks)."""
    global MODEL, WEIGHT
    MODEL, WEIGHT = folder, weight
    tiers.fulltext_tier = _fulltext_tier


def _fulltext_tier(idx: Any, text: str, filters: Any, pool: int, wanted: int = 10,
                   *args: Any, **kwargs: Any) -> list[Hit]:
    """memtree's full-text tier asked for its whole pool, fused, then cut to `wanted`."""
    if WEIGHT <= 0:
        return list(ORIGINAL(idx, text, filters, pool, wanted, *args, **kwargs))
    hits = ORIGINAL(idx, text, filters, pool, pool, *args, **kwargs)
    if len(hits) < 2:
        return hits[:wanted]
    marks = ",".join("?" * len(hits))
    entries = {e.path: e for e in idx.entries(f"path IN ({marks})", [h.path for h in hits])}
    return fuse(text, hits, entries)[:wanted]


class Static:
    """A static model: one vector per word piece; a text's vector is the mean of its pieces'."""

    def __init__(self, folder: Path) -> None:
        self.vectors = np.load(folder / "vectors.npy")
        words = (folder / "vocab.txt").read_text(encoding="utf-8").split("\n")[:len(self.vectors)]
        self.vocab = {w: i for i, w in enumerate(words)}
        self.unknown = self.vocab.get("[UNK]")
        self.cache: dict[tuple[str, str, int], np.ndarray] = {}

    def pieces(self, text: str) -> list[int]:
        out: list[int] = []
        for word in _words(text):
            out.extend(self._word(word))
            if len(out) >= MAX_TOKENS:
                return out[:MAX_TOKENS]
        return out

    @functools.lru_cache(maxsize=65536)  # noqa: B019 - one model per process
    def _word(self, word: str) -> tuple[int, ...]:
        """Greedy longest-match-first word pieces; the unknown token if one part has none."""
        if len(word) > MAX_CHARS:
            return () if self.unknown is None else (self.unknown,)
        out, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    out.append(self.vocab[piece])
                    break
                end -= 1
            if end == start:
                return () if self.unknown is None else (self.unknown,)
            start = end
        return tuple(out)

    def encode(self, text: str) -> np.ndarray:
        ids = self.pieces(text)
        if not ids:
            return np.zeros(self.vectors.shape[1], np.float32)
        vec = self.vectors[ids].mean(0)
        size = float(np.linalg.norm(vec))
        return np.asarray(vec / size if size else vec, np.float32)

    def entry(self, item: Entry) -> np.ndarray:
        key = (item.path, item.updated, len(item.body))
        vec = self.cache.get(key)
        if vec is None:
            vec = self.cache[key] = self.encode(f"{item.title}\n{item.summary}\n{item.body}")
        return vec


def _words(text: str) -> list[str]:
    """BERT's basic tokenizer: lower case, accents stripped, split on spaces and punctuation."""
    text = unicodedata.normalize("NFD", text.lower())
    out: list[str] = []
    word: list[str] = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Mn":
            continue
        if ch.isspace() or cat.startswith("C"):
            if word:
                out.append("".join(word))
                word = []
        elif cat.startswith("P") or (ch.isascii() and not ch.isalnum()):
            if word:
                out.append("".join(word))
                word = []
            out.append(ch)
        else:
            word.append(ch)
    if word:
        out.append("".join(word))
    return out


@functools.cache
def model(folder: str) -> Static:
    return Static(Path(folder))


def fuse(text: str, hits: Sequence[Hit], entries: Mapping[str, Entry]) -> list[Hit]:
    """The hits re-ordered by score / best + WEIGHT x min-max normalised cosine to the query,
    rescaled by best / (1 + WEIGHT)."""
    if len(hits) < 2:
        return list(hits)
    static = model(MODEL)
    asked = static.encode(text)
    cosines = np.array([float(static.entry(entries[h.path]) @ asked) for h in hits])
    low, high = float(cosines.min()), float(cosines.max())
    spread = (cosines - low) / (high - low) if high > low else np.zeros(len(hits))
    best = max(h.score for h in hits) or 1.0
    scale = best / (1 + WEIGHT)  # on the text score's scale: thresholds (the hook's) still hold
    fused = [dataclasses.replace(h, score=scale * (h.score / best + WEIGHT * float(s)),
                                 parts=(*h.parts, ("semantic", float(c))))
             for h, s, c in zip(hits, spread, cosines, strict=True)]
    return sorted(fused, key=lambda h: (-h.score, h.path))
