"""Three-way merge of entry files and usage-signal files, as pure functions over texts.

Used by git through `memtree merge-driver`; the rules are documented in docs/history.md.
Reads or writes no files except in `merge_files`, the thin edge git calls.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from ..entries import codec
from ..errors import InvalidEntry
from ..model import Entry, Maturity, Status

OURS, SEP, THEIRS = "<<<<<<< ours", "=======", ">>>>>>> theirs"
MATURITY_RANK = {Maturity.DRAFT: 0, Maturity.VALIDATED: 1, Maturity.CORE: 2}
STATUS_RANK = {Status.ACTIVE: 0, Status.SUPERSEDED: 1, Status.ARCHIVED: 2}
# Fields that follow "changed on one side wins; changed on both, the newer `updated` wins".
SCALARS = ("title", "summary", "type", "pinned", "source", "format", "extra")


def merge_lines(
    base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]
) -> tuple[list[str], bool]:
    """A diff3 line merge; a region changed differently on both sides is marked. -> (lines, conflict)"""
    to_ours, to_theirs = _matches(base, ours), _matches(base, theirs)
    out: list[str] = []
    conflict = False
    i = j = k = 0
    while i < len(base) or j < len(ours) or k < len(theirs):
        stable = 0
        while (i + stable < len(base) and to_ours.get(i + stable) == j + stable
               and to_theirs.get(i + stable) == k + stable):
            stable += 1
        if stable:
            out.extend(base[i:i + stable])
            i, j, k = i + stable, j + stable, k + stable
            continue
        nxt = next((n for n in range(i, len(base)) if n in to_ours and n in to_theirs), None)
        if nxt is None:
            o_end, a_end, b_end = len(base), len(ours), len(theirs)
        else:
            o_end, a_end, b_end = nxt, to_ours[nxt], to_theirs[nxt]
        lines, clash = _chunk(base[i:o_end], ours[j:a_end], theirs[k:b_end])
        out.extend(lines)
        conflict = conflict or clash
        i, j, k = o_end, a_end, b_end
    return out, conflict


def _matches(base: Sequence[str], other: Sequence[str]) -> dict[int, int]:
    found: dict[int, int] = {}
    matcher = SequenceMatcher(None, list(base), list(other), autojunk=False)
    for block in matcher.get_matching_blocks():
        for n in range(block.size):
            found[block.a + n] = block.b + n
    return found


def _chunk(
    base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]
) -> tuple[list[str], bool]:
    if list(ours) == list(base):
        return list(theirs), False
    if list(theirs) == list(base) or list(ours) == list(theirs):
        return list(ours), False
    return [OURS, *ours, SEP, *theirs, THEIRS], True


def merge_text(base: str, ours: str, theirs: str) -> tuple[str, bool]:
    """Line-merge whole texts (each line keeps no newline; the result ends with one)."""
    lines, conflict = merge_lines(base.splitlines(), ours.splitlines(), theirs.splitlines())
    return ("\n".join(lines) + "\n") if lines else "", conflict


def merge_entries(base: str, ours: str, theirs: str, path: str = "") -> tuple[str, bool]:
    """Merge three versions of an entry file field by field. -> (text, body conflict)

    Files that do not parse as entries (or `_index.md`) fall back to a plain line merge.
    """
    try:
        a, b = codec.parse(ours, path), codec.parse(theirs, path)
        o = codec.parse(base, path) if base.strip() else None
    except InvalidEntry:
        return merge_text(base, ours, theirs)
    merged = merge_fields(o, a, b)
    body, conflict = merge_text(o.body if o else "", a.body, b.body)
    return codec.render(dataclasses.replace(merged, body=body)), conflict


def merge_fields(base: Entry | None, ours: Entry, theirs: Entry) -> Entry:
    """The frontmatter rules: unions, maxima, and the newer `updated` for the rest."""
    newer = theirs if theirs.updated > ours.updated else ours
    picked: dict[str, Any] = {}
    for name in SCALARS:
        mine, yours = getattr(ours, name), getattr(theirs, name)
        old = getattr(base, name) if base else None
        if mine == yours or yours == old:
            picked[name] = mine
        elif mine == old:
            picked[name] = yours
        else:
            picked[name] = getattr(newer, name)
    created = [c for c in (ours.created, theirs.created) if c]
    return dataclasses.replace(
        ours,
        **picked,
        tags=_union(ours.tags, theirs.tags),
        aliases=_union(ours.aliases, theirs.aliases),
        relations=_union(ours.relations, theirs.relations),
        importance=max(ours.importance, theirs.importance),
        maturity=max(ours.maturity, theirs.maturity, key=MATURITY_RANK.__getitem__),
        status=max(ours.status, theirs.status, key=STATUS_RANK.__getitem__),
        created=min(created) if created else "",
        updated=max(ours.updated, theirs.updated),
    )


def _union(first: Sequence[Any], second: Sequence[Any]) -> tuple[Any, ...]:
    out = list(first)
    out.extend(item for item in second if item not in out)
    return tuple(out)


def merge_signals(base: str, ours: str, theirs: str) -> str:
    """Usage counters only grow per writer: the merge keeps the larger count of each."""
    del base
    counts: dict[str, dict[str, int]] = {}
    for text in (ours, theirs):
        try:
            data = json.loads(text) if text.strip() else {}
        except ValueError:
            continue
        for entry_id, kinds in (data.get("counts") or {}).items():
            slot = counts.setdefault(str(entry_id), {})
            for kind, n in kinds.items():
                slot[kind] = max(slot.get(kind, 0), int(n))
    return json.dumps({"counts": counts}, indent=1, sort_keys=True) + "\n"


def merge_files(base: Path, ours: Path, theirs: Path, path: str, signals: bool = False) -> bool:
    """What git's merge driver does: merge into `ours` in place; True when a conflict is left."""
    from ..entries import store

    texts = [p.read_text(encoding="utf-8") if p.exists() else "" for p in (base, ours, theirs)]
    if signals:
        store.atomic_write(ours, merge_signals(*texts))
        return False
    merged, conflict = merge_entries(texts[0], texts[1], texts[2], path.removesuffix(".md"))
    store.atomic_write(ours, merged)
    return conflict
