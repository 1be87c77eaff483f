"""Commit messages with provenance trailers, and reading them back. Pure: no git, no files.

A memtree commit says what changed in its subject and carries `Memtree-*` trailers
(actor, session, tool, reason, action, paths, entry ids) that `log` and `why` read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..model import Change

PREFIX = "Memtree-"
KEYS = ("Action", "Actor", "Session", "Tool", "Reason", "Paths", "Ids", "Reverts")


@dataclass(frozen=True)
class Revision:
    """One commit as history shows it: who, when, what, and memtree's trailers if any."""

    sha: str
    author: str
    date: str
    subject: str
    trailers: dict[str, str] = field(default_factory=dict)
    files: tuple[str, ...] = ()  # memory-relative, both sides of a rename
    parents: tuple[str, ...] = ()
    renames: tuple[tuple[str, str], ...] = ()  # (old, new)

    @property
    def memtree(self) -> bool:
        return "action" in self.trailers

    def get(self, key: str) -> str:
        return self.trailers.get(key.lower(), "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "sha": self.sha, "short": self.sha[:10], "author": self.author, "date": self.date,
            "subject": self.subject, "memtree": self.memtree, "action": self.get("action"),
            "actor": self.get("actor"), "tool": self.get("tool"), "reason": self.get("reason"),
            "session": self.get("session"), "files": list(self.files),
        }


def _one_line(text: str) -> str:
    return " ".join(text.split())


def message(changes: Sequence[Change], ids: Iterable[str] = (), reverts: Iterable[str] = ()) -> str:
    """The commit message for one change, or for several deferred ones committed together."""
    last = changes[-1]
    subject = _one_line(last.summary)[:120]
    body: list[str] = []
    if len(changes) > 1:
        subject = f"{subject} (+{len(changes) - 1} earlier change(s))"
        body = [f"- {_one_line(c.summary)}" + (f" ({_one_line(c.reason)})" if c.reason else "")
                for c in changes]
    elif last.reason:
        body = [last.reason.strip()]
    paths = sorted({p for c in changes for p in c.paths})
    pairs = [
        ("Action", last.action if len(changes) == 1 else "batch"),
        ("Actor", last.actor or ""),
        ("Session", last.session or ""),
        ("Tool", last.tool),
        ("Reason", _one_line(last.reason or "")),
        ("Paths", " ".join(paths)),
        ("Ids", " ".join(sorted(set(ids)))),
        ("Reverts", " ".join(reverts)),
    ]
    trailer = [f"{PREFIX}{k}: {_one_line(v)}" for k, v in pairs if _one_line(v)]
    return "\n\n".join(part for part in (subject, "\n".join(body), "\n".join(trailer)) if part) + "\n"


def parse(text: str) -> dict[str, str]:
    """The `Memtree-*` trailers of a commit message, keyed by lowercase name: those of its last
    paragraph that has any (memtree writes them after the body, so a reason that reads like a
    trailer cannot pass for one; a hook may add its own paragraph after them)."""
    found: dict[str, str] = {}
    for paragraph in reversed(text.replace("\r\n", "\n").split("\n\n")):
        for line in paragraph.splitlines():
            key, sep, value = line.partition(": ")
            if sep and key.startswith(PREFIX) and key[len(PREFIX):] in KEYS:
                found[key[len(PREFIX):].lower()] = value.strip()
        if found:
            return found
    return found
