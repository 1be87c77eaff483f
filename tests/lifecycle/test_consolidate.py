"""Consolidation: dry runs write nothing; --apply makes exactly one recorded write per change and
loses nothing (merged entries are superseded, archived ones leave a searchable stub)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from hypothesis import given, settings, strategies as st

from conftest import Run
from memtree import Memory
from memtree.config import Workspace
from memtree.lifecycle import consolidate
from memtree.lifecycle.consolidate import Proposal
from memtree.lifecycle.service import Lifecycle
from memtree.model import Change, Entry, Maturity, Relation, Status

LATER = dt.datetime.now(dt.UTC) + dt.timedelta(days=100)
TEXT = ("Run the database migrations with alembic upgrade head before starting the api server "
        "in every environment, then check the schema version table.")


class Recording(Lifecycle):
    """A real lifecycle service that also keeps the Changes it records."""

    def __init__(self, root: Path) -> None:
        super().__init__(Workspace.at(root))
        self.changes: list[Change] = []

    def _record(self, change: Change) -> None:
        self.changes.append(change)
        super()._record(change)


def snapshot(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*.md"))}


def seed(memory: Memory) -> None:
    memory.add("Database migrations", "db/migrations", TEXT, importance=70, tags=["db"])
    memory.add("Running migrations", "db/migrations", TEXT + " Ask the team first.",
               importance=40, tags=["alembic"], aliases=["alembic upgrade"])
    memory.add("Old scratch note", "misc/scratch", "Something about a laptop setup.", importance=30)
    memory.add("Core rule", "misc/scratch", "A core rule that stays.", importance=10,
               maturity="core")
    memory.add("Pinned rule", "misc/scratch", "A pinned rule that stays.", importance=10, pinned=True)
    memory.add("Api server", "api/server", "Before release, run the database migrations and deploy.",
               importance=60)


def test_dry_run_proposes_and_writes_nothing(memory: Memory) -> None:
    seed(memory)
    before = snapshot(memory.root)
    found = {(p.kind, p.path, p.other) for p in memory.lifecycle.consolidate(now=LATER)}
    assert ("merge", "db/migrations/database-migrations", "db/migrations/running-migrations") in found
    assert ("archive", "misc/scratch/old-scratch-note", "") in found
    assert ("link", "api/server/api-server", "db/migrations/database-migrations") in found
    archived = {p for k, p, _ in found if k == "archive"}
    assert "misc/scratch/core-rule" not in archived and "misc/scratch/pinned-rule" not in archived
    assert snapshot(memory.root) == before


def test_nothing_is_proposed_for_fresh_distinct_entries(memory: Memory) -> None:
    memory.add("Alpha", "d/t", "Completely different words here.")
    memory.add("Beta", "d/t", "Nothing in common with the other one at all.")
    assert memory.lifecycle.consolidate() == []


def test_apply_makes_one_write_per_change_and_loses_nothing(memory: Memory) -> None:
    seed(memory)
    recorder = Recording(memory.root)
    proposals = recorder.consolidate(apply=True, now=LATER)
    assert len(recorder.changes) == len(proposals) >= 3
    assert [c.action for c in recorder.changes] == [
        {"merge": "merge", "archive": "archive", "link": "link"}[p.kind] for p in proposals]
    kept = memory.get("db/migrations/database-migrations")
    assert "Ask the team first." in kept.body and set(kept.tags) == {"db", "alembic"}
    assert "alembic upgrade" in kept.aliases
    merged = memory.get("db/migrations/running-migrations")
    assert merged.status is Status.SUPERSEDED and memory.lifecycle.chain(merged.id)[-1].id == kept.id
    assert [p for p in memory.validate() if p.severity == "error"] == []
    assert recorder.consolidate(now=LATER) == []  # applied: nothing left to propose


def test_archive_leaves_a_stub_and_keeps_the_full_text(memory: Memory) -> None:
    made = memory.add("Old scratch note", "misc/scratch", "Full original text.", summary="A note",
                      tags=["laptop"], importance=20)
    stub = memory.lifecycle.archive(made.id, "stale and unused")
    stub_text = (memory.root / "misc/scratch/old-scratch-note.md").read_text()
    full = memory.get(made.id)
    assert full.path == "_archive/misc/scratch/old-scratch-note" and full.status is Status.ARCHIVED
    assert "Full original text." in full.body
    assert stub.status is Status.ARCHIVED and stub.id != made.id and "laptop" in stub.tags
    assert "Full text: [[_archive/misc/scratch/old-scratch-note]]" in stub_text
    assert "because stale and unused" in stub_text and "Full original text." not in stub_text
    assert [(r.type, r.target) for r in stub.relations] == [("derived_from", made.id)]
    assert memory.validate() == []
    assert memory.query("scratch", include_all=True).hits


def test_core_and_pinned_entries_are_never_archived(memory: Memory) -> None:
    memory.add("Core", "d/t", "core text here", importance=0, maturity="core")
    memory.add("Pinned", "d/t", "pinned text here", importance=0, pinned=True)
    far = dt.datetime.now(dt.UTC) + dt.timedelta(days=5000)
    assert [p for p in memory.lifecycle.consolidate(now=far) if p.kind == "archive"] == []


def test_cli_consolidate_dry_run_and_apply(run: Run, tmp_path: Path) -> None:
    run("init")
    run("add", "Database migrations", "-p", "db/migrations", "-b", TEXT)
    run("add", "Running migrations", "-p", "db/migrations", "-b", TEXT + " Twice.")
    out = run("consolidate", "--json")
    assert out.returncode == 0, out.stderr
    assert [p["kind"] for p in json.loads(out.stdout)] == ["merge"]
    assert "proposed: merge" in run("consolidate").stdout
    applied = run("consolidate", "--apply")
    assert applied.returncode == 0 and "done: merge" in applied.stdout
    assert run("consolidate").stdout.strip() == "nothing to consolidate"
    entries = json.loads(run("list", "--status", "all", "--json").stdout)["entries"]
    assert sorted(e["status"] for e in entries) == ["active", "superseded"]


def test_lifecycle_pass_then_maturity_is_written(memory: Memory) -> None:
    made = memory.add("Rule", "d/t", "x", importance=90)
    recorder = Recording(memory.root)
    changes = recorder.maturity(apply=True)
    assert [(c.old, c.new) for c in changes] == [(Maturity.DRAFT, Maturity.CORE)]
    assert [c.action for c in recorder.changes] == ["lifecycle"]
    assert memory.get(made.id).maturity is Maturity.CORE


def _links_pairwise(entries: list[Entry], skip: set[frozenset[str]],
                    shortest: float) -> list[Proposal]:
    """Every pair compared: what `links` must propose, in the same order."""
    out = []
    for item in entries:
        body = item.body.lower()
        linked = {r.target for r in item.relations}
        for other in entries:
            if other is item or {other.path, other.id} & linked or \
                    frozenset((item.path, other.path)) in skip:
                continue
            for name in (n.lower() for n in (other.title, *other.aliases) if len(n) >= shortest):
                if re.search(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])", body):
                    out.append(Proposal("link", item.path, f"mentions {name!r}", other.path))
                    break
    return out


WORDS = ["cache", "queue", "retry", "jwt", "token", "deploy", "db", "c++", "x", "--", "api v2"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
                          st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=2),
                                   max_size=2),
                          st.lists(st.sampled_from(WORDS), max_size=12),
                          st.booleans()),
                min_size=1, max_size=12))
def test_link_proposals_are_those_of_comparing_every_pair(
        made: list[tuple[list[str], list[list[str]], list[str], bool]]) -> None:
    entries = [Entry(id=f"e{n}", title=" ".join(title), path=f"d/t/e{n}",
                     aliases=tuple(" ".join(a) for a in aliases), body=" ".join(body).upper()
                     if shout else " ".join(body) + ".",
                     relations=(Relation("relates_to", "d/t/e0"),) if n == 3 else ())
               for n, (title, aliases, body, shout) in enumerate(made)]
    skip = {frozenset(("d/t/e1", "d/t/e2"))}
    assert consolidate.links(entries, skip, 2) == _links_pairwise(entries, skip, 2)
