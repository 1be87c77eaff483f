"""Lifecycle as a service over a Workspace: pin, feedback, supersede, chains, conflicts, maturity
passes, consolidation, archive stubs, code anchors, `_index.md` summaries and stats. Decisions
come from the pure modules; every file change goes through store.py and is one recorded Change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Sequence

from ..entries import codec, layout as tree, store, transaction
from ..errors import InvalidEntry, UsageError
from ..model import Anchor, Change, Entry, Maturity, Problem, Relation, Status

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any

    from ..config import Workspace
    from .anchors import Finding
    from .conflicts import Conflict
    from .consolidate import Proposal
    from .scores import MaturityChange, Params
    from .summaries import Summary

VERDICTS = ("useful", "wrong")


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


def _setter(**fields: Any) -> Callable[[Entry], Entry]:
    return lambda item: dataclasses.replace(item, **fields)


def _reanchored(found: dict[Anchor, Finding], commit: str | None) -> Callable[[Entry], Entry]:
    from .anchors import refreshed

    def change(item: Entry) -> Entry:
        return dataclasses.replace(item, anchors=tuple(
            refreshed(a, found[a], commit) if a in found else a for a in item.anchors))
    return change


class Lifecycle:
    """The lifecycle of one memory root's entries."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.root = ws.root

    def resolve(self, ref: str) -> str:
        from ..index.refs import resolve

        return resolve(self.root, ref)

    def get(self, ref: str) -> Entry:
        return store.read(self.root, self.resolve(ref))

    def load(self, archived: bool = True) -> tuple[list[Entry], list[Problem]]:
        return store.load_all(self.root, archived=archived)

    def _record(self, change: Change) -> None:
        from ..history.service import record

        record(self.ws, change)

    def params(self) -> Params:
        """The `[lifecycle]` settings of config.toml."""
        from .scores import params_of

        return params_of(self.ws.settings)

    def usage(self) -> Counter[tuple[str, str]]:
        """Usage counts `(id, kind) -> n` from every writer's signals (never from entry files)."""
        from . import signals

        return signals.totals(self.root)

    def importance_of(self, item: Entry, now: dt.datetime | None = None) -> float:
        from . import scores as lifecycle

        usage = lifecycle.Usage.of(self.usage(), item.id)
        return lifecycle.importance(item, _now(now), usage, self.params())

    def _rewrite(self, ref: str, change: Callable[[Entry], Entry], action: str,
                 summary: str, reason: str | None) -> Entry:
        """Read, change and write one entry under the lock, then record one Change."""
        rel = self.resolve(ref)
        with store.lock(self.root):
            old = store.read(self.root, rel)
            new = change(old)
            if new == old:
                return old
            store.write(self.root, new, overwrite=True)
        self._record(Change(action, (rel,), summary.replace("{path}", rel), reason))
        return new

    # ------------------------------------------------------------ pin and feedback

    def pin(self, ref: str, pinned: bool = True, reason: str | None = None) -> Entry:
        """Pin (core, never decays) or unpin an entry. `updated` is left alone."""
        def change(old: Entry) -> Entry:
            if pinned:
                return dataclasses.replace(old, pinned=True, maturity=Maturity.CORE)
            return dataclasses.replace(old, pinned=False)
        verb = "pin" if pinned else "unpin"
        return self._rewrite(ref, change, verb, verb + " {path}", reason)

    def feedback(self, ref: str, verdict: str, note: str | None = None) -> dict[str, Any]:
        """Record `useful` or `wrong` for an entry (a usage signal; the entry file is untouched)."""
        from . import signals

        verdict = verdict.strip().lower()
        if verdict not in VERDICTS:
            raise UsageError(f"verdict {verdict!r}: use useful or wrong")
        item = self.get(ref)
        signals.record(self.root, item.id, verdict)
        if note:
            from ..entries import local

            local.append(self.root, "feedback.jsonl", {"id": item.id, "verdict": verdict, "note": note,
                                                       "by": self.ws.actor, "t": int(time.time())})
        totals = self.usage()
        return {"id": item.id, "path": item.path, "verdict": verdict,
                "useful": totals[(item.id, "useful")], "wrong": totals[(item.id, "wrong")],
                "importance": round(self.importance_of(item), 1)}

    # ------------------------------------------------------------ supersession

    def supersede(self, old_ref: str, new_ref: str, reason: str) -> tuple[Entry, Entry]:
        """Mark OLD superseded by NEW (both files written, one Change); OLD keeps its file."""
        from . import supersession as chains

        if not reason or not reason.strip():
            raise UsageError("--reason: say why the old entry is superseded")
        old_rel, new_rel = self.resolve(old_ref), self.resolve(new_ref)
        if old_rel == new_rel:
            raise InvalidEntry(f"supersede {old_ref!r}: an entry cannot supersede itself")
        with store.lock(self.root):
            old, new = store.read(self.root, old_rel), store.read(self.root, new_rel)
            entries, _ = store.load_all(self.root)
            if old.path in {e.path for e in chains.later(new, entries)}:
                raise InvalidEntry(f"supersede {old_rel}: {new_rel} already descends from it (a cycle)")
            stamp = codec.now_iso()
            line = chains.note(new_rel, stamp[:10], reason)
            old2 = dataclasses.replace(
                old, status=Status.SUPERSEDED, updated=stamp, body=chains.add_note(old.body, line),
                relations=(*[r for r in old.relations if r.type != "superseded_by"],
                           Relation("superseded_by", new.id or new_rel)))
            target = Relation("supersedes", old.id or old_rel)
            new2 = new if target in new.relations else dataclasses.replace(
                new, relations=(*new.relations, target), updated=stamp)
            transaction.commit(self.root, f"supersede {old_rel} by {new_rel}", [old2, new2])
        self._record(Change("supersede", (old_rel, new_rel), f"supersede {old_rel} by {new_rel}", reason))
        return old2, new2

    def chain(self, ref: str) -> list[Entry]:
        """The supersession chain through an entry, oldest first; the last is the head."""
        from . import supersession as chains

        entries, _ = self.load()
        item = self.get(ref)
        return chains.chain(next((e for e in entries if e.path == item.path), item), entries)

    def conflicts(self) -> list[Conflict]:
        """Contradiction candidates among active entries, each with its reason."""
        from . import conflicts

        entries, _ = self.load(archived=False)
        return conflicts.find(entries, self.params())

    # ------------------------------------------------------------ maturity and consolidation

    def maturity(self, apply: bool = False, now: dt.datetime | None = None) -> list[MaturityChange]:
        """Maturity promotions and demotions due now; `apply` writes each as one Change."""
        from . import scores as lifecycle

        entries, _ = self.load(archived=False)
        changes = lifecycle.decide(entries, self.usage(), _now(now), self.params())
        for item in changes if apply else []:
            self._rewrite(item.path, _setter(maturity=item.new),
                          "lifecycle", f"{{path}}: {item.old.value} -> {item.new.value} "
                          f"(importance {item.importance:.0f})", "lifecycle pass")
        return changes

    def consolidate(self, apply: bool = False, now: dt.datetime | None = None) -> list[Proposal]:
        """Merges, archives and links to propose; `apply` carries out each as one Change."""
        from . import consolidate

        entries, _ = self.load(archived=False)
        found = consolidate.propose(entries, self.usage(), _now(now), self.params())
        for item in found if apply else []:
            why = f"consolidate: {item.reason}"
            if item.kind == "merge":
                self.merge(item.path, item.other, why)
            elif item.kind == "archive":
                self.archive(item.path, why)
            else:
                self.relate(item.path, "relates_to", item.other, why)
        return found

    def merge(self, keep_ref: str, drop_ref: str, reason: str | None = None) -> Entry:
        """Fold DROP into KEEP (text, tags, aliases, relations); DROP is superseded, not deleted."""
        from . import supersession as chains

        keep_rel, drop_rel = self.resolve(keep_ref), self.resolve(drop_ref)
        if keep_rel == drop_rel:
            raise InvalidEntry(f"merge {keep_ref!r}: an entry cannot merge into itself")
        with store.lock(self.root):
            keep, drop = store.read(self.root, keep_rel), store.read(self.root, drop_rel)
            stamp = codec.now_iso()
            body = keep.body
            if drop.body.strip() and drop.body.strip() not in keep.body:
                body = f"{keep.body.rstrip()}\n\n## Merged from {drop.title}\n\n{drop.body.strip()}\n"
            names = {keep.id, keep_rel}
            rels = [*keep.relations, *(r for r in drop.relations
                                      if r.target not in names and r.type != "superseded_by"),
                    Relation("supersedes", drop.id or drop_rel)]
            keep2 = dataclasses.replace(
                keep, body=body, updated=stamp, tags=tuple(dict.fromkeys((*keep.tags, *drop.tags))),
                aliases=tuple(dict.fromkeys((*keep.aliases, *drop.aliases))),
                relations=tuple(dict.fromkeys(rels)))
            line = chains.note(keep_rel, stamp[:10], reason or "it was merged as a near-duplicate")
            drop2 = dataclasses.replace(
                drop, status=Status.SUPERSEDED, updated=stamp, body=chains.add_note(drop.body, line),
                relations=(*(r for r in drop.relations if r.type != "superseded_by"),
                           Relation("superseded_by", keep.id or keep_rel)))
            store.write(self.root, keep2, overwrite=True)
            store.write(self.root, drop2, overwrite=True)
        self._record(Change("merge", (keep_rel, drop_rel), f"merge {drop_rel} into {keep_rel}", reason))
        return keep2

    def archive(self, ref: str, reason: str | None = None) -> Entry:
        """Move the full entry to `_archive/` and leave a short searchable stub at its path."""
        rel = self.resolve(ref)
        if rel.startswith(tree.ARCHIVE_DIR + "/"):
            raise InvalidEntry(f"{rel}: already archived")
        archived_rel = f"{tree.ARCHIVE_DIR}/{rel}"
        with store.lock(self.root):
            old = store.read(self.root, rel)
            stamp = codec.now_iso()
            full = dataclasses.replace(old, path=archived_rel, status=Status.ARCHIVED, updated=stamp)
            why = (reason or "it was archived").strip().rstrip(".")
            stub = dataclasses.replace(
                old, id=codec.new_id(), status=Status.ARCHIVED, updated=stamp, anchors=(),
                relations=(Relation("derived_from", old.id or archived_rel),), pinned=False,
                body=f"> Archived on {stamp[:10]} because {why}. "
                     f"Full text: [[{archived_rel}]]\n\n{old.summary}\n")
            store.write(self.root, full, overwrite=False)
            store.write(self.root, stub, overwrite=True)
        self._record(Change("archive", (rel, archived_rel), f"archive {rel} (stub left)", reason))
        return stub

    def relate(self, ref: str, rel_type: str, target: str, reason: str | None = None) -> Entry:
        """Add a typed relation from one entry to another (consolidation's link proposals)."""
        from ..entries.links import with_relation

        relation = Relation(rel_type, self.resolve(target).removeprefix(tree.ARCHIVE_DIR + "/"))
        return self._rewrite(ref, lambda old: with_relation(old, relation), "link",
                             f"link {{path}} -{relation.type}-> {relation.target}", reason)

    # ------------------------------------------------------------ code anchors

    def anchors_for(self, specs: Sequence[str]) -> list[Anchor]:
        """Anchors made from `PATH[:START-END]` / `PATH#SYMBOL` specs (checked, nothing written)."""
        from . import anchors as code

        return [code.make(code.project_dir(self.root), spec) for spec in specs]

    def anchor_all(self, ref: str, made: Sequence[Anchor], reason: str | None = None) -> Entry:
        """Set an entry's anchors to `made` (one Change)."""
        return self._rewrite(ref, _setter(anchors=tuple(made)), "anchor",
                             "anchor {path} to " + ", ".join(a.spec() for a in made), reason)

    def anchor(self, ref: str, spec: str, reason: str | None = None) -> Entry:
        """Anchor an entry to `PATH[:START-END]` or `PATH#SYMBOL` in the project's code."""
        from . import anchors

        made = anchors.make(anchors.project_dir(self.root), spec)

        def change(old: Entry) -> Entry:
            same = (made.path, made.lines, made.symbol)
            keep = [a for a in old.anchors if (a.path, a.lines, a.symbol) != same]
            return dataclasses.replace(old, anchors=(*keep, made))
        return self._rewrite(ref, change, "anchor", f"anchor {{path}} to {made.spec()}", reason)

    def check(self, update: bool = False) -> list[Finding]:
        """Anchors whose code changed, moved or disappeared; `update` re-anchors (one Change each)."""
        from . import anchors

        project = anchors.project_dir(self.root)
        entries, _ = self.load(archived=False)
        found = anchors.check(project, [e for e in entries if e.anchors])
        fixable = [f for f in found if f.state != "ok" and f.new is not None]
        commit = anchors.commit_of(project) if update and fixable else None
        for path in dict.fromkeys(f.entry for f in fixable) if update else []:
            mine = {f.anchor: f for f in fixable if f.entry == path}
            self._rewrite(path, _reanchored(mine, commit), "anchor",
                          "re-anchor {path} after code changes", "check --update")
        return found

    def stale_flags(self, entries: list[Entry] | None = None) -> dict[str, str]:
        """`{id: "possibly stale: …"}` for anchored entries whose code changed (cheap, cached)."""
        from . import anchors

        if entries is None:
            entries, _ = self.load(archived=False)
        return anchors.stale_flags(self.root, entries)

    # ------------------------------------------------------------ summaries and stats

    def summaries(self, write: bool = True, everything: bool = False) -> list[Summary]:
        """Regenerate missing or stale `_index.md` summaries (one Change); returns their states."""
        from . import summaries
        from .scores import Usage, importance

        entries, _ = self.load(archived=False)
        if write:
            now, totals, params = _now(None), self.usage(), self.params()
            with store.lock(self.root):
                written = summaries.regenerate(
                    self.root, entries,
                    lambda e: importance(e, now, Usage.of(totals, e.id), params), not everything,
                    int(params.summary_top))
            if written:
                self._record(Change("summaries", tuple(written), f"regenerate {len(written)} summaries"))
        return summaries.states(self.root, entries)

    def stats(self, now: dt.datetime | None = None) -> dict[str, Any]:
        """Distribution per domain and maturity, most and least used, stale entries."""
        from . import stats, summaries

        entries, _ = self.load()
        live = [e for e in entries if e.status is Status.ACTIVE]
        stale = [s.folder for s in summaries.states(self.root, live) if s.state == "stale"]
        found = stats.compute(entries, self.usage(), _now(now), self.params(),
                              self.stale_flags(live), stale)
        from ..index.db import open_index

        idx = open_index(self.root)
        idx.sync()
        return {**found, "problems": idx.unreadable()}
