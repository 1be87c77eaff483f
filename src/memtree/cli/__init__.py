"""The typer app and the single error boundary that maps MemtreeError to exit codes.

Commands live in sibling modules, one per area, each about 15 lines: parse, one API call,
render. No business logic here.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import ExitCode, MemtreeError
from . import common

app = typer.Typer(
    name="memtree",
    help="Filesystem-native, git-backed memory for coding agents and their people.",
    no_args_is_help=True,
    add_completion=False,
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
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Filesystem-native, git-backed memory for coding agents and their people."""
    common.STATE.root = root


# Registers the commands; this order is the order `memtree --help` lists them in.
# isort: off
from . import entries  # noqa: E402,F401
from . import retrieval  # noqa: E402,F401
from . import history  # noqa: E402,F401
from . import lifecycle  # noqa: E402,F401
from . import agents  # noqa: E402,F401
# isort: on


def run(args: list[str]) -> int:
    """Run the CLI; every deliberate failure becomes one stderr line and its exit code."""
    from .. import render

    try:
        result = app(args=args, prog_name="memtree", standalone_mode=False)
        return int(result) if isinstance(result, int) else 0
    except MemtreeError as exc:
        render.error(exc.message, exc.hint)
        return int(exc.code)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        render.error("interrupted")
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        return 0
    except Exception as exc:
        from ..errors import from_os_error

        mapped = from_os_error(exc)
        if mapped is not None:
            render.error(mapped.message, mapped.hint)
            return int(mapped.code)
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # click usage errors
            exc.show()
            return int(exc.exit_code)
        render.error(f"internal error: {type(exc).__name__}: {exc}")
        return int(ExitCode.ERROR)
