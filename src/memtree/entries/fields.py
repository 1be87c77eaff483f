"""The fields of an entry's frontmatter, each checked on its own: what type it must have, its
limits, and its value when absent. Pure; entry.py builds Entries with these checks.
"""

from __future__ import annotations

import datetime as dt

from ..errors import InvalidEntry
from ..model import FORMAT_VERSION, Anchor, Maturity, Relation, Source, Status

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any

MAX_RELATIONS = 500  # docs/format.md


def _title(value: Any, field: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidEntry(f"{where}: field '{field}' is required and must be text")
    return value.strip()


def _importance(value: Any, field: str, where: str) -> int:
    value = 50 if value is None else value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidEntry(f"{where}: field '{field}' must be a number 0-100, got {value!r}")
    if not 0 <= value <= 100:
        raise InvalidEntry(f"{where}: field '{field}' must be between 0 and 100, got {value}")
    return int(round(value))


def _choice(kind: Any, default: str) -> Any:
    def check(value: Any, field: str, where: str) -> Any:
        try:
            return kind(str(default if value is None else value).lower())
        except ValueError:
            names = ", ".join(m.value for m in kind)
            raise InvalidEntry(f"{where}: field '{field}' must be one of {names}, got {value!r}") from None
    return check


def _pinned(value: Any, field: str, where: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InvalidEntry(f"{where}: field '{field}' must be true or false")
    return value


def _format(value: Any, field: str, where: str) -> int:
    value = FORMAT_VERSION if value is None else value
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidEntry(f"{where}: field '{field}' must be an integer")
    return value


def _type(value: Any, field: str, where: str) -> str:
    return _text(value, field, where) or "fact"


def _text(value: Any, field: str, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value).strip()
    raise InvalidEntry(f"{where}: field '{field}' must be text")


def _strings(value: Any, field: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise InvalidEntry(f"{where}: field '{field}' must be a list of text")
    out: dict[str, None] = {}  # ordered and linear: a list would make parsing quadratic
    for item in value:
        if not isinstance(item, str | int | float) or isinstance(item, bool):
            raise InvalidEntry(f"{where}: field '{field}' must be a list of text, got {item!r}")
        text = str(item).strip()
        if text:
            out[text] = None
    return tuple(out)


def _relations(value: Any, field: str, where: str) -> tuple[Relation, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidEntry(f"{where}: field 'relations' must be a list of {{type, target}}")
    if len(value) > MAX_RELATIONS:
        raise InvalidEntry(f"{where}: field 'relations' has {len(value)} items; at most "
                           f"{MAX_RELATIONS} are allowed")
    out: dict[Relation, None] = {}
    for item in value:
        if not isinstance(item, dict) or not item.get("type") or not item.get("target"):
            raise InvalidEntry(f"{where}: field 'relations' item {item!r} needs type and target "
                               "(write `- {type: relates_to, target: domain/topic/entry}`)")
        out[Relation(str(item["type"]).strip(), str(item["target"]).strip())] = None
    return tuple(out)


def _stamp(value: Any, field: str, where: str) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return str(value.strftime("%Y-%m-%dT%H:%M:%SZ"))
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%dT00:00:00Z")
    if isinstance(value, str):
        try:
            return _stamp(dt.datetime.fromisoformat(value.replace("Z", "+00:00")), field, where)
        except ValueError:
            pass
    raise InvalidEntry(f"{where}: field '{field}' must be a date-time like 2026-01-31T09:00:00Z")


def _source(value: Any, field: str, where: str) -> Source:
    if value is None:
        return Source()
    if isinstance(value, str):
        return Source(by=value)
    if not isinstance(value, dict):
        raise InvalidEntry(f"{where}: field 'source' must be a mapping {{by, session, commit, files}}")
    files = _strings(value.get("files"), "source.files", where)
    session = value.get("session")
    commit = value.get("commit")
    return Source(
        by=str(value.get("by") or ""),
        session=str(session) if session not in (None, "") else None,
        commit=str(commit) if commit not in (None, "") else None,
        files=files,
    )


def _anchors(value: Any, field: str, where: str) -> tuple[Anchor, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidEntry(f"{where}: field 'anchors' must be a list of {{path, lines, hash, commit}}")
    out: list[Anchor] = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str) or not item["path"]:
            raise InvalidEntry(f"{where}: field 'anchors' item {item!r} needs a path")
        lines, symbol, commit = item.get("lines"), item.get("symbol"), item.get("commit")
        out.append(Anchor(
            path=item["path"],
            lines=str(lines) if lines not in (None, "") else None,
            symbol=str(symbol) if symbol not in (None, "") else None,
            hash=str(item.get("hash") or ""),
            commit=str(commit) if commit not in (None, "") else None,
        ))
    return tuple(out)


CHECKS: dict[str, tuple[Any, Any]] = {  # field -> (checker, value when it fails)
    "title": (_title, ""), "summary": (_text, ""), "type": (_type, "fact"),
    "tags": (_strings, ()), "aliases": (_strings, ()), "relations": (_relations, ()),
    "importance": (_importance, 50), "maturity": (_choice(Maturity, "draft"), Maturity.DRAFT),
    "status": (_choice(Status, "active"), Status.ACTIVE), "pinned": (_pinned, False),
    "created": (_stamp, ""), "updated": (_stamp, ""), "source": (_source, Source()),
    "anchors": (_anchors, ()), "format": (_format, FORMAT_VERSION),
}
