"""Keeping links whole when an entry moves: rewrites path relations and `[[wikilinks]]`.

Called by Memory.move with the root lock held; writes through store.py only.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from . import entry as codec
from . import store
from .model import Relation

if TYPE_CHECKING:
    from .memory import Memory


def rewrite_links(memory: Memory, old_rel: str, new_rel: str) -> list[str]:
    """Point every relation and wikilink naming `old_rel` at `new_rel`; return touched paths."""
    pattern = re.compile(r"\[\[" + re.escape(old_rel) + r"(\.md)?(?=[\]|#])")
    touched: list[str] = []
    entries, _ = store.load_all(memory.root)
    for item in entries:
        relations = tuple(
            Relation(r.type, new_rel) if r.target == old_rel else r for r in item.relations
        )
        body = pattern.sub("[[" + new_rel, item.body)
        if relations == item.relations and body == item.body:
            continue
        changed = dataclasses.replace(item, relations=relations, body=body, updated=codec.now_iso())
        store.write(memory.root, changed, overwrite=True)
        touched.append(item.path)
    return touched
