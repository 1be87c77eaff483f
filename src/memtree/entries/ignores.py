"""The memory root's own `.gitignore`: the lines memtree needs there (its derived state and the
folders Obsidian keeps in a vault), written by `init` and added to an older root's file, keeping
every line a person wrote."""

from __future__ import annotations

from pathlib import Path

from . import store

LINES = (".index/", ".local/", ".obsidian/", ".trash/")


def missing(root: Path) -> list[str]:
    """The lines memtree needs that the root's `.gitignore` lacks (all of them when there is none)."""
    try:
        have = {line.strip() for line in (root / ".gitignore").read_text(encoding="utf-8").splitlines()}
    except FileNotFoundError:
        return list(LINES)
    except (OSError, UnicodeDecodeError):
        return []  # not ours to judge: validate names an unreadable file
    return [line for line in LINES if line not in have and line.rstrip("/") not in have
            and "/" + line not in have]


def ensure(root: Path) -> list[str]:
    """Add the missing lines at the end of the root's `.gitignore` (atomically); the lines added."""
    lines = missing(root)
    if not lines:
        return []
    file = root / ".gitignore"
    text = file.read_text(encoding="utf-8") if file.exists() else ""
    if text and not text.endswith("\n"):
        text += "\n"
    store.atomic_write(file, text + "".join(f"{line}\n" for line in lines))
    return lines
