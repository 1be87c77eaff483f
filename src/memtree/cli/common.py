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


def _plain(value: bool) -> bool:
    if value:
        from . import output

        output.PLAIN["on"] = True
    return value


PlainOpt = Annotated[
    bool, typer.Option("--plain", callback=_plain,
                       help="Tab-separated rows instead of a table (the default when piped).")
]


def bounded(low: int, high: int | None = None) -> Any:
    """A callback checking an integer option lies in [low, high], with a one-line message."""

    def check(value: int | None) -> int | None:
        if value is not None and (value < low or (high is not None and value > high)):
            allowed = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise typer.BadParameter(f"must be {allowed}, got {value}")
        return value

    return check


def choice(allowed: tuple[str, ...]) -> Any:
    """A callback accepting only one of `allowed`, naming them all when the value is not."""

    def check(value: str | None) -> str | None:
        if value is not None and value not in allowed:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}")
        return value

    return check


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
