"""Output: one serializer for --json (shared with MCP) and rich views for people.

Data goes to stdout, diagnostics to stderr; rich adds colour only on a terminal.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
from collections.abc import Mapping
from pathlib import Path

from ..secretscan import mask

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any


def to_data(obj: Any) -> Any:
    """Plain JSON-able data for any memtree value, secrets masked (secretscan.py)."""
    if isinstance(obj, str):
        return mask(obj)
    if obj is None or type(obj) in (int, float, bool):  # the most common leaves, answered first
        return obj
    if type(obj) is dict:
        return {str(k): to_data(v) for k, v in obj.items()}
    if type(obj) in (list, tuple):
        return [to_data(v) for v in obj]
    if hasattr(obj, "to_dict"):
        return to_data(obj.to_dict())
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, Path):
        return str(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_data(dataclasses.asdict(obj))
    if isinstance(obj, Mapping):
        return {str(k): to_data(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_data(v) for v in obj]
    return obj


def dumps(obj: Any) -> str:
    return json.dumps(to_data(obj), indent=2, ensure_ascii=False)


def print_json(obj: Any) -> None:
    sys.stdout.write(dumps(obj) + "\n")


PLAIN = {"on": False}  # set by the global and per-command `--plain`


def plain() -> bool:
    """Plain output: asked for, or stdout is not a terminal (a pipe, a file)."""
    stream = sys.stdout
    return PLAIN["on"] or not (hasattr(stream, "isatty") and stream.isatty())


def console(stderr: bool = False) -> Any:
    """A rich console: colour only on a terminal (NO_COLOR honoured by rich), and no wrapping
    at 80 columns when the output goes to a pipe or a file."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            """rich exits 1 when the reader closes the pipe; the CLI's boundary ends with 0."""
            self.quiet = True
            raise BrokenPipeError

    stream = sys.stderr if stderr else sys.stdout
    tty = hasattr(stream, "isatty") and stream.isatty()
    return _Console(stderr=stderr, highlight=False, soft_wrap=True,
                    width=None if tty else 1_000_000)


def usage_error(message: str, command: str | None) -> None:
    """A bad option or argument, as one line (click's usage block and its wording replaced)."""
    where = f" (see `memtree {command} --help`)" if command else " (see `memtree --help`)"
    error(message.rstrip(".") + where)


def closed_pipe() -> None:
    """The reader went away (`memtree list | head -1`): send what is left to /dev/null so the
    interpreter's final flush does not fail, and let the command end quietly with exit 0."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def error(message: str, hint: str | None = None) -> None:
    """One line on stderr (and an optional hint line)."""
    sys.stderr.write(f"memtree: error: {message}\n")
    if hint:
        sys.stderr.write(f"memtree: hint: {hint}\n")


def note(message: str) -> None:
    sys.stderr.write(f"memtree: {message}\n")


def unreadable(problems: Any) -> None:
    """Files that could not be read as entries: one stderr line each, never silent."""
    for problem in problems:
        sys.stderr.write(f"memtree: warning: not read as an entry: {problem}\n")


def escape(text: str) -> str:
    """Text for a rich view: secrets masked, markup escaped."""
    from rich.markup import escape as rich_escape

    return rich_escape(mask(text))


def notes_to_stderr() -> None:
    """The library tells people things through the `memtree` logger; the CLI prints them as
    `memtree: …` lines on stderr (whatever sys.stderr is at the time)."""
    import logging

    class Stderr(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            sys.stderr.write(f"memtree: {record.getMessage()}\n")

    log = logging.getLogger("memtree")
    if not any(type(h).__name__ == "Stderr" for h in log.handlers):
        log.addHandler(Stderr())
        log.propagate = False
