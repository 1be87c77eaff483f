"""The machine-local state folder `.local/` (git-ignored): the one place its JSON-lines logs
are appended to and read back. A torn last line (a writer killed mid-append) is skipped, never
fatal. Holds no knowledge of what the records mean."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from . import statepaths

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any


def folder(root: Path) -> Path:
    """`<root>/.local`, created when missing; a link or a file there is refused (statepaths)."""
    return statepaths.local(root)


def append(root: Path, name: str, record: dict[str, Any]) -> None:
    """Append one record as a JSON line (one small write: concurrent appenders do not tear
    each other's lines)."""
    statepaths.append(folder(root) / name, json.dumps(record, ensure_ascii=False) + "\n")


def parse(text: str) -> Iterator[dict[str, Any]]:
    """The JSON objects of JSON-lines text; torn or foreign lines are skipped."""
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            yield record


def records(root: Path, name: str) -> list[dict[str, Any]]:
    """Every record of a `.local/` JSON-lines file, oldest first ([] when there is none)."""
    try:
        text = statepaths.read_text(statepaths.local(root, create=False) / name)
    except NotADirectoryError:
        return []
    return list(parse(text)) if text is not None else []

