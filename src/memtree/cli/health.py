"""Commands for living with the files: doctor. Each parses, makes one call and renders."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..errors import ProblemsFound
from . import common
from .app import app
from .common import JsonOpt


@app.command()
def doctor(
    fix: Annotated[bool, typer.Option("--fix", help="Make the safe repairs first (ids, index, summaries, temporary files).")] = False,
    json: JsonOpt = False,
) -> None:
    """Everything wrong with the memory in one report; exits 10 while problems remain."""
    from ..health.doctor import diagnose

    report = diagnose(common.memory().ws, fix=fix)
    common.out(report, json, _print)
    if report.remaining:
        raise ProblemsFound(f"{len(report.remaining)} problem(s) remain in {report.root}",
                            hint=None if fix else "`memtree doctor --fix` repairs the safe ones")


def _print(report: Any) -> None:
    from .output import console, escape

    out = console()
    colours = {"error": "red", "warning": "yellow", "info": "dim"}
    for item in report.findings:
        colour = colours.get(item.severity, "")
        state = "fixed " if item.fixed else ""
        fix = f"  [dim]→ {escape(item.fix)}[/dim]" if item.fix and not item.fixed else ""
        out.print(f"[{colour}]{state}{item.severity}[/{colour}] {item.check}: "
                  f"{escape(item.path)}: {escape(item.message)}{fix}")
    if not report.remaining:
        out.print(f"ok: nothing wrong in {escape(report.root)}")
