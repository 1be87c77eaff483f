"""`memtree mcp` answers the MCP handshake before the SDK has loaded, with the very answers the
SDK server gives (the manifest is generated from it and must not drift)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from agents_support import build_tree
from conftest import MEMTREE

HELLO = [
    {"jsonrpc": "2.0", "id": 1, "method": "initialize",
     "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "test", "version": "0"}}},
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    {"jsonrpc": "2.0", "id": 3, "method": "ping"},
]
SDK_ONLY = [sys.executable, "-c", "from memtree.agents.mcp_server import serve; serve(agent='test')"]


def _talk(argv: list[str], cwd: Path, messages: list[dict[str, Any]], wanted: set[int],
          env: dict[str, str] | None = None, limit: float = 60) -> dict[int, Any]:
    """Send the messages; collect answers to the `wanted` ids (stdin stays open meanwhile)."""
    proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
    assert proc.stdin is not None and proc.stdout is not None
    answers: dict[int, Any] = {}
    try:
        proc.stdin.write("".join(json.dumps(m) + "\n" for m in messages).encode())
        proc.stdin.flush()
        lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(x) for x in iter(proc.stdout.readline, b"")],
                         daemon=True).start()
        end = time.monotonic() + limit
        while wanted - set(answers) and time.monotonic() < end:
            try:
                data = json.loads(lines.get(timeout=max(0.01, end - time.monotonic())))
            except queue.Empty:
                break
            answers[data["id"]] = data.get("result", data.get("error"))
    finally:
        proc.kill()
        proc.wait()
    return answers


def test_handshake_answers_are_the_sdk_servers(tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_tree(project)
    old = dict(HELLO[0], id=4, params={**HELLO[0]["params"], "protocolVersion": "1999-01-01"})
    messages = [*HELLO, old]
    fast = _talk([str(MEMTREE), "mcp", "--agent", "test"], project, messages, {1, 2, 3, 4})
    sdk = _talk(SDK_ONLY, project, messages, {1, 2, 3, 4})
    assert set(sdk) == {1, 2, 3, 4}
    assert fast == sdk
    assert {t["name"] for t in fast[2]["tools"]} == {
        "query", "get", "list", "tree", "add", "update", "link", "supersede", "archive"}


def test_handshake_is_answered_while_the_sdk_is_still_loading(tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_tree(project)
    slow = tmp_path / "slow-sdk" / "mcp"  # an `mcp` package first on the path that never loads
    slow.mkdir(parents=True)
    (slow / "__init__.py").write_text("import time\ntime.sleep(120)\n")
    answers = _talk([str(MEMTREE), "mcp"], project, HELLO, {1, 2, 3},
                    env={"PYTHONPATH": str(slow.parent)}, limit=20)
    assert answers[1]["serverInfo"]["name"] == "memtree"
    assert len(answers[2]["tools"]) == 9 and answers[3] == {}


def test_tool_calls_wait_for_the_sdk_and_are_answered(tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_tree(project)
    call = {"jsonrpc": "2.0", "id": 5, "method": "tools/call",
            "params": {"name": "get", "arguments": {"ref": "security/rules/never-commit-secrets"}}}
    answers = _talk([str(MEMTREE), "mcp"], project, [*HELLO, call], {1, 2, 3, 5})
    assert answers[5]["structuredContent"]["title"] == "Never commit secrets"


def test_a_stateless_probe_is_refused_and_the_handshake_then_works(tmp_path: Path) -> None:
    """Claude Code 2.1 probes with `server/discover` and then falls back to `initialize`; the
    SDK must not take the probe, or it answers later requests as stateless ones."""
    project = tmp_path / "project"
    build_tree(project)
    probe = {"jsonrpc": "2.0", "id": "probe", "method": "server/discover", "params": {"_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}}}}
    call = {"jsonrpc": "2.0", "id": 5, "method": "tools/call",
            "params": {"name": "query", "arguments": {"text": "jwt signing"}}}
    answers = _talk([str(MEMTREE), "mcp"], project, [probe, *HELLO, call], {1, 2, 3, 5})
    assert answers["probe"]["code"] == -32601  # type: ignore[index]
    assert answers[5]["structuredContent"]["items"], answers[5]
