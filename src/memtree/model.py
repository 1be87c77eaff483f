"""The data memtree speaks in: frozen dataclasses and enums shared by every module.

Pure values only; nothing here reads or writes files.
"""

from __future__ import annotations

from dataclasses import field
from enum import StrEnum

from .record import Record, record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any

FORMAT_VERSION = 1


class Maturity(StrEnum):
    DRAFT = "draft"
    VALIDATED = "validated"
    CORE = "core"


class Status(StrEnum):
    ACTIVE = "active"
    SUPERSEDED = "superseded"
    ARCHIVED = "archived"


class Tier(StrEnum):
    """Which retrieval tier found a hit."""

    PATH = "path"
    KEYWORD = "keyword"
    FULLTEXT = "fulltext"
    LLM = "llm"


ENTRY_TYPES = (
    "fact",
    "decision",
    "convention",
    "how-to",
    "bug",
    "episode",
    "preference",
    "reference",
)

RELATION_TYPES = (
    "relates_to",
    "depends_on",
    "part_of",
    "supersedes",
    "superseded_by",
    "contradicts",
    "derived_from",
)


@record
class Relation(Record):
    """A typed link from an entry to another (`target` is a memory path)."""

    type: str
    target: str

    def to_dict(self) -> dict[str, str]:
        return {"type": self.type, "target": self.target}


@record
class Source(Record):
    """Provenance: who or what wrote an entry, and from where."""

    by: str = ""
    session: str | None = None
    commit: str | None = None
    files: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"by": self.by}
        if self.session:
            out["session"] = self.session
        if self.commit:
            out["commit"] = self.commit
        if self.files:
            out["files"] = list(self.files)
        return out


@record
class Entry(Record):
    """One memory entry: its frontmatter fields, its body and where it lives.

    `path` is relative to the memory root, with `/` separators and no `.md`
    (for example `auth/tokens/jwt-signing`). `extra` keeps frontmatter keys memtree
    does not know, in their original order, so a rewrite never drops them.
    """

    id: str
    title: str
    path: str = ""
    summary: str = ""
    type: str = "fact"
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    relations: tuple[Relation, ...] = ()
    importance: int = 50
    maturity: Maturity = Maturity.DRAFT
    status: Status = Status.ACTIVE
    pinned: bool = False
    created: str = ""
    updated: str = ""
    source: Source = field(default_factory=Source)
    anchors: tuple[Anchor, ...] = ()
    body: str = ""
    format: int = FORMAT_VERSION
    extra: tuple[tuple[str, Any], ...] = ()

    @property
    def domain(self) -> str:
        return self.path.split("/")[0] if self.path else ""

    @property
    def topic(self) -> str:
        parts = self.path.split("/")
        return parts[1] if len(parts) > 1 else ""

    @property
    def slug(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    def extra_dict(self) -> dict[str, Any]:
        return dict(self.extra)

    def to_dict(self, body: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "path": self.path,
            "title": self.title,
            "summary": self.summary,
            "type": self.type,
            "tags": list(self.tags),
            "aliases": list(self.aliases),
            "relations": [r.to_dict() for r in self.relations],
            "importance": self.importance,
            "maturity": self.maturity.value,
            "status": self.status.value,
            "pinned": self.pinned,
            "created": self.created,
            "updated": self.updated,
            "source": self.source.to_dict(),
            "format": self.format,
        }
        if self.anchors:
            out["anchors"] = [a.to_dict() for a in self.anchors]
        for key, value in self.extra:
            out.setdefault(key, value)
        if body:
            out["body"] = self.body
        return out


@record
class Problem(Record):
    """Something wrong with a file: where, and what. `line` is 1-based or 0 if unknown."""

    path: str
    message: str
    line: int = 0
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"

    @classmethod
    def of(cls, message: str, path: str) -> Problem:
        """A problem from an error message `path[:line]: what` about the file at `path`."""
        import re

        rel = path if path.endswith(".md") else path + ".md"
        match = re.match(r"^(?P<path>[^\n]*?):(?P<line>\d+): (?P<msg>.*)$", message, re.S)
        if match and match.group("path") == rel:
            return cls(rel, match.group("msg"), int(match.group("line")))
        return cls(rel, message.removeprefix(f"{rel}: "))

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "severity": self.severity,
        }


@record
class Change(Record):
    """One write through memtree, described for history: what moved where, and why."""

    action: str
    paths: tuple[str, ...]
    summary: str
    reason: str | None = None
    actor: str | None = None
    session: str | None = None
    tool: str = "cli"


@record
class Hit(Record):
    """One retrieved entry: which tier found it, its score, the parts of that score, and why."""

    path: str
    id: str
    title: str
    tier: Tier
    score: float
    why: str
    summary: str = ""
    type: str = "fact"
    status: str = "active"
    parts: tuple[tuple[str, float], ...] = ()
    snippet: str = ""
    flags: tuple[str, ...] = ()  # e.g. "possibly stale: src/x.py changed", "superseded by …"
    scope: str = "project"  # or "personal": the memory in the user's home (docs/personal.md)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "path": self.path,
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "type": self.type,
            "status": self.status,
            "tier": self.tier.value,
            "score": round(self.score, 4),
            "why": self.why,
            "parts": {k: round(v, 4) for k, v in self.parts},
            "snippet": self.snippet,
            "flags": list(self.flags),
        }


@record
class Result(Record):
    """The answer to a query, with the confidence gate's decision about escalating to an LLM."""

    query: str
    hits: tuple[Hit, ...]
    confidence: float = 0.0
    escalate: bool = False
    reason: str = ""
    took_ms: float = 0.0
    problems: tuple[Problem, ...] = ()  # files that could not be read as entries

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "hits": [h.to_dict() for h in self.hits],
            "confidence": round(self.confidence, 4),
            "escalate": self.escalate,
            "reason": self.reason,
            "took_ms": round(self.took_ms, 2),
            "problems": [p.to_dict() for p in self.problems],
        }


@record
class Anchor(Record):
    """Where an entry touches the code: a file (relative to the project), optional 1-based
    line range `START-END` or symbol, the content hash when anchored and the commit then."""

    path: str
    lines: str | None = None
    symbol: str | None = None
    hash: str = ""
    commit: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path}
        if self.lines:
            out["lines"] = self.lines
        if self.symbol:
            out["symbol"] = self.symbol
        out["hash"] = self.hash
        if self.commit:
            out["commit"] = self.commit
        return out

    def spec(self) -> str:
        """`path`, `path:START-END` or `path#symbol`, as given on the command line."""
        if self.symbol:
            return f"{self.path}#{self.symbol}"
        return f"{self.path}:{self.lines}" if self.lines else self.path
