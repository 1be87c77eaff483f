"""`memtree mcp` start-up: `initialize`, `tools/list` and `ping` answered at once from a manifest
generated from the SDK server (mcp_manifest.json), and read-only tool calls by mcp_fast.py, while
a thread loads the SDK (~1 s) and gets every other message, in order; its answers to requests
already answered are dropped. Only the handshake protocol is spoken (`server/discover` is
refused). Imports only the standard library until a tool is called.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
from pathlib import Path

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import IO, Any

MANIFEST = Path(__file__).with_name("mcp_manifest.json")
EARLY = ("initialize", "tools/list", "ping")  # answered here until the SDK server is loaded
HANDSHAKE_WAIT = 120.0  # seconds the SDK may take to load and answer `initialize`


class Front:
    """Answers the early requests and keeps the wire consistent (one writer at a time)."""

    def __init__(self, out: IO[bytes], manifest: dict[str, Any],
                 who: tuple[str | None, str, str] = (None, "mcp", "mcp")) -> None:
        self.out = out
        self.manifest = manifest
        self.who = who  # root, agent name, session: for read-only calls answered here
        self.caller: Any = None
        self.lock = threading.Lock()
        self.dropped: set[Any] = set()  # ids of requests answered here, not by the SDK
        self.waiting: dict[Any, threading.Event] = {}  # `initialize` ids the SDK has to answer
        self.loaded = threading.Event()

    def handshake(self, line: bytes) -> threading.Event | None:
        """An event set when the SDK has answered this line, if it is an `initialize` request."""
        if b'"initialize"' not in line:
            return None
        try:
            message = json.loads(line)
        except ValueError:
            return None
        if not isinstance(message, dict) or message.get("method") != "initialize":
            return None
        with self.lock:
            return self.waiting.setdefault(message.get("id"), threading.Event())

    def write(self, line: bytes) -> None:
        with self.lock:
            self.out.write(line if line.endswith(b"\n") else line + b"\n")
            self.out.flush()

    def early(self, line: bytes) -> bool:
        """Answer `line` here if it is an early request and the SDK is not loaded yet; True if
        the SDK must not see it (`server/discover`, the stateless protocol's probe, is refused:
        the server speaks the `initialize` handshake, which the client then falls back to)."""
        if self.loaded.is_set() and b"server/discover" not in line:
            return False
        try:
            message = json.loads(line)
        except ValueError:
            return False
        if not isinstance(message, dict) or "id" not in message:
            return False
        if message.get("method") == "server/discover":
            self.send(message["id"], "error", {"code": -32601, "message": "Method not found"})
            return True
        if message.get("method") == "tools/call" and not self.loaded.is_set():
            answer = self.read_call(message.get("params"))
            if answer is not None:
                self.send(message["id"], "result", answer)
            return answer is not None
        if message.get("method") not in EARLY or self.loaded.is_set():
            return False
        result = self.result(message["method"], message.get("params") or {})
        with self.lock:
            self.dropped.add(message["id"])
        self.send(message["id"], "result", result)
        return False

    def read_call(self, params: Any) -> dict[str, Any] | None:
        """A read-only tool's result, answered here (None: the SDK answers the call)."""
        if not isinstance(params, dict):
            return None
        tool = next((t for t in self.manifest["tools"] if t["name"] == params.get("name")), None)
        if tool is None or tool.get("annotations", {}).get("readOnlyHint") is not True:
            return None
        try:
            from . import mcp_fast

            if self.caller is None:
                self.caller = mcp_fast.Agent(*self.who, watch=False)
            return mcp_fast.call(self.caller, tool, params.get("arguments", {}))
        except Exception:  # noqa: BLE001 - anything unexpected: the SDK server answers instead
            return None

    def send(self, ident: Any, key: str, value: dict[str, Any]) -> None:
        self.write(json.dumps({"jsonrpc": "2.0", "id": ident, key: value},
                              separators=(",", ":")).encode())

    def result(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "tools/list":
            return {"tools": self.manifest["tools"]}
        if method == "ping":
            return {}
        asked = params.get("protocolVersion")
        versions = self.manifest["versions"]
        return {"capabilities": self.manifest["capabilities"],
                "instructions": self.manifest["instructions"],
                "protocolVersion": asked if asked in versions else versions[-1],
                "serverInfo": self.manifest["serverInfo"]}

    def relay(self, line: bytes) -> None:
        """Pass one line from the SDK server on, unless it answers a request answered here."""
        if self.dropped or self.waiting:
            try:
                message = json.loads(line)
            except ValueError:
                message = None
            if isinstance(message, dict) and "method" not in message:
                with self.lock:
                    if message.get("id") in self.waiting:
                        self.waiting.pop(message.get("id")).set()
                    if message.get("id") in self.dropped:
                        self.dropped.discard(message.get("id"))
                        return
        self.write(line)


def serve(root: str | None, agent: str, session: str | None) -> None:
    """Serve MCP on stdin/stdout until the client closes stdin."""
    session = session or f"mcp-{os.urandom(5).hex()}"  # one session for both answerers
    front = Front(sys.stdout.buffer, json.loads(MANIFEST.read_text(encoding="utf-8")),
                  (root, agent, session))
    to_sdk_r, to_sdk_w = os.pipe()
    from_sdk_r, from_sdk_w = os.pipe()
    lines: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    threads = [threading.Thread(target=_run_sdk, args=(root, agent, session, to_sdk_r, from_sdk_w,
                                                       front), daemon=True),
               threading.Thread(target=_relay, args=(from_sdk_r, front), daemon=True),
               threading.Thread(target=_forward, args=(lines, to_sdk_w, front), daemon=True)]
    for thread in threads:
        thread.start()
    for line in iter(sys.stdin.buffer.readline, b""):
        if not front.early(line):
            lines.put(line)
    lines.put(None)
    for thread in threads:
        thread.join()


def _forward(lines: queue.SimpleQueue[bytes | None], fd: int, front: Front) -> None:
    """Pass the client's lines to the SDK server in order; after an `initialize`, wait for its
    answer first, as a client does (the SDK takes requests before it as stateless ones)."""
    with open(fd, "wb", buffering=0) as to_sdk:
        for line in iter(lines.get, None):
            handshake = front.handshake(line)
            to_sdk.write(line)
            if handshake is not None:
                handshake.wait(HANDSHAKE_WAIT)


def _relay(fd: int, front: Front) -> None:
    with open(fd, "rb") as lines:
        for line in iter(lines.readline, b""):
            front.relay(line)


def _run_sdk(root: str | None, agent: str, session: str | None, read_fd: int, write_fd: int,
             front: Front) -> None:
    try:
        from .mcp_server import serve_pipes

        serve_pipes(root, agent, session, read_fd, write_fd, front.loaded)
    except BaseException as exc:  # noqa: BLE001 - the process cannot serve without the SDK
        sys.stderr.write(f"memtree mcp: {type(exc).__name__}: {exc}\n")
        sys.stderr.flush()
        os._exit(1)
