"""`Draft`: one entry an importer wants to exist, before it is written, and its stable id.

Pure values; `apply.py` turns drafts into entry files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from ..entries.codec import ID_ALPHABET, ID_LENGTH


@dataclass(frozen=True)
class Draft:
    """An entry to import. `key` names its place in the source (file and section, or an issue
    reference) and gives the id; `digest` of the content says whether it changed."""

    key: str
    title: str
    folder: str  # DOMAIN/TOPIC[/SUBTOPIC]
    slug: str
    body: str
    type: str = "convention"
    importance: int = 50
    summary: str = ""
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    origin: dict[str, str] = field(default_factory=dict)  # file, lines, section, kind
    files: tuple[str, ...] = ()  # code or source files it came from
    anchors: tuple[str, ...] = ()  # project files it names that exist
    by: str = ""  # who wrote the source (git author); empty: whoever runs the import
    commit: str | None = None
    created: str = ""  # empty: now
    updated: str = ""
    status: str = "active"
    superseded_by: str = ""  # key of the draft that replaces this one

    @property
    def id(self) -> str:
        return stable_id(self.key)

    @property
    def digest(self) -> str:
        parts = (self.title, self.summary, self.type, ",".join(self.tags), self.body, self.status,
                 self.superseded_by, ",".join(self.anchors))
        return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:16]


def stable_id(key: str) -> str:
    """A memtree id (10 Crockford base32 characters) derived from a source key: the same place in
    the same source always gives the same id, so re-running an import never duplicates."""
    number = int.from_bytes(hashlib.sha256(("memtree-import\0" + key).encode("utf-8")).digest()[:8])
    out = []
    for _ in range(ID_LENGTH):
        number, rest = divmod(number, len(ID_ALPHABET))
        out.append(ID_ALPHABET[rest])
    return "".join(out)
