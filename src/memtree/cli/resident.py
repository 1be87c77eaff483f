"""`memtree resident`: the process that answers queries and agent hooks without importing memtree
each time (docs/resident.md). Each command parses, makes one call (memtree.resident.control)
and renders."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from . import common
from .app import app
from .common import JsonOpt

resident_app = typer.Typer(
    help="Show, start or stop the resident process that answers `query` and `hook` quickly.",
    invoke_without_command=True, rich_markup_mode=None)
app.add_typer(resident_app, name="resident")


@resident_app.callback()
def show(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Whether a resident process runs for this install, since when and how many commands it
    has taken."""
    if ctx.invoked_subcommand is not None:
        return
    from ..resident import control

    common.out(control.status(), json, _line)


@resident_app.command("start")
def start(
    idle: Annotated[float | None, typer.Option(
        "--idle", min=1, max=604800,
        help="Seconds without a command before it ends (default 600, at most a week).")] = None,
    json: JsonOpt = False,
) -> None:
    """Start it in the background (an agent hook does so by itself) and wait until it answers."""
    from ..resident import control

    common.out(control.start(idle), json, _line)


@resident_app.command("stop")
def stop(json: JsonOpt = False) -> None:
    """Stop it; the next query or hook runs on its own (and a hook starts a new one)."""
    from ..resident import control

    found = control.stop()
    common.out(found, json, lambda s: print("stopped" if s.running else "not running"))


def _line(found: Any) -> None:
    if not found.running:
        print(f"not running ({found.socket})")
        return
    import datetime as dt

    since = dt.datetime.fromtimestamp(found.started).astimezone().isoformat(timespec="seconds")
    taken = f"{found.served} command{'' if found.served == 1 else 's'} taken"
    print(f"running: pid {found.pid}, since {since}, {taken}, ends after "
          f"{found.idle:g} s without one ({found.socket})")
