"""The read-only MCP tools (`query`, `get`, `list`, `tree`) without the MCP SDK: who is calling and
how its memory opens (shared with the SDK server), each tool's body, and a check of the call's
arguments against the tool's schema in the manifest. `memtree mcp` answers these calls here
while the SDK still loads; a call this check does not accept is left to the SDK and its errors.
Imports only the standard library and memtree's own modules.
"""

from __future__ import annotations

import json

from .. import config
from ..entries.codec import new_id
from ..errors import MemtreeError, NoRoot

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ..memory import Memory

READ_TOOLS = ("query", "get", "list", "tree")
TYPES = {"string": str, "integer": int, "boolean": bool, "array": list, "object": dict,
         "null": type(None)}


class Agent:
    """Who is writing, and how to open the memory (per call, so config changes apply at once)."""

    def __init__(self, root: str | None, name: str, session: str | None,
                 watch: bool = True) -> None:
        self.root = root
        self.watching = watch  # False for the few calls answered while the SDK loads
        self.actor = name if ":" in name else f"agent:{name}"
        self.session = session or f"mcp-{new_id()}"

    def memory(self) -> Memory:
        from ..memory import Memory

        who = {"actor": self.actor, "tool": "mcp", "session": self.session}
        try:
            memory = Memory.open(self.root, **who)
        except NoRoot:
            project = config.env("CLAUDE_PROJECT_DIR")
            if self.root or not project:
                raise
            memory = Memory.open(project, **who)
        if self.watching:  # a long-lived process: file events keep the index fresh between calls
            memory.index.watch()
        return memory

    def data(self, fn: Callable[[Memory], Any]) -> Any:
        from ..cli import output as render

        return render.to_data(fn(self.memory()))


def read(who: Agent, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """One read-only tool's answer (MemtreeError when memtree refuses it)."""
    if name == "query":
        text, budget, limit = args["text"], args.get("budget", 600), args.get("limit", 5)
        if budget:
            return who.data(lambda m: m.context(text, budget=budget, limit=limit))  # type: ignore[no-any-return]
        return who.data(lambda m: m.query(text, limit=limit,  # type: ignore[no-any-return]
                                          include_all=args.get("include_all", False)))
    if name == "get":
        return who.data(lambda m: m.get(args["ref"]))  # type: ignore[no-any-return]
    if name == "list":
        keys = ("domain", "topic", "type", "tag", "status")
        found = who.data(lambda m: m.entries(**{k: args.get(k) for k in keys}))
        for item in found:
            item.pop("body", None)
        return {"entries": found, "count": len(found), "problems": who.data(lambda m: m.unreadable())}
    return who.data(lambda m: m.tree())  # type: ignore[no-any-return]


def accepts(schema: dict[str, Any], args: Any) -> bool:
    """Whether `args` plainly fit the tool's input schema (types, required, bounds); anything
    unusual is for the SDK to judge."""
    if not isinstance(args, dict):
        return False
    props = schema.get("properties") or {}
    if any(k not in args for k in schema.get("required") or ()):
        return False
    return all(k in props and _fits(props[k], v) for k, v in args.items())


def _fits(prop: dict[str, Any], value: Any) -> bool:
    options = prop.get("anyOf") or [prop]
    return any(_fits_one(o, value) for o in options)


def _fits_one(prop: dict[str, Any], value: Any) -> bool:
    kind = TYPES.get(prop.get("type", ""))
    if kind is None or not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        return False
    if kind is int and not prop.get("minimum", value) <= value <= prop.get("maximum", value):
        return False
    return not (isinstance(value, str) and len(value) < prop.get("minLength", 0))


def call(who: Agent, tool: dict[str, Any], args: Any) -> dict[str, Any] | None:
    """The `tools/call` result for a read-only tool, as the SDK server gives it; None when the
    call is for the SDK (not a read-only tool, or arguments it has to judge)."""
    name = tool.get("name")
    if name not in READ_TOOLS or not accepts(tool.get("inputSchema") or {}, args):
        return None
    try:
        result = read(who, name, args)
    except MemtreeError as exc:  # refused by memtree: an error result, as the SDK server gives
        said = exc.message + (f" (hint: {exc.hint})" if exc.hint else "")
        return {"content": [{"type": "text", "text": f"Error executing tool {name}: {said}"}],
                "isError": True}
    return {"content": [{"type": "text", "text": json.dumps(result, indent=2, ensure_ascii=False)}],
            "structuredContent": result, "isError": False}
