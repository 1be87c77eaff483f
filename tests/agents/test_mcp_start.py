"""`memtree mcp` answers the MCP handshake before the SDK has loaded, with the very answers the
SDK server gives (the manifest is generated from it and must not drift)."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

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
          env: dict[str, str] | None = None, limit: float = 60,
          partial: bool = False) -> dict[int, Any]:
    """Send the messages; collect answers to the `wanted` ids (stdin stays open meanwhile);
    all of them unless `partial`."""
    proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
    assert proc.stdin is not None and proc.stdout is not None
    answers: dict[int, Any] = {}
    errors: list[bytes] = []  # drained too: a full stderr pipe would stop the server
    began = time.monotonic()
    try:
        proc.stdin.write("".join(json.dumps(m) + "\n" for m in messages).encode())
        proc.stdin.flush()
        lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(x) for x in iter(proc.stdout.readline, b"")],
                         daemon=True).start()
        assert proc.stderr is not None
        threading.Thread(target=lambda: [errors.append(x) for x in iter(proc.stderr.readline, b"")],
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
    missing = wanted - set(answers)
    assert partial or not missing, (f"no answer to {sorted(missing)} after {time.monotonic() - began:.1f} s "
                         f"(exit {proc.returncode}); stderr: {b''.join(errors)[-2000:]!r}")
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
                    env={"PYTHONPATH": str(slow.parent)}, limit=20, partial=True)
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


def _call(ident: int, name: str, **arguments: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": ident, "method": "tools/call",
            "params": {"name": name, "arguments": arguments}}


def _steady(answer: Any) -> Any:
    """A tool result without its timing (`took_ms` differs from run to run)."""
    if isinstance(answer, dict):
        return {k: _steady(v) for k, v in answer.items() if k != "took_ms"}
    if isinstance(answer, list):
        return [_steady(v) for v in answer]
    if isinstance(answer, str) and answer.startswith("{"):
        return _steady(json.loads(answer))
    return answer


def test_read_only_calls_are_answered_before_the_sdk_loads_as_the_sdk_answers(tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_tree(project)
    reads = [_call(10, "query", text="jwt signing"), _call(11, "query", text="jwt", budget=0),
             _call(12, "get", ref="security/rules/never-commit-secrets"),
             _call(13, "get", ref="no/such/entry"), _call(14, "list", domain="security"),
             _call(15, "tree"), _call(16, "list", status=None)]
    left = [_call(20, "add", title="A", path="dev/tools"),  # a write: the SDK's
            _call(21, "query", text="jwt", limit="x"),  # arguments the SDK has to judge
            _call(22, "get")]
    slow = tmp_path / "slow-sdk" / "mcp"  # an `mcp` package first on the path that never loads
    slow.mkdir(parents=True)
    (slow / "__init__.py").write_text("import time\ntime.sleep(120)\n")
    wanted = {1, 10, 11, 12, 13, 14, 15, 16, 20, 21, 22}
    fast = _talk([str(MEMTREE), "mcp"], project, [*HELLO, *reads, *left], wanted,
                 env={"PYTHONPATH": str(slow.parent)}, limit=20, partial=True)
    assert set(fast) == {1, 2, 3, 10, 11, 12, 13, 14, 15, 16}
    sdk = _talk(SDK_ONLY, project, [*HELLO, *reads], {10, 11, 12, 13, 14, 15, 16})
    assert {k: _steady(v) for k, v in fast.items() if k >= 10} == {
        k: _steady(v) for k, v in sdk.items() if k >= 10}
    assert fast[13]["isError"] and not fast[12]["isError"]


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def _gone(pid: int, limit: float = 15) -> bool:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":  # ended, its parent (killed) not yet replaced by a reaper
            return True
        time.sleep(0.05)
    return False


def _started(project: Path) -> subprocess.Popen[bytes]:
    """`memtree mcp` after its SDK server has answered a write (so it is loaded)."""
    proc = subprocess.Popen([str(MEMTREE), "mcp"], cwd=project, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    write = _call(7, "add", title="Queue retries", path="dev/queues", body="Retry three times.")
    proc.stdin.write("".join(json.dumps(m) + "\n" for m in [*HELLO, write]).encode())
    proc.stdin.flush()
    seen: set[Any] = set()
    while 7 not in seen:
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else ""
        seen.add(json.loads(line).get("id"))
    return proc


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc")
def test_the_sdk_server_ends_with_memtree_mcp_killed(tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_tree(project)
    proc = _started(project)
    children = _children(proc.pid)
    assert len(children) == 1  # the SDK server's process
    proc.kill()
    _, err = proc.communicate(timeout=30)
    assert _gone(children[0])
    assert err == b""  # nothing said on the way out


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc")
def test_memtree_mcp_ends_when_its_sdk_server_is_killed(tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_tree(project)
    proc = _started(project)
    os.kill(_children(proc.pid)[0], signal.SIGKILL)
    assert proc.wait(timeout=30) == 1  # stdin still open: it ends by itself
    assert proc.stderr is not None and proc.stdin is not None
    err = proc.stderr.read()
    proc.stdin.close()
    assert err.decode() == "memtree mcp: the MCP SDK server ended (signal SIGKILL)\n"


def test_a_closed_stdin_ends_both_processes_cleanly(tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_tree(project)
    proc = _started(project)
    children = _children(proc.pid)
    _, err = proc.communicate(timeout=30)
    assert (proc.returncode, err) == (0, b"")
    assert _gone(children[0], 1)
    assert "Retry three times." in (project / ".memory/dev/queues/queue-retries.md").read_text()


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc")
def test_ctrl_c_ends_both_processes_with_130_and_no_traceback(tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_tree(project)
    proc = _started(project)
    children = _children(proc.pid)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 130
    assert proc.stderr is not None and proc.stdin is not None
    err = proc.stderr.read()
    proc.stdin.close()
    assert err == b""
    assert _gone(children[0])


def test_malformed_requests_do_not_stop_the_server(tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_tree(project)
    bad = [{"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": "x"},
           {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": 5},
           {"jsonrpc": "2.0", "id": [1], "method": "ping"},
           {"jsonrpc": "2.0", "id": {"a": 1}, "method": "initialize", "params": {}},
           {"jsonrpc": "2.0", "id": True, "method": "tools/list"}]
    late = [{"jsonrpc": "2.0", "method": "initialize", "params": HELLO[0]["params"]},  # no id
            _call(9, "tree")]
    answers = _talk([str(MEMTREE), "mcp"], project, [*bad, *HELLO, _call(5, "tree"), *late],
                    {1, 2, 3, 5, 9}, limit=40)
    assert _steady(answers[5]) == _steady(answers[9]) and answers[9]["structuredContent"]["children"]


def test_reads_after_a_write_are_not_answered_ahead_of_it(tmp_path: Path) -> None:
    """While the SDK loads, reads are answered at once, but not those sent after a write: they
    go to the SDK behind it (here an SDK that never loads, so they stay unanswered)."""
    project = tmp_path / "project"
    build_tree(project)
    slow = tmp_path / "slow-sdk" / "mcp"
    slow.mkdir(parents=True)
    (slow / "__init__.py").write_text("import time\ntime.sleep(120)\n")
    calls = [_call(10, "query", text="jwt signing", budget=0),
             _call(20, "add", title="Ordering probe wombat", path="probe/order", body="Wombat."),
             _call(21, "query", text="ordering probe wombat", budget=0),
             _call(22, "get", ref="security/rules/never-commit-secrets")]
    answers = _talk([str(MEMTREE), "mcp"], project, [*HELLO, *calls], {1, 10, 20, 21, 22},
                    env={"PYTHONPATH": str(slow.parent)}, limit=15, partial=True)
    assert set(answers) == {1, 2, 3, 10}


def test_a_client_that_stops_reading_ends_it_quietly(tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_tree(project)
    proc = subprocess.Popen([str(MEMTREE), "mcp"], cwd=project, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    proc.stdin.write("".join(json.dumps(m) + "\n" for m in HELLO).encode())
    proc.stdin.flush()
    assert proc.wait(timeout=30) == 0
    assert proc.stderr.read() == b""
    proc.stdin.close()


@pytest.mark.parametrize("option", [["--agent", ""], ["--agent=x\nMemtree-Actor: person:root"],
                                    ["--session", "s\tt"]])
def test_a_name_recorded_with_writes_must_be_one_printable_line(tmp_path: Path,
                                                                option: list[str]) -> None:
    done = subprocess.run([str(MEMTREE), "mcp", *option], cwd=tmp_path, input=b"",
                          capture_output=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.decode().startswith(f"memtree: error: {option[0].split('=')[0]} ")
    assert len(done.stderr.decode().splitlines()) == 1


def test_what_the_sdk_would_drop_is_answered_with_an_error(tmp_path: Path) -> None:
    """A client must never wait for ever: a line that is not JSON, a batch, params that are not
    an object, or text with an unpaired surrogate get JSON-RPC errors, before and after the SDK
    has loaded."""
    project = tmp_path / "project"
    build_tree(project)
    proc = subprocess.Popen([str(MEMTREE), "mcp"], cwd=project, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdin is not None and proc.stdout is not None
    lines: queue.Queue[bytes] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in iter(proc.stdout.readline, b"")],
                     daemon=True).start()

    def bad(ident: int) -> bytes:
        return (b"{not json\n[" + json.dumps(HELLO[2]).encode() + b"]\n"
                + json.dumps({**_call(ident + 100, "tree"), "params": "x"}).encode() + b"\n"
                + b'{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"query",'
                  b'"arguments":{"text":"jwt \\ud800"}}}\n' % ident)

    got: list[dict[str, Any]] = []
    try:
        write = _call(6, "add", title="Loaded", path="dev/tools")  # answered once the SDK is
        for chunk, count in ((bad(5) + "".join(json.dumps(m) + "\n" for m in [*HELLO, write])
                              .encode(), 8), (bad(7), 4)):
            proc.stdin.write(chunk)
            proc.stdin.flush()
            got += [json.loads(lines.get(timeout=60)) for _ in range(count)]
    finally:
        proc.kill()
        proc.wait()
    errors = [(g.get("id"), g["error"]["code"]) for g in got if "error" in g]
    assert errors == [(None, -32700), (None, -32600), (105, -32602), (5, -32602),
                      (None, -32700), (None, -32600), (107, -32602), (7, -32602)], got
    assert got[7]["id"] == 6 and not got[7]["result"]["isError"]
