"""Editing other tools' files without clobbering them: marked text blocks and memtree-owned JSON keys.

Pure text-in, text-out functions (no file I/O). Removing what was added restores the
original text byte for byte: see docs/agents.md for the rules that make that hold.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

from ..errors import InvalidEntry

MD_MARKERS = ("<!-- memtree:begin -->", "<!-- memtree:end -->")
TOML_MARKERS = ("# memtree:begin", "# memtree:end")


def set_block(text: str | None, body: str, markers: tuple[str, str]) -> str:
    """Text with the marked block holding `body` (replaced in place, or appended at the end)."""
    block = f"{markers[0]}\n{body.rstrip()}\n{markers[1]}"
    span = _find(text or "", markers)
    if span is not None:
        start, end = span
        return (text or "")[:start] + block + (text or "")[end:]
    if not text:
        return block + "\n"
    # After a final newline a blank line separates the block; without one, a single newline.
    # remove_block undoes exactly this, so the user's bytes come back unchanged.
    return text + "\n" + block + "\n"


def remove_block(text: str, markers: tuple[str, str]) -> str:
    """Text without the marked block (and the separator set_block added before it)."""
    span = _find(text, markers)
    if span is None:
        return text
    start, end = span
    tail = text[end:]
    if tail.startswith("\n"):
        tail = tail[1:]
    head = text[:start]
    if (not tail and head.endswith("\n")) or (tail.startswith("\n") and head.endswith("\n\n")):
        head = head[:-1]
    return head + tail



def _find(text: str, markers: tuple[str, str]) -> tuple[int, int] | None:
    begin = re.search(rf"(?m)^{re.escape(markers[0])}[ \t]*$", text)
    if not begin:
        return None
    end = re.compile(rf"(?m)^{re.escape(markers[1])}[ \t]*$").search(text, begin.end())
    if not end:
        raise InvalidEntry(f"a '{markers[0]}' line has no matching '{markers[1]}' line")
    return begin.start(), end.end()


# ---------------------------------------------------------------- JSON


def load_json(text: str | None, where: str) -> dict[str, Any]:
    if not text or not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidEntry(f"{where}: not valid JSON ({exc}); fix or remove it first") from exc
    if not isinstance(data, dict):
        raise InvalidEntry(f"{where}: expected a JSON object at the top level")
    return data


def dump_json(data: dict[str, Any], like: str | None) -> str:
    """Serialise in the style of the original text (indent, final newline)."""
    if not like or not like.strip():
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    indent: int | str | None = None
    match = re.search(r"\n([ \t]+)\S", like)
    if match:
        found = match.group(1)
        indent = "\t" if found.startswith("\t") else len(found)
    out = json.dumps(data, indent=indent, ensure_ascii=False)
    return out + "\n" if like.endswith("\n") else out


Edit = Callable[[dict[str, Any]], dict[str, Any]]


def edit_json(text: str | None, where: str, change: Edit) -> str | None:
    """Apply `change` to the parsed object; None means the file should not exist any more."""
    original = load_json(text, where)
    data = change(copy.deepcopy(original))
    if data == original:
        return text
    if not data:
        return None
    return dump_json(data, text)


def _child(node: dict[str, Any], key: str) -> dict[str, Any]:
    child = node.get(key)
    if not isinstance(child, dict):
        child = {}
        node[key] = child
    return child


def put_key(data: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """Set data[path], creating parent objects as needed."""
    node = data
    for part in path[:-1]:
        node = _child(node, part)
    node[path[-1]] = value
    return data


def drop_key(data: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """Delete data[path] and any parent objects left empty by that."""
    chain = [data]
    for part in path[:-1]:
        child = chain[-1].get(part)
        if not isinstance(child, dict):
            return data
        chain.append(child)
    chain[-1].pop(path[-1], None)
    for depth in range(len(chain) - 1, 0, -1):
        if not chain[depth]:
            del chain[depth - 1][path[depth - 1]]
    return data


Ours = Callable[[Any], bool]


def add_hook(data: dict[str, Any], container: tuple[str, ...], event: str,
             group: dict[str, Any], ours: Ours) -> dict[str, Any]:
    """Put memtree's hook group under container/event, in place of an earlier memtree group."""
    node = data
    for part in container:
        node = _child(node, part)
    groups = node.get(event)
    if not isinstance(groups, list):
        groups = []
    out: list[Any] = []
    for item in groups:
        if not ours(item):
            out.append(item)
        elif group not in out:
            out.append(group)
    if group not in out:
        out.append(group)
    node[event] = out
    return data


def remove_hooks(data: dict[str, Any], container: tuple[str, ...], ours: Ours) -> dict[str, Any]:
    """Remove memtree's hook groups; events and containers left empty go too."""
    node: Any = data
    for part in container:
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict):
        return data
    for event in list(node):
        groups = node[event]
        if isinstance(groups, list) and any(ours(g) for g in groups):
            node[event] = [g for g in groups if not ours(g)]
            if not node[event]:
                drop_key(data, (*container, event))
    return data


def add_items(data: dict[str, Any], path: tuple[str, ...], items: list[str]) -> dict[str, Any]:
    """Append the items missing from the list at data[path] (created if absent)."""
    node = data
    for part in path[:-1]:
        node = _child(node, part)
    found = node.get(path[-1])
    current: list[Any] = found if isinstance(found, list) else []
    node[path[-1]] = current + [i for i in items if i not in current]
    return data


def remove_items(data: dict[str, Any], path: tuple[str, ...], items: list[str]) -> dict[str, Any]:
    """Take the items out of the list at data[path]; a list (and parents) left empty go too."""
    node: Any = data
    for part in path[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    found = node.get(path[-1]) if isinstance(node, dict) else None
    if not isinstance(found, list):
        return data
    node[path[-1]] = [i for i in found if i not in items]
    return drop_key(data, path) if not node[path[-1]] else data
