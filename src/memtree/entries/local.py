"""The machine-local state folder `.local/` (git-ignored): the one place its JSON-lines logs
are appended to and read back. A torn last line (a writer killed mid-append) is skipped, never
fatal. Holds no knowledge of what the records mean."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from .layout import LOCAL_DIR

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any


def folder(root: Path) -> Path:
    """`<root>/.local`, created when missing."""
    local = root / LOCAL_DIR
    local.mkdir(exist_ok=True)
    return local


def append(root: Path, name: str, record: dict[str, Any]) -> None:
    """Append one record as a JSON line (one small write: concurrent appenders do not tear
    each other's lines)."""
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with open(folder(root) / name, "a", encoding="utf-8") as handle:
        handle.write(line)


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
        text = (root / LOCAL_DIR / name).read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, NotADirectoryError):
        return []
    return list(parse(text))

