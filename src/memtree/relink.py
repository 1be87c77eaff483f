"""Keeping links whole when an entry moves: rewrites path relations and `[[wikilinks]]`.

Called by Memory.move with the root lock held; plans the writes, a Transaction makes them.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from . import entry as codec
from . import store, tree
from .model import Relation

if TYPE_CHECKING:
    from .memory import Memory
    from .transaction import Transaction


def move_plan(memory: Memory, old_rel: str, new_rel: str) -> tuple[Transaction, list[str]]:
    """The move of `old_rel` to `new_rel` with every relation and wikilink naming it pointed at
    its new path, as one transaction (caller holds the lock); and the other paths it touches."""
    from .transaction import Transaction

    pattern = re.compile(r"\[\[" + re.escape(old_rel) + r"(\.md)?(?=[\]|#])")
    plan = Transaction(memory.root, f"move {old_rel} -> {new_rel}")
    plan.write_text(new_rel, store.read_text(tree.file_for(memory.root, old_rel)))
    plan.remove(old_rel)
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
        if item.path == old_rel:  # it links to itself: its moved text is the relinked one
            plan.steps[0] = (new_rel, codec.render(changed))
            continue
        plan.write(changed)
        touched.append(item.path)
    return plan, touched


def move(memory: Memory, old_rel: str, new_rel: str) -> list[str]:
    """Move an entry and relink what names it, as one transaction; the other paths touched."""
    with store.lock(memory.root):
        store.check_move(memory.root, old_rel, new_rel)
        plan, touched = move_plan(memory, old_rel, new_rel)
        plan.commit()
    return touched
