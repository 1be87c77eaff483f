"""A real MCP client session over stdio against the installed `memtree mcp` command, shared by
the tests that talk to the server."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
from mcp import ClientSession, StdioServerParameters, stdio_client

from conftest import MEMTREE

Session = Callable[[ClientSession], Awaitable[Any]]


def session(project: Path, body: Session, *args: str) -> Any:
    """Run `body` in a real MCP client session with `memtree mcp ARGS` started in `project`."""
    env = {k: v for k, v in os.environ.items()
           if k in ("HOME", "PATH") or k.startswith(("MEMTREE_", "GIT_"))}
    params = StdioServerParameters(command=str(MEMTREE), args=["mcp", *args], cwd=str(project),
                                   env=env)

    import tempfile

    with tempfile.TemporaryFile("w+") as errors:  # the server's stderr, shown if it fails
        async def main() -> Any:
            async with stdio_client(params, errlog=errors) as (read, write):
                async with ClientSession(read, write) as client:
                    await client.initialize()
                    return await body(client)

        try:
            return anyio.run(main)
        except BaseException as exc:
            errors.seek(0)
            raise AssertionError(f"the MCP session failed; the server's stderr: "
                                 f"{errors.read()[-3000:]!r}") from exc


def data(result: Any) -> Any:
    """A tool result's structured content (the call must not have failed)."""
    assert not result.is_error, result.content
    return result.structured_content
