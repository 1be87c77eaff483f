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
from ..model import Entry
from . import quickyaml
from .fields import CHECKS

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
# Fields memtree's own tools write after the known ones, kept as extra (docs/format.md):
# `imported` by `memtree import` (imports/apply.py). Validation does not call them unknown.
TOOL_FIELDS = ("imported",)
WIKILINK = r"\[\[([^\]|#]+)(?:[#|][^\]]*)?\]\]"  # compiled on first use (re caches it)


# The frontmatter fences, as python-frontmatter's YAML handler finds them (body_of splits without it).
FENCE = r"^-{3,}\s*$"
# Limits (docs/format.md): an entry file's size, the nesting of its frontmatter, its relations.
MAX_ENTRY_BYTES = 1_000_000
MAX_NESTING = 8


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


class EntryProblems(InvalidEntry):
    """Every field problem of one entry; the message is the first, `messages` holds them all."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(messages[0])
        self.messages = messages


def parse(text: str, path: str = "") -> Entry:
    """Parse an entry file's text. Raises InvalidEntry naming the path, line and field."""
    meta, body = split_meta(text, path)
    try:
        return from_mapping(meta, body, path)
    except EntryProblems as exc:
        raise EntryProblems([field_line(m, text) for m in exc.messages]) from None


def field_line(message: str, text: str) -> str:
    """`path: field 'x' ...` with the line of field `x` in `text`: `path:N: field 'x' ...`."""
    match = re.match(r"^(.*?): field '([A-Za-z0-9_]+)", message)
    if match is None or re.match(r".*:\d+$", match.group(1)):
        return message
    key = re.search(rf"^{re.escape(match.group(2))}\s*:", text, re.MULTILINE)
    if key is None:
        return message
    line = text.count("\n", 0, key.start()) + 1
    return f"{match.group(1)}:{line}:{message[len(match.group(1)) + 1:]}"


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
    meta = _full_yaml(raw_meta, path)
    if not isinstance(meta, dict):
        raise InvalidEntry(f"{path}:2: frontmatter must be a mapping of fields")
    return meta, body.lstrip("\n")


def _full_yaml(raw_meta: str, path: str) -> Any:
    """PyYAML's reading of frontmatter outside the quick subset, its failures as InvalidEntry
    (raw_meta starts after the first `---`, so a 0-based line in it is the file's 1-based line)."""
    yaml = _yaml()
    try:
        _bounded(raw_meta, path)
        return yaml.load(raw_meta, Loader=_loader()) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or "malformed YAML"
        raise InvalidEntry(f"{path}:{line}: invalid YAML frontmatter: {problem}") from exc
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        line = _bad_date_line(raw_meta)
        raise InvalidEntry(f"{path}:{line}: invalid value in frontmatter: {exc}") from exc


def _bounded(raw_meta: str, path: str) -> None:
    """Refuse anchors and aliases (an alias bomb grows without bound) and deep nesting, from
    the parser's events, before anything is built."""
    yaml = _yaml()
    depth = 0
    for event in yaml.parse(raw_meta, Loader=_loader()):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise InvalidEntry(f"{path}:{line}: YAML anchors and aliases are not allowed in "
                               "frontmatter")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_NESTING:
                raise InvalidEntry(f"{path}:{line}: frontmatter nested deeper than "
                                   f"{MAX_NESTING} levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _bad_date_line(raw_meta: str) -> int:
    """The line of the first date that is not a calendar day (what PyYAML fails on), else 1."""
    for number, line in enumerate(raw_meta.split("\n")):
        for y, m, d in re.findall(r"(?<![\d-])(\d{4})-(\d\d?)-(\d\d?)(?![\d])", line):
            try:
                dt.date(int(y), int(m), int(d))
            except ValueError:
                return number + 1  # raw_meta starts with the newline after `---`
    return 1


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
    if len(text) > MAX_ENTRY_BYTES:
        raise InvalidEntry(f"{where}: {len(text)} characters; an entry holds at most "
                           f"{MAX_ENTRY_BYTES} (split it)")
    if "\x00" in text:
        raise InvalidEntry(f"{where}: binary file, not a markdown entry")
    if not text.strip():
        raise InvalidEntry(f"{where}: empty file")
    if not text.startswith("---"):
        raise InvalidEntry(f"{where}:1: no frontmatter (the file must start with '---')")


def from_mapping(meta: Mapping[str, Any], body: str = "", path: str = "") -> Entry:
    """Build an Entry from already-loaded frontmatter, checking every field's type. Raises
    EntryProblems naming every bad field, not only the first."""
    where = _where(path)
    errors: list[str] = []

    def take(field: str, check: Any, default: Any) -> Any:
        try:
            return check(meta.get(field), field, where)
        except InvalidEntry as exc:
            errors.append(exc.message)
            return default

    fields = {name: take(name, check, default) for name, (check, default) in CHECKS.items()}
    if errors:
        raise EntryProblems(errors)
    entry_id = meta.get("id", "")
    return Entry(
        id="" if entry_id is None else str(entry_id),
        path=path,
        body=body,
        extra=tuple((k, v) for k, v in meta.items() if k not in KNOWN_FIELDS),
        **fields,
    )


def _where(path: str) -> str:
    """How errors name a file: memory paths get their `.md` back."""
    if not path:
        return "<entry>"
    return path if path.endswith(".md") else path + ".md"


def wikilinks(body: str) -> list[str]:
    """Targets of `[[target]]` links in a body, in order, without duplicates."""
    seen: dict[str, None] = {}
    for match in re.finditer(WIKILINK, body):
        target = match.group(1).strip().removesuffix(".md")
        if target:
            seen[target] = None
    return list(seen)


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
