"""Supersession chains as pure functions: who replaced whom, the head of a chain, the note text.

No I/O: works on lists of entries. Relations may name an entry by id or by memory path.
"""

from __future__ import annotations

from ..model import Entry

ARCHIVE_PREFIX = "_archive/"


def _lookup(entries: list[Entry]) -> dict[str, Entry]:
    found: dict[str, Entry] = {}
    for item in entries:
        found.setdefault(item.path.removeprefix(ARCHIVE_PREFIX), item)
        if item.id:
            found.setdefault(item.id, item)
    return found


def _targets(item: Entry, rel_type: str) -> list[str]:
    return [r.target for r in item.relations if r.type == rel_type]


def successor(item: Entry, entries: list[Entry]) -> Entry | None:
    """The entry that replaced `item` (its superseded_by, or one claiming to supersede it)."""
    return _linked(item, entries, "superseded_by", "supersedes")


def predecessor(item: Entry, entries: list[Entry]) -> Entry | None:
    """The entry `item` replaced (its supersedes, or one naming it as superseded_by)."""
    return _linked(item, entries, "supersedes", "superseded_by")


def _linked(item: Entry, entries: list[Entry], own: str, claimed: str) -> Entry | None:
    """The entry `item` points at through `own`, else one pointing at `item` through `claimed`."""
    look = _lookup(entries)
    for target in _targets(item, own):
        if target in look:
            return look[target]
    names = {item.id, item.path}
    for other in entries:
        if other is not item and names & set(_targets(other, claimed)):
            return other
    return None


def chain(item: Entry, entries: list[Entry]) -> list[Entry]:
    """The whole chain through `item`, oldest first, head last. Cycles stop the walk."""
    seen = {item.id or item.path}
    back: list[Entry] = []
    current = item
    while (prev := predecessor(current, entries)) is not None and (prev.id or prev.path) not in seen:
        seen.add(prev.id or prev.path)
        back.append(prev)
        current = prev
    forward: list[Entry] = []
    current = item
    while (nxt := successor(current, entries)) is not None and (nxt.id or nxt.path) not in seen:
        seen.add(nxt.id or nxt.path)
        forward.append(nxt)
        current = nxt
    return [*reversed(back), item, *forward]


def later(item: Entry, entries: list[Entry]) -> list[Entry]:
    """The entries that (transitively) replaced `item`, oldest first."""
    whole = chain(item, entries)
    return whole[[e.path for e in whole].index(item.path) + 1 :]


def head(item: Entry, entries: list[Entry]) -> Entry:
    """The newest entry of the chain `item` belongs to (itself when nothing replaced it)."""
    return chain(item, entries)[-1]


def heads(entries: list[Entry]) -> dict[str, str]:
    """For every superseded entry id, the id of its chain's head (for retrieval to prefer)."""
    return {
        e.id: head(e, entries).id
        for e in entries
        if e.id and any(r.type == "superseded_by" for r in e.relations)
    }


def note(new_path: str, date: str, reason: str) -> str:
    """The line put at the top of a superseded entry's body."""
    why = reason.strip().rstrip(".") or "no reason given"
    return f"> Superseded by [[{new_path}]] on {date} because {why}."


def add_note(body: str, line: str) -> str:
    """Put `line` first in `body`, replacing an earlier supersession line."""
    rest = [ln for ln in body.splitlines() if not ln.startswith("> Superseded by [[")]
    text = "\n".join(rest).lstrip("\n")
    return line + "\n\n" + text if text else line + "\n"
