"""Writing drafts as entries, idempotently: a draft's id comes from its place in the source, so a
re-run finds the entry it wrote before and updates it only when the source changed, and leaves it
alone (reported as `edited`) when someone changed the entry since. Provenance goes into `source`
and the `imported` key (docs/format.md); superseded records go through `Lifecycle.supersede`."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..entries import codec, layout as tree, store
from ..model import Anchor, Change, Entry, Source, Status
from .draft import Draft

KEY = "imported"  # the frontmatter key holding where an imported entry came from
NOTE_PREFIX = "> Superseded by [["
CHUNK = 1000  # entries per bulk write
STOP_AFTER = "MEMTREE_IMPORT_STOP_AFTER_CHUNK"


@dataclass(frozen=True)
class Outcome:
    """What an import did (or would do) with one draft: add, update, unchanged, edited (left
    alone: changed by someone since), supersede, gone (no longer in the source; left alone)."""

    action: str
    path: str
    title: str
    source: str
    note: str = ""

    def to_dict(self) -> dict[str, str]:
        out = {"action": self.action, "path": self.path, "title": self.title, "source": self.source}
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class Report:
    """The outcomes of one import run and whether anything was written."""

    outcomes: list[Outcome] = field(default_factory=list)
    dry_run: bool = False
    found: dict[str, int] = field(default_factory=dict)  # source kind -> files or commits read
    took_ms: float = 0.0

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in self.outcomes:
            out[item.action] = out.get(item.action, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "found": self.found, "counts": self.counts(),
                "took_ms": round(self.took_ms, 1),
                "entries": [o.to_dict() for o in self.outcomes]}


def fingerprint(item: Entry) -> str:
    """What a person edits in an entry (title, summary, type, tags, body without the
    supersession note), hashed: a difference from the stamp written at import means an edit."""
    body = "\n".join(ln for ln in item.body.splitlines() if not ln.startswith(NOTE_PREFIX)).strip()
    parts = (item.title, item.summary, item.type, ",".join(item.tags), body)
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:16]


def imported_meta(item: Entry) -> dict[str, Any] | None:
    value = item.extra_dict().get(KEY)
    return value if isinstance(value, dict) else None


def plan(root: Path, drafts: Sequence[Draft], kinds: set[str]) -> tuple[list[Outcome], dict[str, Entry]]:
    """The outcome of each draft against the entries on disk, and the entries to write by path.
    Entries earlier imported from one of `kinds` that no draft names are reported as `gone`."""
    existing, _ = store.load_all(root, archived=False)
    by_id = {e.id: e for e in existing}
    taken = {e.path for e in existing}
    outcomes: list[Outcome] = []
    writes: dict[str, Entry] = {}
    for item in drafts:
        old = by_id.get(item.id)
        action, path, note = _decide(item, old, taken)
        outcomes.append(Outcome(action, path, item.title, item.origin.get("file", item.key), note))
        if action in ("add", "update"):
            taken.add(path)
            writes[path] = _entry(item, path, old)
    wanted = {d.id for d in drafts}
    for old in existing:
        meta = imported_meta(old)
        if meta and meta.get("kind") in kinds and old.id not in wanted:
            outcomes.append(Outcome("gone", old.path, old.title, str(meta.get("file", "")),
                                    "no longer in the source; left as it is"))
    return outcomes, writes


def _decide(item: Draft, old: Entry | None, taken: set[str]) -> tuple[str, str, str]:
    if old is None:
        path = tree.entry_path(item.folder, item.slug)
        if path in taken:  # someone's own entry sits there: keep it, take a nearby name
            path = tree.entry_path(item.folder, f"{item.slug[:54]}-{item.id[:5]}")
        return "add", path, ""
    meta = imported_meta(old)
    if meta is None or meta.get("written") != fingerprint(old):
        return "edited", old.path, "changed since it was imported; left as it is"
    if meta.get("hash") == item.digest:
        return "unchanged", old.path, ""
    return "update", old.path, ""


def _entry(item: Draft, path: str, old: Entry | None) -> Entry:
    now = codec.now_iso()
    body = item.body
    if old is not None:
        note = next((ln for ln in old.body.splitlines() if ln.startswith(NOTE_PREFIX)), "")
        body = f"{note}\n\n{body}" if note else body
    made = Entry(
        id=item.id, title=item.title, path=path, summary=item.summary, type=item.type,
        tags=item.tags, aliases=item.aliases, importance=item.importance,
        created=(old.created if old else "") or item.created or now,
        updated=item.updated or now, body=body,
        source=Source(item.by, None, item.commit, item.files),
        anchors=tuple(Anchor(p) for p in item.anchors))  # hashed when written
    if old is not None:
        keep = tuple((k, v) for k, v in old.extra if k != KEY)
        made = dataclasses.replace(made, relations=old.relations, status=old.status,
                                   pinned=old.pinned, maturity=old.maturity,
                                   importance=old.importance, extra=keep)
    meta = {**item.origin, "hash": item.digest, "written": fingerprint(made)}
    return dataclasses.replace(made, extra=(*made.extra, (KEY, meta)))


def write(ws: Any, writes: dict[str, Entry], anchor: Callable[[str], Anchor | None],
          summary: str, reason: str | None) -> None:
    """Write the planned entries (anchored, with the actor as author when the source has none)
    under the root lock, in chunks through the store's bulk writer, then record them as one
    Change. The Change is queued for history before the first file is written, so an import
    killed half-way leaves whole entries that the next commit (or a re-run) records."""
    from ..history import git as history

    change = Change("import", tuple(sorted(writes)), summary, reason)
    if not writes:
        if any(c.action == "import" for c in history.read_queue(ws.root)):
            _record(ws, dataclasses.replace(change, summary="import: finish an interrupted import"))
        return
    with store.lock(ws.root):
        queued = history.read_queue(ws.root)
        history.write_queue(ws.root, [*queued, change])
        items = [_stamped(ws, item, anchor) for item in writes.values()]
        for n, start in enumerate(range(0, len(items), CHUNK), 1):
            store.write_many(ws.root, items[start:start + CHUNK])
            _maybe_stop(n)
        history.write_queue(ws.root, [c for c in history.read_queue(ws.root) if c != change])
    _record(ws, change)


def _stamped(ws: Any, item: Entry, anchor: Callable[[str], Anchor | None]) -> Entry:
    made = tuple(a for a in (anchor(p.path) for p in item.anchors) if a is not None)
    return dataclasses.replace(item, anchors=made,
                               source=dataclasses.replace(item.source, by=item.source.by or ws.actor))


def _record(ws: Any, change: Change) -> None:
    from ..history.service import record

    record(ws, change)


def _maybe_stop(chunk: int) -> None:
    """Testing hook (docs/architecture.md): SIGKILL this process after `STOP_AFTER` chunks."""
    if os.environ.get(STOP_AFTER) == str(chunk):
        os.kill(os.getpid(), signal.SIGKILL)


def supersessions(ws: Any, drafts: Sequence[Draft], dry_run: bool,
                  planned: dict[str, str] | None = None) -> list[Outcome]:
    """Mark each record that a later record supersedes, through the lifecycle's supersede (once:
    a chain already in place is left as it is). `planned`: id -> path of entries a dry run
    would write."""
    by_key = {d.key: d for d in drafts}
    existing, _ = store.load_all(ws.root, archived=False)
    by_id = {e.id: e for e in existing}
    out = []
    for item in drafts:
        later = by_key.get(item.superseded_by)
        old, new = by_id.get(item.id), by_id.get(later.id) if later else None
        if later is None or (not dry_run and (old is None or new is None)):
            continue
        if old is not None and old.status is Status.SUPERSEDED:
            continue
        reason = f"{later.title} supersedes it ({item.origin.get('file', '')})"
        if not dry_run and old is not None and new is not None:
            from ..lifecycle.service import Lifecycle

            Lifecycle(ws).supersede(old.path, new.path, reason)
        where = old.path if old else (planned or {}).get(item.id, item.key)
        out.append(Outcome("supersede", where, item.title,
                           item.origin.get("file", ""), f"superseded by {later.title}"))
    return out
