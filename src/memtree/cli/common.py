"""What every command shares: the global --root, opening the Memory, and output switches."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from ..memory import Memory


@dataclass
class State:
    root: str | None = None


STATE = State()

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")]
ReasonOpt = Annotated[
    str | None, typer.Option("--reason", help="Why this change is made (kept in history).")
]


def memory(**who: Any) -> Memory:
    from ..memory import Memory

    return Memory.open(STATE.root, **who)


def out(data: Any, as_json: bool, view: Any = None) -> None:
    """Print data as JSON, or through a rich view for people."""
    from . import output as render

    if as_json or view is None:
        render.print_json(data)
    else:
        view(data)


def unreadable(problems: Any) -> None:
    """Name on stderr every file that could not be read as an entry."""
    from . import output as render

    render.unreadable(problems)


def read_stdin(wait: bool) -> str:
    """Read piped stdin: always when asked for (`-`), else only if data is already waiting."""
    if sys.stdin is None or sys.stdin.closed:
        return ""
    if sys.stdin.isatty():
        return sys.stdin.read() if wait else ""
    if not wait:
        import select

        try:
            ready, _, _ = select.select([sys.stdin], [], [], 0.05)
        except (OSError, ValueError):
            return ""
        if not ready:
            return ""
    return sys.stdin.read()
