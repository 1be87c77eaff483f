"""Curation's pure decisions: the prompt that asks a model for operations against the tree
(add, update, supersede, link, nothing), and the checks every proposed operation passes before
anything is applied or queued: known operations and fields, real paths and relation types, no
invented entries, no obvious secrets, no duplicate of an existing entry. No I/O.
"""

from __future__ import annotations

import json
import re

from .. import secretscan
from ..entries import layout
from ..errors import MemtreeError
from ..model import ENTRY_TYPES, RELATION_TYPES, Entry
from ..record import Record, record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    Known = dict[str, Entry]
    Planned = list[dict[str, Any]]

OPS = ("add", "update", "supersede", "link", "nothing")
FIELDS = {"add": {"op", "path", "title", "summary", "body", "type", "tags", "supersedes", "reason", "source"},
          "update": {"op", "ref", "summary", "body", "tags", "type", "reason", "source"},
          "supersede": {"op", "old", "new", "reason", "source"},
          "link": {"op", "ref", "type", "target", "reason", "source"},
          "nothing": {"op", "reason", "source"}}
LIMITS = {"title": 120, "summary": 300, "body": 4000, "reason": 300, "source": 300}
SIMILAR = 0.8  # title word overlap (Jaccard) at which an add duplicates an existing entry
SYSTEM = """You curate a project's memory: markdown entries in folders DOMAIN/TOPIC. From the \
SOURCE, propose what is worth remembering for future work on this project (decisions, \
conventions, facts, bugs and their fixes, how-tos, preferences) as operations against the \
EXISTING entries listed. Answer with one JSON object and nothing else:
{"operations": [
 {"op": "add", "path": "domain/topic", "title": "...", "summary": "one line", "body": "...", \
"type": "fact|decision|convention|how-to|bug|episode|preference|reference", "tags": ["..."], \
"reason": "why it is worth keeping", "source": "the words of the SOURCE it comes from"},
 {"op": "update", "ref": "<existing path>", "summary": "...", "body": "...", "reason": "...", \
"source": "..."},
 {"op": "supersede", "old": "<existing path>", "new": "<existing path>", "reason": "...", "source": "..."},
 {"op": "link", "ref": "<existing path>", "type": "relates_to|depends_on|part_of|contradicts|\
derived_from", "target": "<existing path>", "reason": "...", "source": "..."},
 {"op": "nothing", "reason": "why nothing is worth keeping"}]}
Use only facts stated in the SOURCE; never copy the examples above. Refer only to paths listed \
under EXISTING. Prefer update over add when an entry already covers the subject. Never include \
secrets (keys, tokens, passwords)."""


class Refused(MemtreeError):
    """One proposed operation that fails a check (kept with its reason, never applied)."""


@record
class Plan(Record):
    """Checked operations (`action`, `args` as agents.review applies them, `summary`), the
    refused ones with why, and the model's reasons when it proposes nothing."""

    operations: tuple[dict[str, Any], ...] = ()
    refused: tuple[dict[str, Any], ...] = ()
    nothing: tuple[str, ...] = ()


def prompt(source: str, existing: Iterable[Entry]) -> str:
    lines = [json.dumps({"path": e.path, "title": e.title, "summary": e.summary[:160]},
                        ensure_ascii=False) for e in existing]
    return "EXISTING:\n" + ("\n".join(lines) or "(none)") + "\n\nSOURCE:\n" + source


def parse(text: str) -> list[Any]:
    """The `operations` of a model's answer; MemtreeError when it is not the JSON asked for."""
    start, end = text.find("{"), text.rfind("}")
    try:
        found = json.loads(text[start:end + 1]) if 0 <= start < end else None
    except ValueError:
        found = None
    if not isinstance(found, dict) or not isinstance(found.get("operations"), list):
        raise MemtreeError(f"the model did not answer with the JSON asked for: {text[:80]!r}")
    return list(found["operations"])


def check(proposed: list[Any], catalog: Iterable[Entry], source: str) -> Plan:
    """Each proposal checked against the tree (`catalog`) and deduplicated; `source` names where
    the material came from (kept with each operation)."""
    known = {e.path: e for e in catalog}
    ops: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    nothing: list[str] = []
    for item in proposed:
        try:
            op = _checked(item, known, ops)
        except MemtreeError as exc:
            refused.append({"proposal": item, "why": str(exc)})
            continue
        if op["action"] == "nothing":
            nothing.append(op["reason"])
        else:
            op["source"] = f"{source}: {op['source']}" if op["source"] else source
            ops.append(op)
    return Plan(tuple(ops), tuple(refused), tuple(nothing))


