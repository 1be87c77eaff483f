"""Keeping links whole: adding a relation, and rewriting path relations and `[[wikilinks]]` when
an entry moves, as one transaction (entries/transaction.py).
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from ..model import Entry, Relation
from . import codec, layout as tree, store

if TYPE_CHECKING:
    from ..config import Workspace
    from .transaction import Transaction


def move_plan(ws: Workspace, old_rel: str, new_rel: str) -> tuple[Transaction, list[str]]:
    """The move of `old_rel` to `new_rel` with every relation and wikilink naming it pointed at
    its new path, as one transaction (caller holds the lock); and the other paths it touches."""
    from .transaction import Transaction

    pattern = re.compile(r"\[\[" + re.escape(old_rel) + r"(\.md)?(?=[\]|#])")
    plan = Transaction(ws.root, f"move {old_rel} -> {new_rel}")
    plan.write_text(new_rel, store.read_text(tree.file_for(ws.root, old_rel)))
    plan.remove(old_rel)
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
        if item.path == old_rel:  # it links to itself: its moved text is the relinked one
            plan.steps[0] = (new_rel, codec.render(changed))
            continue
        plan.write(changed)
        touched.append(item.path)
    return plan, touched


def move(ws: Workspace, old_rel: str, new_rel: str) -> list[str]:
    """Move an entry and relink what names it, as one transaction; the other paths touched."""
    with store.lock(ws.root):
        store.check_move(ws.root, old_rel, new_rel)
        plan, touched = move_plan(ws, old_rel, new_rel)
        plan.commit()
    return touched


def with_relation(old: Entry, relation: Relation) -> Entry:
    """`old` with one more relation (and a new `updated`), or `old` itself if it has it."""
    if relation in old.relations:
        return old
    return dataclasses.replace(old, relations=(*old.relations, relation), updated=codec.now_iso())
