"""Lifecycle commands: pin, unpin, feedback, stats, lifecycle, supersede, chain, conflicts,
consolidate, anchor, check, summaries. Each parses, makes one Memory call and renders."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..errors import ProblemsFound
from . import common, views
from .app import app
from .common import JsonOpt, ReasonOpt

Ref = Annotated[
    str, typer.Argument(help="Entry path (domain/topic/slug), id, slug or title.", metavar="ENTRY")
]
ApplyOpt = Annotated[bool, typer.Option("--apply", help="Carry the changes out (default: only show).")]


@app.command()
def pin(ref: Ref, reason: ReasonOpt = None, json: JsonOpt = False) -> None:
    """Pin an entry: it becomes core and never decays."""
    done = common.memory().lifecycle.pin(ref, True, reason=reason)
    common.out(done, json, lambda e: print(f"pinned {e.path}.md"))


@app.command()
def unpin(ref: Ref, reason: ReasonOpt = None, json: JsonOpt = False) -> None:
    """Unpin an entry: it decays and moves between maturity tiers again."""
    done = common.memory().lifecycle.pin(ref, False, reason=reason)
    common.out(done, json, lambda e: print(f"unpinned {e.path}.md"))


@app.command()
def feedback(
    ref: Ref,
    verdict: Annotated[str, typer.Argument(help="useful or wrong.", metavar="useful|wrong")],
    note: Annotated[str | None, typer.Option("--note", help="Why (kept in .local/feedback.jsonl).")] = None,
    json: JsonOpt = False,
) -> None:
    """Say an entry was useful or wrong; raises or lowers its importance (bounded)."""
    done = common.memory().lifecycle.feedback(ref, verdict, note)
    common.out(done, json, lambda d: print(
        f"{d['verdict']}: {d['path']} (useful {d['useful']}, wrong {d['wrong']}, "
        f"importance now {d['importance']})"))


@app.command()
def stats(json: JsonOpt = False) -> None:
    """Distribution per domain and tier, most and least used, and stale entries."""
    with views.progress("counting"):
        data = common.memory().lifecycle.stats()
    common.out(data, json, _show_stats)
    common.unreadable(data["problems"])


@app.command("lifecycle")
def lifecycle_(apply: ApplyOpt = False, json: JsonOpt = False) -> None:
    """Promote or demote maturity from importance, usage and age (--apply writes them)."""
    with views.progress("scoring"):
        found = common.memory().lifecycle.maturity(apply=apply)
    verb = "changed" if apply else "would change"
    common.out(found, json, lambda cs: _lines(cs, "no maturity changes due", lambda c: (
        f"{verb} {c.path}: {c.old.value} -> {c.new.value} (importance {c.importance:.0f})")))


@app.command()
def supersede(
    old: Annotated[str, typer.Argument(help="The entry being replaced.", metavar="OLD")],
    new: Annotated[str, typer.Argument(help="The entry replacing it.", metavar="NEW")],
    reason: Annotated[str, typer.Option("--reason", help="Why OLD is replaced (written into it).")],
    json: JsonOpt = False,
) -> None:
    """Mark OLD as superseded by NEW; OLD keeps its file with a note saying why."""
    before, after = common.memory().lifecycle.supersede(old, new, reason)
    common.out({"old": before, "new": after}, json,
               lambda d: print(f"{d['old'].path} superseded by {d['new'].path}"))


@app.command()
def chain(ref: Ref, json: JsonOpt = False) -> None:
    """Show the supersession chain through an entry, oldest first; the last is current."""
    found = common.memory().lifecycle.chain(ref)
    common.out([e.to_dict(body=False) for e in found], json, lambda es: _lines(es, "", lambda e: (
        f"{e['path']}  [{e['status']}] {e['title']}")))


@app.command()
def conflicts(json: JsonOpt = False) -> None:
    """List entries that may contradict each other, with the reason."""
    with views.progress("comparing"):
        found = common.memory().lifecycle.conflicts()
    common.out(found, json, lambda cs: _lines(cs, "no contradiction candidates", lambda c: (
        f"{c.a} <> {c.b}: {c.reason}")))


@app.command()
def consolidate(apply: ApplyOpt = False, json: JsonOpt = False) -> None:
    """Propose merges of near-duplicates, archives of stale entries and missing links."""
    with views.progress("comparing"):
        found = common.memory().lifecycle.consolidate(apply=apply)
    verb = "done" if apply else "proposed"
    common.out(found, json, lambda ps: _lines(ps, "nothing to consolidate", lambda p: (
        f"{verb}: {p.kind} {p.path}" + (f" <- {p.other}" if p.kind == "merge" else "")
        + (f" -> {p.other}" if p.kind == "link" else "") + f" ({p.reason})")))


@app.command()
def anchor(
    ref: Ref,
    spec: Annotated[str, typer.Argument(help="PATH, PATH:START-END or PATH#SYMBOL.", metavar="PATH[:LINES]")],
    reason: ReasonOpt = None,
    json: JsonOpt = False,
) -> None:
    """Anchor an entry to code (a file, a line range or a symbol) with its content hash."""
    done = common.memory().lifecycle.anchor(ref, spec, reason=reason)
    common.out(done, json, lambda e: print(f"anchored {e.path} to {spec}"))


@app.command()
def check(
    update: Annotated[bool, typer.Option("--update", help="Re-anchor moved and changed code.")] = False,
    json: JsonOpt = False,
) -> None:
    """Report anchored entries whose code changed, moved or disappeared; exits 10 if any."""
    with views.progress("hashing"):
        found = common.memory().lifecycle.check(update=update)
    common.out(found, json, lambda fs: _lines(fs, "no anchors", lambda f: (
        f"{f.state:8} {f.entry}: {f.message}")))
    left = [f for f in found if f.state != "ok" and not (update and f.new is not None)]
    if left:
        raise ProblemsFound(f"{len(left)} anchor(s) need attention")


@app.command()
def summaries(
    check_only: Annotated[bool, typer.Option("--check", help="Only report stale summaries.")] = False,
    everything: Annotated[bool, typer.Option("--all", help="Rewrite fresh summaries too.")] = False,
    json: JsonOpt = False,
) -> None:
    """Regenerate the _index.md summaries of domains and topics that are missing or stale."""
    with views.progress("summarising"):
        found = common.memory().lifecycle.summaries(write=not check_only, everything=everything)
    common.out(found, json, lambda ss: _lines(ss, "no folders", lambda s: (
        f"{s.state:8} {s.folder}/_index.md ({s.entries} entries)")))


def _lines(items: list[Any], empty: str, line: Any) -> None:
    if not items and empty:
        print(empty)
    for item in items:
        print(line(item))


def _show_stats(data: dict[str, Any]) -> None:
    tiers = ", ".join(f"{k} {v}" for k, v in data["by_maturity"].items())
    print(f"{data['entries']} active entries, {data['pinned']} pinned" + (f"; {tiers}" if tiers else ""))
    for domain, counts in data["by_domain"].items():
        print(f"  {domain}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for title, rows in (("most used", data["most_used"]), ("least used", data["least_used"]),
                        ("stale", data["stale"]["entries"])):
        print(f"{title}:" + ("" if rows else " none"))
        for row in rows:
            print(f"  {row['path']}  importance {row['importance']}, recalls {row['recalls']}, "
                  f"useful {row['useful']}, wrong {row['wrong']}")
    for row in data["stale"]["anchors"]:
        print(f"  {row['path']}: {row['flag']}")
    for folder in data["stale"]["summaries"]:
        print(f"  {folder}/_index.md: summary is stale")
