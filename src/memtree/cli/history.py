"""Commands for the history area: log, diff, why, restore, undo, commit, sync and the hidden
git merge driver. Each parses, makes one Memory call and renders."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import ProblemsFound
from . import common, views
from .app import app
from .common import JsonOpt, ReasonOpt

Ref = Annotated[str, typer.Argument(help="Entry path (domain/topic/slug), id, slug or title.")]


@app.command()
def log(
    ref: Annotated[str | None, typer.Argument(help="Only this entry (followed across moves).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", "-n", callback=common.bounded(1), help="At most N commits.")] = None,
    json: JsonOpt = False,
) -> None:
    """History of the memory, or of one entry, newest first."""
    revs = common.memory().history.log(ref, limit)
    common.out([r.to_dict() for r in revs], json, _print_log)


def _print_log(revs: list[dict[str, Any]]) -> None:
    if not revs:
        print("no history yet")
    for r in revs:
        who = r["actor"] or f"person:{r['author']}"
        tail = f"  ({r['reason']})" if r["reason"] else ""
        print(f"{r['short']} {r['date'][:19]} {who:20} {r['action'] or 'commit':8} {r['subject']}{tail}")


@app.command()
def diff(
    rev: Annotated[str | None, typer.Argument(help="Revision to compare with (default HEAD).")] = None,
    json: JsonOpt = False,
) -> None:
    """Changes to the memory since REV (default: uncommitted changes)."""
    from ..secretscan import mask

    found = common.memory().history.diff(rev)
    common.out(found, json, lambda d: print(mask(d.patch) or f"no changes since {d.rev}", end=""))


@app.command()
def why(ref: Ref, json: JsonOpt = False) -> None:
    """Provenance of an entry: who created it, from what source, each change and its reason."""
    common.out(common.memory().history.why(ref), json, _print_why)


def _print_why(p: dict[str, Any]) -> None:
    print(f"{p['path']} (id {p['id']}): created by {p['created_by']} on {p['created']}")
    if p["source"].get("files") or p["source"].get("commit"):
        print(f"  source: {p['source']}")
    for c in p["changes"]:
        reason = f" because: {c['reason']}" if c["reason"] else ""
        print(f"  {c['sha'][:10]} {c['date'][:19]} {c['actor']} via {c['tool']}: "
              f"{c['subject']}{reason}")


@app.command()
def restore(
    ref: Ref,
    at: Annotated[str, typer.Option("--at", help="Revision to restore from (sha, tag, HEAD~2…).")],
    reason: ReasonOpt = None,
    json: JsonOpt = False,
) -> None:
    """Bring an entry back to its exact content at a revision."""
    done = common.memory().history.restore(ref, at, reason=reason)
    common.out(done, json, lambda e: print(f"restored {e.path}.md as of {at}"))


@app.command()
def undo(
    n: Annotated[int, typer.Option("-n", callback=common.bounded(1), help="How many of memtree's changes to undo.")] = 1,
    reason: ReasonOpt = None,
    json: JsonOpt = False,
) -> None:
    """Revert memtree's last change (or last N); refuses if others changed those files since."""
    done = common.memory().history.undo(n, reason=reason)
    common.out(done, json, lambda d: [print(f"undid {r['short']} {r['subject']}")
                                      for r in d["undone"]])


@app.command()
def commit(reason: ReasonOpt = None, json: JsonOpt = False) -> None:
    """Commit deferred changes and uncommitted memory files now."""
    with views.progress("committing"):
        sha = common.memory().history.commit(reason)
    common.out({"commit": sha}, json,
               lambda d: print(f"committed {d['commit'][:10]}" if d["commit"] else "nothing to commit"))


@app.command()
def sync(
    remote: Annotated[str | None, typer.Option("--remote", help="Remote name (default: the branch's, or origin).")] = None,
    json: JsonOpt = False,
) -> None:
    """Share memory: fold usage signals, commit, fetch, merge, push."""
    result = common.memory().history.sync(remote)  # no bar: git may ask for a passphrase here
    common.out(result, json, lambda r: print(f"{r['branch']} ↔ {r['remote'] or '-'}: {r['status']}"))
    if result["conflicts"]:
        raise ProblemsFound(f"conflicting bodies marked in {', '.join(result['conflicts'])}",
                            hint="edit the marked sections, then `memtree commit` and `memtree sync`")


@app.command("merge-driver", hidden=True)
def merge_driver(
    base: Path, ours: Path, theirs: Path, path: str = typer.Argument(""),
    signals: Annotated[bool, typer.Option("--signals")] = False,
) -> None:
    """Git merge driver for entry files (%O %A %B %P); exit 1 leaves a marked conflict."""
    from ..history.driver import merge_files

    if merge_files(base, ours, theirs, path, signals=signals):
        raise typer.Exit(1)
