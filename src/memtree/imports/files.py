"""Which of a project's own files can be imported, and the drafts they give: rules and
instructions files for agents, CONTRIBUTING.md and decision records. Reads files only."""

from __future__ import annotations

import logging
from pathlib import Path

from . import adr, rules
from .draft import Draft

RULES = (  # (project path, source kind)
    ("CLAUDE.md", "claude-md"), (".claude/CLAUDE.md", "claude-md"),
    ("AGENTS.md", "agents-md"), ("GEMINI.md", "gemini-md"),
    (".cursorrules", "cursorrules"), (".github/copilot-instructions.md", "copilot"),
    ("CONTRIBUTING.md", "contributing"), (".github/CONTRIBUTING.md", "contributing"),
    ("docs/CONTRIBUTING.md", "contributing"),
)
CURSOR_RULES = ".cursor/rules"
ADR_DIRS = ("docs/adr", "docs/adrs", "docs/decisions", "docs/architecture/decisions", "doc/adr",
            "doc/decisions", "adr", "decisions")
KINDS = {kind for _, kind in RULES} | {"cursor-rules", "adr"}
MAX_BYTES = 1_000_000


def discover(project: Path) -> list[tuple[str, str]]:
    """(project path, source kind) of every importable file, in a stable order."""
    found = [(rel, kind) for rel, kind in RULES if _is_file(project / rel)]
    cursor = project / CURSOR_RULES
    if cursor.is_dir():
        found += [(p.relative_to(project).as_posix(), "cursor-rules")
                  for p in sorted(cursor.rglob("*.mdc")) if _is_file(p)]
    for folder in ADR_DIRS:
        base = project / folder
        if base.is_dir() and not base.is_symlink():
            found += [(p.relative_to(project).as_posix(), "adr") for p in sorted(base.glob("*.md"))
                      if adr.is_record(p.name) and _is_file(p)]
    return found


def counts(project: Path) -> dict[str, int]:
    """How many files of each source kind the project holds."""
    out: dict[str, int] = {}
    for _, kind in discover(project):
        out[kind] = out.get(kind, 0) + 1
    return out


def drafts(project: Path) -> list[Draft]:
    """Drafts of every importable file (unreadable or non-UTF-8 files are skipped)."""
    def exists(rel: str) -> bool:
        target = (project / rel).resolve()
        return project.resolve() in target.parents and target.is_file()

    found = discover(project)
    numbers = _record_numbers([rel for rel, kind in found if kind == "adr"])
    out: list[Draft] = []
    for rel, kind in found:
        text = _text(project / rel)
        if text is None:
            logging.getLogger("memtree").warning(
                "%s: skipped: not readable UTF-8 text of at most %d bytes", rel, MAX_BYTES)
            continue
        if kind == "adr":
            out.append(adr.draft(text, rel, numbers.get(rel.rsplit("/", 1)[0], {}), exists))
        else:
            out.extend(rules.drafts(text, rel, kind, exists))
    return out


def _record_numbers(records: list[str]) -> dict[str, dict[int, str]]:
    """Per decisions folder, record number -> file name (`0005-use-x.md` is number 5)."""
    out: dict[str, dict[int, str]] = {}
    for rel in records:
        folder, _, name = rel.rpartition("/")
        number = adr.NUMBER.match(name)
        if number:
            out.setdefault(folder, {})[int(number.group(1))] = name
    return out


def _is_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def _text(path: Path) -> str | None:
    try:
        if path.stat().st_size > MAX_BYTES:
            return None
        return path.read_text(encoding="utf-8").replace("\r\n", "\n")
    except (OSError, UnicodeDecodeError):
        return None