def _checked(item: Any, known: Known, planned: Planned) -> dict[str, Any]:
    if not isinstance(item, dict) or item.get("op") not in OPS:
        raise Refused(f"unknown operation: expected op one of {', '.join(OPS)}")
    action = str(item["op"])
    extra = sorted(set(item) - FIELDS[action])
    if extra:
        raise Refused(f"{action}: unknown field {extra[0]!r}")
    for name, value in item.items():
        if name != "tags" and not isinstance(value, str | None):
            raise Refused(f"{action}: field {name!r} must be text")
        if isinstance(value, str) and len(value) > LIMITS.get(name, 4000):
            raise Refused(f"{action}: field {name!r} is longer than {LIMITS.get(name, 4000)} characters")
        if isinstance(value, str) and secretscan.scan(value):
            raise Refused(f"{action}: field {name!r} looks like it holds a secret")
    tags = item.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        raise Refused(f"{action}: tags must be a list of words")
    reason = str(item.get("reason") or "").strip()
    if not reason:
        raise Refused(f"{action}: a reason is required")
    args = _ARGS[action](item, known, planned) if action != "nothing" else {}
    if action != "nothing":
        args["reason"] = reason
    return {"action": action, "args": args, "reason": reason, "source": str(item.get("source") or ""),
            "summary": _summary(action, args)}


def _existing(value: Any, known: dict[str, Entry], field: str) -> str:
    path = str(value or "").strip().removesuffix(".md").strip("/")
    if path not in known:
        raise Refused(f"{field} {value!r}: no such entry (invented paths are refused)")
    return path


def _add(item: dict[str, Any], known: Known, planned: Planned) -> dict[str, Any]:
    title = str(item.get("title") or "").strip()
    if not title:
        raise Refused("add: a title is required")
    try:
        rel = layout.entry_path(str(item.get("path") or ""), layout.slugify(title))
    except MemtreeError as exc:
        raise Refused(f"add: {exc}") from exc
    kind = item.get("type") or "fact"
    if kind not in ENTRY_TYPES:
        raise Refused(f"add: type {kind!r}: expected one of {', '.join(ENTRY_TYPES)}")
    tags = item.get("tags") or []
    same = _duplicate(title, rel, known, planned)
    if same:
        raise Refused(f"add {title!r}: duplicates {same}; update it instead")
    args: dict[str, Any] = {"title": title, "path": rel.rsplit("/", 1)[0], "type": kind,
                            "summary": str(item.get("summary") or ""), "tags": tags,
                            "body": str(item.get("body") or "")}
    if item.get("supersedes"):
        args["supersedes"] = _existing(item["supersedes"], known, "supersedes")
    return args


def _duplicate(title: str, rel: str, known: Known, planned: Planned) -> str:
    words = _words(title)
    titles: list[tuple[str, str]] = [(e.path, e.title) for e in known.values()] + [
        (f"{p['args']['path']} (proposed)", p["args"]["title"]) for p in planned if p["action"] == "add"]
    for path, other in titles:
        theirs = _words(other)
        if path == rel or (words and len(words & theirs) / len(words | theirs) >= SIMILAR):
            return path
    return ""


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _update(item: dict[str, Any], known: Known, planned: Planned) -> dict[str, Any]:
    ref = _existing(item.get("ref"), known, "ref")
    fields = {k: item[k] for k in ("summary", "body", "tags", "type") if item.get(k)}
    if not fields:
        raise Refused(f"update {ref}: names no field to change")
    if "type" in fields and fields["type"] not in ENTRY_TYPES:
        raise Refused(f"update {ref}: type {fields['type']!r}: expected one of {', '.join(ENTRY_TYPES)}")
    old = known[ref]
    if fields.get("summary") == old.summary and set(fields) == {"summary"}:
        raise Refused(f"update {ref}: the summary is already that")
    return {"ref": ref, **fields}


def _supersede(item: dict[str, Any], known: Known, planned: Planned) -> dict[str, Any]:
    old, new = _existing(item.get("old"), known, "old"), _existing(item.get("new"), known, "new")
    if old == new:
        raise Refused(f"supersede {old}: an entry cannot supersede itself")
    return {"old": old, "new": new}


def _link(item: dict[str, Any], known: Known, planned: Planned) -> dict[str, Any]:
    ref, target = _existing(item.get("ref"), known, "ref"), _existing(item.get("target"), known, "target")
    kind = item.get("type")
    if kind not in RELATION_TYPES or kind in ("supersedes", "superseded_by"):
        raise Refused(f"link: type {kind!r}: expected one of relates_to, depends_on, part_of, "
                      "contradicts, derived_from")
    if ref == target or any(r.type == kind and r.target in (target, known[target].id)
                            for r in known[ref].relations):
        raise Refused(f"link {ref} {kind} {target}: already linked")
    return {"ref": ref, "type": kind, "target": target}


_ARGS = {"add": _add, "update": _update, "supersede": _supersede, "link": _link}


def _summary(action: str, args: dict[str, Any]) -> str:
    if action == "add":
        return f"add {args['path']}: {args['title']}"
    if action == "link":
        return f"link {args['ref']} {args['type']} {args['target']}"
    if action == "supersede":
        return f"supersede {args['old']} by {args['new']}"
    return f"{action} {args.get('ref', '')}".strip()
