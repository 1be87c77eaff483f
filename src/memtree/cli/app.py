"""The typer app object and its global options; command modules register on it.

No commands and no error handling here (see `main.py`).
"""

from __future__ import annotations

from typing import Annotated

import typer

from . import common

app = typer.Typer(
    name="memtree",
    help="Filesystem-native, git-backed memory for coding agents and their people.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        print(f"memtree {version('memtree')}")
        raise typer.Exit()


@app.callback()
def _main(
    root: Annotated[
        str | None,
        typer.Option("--root", help="Memory root folder (or a project holding .memory/).",
                     envvar=None, show_default=False),
    ] = None,
    plain: common.PlainOpt = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Filesystem-native, git-backed memory for coding agents and their people."""
    common.STATE.root = root
