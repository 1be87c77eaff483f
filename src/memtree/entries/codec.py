"""Entry <-> markdown text: the frontmatter codec of docs/format.md. Pure: no file I/O.

The only user of python-frontmatter and PyYAML. Writes fields in one fixed order, lists
in one style, and keeps unknown keys after the known ones, so git diffs stay small.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping

from ..errors import InvalidEntry
from ..model import FORMAT_VERSION, Anchor, Entry, Maturity, Relation, Source, Status
from . import quickyaml

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any

ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
ID_LENGTH = 10
ID_RE = re.compile(rf"^[{ID_ALPHABET}]{{{ID_LENGTH}}}$")
KNOWN_FIELDS = (
    "format",
    "id",
    "title",
    "summary",
    "type",
    "tags",
    "aliases",
    "relations",
    "importance",
    "maturity",
    "status",
    "pinned",
    "created",
    "updated",
    "source",
    "anchors",
)
WIKILINK = r"\[\[([^\]|#]+)(?:[#|][^\]]*)?\]\]"  # compiled on first use (re caches it)


# The frontmatter fences, as python-frontmatter's YAML handler finds them (body_of splits without it).
FENCE = r"^-{3,}\s*$"


def _yaml() -> Any:
    """PyYAML, imported on first use so that paths which never parse (agent hooks) stay fast."""
    import yaml

    return yaml


def _loader() -> Any:
    yaml = _yaml()
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _dumper() -> Any:
    yaml = _yaml()
    return getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def new_id() -> str:
    import secrets  # with hashlib and OpenSSL: only writers pay for them

    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- parsing


def parse(text: str, path: str = "") -> Entry:
    """Parse an entry file's text. Raises InvalidEntry naming the path, line and field."""
    meta, body = split_meta(text, path)
    return from_mapping(meta, body, path)


def split_meta(text: str, path: str = "") -> tuple[dict[str, Any], str]:
    """Split text into its frontmatter mapping and body, with line-precise errors."""
    path = _where(path)
    _check_text(text, path)
    parts = split_fences(text)
    quick = quickyaml.load(parts[1]) if len(parts) == 3 else None
    if quick is not None:  # the YAML memtree writes, read without importing PyYAML
        return quick, parts[2].lstrip("\n")
    try:
        import frontmatter

        raw_meta, body = frontmatter.default_handlers.YAMLHandler().split(text)
    except ValueError as exc:
        raise InvalidEntry(f"{path}:1: frontmatter is not closed by a '---' line") from exc
    try:
        meta = _yaml().load(raw_meta, Loader=_loader()) or {}
    except _yaml().YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1  # raw_meta starts after the first ---
        problem = getattr(exc, "problem", None) or "malformed YAML"
        raise InvalidEntry(f"{path}:{line}: invalid YAML frontmatter: {problem}") from exc
    if not isinstance(meta, dict):
        raise InvalidEntry(f"{path}:2: frontmatter must be a mapping of fields")
    return meta, body.lstrip("\n")


def body_of(text: str, path: str = "") -> str:
    """An entry file's body without parsing its frontmatter (no YAML), for readers that take the
    fields from the index: `parse(text, path).body` for any entry that parses."""
    where = _where(path)
    _check_text(text, where)
    parts = split_fences(text)
    if len(parts) < 3:
        raise InvalidEntry(f"{where}:1: frontmatter is not closed by a '---' line")
    return parts[2].lstrip("\n")


def split_fences(text: str) -> list[str]:
    """Text before, between and after the first two fences (three parts when both are there)."""
    return re.split(FENCE, text, maxsplit=2, flags=re.MULTILINE)


def _check_text(text: str, where: str) -> None:
    if "\x00" in text:
        raise InvalidEntry(f"{where}: binary file, not a markdown entry")
    if not text.strip():
        raise InvalidEntry(f"{where}: empty file")
    if not text.startswith("---"):
        raise InvalidEntry(f"{where}:1: no frontmatter (the file must start with '---')")


def from_mapping(meta: Mapping[str, Any], body: str = "", path: str = "") -> Entry:
    """Build an Entry from already-loaded frontmatter, checking every field's type."""
    where = _where(path)

    def bad(field: str, why: str) -> InvalidEntry:
        return InvalidEntry(f"{where}: field '{field}' {why}")

    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise bad("title", "is required and must be text")
    entry_id = meta.get("id", "")
    entry_id = "" if entry_id is None else str(entry_id)
    importance = meta.get("importance", 50)
    if isinstance(importance, bool) or not isinstance(importance, int | float):
        raise bad("importance", f"must be a number 0-100, got {importance!r}")
    if not 0 <= importance <= 100:
        raise bad("importance", f"must be between 0 and 100, got {importance}")
    try:
        maturity = Maturity(str(meta.get("maturity", "draft")).lower())
    except ValueError:
        raise bad("maturity", f"must be draft, validated or core, got {meta['maturity']!r}") from None
    try:
        status = Status(str(meta.get("status", "active")).lower())
    except ValueError:
        raise bad("status", f"must be active, superseded or archived, got {meta['status']!r}") from None
    pinned = meta.get("pinned", False)
    if not isinstance(pinned, bool):
        raise bad("pinned", "must be true or false")
    fmt = meta.get("format", FORMAT_VERSION)
    if isinstance(fmt, bool) or not isinstance(fmt, int):
        raise bad("format", "must be an integer")
    return Entry(
        id=entry_id,
        title=title.strip(),
        path=path,
        summary=_text(meta.get("summary"), "summary", where),
        type=_text(meta.get("type"), "type", where) or "fact",
        tags=_strings(meta.get("tags"), "tags", where),
        aliases=_strings(meta.get("aliases"), "aliases", where),
        relations=_relations(meta.get("relations"), where),
        importance=int(round(importance)),
        maturity=maturity,
        status=status,
        pinned=pinned,
        created=_stamp(meta.get("created"), "created", where),
        updated=_stamp(meta.get("updated"), "updated", where),
        source=_source(meta.get("source"), where),
        anchors=_anchors(meta.get("anchors"), where),
        body=body,
        format=fmt,
        extra=tuple((k, v) for k, v in meta.items() if k not in KNOWN_FIELDS),
    )


