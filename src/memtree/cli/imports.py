"""`memtree import` (rules files and decision records) and `memtree import git` (episodes from
the history). Each parses, makes one call and renders the report."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from . import common, views
from .app import app
from .common import JsonOpt, ReasonOpt

imports = typer.Typer(help="Import what the project already knows (no LLM).",
                      invoke_without_command=True, rich_markup_mode=None)
app.add_typer(imports, name="import")

DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="List what would change; write nothing.")]
CurateOpt = Annotated[bool, typer.Option("--curate", help="Send what is new through the configured model's curation (proposals for `memtree review`) instead of writing entries.")]
ApplyOpt = Annotated[bool, typer.Option("--apply", help="With --curate: apply the checked operations instead of queueing them.")]
CallsOpt = Annotated[int, typer.Option("--calls", help="With --curate: model calls at most (batches of material).")]


@imports.callback()
def import_files(ctx: typer.Context, dry_run: DryRunOpt = False, reason: ReasonOpt = None,
                 curate: CurateOpt = False, apply: ApplyOpt = False, calls: CallsOpt = 10,
                 json: JsonOpt = False) -> None:
    """Import CLAUDE.md, AGENTS.md, GEMINI.md, Cursor rules, Copilot instructions,
    CONTRIBUTING.md and decision records (docs/adr/, docs/decisions/) into the memory."""
    if ctx.invoked_subcommand is not None:
        return
    if _curating(curate, apply, dry_run):
        _curate(json, "files", calls=calls, apply=apply)
        return
    from ..imports.service import import_files as run

    with views.progress("importing"):
        report = run(common.memory().ws, dry_run=dry_run, reason=reason)
    common.out(report.to_dict(), json, render)


@imports.command("git")
def import_git(
    since: Annotated[str | None, typer.Option("--since", help="Only commits after this date (as git log --since).")] = None,
    max_commits: Annotated[int, typer.Option("--max", help="Read at most this many commits (newest first).")] = 10_000,
    dry_run: DryRunOpt = False,
    reason: ReasonOpt = None,
    curate: CurateOpt = False,
    apply: ApplyOpt = False,
    calls: CallsOpt = 10,
    json: JsonOpt = False,
) -> None:
    """Import episodes from the git history, grouped by issue or PR reference and by code."""
    if _curating(curate, apply, dry_run):
        _curate(json, "git", since=since, limit=max_commits, calls=calls, apply=apply)
        return
    from ..imports.service import import_git as run

    with views.progress("reading history"):
        report = run(common.memory().ws, since=since, limit=max_commits, dry_run=dry_run, reason=reason)
    common.out(report.to_dict(), json, render)


@imports.command("bundle")
def import_bundle(
    folder: Annotated[str, typer.Argument(help="A folder written by `memtree export`.", metavar="FOLDER")],
    format: Annotated[str, typer.Option("--format", callback=common.choice(("okf", "json", "obsidian")), help="okf, json or obsidian.")] = "okf",
    json: JsonOpt = False,
) -> None:
    """Load an export (`memtree export`) back into the memory, byte for byte (an OKF bundle made
    elsewhere is adopted); a file that differs from the entry already there is refused (exit 4)."""
    from pathlib import Path

    from ..export.bundle import load

    with views.progress("importing") as step:
        done = load(common.memory().ws, Path(folder), format, progress=step)
    common.out(done, json, _bundle_report)


def _bundle_report(done: Any) -> None:
    """What was written, each adopted note and what changed on the way, what was not taken."""
    for item in done.adopted:
        print(f"adopted {item['from']} as {item['path']}")
        for line in item["notes"]:
            print(f"  {line}")
    for item in done.reported:
        print(f"not imported {item['path']}: {item['message']} (fix: {item['fix']})")
    print(f"imported {len(done.written)} file(s) from {done.folder} ({done.format})")


def _curating(curate: bool, apply: bool, dry_run: bool) -> bool:
    from ..errors import UsageError

    if apply and not curate:
        raise UsageError("--apply: only with --curate (a plain import always writes)")
    if curate and dry_run:
        raise UsageError("--curate and --dry-run: pick one (`--dry-run` alone lists the material)")
    return curate


def _curate(json: bool, source: str, **options: Any) -> None:
    from ..agents.curate_import import curate_import

    common.out(curate_import(common.memory(tool="curate"), source, **options), json, render_curated)


def render_curated(data: dict[str, Any]) -> None:
    """Each model call's operations and refusals, then the totals."""
    from .llm import _curated

    for call in data["calls"]:
        _curated(call)
    print(f"import --curate ({data['source']}): {data['found']} piece(s) found, "
          f"{data['already_curated']} curated before, {data['sent']} sent; {data['message']}")


def render(data: dict[str, Any]) -> None:
    """One line per entry that changes or is left alone, then the counts."""
    from .output import console, escape

    out = console()
    for item in data["entries"]:
        if item["action"] == "unchanged":
            continue
        note = f"  [dim]({escape(item['note'])})[/dim]" if item.get("note") else ""
        out.print(f"{item['action']:9} {escape(item['path'])}  [dim]{escape(item['source'])}[/dim]{note}")
    counts = ", ".join(f"{n} {action}" for action, n in sorted(data["counts"].items())) or "nothing to import"
    verb = "would import" if data["dry_run"] else "imported"
    out.print(f"{verb}: {counts} ({data['took_ms']:.0f} ms)")


def after_init(ws: Any, run: bool) -> dict[str, Any]:
    """What `memtree init` reports: the root, what it found to import and, with `--import`,
    what the imports did."""
    from ..imports import service

    found = service.offer(ws)
    done: dict[str, Any] = {}
    if run:
        done["files"] = service.import_files(ws).to_dict()
        if found.get("commits"):
            done["git"] = service.import_git(ws).to_dict()
    return {"root": str(ws.root), "found": found, "imported": done}


def render_init(data: dict[str, Any]) -> None:
    print(f"memory root: {data['root']}")
    found = data["found"]
    if not found:
        print("nothing to import found (rules files, decision records or git history)")
        return
    print("found to import: " + ", ".join(f"{n} {kind}" for kind, n in sorted(found.items())))
    for name, report in data["imported"].items():
        counts = ", ".join(f"{n} {a}" for a, n in sorted(report["counts"].items())) or "nothing"
        print(f"imported ({name}): {counts}")
    if not data["imported"]:
        print("run `memtree init --import` or `memtree import` (and `memtree import git`) to import")
