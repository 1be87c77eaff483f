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


def personal_memory(**who: Any) -> Memory:
    """The personal memory in the user's home (docs/personal.md), created on first use with its
    own history, never inside the project's repository."""
    from .. import config
    from ..errors import UsageError
    from ..memory import Memory

    root = config.personal_root()
    if root is None:
        raise UsageError(f"--personal: the personal memory is turned off ({config.ENV_PERSONAL}=off)")
    if not config.is_root(root):
        return Memory.init(root, as_root=True, mode="standalone", **who)
    return Memory.open(root, **who)


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