def _where(path: str) -> str:
    """How errors name a file: memory paths get their `.md` back."""
    if not path:
        return "<entry>"
    return path if path.endswith(".md") else path + ".md"


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
    out: list[str] = []
    for item in value:
        if not isinstance(item, str | int | float) or isinstance(item, bool):
            raise InvalidEntry(f"{where}: field '{field}' must be a list of text, got {item!r}")
        text = str(item).strip()
        if text and text not in out:
            out.append(text)
    return tuple(out)


def _relations(value: Any, where: str) -> tuple[Relation, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidEntry(f"{where}: field 'relations' must be a list of {{type, target}}")
    out: list[Relation] = []
    for item in value:
        if not isinstance(item, dict) or not item.get("type") or not item.get("target"):
            raise InvalidEntry(f"{where}: field 'relations' item {item!r} needs type and target")
        rel = Relation(str(item["type"]).strip(), str(item["target"]).strip())
        if rel not in out:
            out.append(rel)
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


def _source(value: Any, where: str) -> Source:
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


def _anchors(value: Any, where: str) -> tuple[Anchor, ...]:
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


def wikilinks(body: str) -> list[str]:
    """Targets of `[[target]]` links in a body, in order, without duplicates."""
    seen: list[str] = []
    for match in re.finditer(WIKILINK, body):
        target = match.group(1).strip().removesuffix(".md")
        if target and target not in seen:
            seen.append(target)
    return seen


# ---------------------------------------------------------------- writing


def render(entry: Entry) -> str:
    """The file text for an entry: fixed field order, stable list styles, unknown keys last."""
    lines = ["---"]
    lines.append(f"format: {entry.format}")
    lines.append(f"id: {_scalar(entry.id)}")
    lines.append(f"title: {_scalar(entry.title)}")
    lines.append(f"summary: {_scalar(entry.summary)}")
    lines.append(f"type: {_scalar(entry.type)}")
    lines.append(f"tags: {_flow_list(entry.tags)}")
    lines.append(f"aliases: {_flow_list(entry.aliases)}")
    if entry.relations:
        lines.append("relations:")
        for rel in entry.relations:
            kind, target = _flow_scalar(rel.type), _flow_scalar(rel.target)
            lines.append(f"  - {{type: {kind}, target: {target}}}")
    else:
        lines.append("relations: []")
    lines.append(f"importance: {entry.importance}")
    lines.append(f"maturity: {entry.maturity.value}")
    lines.append(f"status: {entry.status.value}")
    if entry.pinned:
        lines.append("pinned: true")
    lines.append(f"created: {entry.created or now_iso()}")
    lines.append(f"updated: {entry.updated or entry.created or now_iso()}")
    lines.append(f"source: {_flow_map(entry.source.to_dict())}")
    if entry.anchors:
        lines.append("anchors:")
        lines.extend(f"  - {_flow_map(a.to_dict())}" for a in entry.anchors)
    for key, value in entry.extra:
        lines.append(_dump_pair(key, value))
    lines.append("---")
    body = entry.body.rstrip("\n")
    return "\n".join(lines) + "\n" + (body + "\n" if body else "")


def _scalar(value: Any) -> str:
    if value is None or value == "":
        return '""'
    dumped: str = _yaml().dump(value, Dumper=_dumper(), default_flow_style=True, width=10**9,
                               allow_unicode=True)  # people read and edit these files
    return dumped.removesuffix("\n...\n").rstrip("\n")


_FLOW_UNSAFE = r"[,\[\]{}:#?]"  # a pattern string: compiled (and cached by re) on first use


def _flow_scalar(value: Any) -> str:
    """A scalar inside `[...]` or `{...}`: flow indicators, colons and question marks force
    double quotes (some YAML readers reject `[why?]`)."""
    text = _scalar(value)
    if isinstance(value, str) and value and text[0] not in "'\"" and re.search(_FLOW_UNSAFE, text):
        return json.dumps(value, ensure_ascii=False)
    return text


def _flow_list(items: Iterable[Any]) -> str:
    return "[" + ", ".join(_flow_scalar(i) for i in items) + "]"


def _flow_map(mapping: Mapping[str, Any]) -> str:
    parts = []
    for key, value in mapping.items():
        shown = _flow_list(value) if isinstance(value, list | tuple) else _flow_scalar(value)
        parts.append(f"{key}: {shown}")
    return "{" + ", ".join(parts) + "}"


def _dump_pair(key: str, value: Any) -> str:
    dumped = _yaml().dump(
        {key: value}, Dumper=_dumper(), default_flow_style=False, sort_keys=False, width=10**9,
        allow_unicode=True,
    )
    return str(dumped).rstrip("\n")
