"""Keeping links whole: adding a relation, and rewriting path relations and `[[wikilinks]]` when
an entry moves or is deleted, as one transaction (entries/transaction.py).
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


def delete_plan(ws: Workspace, rel: str) -> tuple[Transaction, list[str]]:
    """The deletion of `rel` with every relation to it dropped and every `[[wikilink]]` to it
    turned into plain text (its label, else the title), as one transaction (caller holds the
    lock); and the other paths it touches."""
    from .transaction import Transaction

    gone = store.read(ws.root, rel)
    plan = Transaction(ws.root, f"delete {rel}")
    plan.remove(rel)
    entries, _ = store.load_all(ws.root)
    slug = rel.rsplit("/", 1)[-1]
    names = {rel, rel.removeprefix(tree.ARCHIVE_DIR + "/"), *([gone.id] if gone.id else [])}
    if sum(e.path.rsplit("/", 1)[-1] == slug for e in entries) == 1:
        names.add(slug)  # Obsidian's [[note-name]]: only while no other entry has that name

    def plain(match: re.Match[str]) -> str:
        target = match.group(1).strip().removesuffix(".md")
        if target not in names:
            return match.group(0)
        label = (match.group(2) or "").strip()
        return label or gone.title

    touched: list[str] = []
    for item in entries:
        if item.path == rel:
            continue
        relations = tuple(r for r in item.relations if r.target not in names)
        body = re.sub(_LINK, plain, item.body)
        if relations != item.relations or body != item.body:
            plan.write(dataclasses.replace(item, relations=relations, body=body,
                                           updated=codec.now_iso()))
            touched.append(item.path)
    return plan, touched


_LINK = r"\[\[([^\]|#]+)(?:#[^\]|]*)?(?:\|([^\]]*))?\]\]"  # [[target#section|label]]


def delete(ws: Workspace, rel: str) -> list[str]:
    """Delete an entry and unlink what names it, as one transaction; the other paths touched."""
    with store.lock(ws.root):
        plan, touched = delete_plan(ws, rel)
        plan.commit()
    return touched


def with_relation(old: Entry, relation: Relation) -> Entry:
    """`old` with one more relation (and a new `updated`), or `old` itself if it has it."""
    if relation in old.relations:
        return old
    return dataclasses.replace(old, relations=(*old.relations, relation), updated=codec.now_iso())
