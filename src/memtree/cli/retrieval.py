"""Retrieval commands: query."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import views
from . import app, common
from .common import JsonOpt


@app.command()
def query(
    text: Annotated[str, typer.Argument(help="What to look for: words, a path, an id or a glob.", metavar="TEXT")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many hits.")] = 10,
    all_: Annotated[bool, typer.Option("--all", help="Include superseded and archived entries.")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Show tier and score parts.")] = False,
    json: JsonOpt = False,
) -> None:
    """Find entries: exact path/id/glob, then keyword, then full text."""
    found = common.memory().query(text, limit=limit, include_all=all_)
    common.out(found, json, lambda r: views.result(r, explain))
