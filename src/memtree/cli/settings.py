"""`memtree config`: the effective settings and where each comes from, one key read, one key set.
Each command parses, makes one call (memtree.settings) and renders."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from . import common
from .app import app
from .common import JsonOpt

config_app = typer.Typer(help="Show the settings and where each comes from; get or set one.",
                         invoke_without_command=True, rich_markup_mode=None)
app.add_typer(config_app, name="config")

KeyArg = Annotated[str, typer.Argument(help="A dotted key, e.g. agents.limit.", metavar="KEY")]


@config_app.callback()
def show(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Every setting with its effective value and its source: default, user (the user's config
    file), project (the memory's config.toml) or environment."""
    if ctx.invoked_subcommand is not None:
        return
    from ..settings import effective

    values = effective(common.memory().ws)
    common.out(values, json, _rows)


@config_app.command("get")
def get(key: KeyArg, json: JsonOpt = False) -> None:
    """Print one setting's effective value (alone, for scripts)."""
    from ..settings import get as read

    found = read(common.memory().ws, key)
    common.out(found, json, lambda v: print(text(v.value)))


@config_app.command("set")
def set_(
    key: KeyArg,
    value: Annotated[str, typer.Argument(help="The value: true/false, a number, text, or a comma-separated list.", metavar="VALUE")],
    user: Annotated[bool, typer.Option("--user", help="Write the user's config file (every memory) instead of the memory's.")] = False,
    json: JsonOpt = False,
) -> None:
    """Set one setting, checked first, in the memory's config.toml (committed with autocommit on)."""
    from ..settings import set_value

    done = set_value(common.memory().ws, key, value, user=user)
    common.out(done, json, lambda v: print(f"{v.key} = {text(v.value)} ({v.where})"))


def text(value: Any) -> str:
    """A value as a person types it: true/false, numbers, bare text, lists comma-separated."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _rows(values: list[Any]) -> None:
    from .output import plain

    if plain():
        for v in values:
            print(f"{v.key}\t{text(v.value)}\t{v.source}")
        return
    width = max(len(v.key) for v in values)
    for v in values:
        where = f" ({v.where})" if v.source != "default" else ""
        print(f"{v.key:<{width}}  {text(v.value)!s:<12}  {v.source}{where}")
