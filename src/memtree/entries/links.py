"""Keeping links whole: adding a relation, and rewriting path relations and `[[wikilinks]]` when
an entry moves (called with the root lock held; writes through store.py only).
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from ..model import Entry, Relation
from . import codec, store

if TYPE_CHECKING:
    from ..config import Workspace


def rewrite_links(ws: Workspace, old_rel: str, new_rel: str) -> list[str]:
    """Point every relation and wikilink naming `old_rel` at `new_rel`; return touched paths."""
    pattern = re.compile(r"\[\[" + re.escape(old_rel) + r"(\.md)?(?=[\]|#])")
    touched: list[str] = []
    entries, _ = store.load_all(ws.root)
    for item in entries:
        relations = tuple(
            Relation(r.type, new_rel) if r.target == old_rel else r for r in item.relations
        )
        body = pattern.sub("[[" + new_rel, item.body)
        if relations == item.relations and body == item.body:
            continue
        changed = dataclasses.replace(item, relations=relations, body=body, updated=codec.now_iso())
        store.write(ws.root, changed, overwrite=True)
        touched.append(item.path)
    return touched


def with_relation(old: Entry, relation: Relation) -> Entry:
    """`old` with one more relation (and a new `updated`), or `old` itself if it has it."""
    if relation in old.relations:
        return old
    return dataclasses.replace(old, relations=(*old.relations, relation), updated=codec.now_iso())
