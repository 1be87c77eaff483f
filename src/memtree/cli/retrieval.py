"""Retrieval commands: query, context, reindex."""

from __future__ import annotations

from typing import Annotated

import typer

from . import common, views
from .app import app
from .common import JsonOpt

TextArg = Annotated[str, typer.Argument(help="What to look for: words, a path, an id or a glob.")]


@app.command()
def query(
    text: TextArg,
    limit: Annotated[int, typer.Option("--limit", "-n", callback=common.bounded(1), help="At most this many hits.")] = 10,
    domain: Annotated[str | None, typer.Option("--domain", help="Only this domain.")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="Only entries of this type.")] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="Only entries with this tag.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include superseded and archived entries.")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Show tier and score parts.")] = False,
    llm: Annotated[bool | None, typer.Option("--llm/--no-llm", help="Escalate to the configured model when unsure (default: [llm] escalate).", show_default=False)] = None,
    json: JsonOpt = False,
) -> None:
    """Find entries: exact path/id/glob, then keyword, then full text, with a confidence gate."""
    found = common.memory().query(text, limit=limit, include_all=all_, domain=domain,
                                  type=type_, tag=tag, llm=llm)
    common.out(found, json, lambda r: views.result(r, explain))
    common.unreadable(found.problems)


@app.command()
def context(
    text: TextArg,
    budget: Annotated[int, typer.Option("--budget", callback=common.bounded(1), help="Token budget for the pack.")] = 800,
    limit: Annotated[int, typer.Option("--limit", "-n", callback=common.bounded(1), help="At most this many entries.")] = 8,
    json: JsonOpt = False,
) -> None:
    """A context pack for an agent prompt: the best entries cut to fit the token budget."""
    pack = common.memory().context(text, budget=budget, limit=limit)
    common.out(pack, json, views.pack)


@app.command()
def reindex(
    json: JsonOpt = False,
) -> None:
    """Rebuild the search index from the files (a progress bar on a terminal)."""
    with views.progress("indexing") as step:
        stats = common.memory().reindex(progress=step)
    common.out(stats, json, views.reindexed)
