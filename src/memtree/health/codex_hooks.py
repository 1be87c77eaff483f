"""Codex's trust in a project's hooks, asked of Codex itself: `codex exec` runs a project hook only
once the user trusted its exact definition (`hooks.state."<key>".trusted_hash` in Codex's config).
Codex's app server (`codex app-server`, JSON-RPC on stdio) lists hooks with key, hash and trust
status and writes config with Codex's own editor; memtree never hashes or edits that file itself.
Used by `memtree install codex` (trusts only the commands it wrote), `memtree uninstall codex`
(drops those trust records again) and `memtree doctor`.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import MemtreeError

TIMEOUT = 30.0  # seconds for the whole exchange with the app server


@dataclass(frozen=True)
class Hook:
    """One project hook as Codex sees it."""

    key: str  # e.g. /abs/project/.codex/hooks.json:stop:0:0
    event: str  # Codex's camelCase event name
    command: str
    hash: str  # sha256:… of the definition, what trust is recorded against
    status: str  # trusted | untrusted | managed | modified


def codex_program() -> str | None:
    return shutil.which("codex")


def memtree_hooks(project: Path, program: str | None = None) -> list[Hook]:
    """The project's hooks that run `memtree hook codex …`, with Codex's trust status."""
    found = _exchange(project, program, [("hooks/list", {"cwds": [str(project)]})])[0]
    hooks = [h for row in found.get("data") or [] for h in row.get("hooks") or []]
    return [Hook(h["key"], h.get("eventName", ""), h.get("command", ""), h.get("currentHash", ""),
                 h.get("trustStatus", "")) for h in hooks
            if h.get("source") == "project" and "memtree hook codex" in h.get("command", "")]


def trust(project: Path, commands: set[str], program: str | None = None) -> list[Hook]:
    """Trust the project's hooks whose command is one of `commands` (what install wrote) and
    that Codex does not trust yet; returns the hooks trusted. Any other hook is left alone.
    Codex lists no project hook in a project it does not trust: that is an error here."""
    listed = memtree_hooks(project, program)
    if not listed:
        raise MemtreeError("Codex lists no memtree hook here; it reads .codex/ only in a "
                           "project you trust in Codex")
    todo = [h for h in listed if h.command in commands and h.status != "trusted"]
    _write_state(project, program, [(h, h.hash) for h in todo])
    return todo


def untrust(project: Path, program: str | None = None) -> list[Hook]:
    """Drop the trust records (`hooks.state`) of the project's memtree hooks, as `uninstall`
    removes the hooks: Codex deletes a key written as null. Other hooks' records stay."""
    todo = [h for h in memtree_hooks(project, program) if h.status in ("trusted", "modified")]
    _write_state(project, program, [(h, None) for h in todo])
    return todo


def _write_state(project: Path, program: str | None, values: list[tuple[Hook, str | None]]) -> None:
    """Set (or, with None, delete) `hooks.state."<key>".trusted_hash` through Codex's editor."""
    if any('"' in h.key or "\\" in h.key for h, _ in values):
        raise MemtreeError(f"{project}: a path with quotes or backslashes; review the hooks in "
                           "the Codex TUI (/hooks) instead")
    writes = [("config/value/write", {"keyPath": f'hooks.state."{h.key}"' + (
        ".trusted_hash" if value is not None else ""), "value": value, "mergeStrategy": "replace"})
        for h, value in values]
    if writes:
        _exchange(project, program, writes)


def _exchange(project: Path, program: str | None,
              calls: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Start `codex app-server`, make the calls in order, return their results."""
    exe = program or codex_program()
    if exe is None:
        raise MemtreeError("codex is not on PATH")
    lines = [{"jsonrpc": "2.0", "id": 0, "method": "initialize",
              "params": {"clientInfo": {"name": "memtree", "version": "1"}}},
             {"jsonrpc": "2.0", "method": "initialized"}]
    lines += [{"jsonrpc": "2.0", "id": n, "method": m, "params": p}
              for n, (m, p) in enumerate(calls, 1)]
    proc = subprocess.Popen([exe, "app-server"], cwd=project, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env={**os.environ, "NO_COLOR": "1"})
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("".join(json.dumps(x) + "\n" for x in lines).encode())
        proc.stdin.flush()
        return _answers(proc.stdout, len(calls))
    finally:
        proc.kill()
        proc.wait()


def _answers(out: IO[bytes], count: int) -> list[dict[str, Any]]:
    """Read the answers to requests 1..count (unbuffered: select sees every byte)."""
    results: dict[int, dict[str, Any]] = {}
    end, pending = time.monotonic() + TIMEOUT, b""
    while len(results) < count:
        left = end - time.monotonic()
        if left <= 0 or not select.select([out], [], [], left)[0]:
            raise MemtreeError(f"codex app-server did not answer within {TIMEOUT:.0f} s")
        chunk = os.read(out.fileno(), 1 << 16)
        if not chunk:
            raise MemtreeError("codex app-server stopped before answering")
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            _take(line, results)
    return [results[n] for n in range(1, count + 1)]


def _take(line: bytes, results: dict[int, dict[str, Any]]) -> None:
    try:
        message = json.loads(line)
    except ValueError:
        return
    ident = message.get("id") if isinstance(message, dict) else None
    if not isinstance(ident, int) or ident == 0 or "method" in message:
        return
    if "error" in message:
        error = message["error"]
        said = error.get("message", error) if isinstance(error, dict) else error
        raise MemtreeError(f"codex app-server: {said}")
    results[ident] = message.get("result") or {}
