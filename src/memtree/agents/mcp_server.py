"""`memtree mcp`: the Model Context Protocol server over stdio; the only user of the `mcp` SDK.

Each tool is a thin shell over one Memory call (the same public API as the CLI), answers with
render.to_data, and writes with the agent's provenance (`agent:<name>`, tool `mcp`, session).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from .. import __version__
from ..cli import output as render
from ..entries.codec import render as render_entry
from ..errors import MemtreeError
from ..memory import Memory
from ..secretscan import mask
from .mcp_fast import Agent as Who, read as read_tool
from .review import AgentWork

INSTRUCTIONS = """\
memtree is this project's memory: markdown entries (decisions, conventions, how-tos, bugs) in
.memory/<domain>/<topic>/. Call `query` before non-trivial work; read whole entries with `get`.
Record durable knowledge with `add`; change an entry with `update`; when a newer entry replaces an
older one, call `supersede` instead of deleting. Never store secrets or personal data."""

READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                       open_world_hint=False)
ADD = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False,
                      open_world_hint=False)
LINK = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True,
                       open_world_hint=False)
CHANGE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True,
                         open_world_hint=False)

Ref = Annotated[str, Field(description="Entry path (domain/topic/slug), id, slug or exact title.")]
Reason = Annotated[str | None, Field(description="Why this change is made (kept in history).")]
Tags = Annotated[list[str] | None, Field(description="Lowercase tags, e.g. ['auth', 'jwt'].")]
Budget = Annotated[int, Field(ge=0, le=8000, description="Token budget for entry text; 0: hits only.")]
Type = Annotated[str | None, Field(description=(
    "fact, decision, convention, how-to, bug, episode, preference or reference."))]
Relations = Annotated[list[dict[str, str]] | None, Field(description=(
    "Typed links: [{'type': 'depends_on', 'target': 'domain/topic/slug'}]."))]
RelationType = Annotated[str, Field(description=(
    "relates_to, depends_on, part_of, contradicts, derived_from…"))]


class Agent(Who):
    """The caller (agents/mcp_fast.py) with memtree's refusals as the SDK's tool errors."""

    def call(self, fn: Callable[[Memory], Any]) -> Any:
        try:
            return self.data(fn)
        except MemtreeError as exc:
            raise ToolError(exc.message + (f" (hint: {exc.hint})" if exc.hint else "")) from exc

    def read(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        try:
            return read_tool(self, name, args)
        except MemtreeError as exc:
            raise ToolError(exc.message + (f" (hint: {exc.hint})" if exc.hint else "")) from exc


def build(root: str | None = None, agent: str = "mcp", session: str | None = None) -> MCPServer:
    """The server with every tool and resource registered."""
    who = Agent(root, agent, session)
    server = MCPServer("memtree", instructions=INSTRUCTIONS, version=__version__,
                       log_level="WARNING")
    _reading_tools(server, who)
    _writing_tools(server, who)
    _relation_tools(server, who)
    _resources(server, who)
    return server


def _reading_tools(server: MCPServer, who: Agent) -> None:
    @server.tool(name="query", title="Search project memory", annotations=READ, description=(
        "Find entries relevant to a question or topic (tiers: exact path/id, keyword, full text). "
        "With budget > 0, returns the best entries' text packed into that many tokens; with "
        "budget 0, returns ranked hits (path, title, summary, tier, score, why) only."))
    def query(
        text: Annotated[str, Field(description="Question, keywords, an entry path, id or glob.")],
        budget: Budget = 600,
        limit: Annotated[int, Field(ge=1, le=50, description="At most this many entries.")] = 5,
        include_all: Annotated[bool, Field(description="Hits mode: superseded, archived too.")] = False,
    ) -> dict[str, Any]:
        return who.read("query", {"text": text, "budget": budget, "limit": limit,
                                  "include_all": include_all})

    @server.tool(name="get", title="Read one entry", annotations=READ,
                 description="One entry in full: frontmatter fields, relations, provenance and body.")
    def get(ref: Ref) -> dict[str, Any]:
        return who.read("get", {"ref": ref})

    @server.tool(name="list", title="List entries", annotations=READ, description=(
        "Entries (without bodies) matching every filter given; archived ones only with "
        "status 'archived' or 'all'."))
    def list_(
        domain: Annotated[str | None, Field(description="Only this domain.")] = None,
        topic: Annotated[str | None, Field(description="Only this topic.")] = None,
        type: Annotated[str | None, Field(description="fact, decision, convention, how-to, bug…")] = None,
        tag: Annotated[str | None, Field(description="Only entries with this tag.")] = None,
        status: Annotated[str | None, Field(description="active, superseded, archived or all.")] = None,
    ) -> dict[str, Any]:
        return who.read("list", {"domain": domain, "topic": topic, "type": type, "tag": tag,
                                 "status": status})

    @server.tool(name="tree", title="Map of the memory", annotations=READ,
                 description="Domains, topics and entries as a nested tree with counts.")
    def tree() -> dict[str, Any]:
        return who.read("tree", {})


def _writing_tools(server: MCPServer, who: Agent) -> None:
    def write(action: str, **args: Any) -> dict[str, Any]:
        return who.call(lambda m: AgentWork(m).submit(action, **args))  # type: ignore[no-any-return]

    @server.tool(name="add", title="Record a new entry", annotations=ADD, description=(
        "Record durable project knowledge as a new entry at DOMAIN/TOPIC[/SUBTOPIC]. Refuses to "
        "replace an existing entry. In review mode the write becomes a proposal for a person."))
    def add(
        title: Annotated[str, Field(min_length=1, description="Short title; the file name is made from it.")],
        path: Annotated[str, Field(description="Folder: domain/topic or domain/topic/subtopic (lowercase).")],
        body: Annotated[str, Field(description="Markdown body: the knowledge itself, with reasons.")] = "",
        summary: Annotated[str, Field(description="One sentence summarising the entry.")] = "",
        type: Type = None,
        tags: Tags = None,
        aliases: Annotated[list[str] | None, Field(description="Other names for the same thing.")] = None,
        importance: Annotated[int | None, Field(ge=0, le=100, description="0-100 (default 50).")] = None,
        relations: Relations = None,
        files: Annotated[list[str] | None, Field(description="Code files this knowledge is about.")] = None,
        reason: Reason = None,
    ) -> dict[str, Any]:
        pairs = [[r.get("type", "relates_to"), r.get("target", "")] for r in relations or ()]
        return write("add", title=title, path=path, body=body, summary=summary, type=type,
                     tags=tags or [], aliases=aliases or [], importance=importance,
                     relations=pairs, files=files or [], reason=reason)

    @server.tool(name="update", title="Change an entry", annotations=CHANGE, description=(
        "Change fields of an existing entry; only the fields given change (body replaces the "
        "whole body). Use supersede when a newer entry replaces this one."))
    def update(
        ref: Ref,
        title: Annotated[str | None, Field(description="New title (the path stays).")] = None,
        summary: Annotated[str | None, Field(description="New one-sentence summary.")] = None,
        body: Annotated[str | None, Field(description="New markdown body (replaces the old one).")] = None,
        type: Annotated[str | None, Field(description="New type.")] = None,
        tags: Tags = None,
        aliases: Annotated[list[str] | None, Field(description="New aliases (replace the old ones).")] = None,
        importance: Annotated[int | None, Field(ge=0, le=100, description="0-100.")] = None,
        reason: Reason = None,
    ) -> dict[str, Any]:
        fields = {"title": title, "summary": summary, "body": body, "type": type, "tags": tags,
                  "aliases": aliases, "importance": importance}
        given = {k: v for k, v in fields.items() if v is not None}
        if not given:
            raise ToolError("update: give at least one field to change")
        return write("update", ref=ref, reason=reason, **given)



def _relation_tools(server: MCPServer, who: Agent) -> None:
    def write(action: str, **args: Any) -> dict[str, Any]:
        return who.call(lambda m: AgentWork(m).submit(action, **args))  # type: ignore[no-any-return]

    @server.tool(name="link", title="Relate two entries", annotations=LINK, description=(
        "Add a typed relation from one entry to another (both must exist)."))
    def link(
        ref: Ref,
        type: RelationType,
        target: Annotated[str, Field(description="The related entry: path, id, slug or title.")],
        reason: Reason = None,
    ) -> dict[str, Any]:
        return write("link", ref=ref, type=type, target=target, reason=reason)

    @server.tool(name="supersede", title="Replace an outdated entry", annotations=CHANGE, description=(
        "Mark entry `old` as superseded by entry `new` (add the new one first). The old entry "
        "stays readable, with status superseded and a link to its replacement."))
    def supersede(
        old: Annotated[str, Field(description="The outdated entry: path, id, slug or title.")],
        new: Annotated[str, Field(description="The entry that replaces it.")],
        reason: Annotated[str, Field(min_length=1, description="Why the old entry no longer holds.")],
    ) -> dict[str, Any]:
        return write("supersede", old=old, new=new, reason=reason)

    @server.tool(name="archive", title="Archive an entry", annotations=CHANGE, description=(
        "Move an entry that no longer holds to _archive/ (kept in the files and history, hidden "
        "from queries). Prefer supersede when something replaces it."))
    def archive(ref: Ref, reason: Reason = None) -> dict[str, Any]:
        return write("archive", ref=ref, reason=reason)


def _resources(server: MCPServer, who: Agent) -> None:
    @server.resource("memtree://entry/{+path}", name="entry", mime_type="text/markdown",
                     description="One entry's file (frontmatter and body) by its path, e.g. "
                                 "memtree://entry/auth/tokens/jwt-signing")
    def entry(path: str) -> str:
        try:
            return mask(render_entry(who.memory().get(path.removesuffix(".md"))))
        except MemtreeError as exc:
            raise ResourceError(_said(exc)) from exc

    @server.resource("memtree://tree", name="tree", mime_type="application/json",
                     description="The map of the memory: domains, topics and entries.")
    def tree() -> str:
        try:
            return render.dumps(render.to_data(who.memory().tree()))
        except MemtreeError as exc:
            raise ResourceError(_said(exc)) from exc


def _said(exc: MemtreeError) -> str:
    return exc.message + (f" (hint: {exc.hint})" if exc.hint else "")


def serve(root: str | None = None, agent: str = "mcp", session: str | None = None) -> None:
    """Serve over stdio until the client closes the connection."""
    build(root, agent, session).run("stdio")


def serve_pipes(root: str | None, agent: str, session: str | None, read_fd: int, write_fd: int,
                ready_fd: int) -> None:
    """Serve over two pipes (agents/mcp_start.py relays stdio); one byte on `ready_fd` once
    serving."""
    import anyio
    from mcp.server.stdio import stdio_server

    server = build(root, agent, session)
    lowlevel = server._lowlevel_server  # the SDK's own server, on streams we give it

    async def main() -> None:
        stdin = anyio.wrap_file(open(read_fd, encoding="utf-8", errors="replace"))
        stdout = anyio.wrap_file(open(write_fd, "w", encoding="utf-8"))
        async with stdio_server(stdin, stdout) as (read, write):
            os.write(ready_fd, b"1")
            os.close(ready_fd)
            await lowlevel.run(read, write, lowlevel.create_initialization_options())
        await stdout.aclose()

    anyio.run(main)


def manifest() -> dict[str, Any]:
    """What the server answers to `initialize` and `tools/list`, for the fast start-up path
    (agents/mcp_start.py answers from agents/mcp_manifest.json while this module loads)."""
    import anyio
    from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

    server = build()
    options = server._lowlevel_server.create_initialization_options()
    tools = anyio.run(server.list_tools)
    capabilities = options.capabilities.model_dump(mode="json", by_alias=True, exclude_none=True)
    return {"versions": list(HANDSHAKE_PROTOCOL_VERSIONS),
            "capabilities": {k: v for k, v in capabilities.items() if v != {}},
            "instructions": options.instructions,
            "serverInfo": {"name": options.server_name, "version": options.server_version},
            "tools": [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]}
