"""`memtree mcp` start-up: `initialize`, `tools/list` and `ping` answered at once from a manifest
generated from the SDK server (mcp_manifest.json), read-only tool calls by mcp_fast.py, and every
other message relayed, in order, to the SDK server in a child process (loaded in ~1 s; its answers
to requests already answered here are dropped). Only the handshake protocol is spoken
(`server/discover` is refused). Imports only the standard library until a tool is called.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import sys
import threading
import time
from pathlib import Path

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import IO, Any

MANIFEST = Path(__file__).with_name("mcp_manifest.json")
EARLY = ("initialize", "tools/list", "ping")  # answered here until the SDK server is loaded
HINT = ("memtree mcp: an MCP server speaking JSON-RPC on stdin/stdout; an agent starts it "
        "(see `memtree install`). Ctrl-C stops it.")
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
        self.relayed_call = False  # a tool call went to the SDK: later ones follow it, in order

    def handshake(self, line: bytes) -> threading.Event | None:
        """An event set when the SDK has answered this line, if it is an `initialize` request."""
        if b'"initialize"' not in line:
            return None
        try:
            message = json.loads(line)
        except ValueError:
            return None
        if _request(message) is None or message.get("method") != "initialize":
            return None  # a notification or a malformed request gets no answer to wait for
        with self.lock:
            return self.waiting.setdefault(message.get("id"), threading.Event())

    def write(self, line: bytes) -> None:
        with self.lock:
            try:
                self.out.write(line if line.endswith(b"\n") else line + b"\n")
                self.out.flush()
            except BrokenPipeError:  # the client stopped reading: nobody left to serve
                os._exit(0)

    def early(self, line: bytes) -> bool:
        """Answer `line` here if it is an early request and the SDK is not loaded yet; True if
        the SDK must not see it (`server/discover`, the stateless protocol's probe, is refused:
        the server speaks the `initialize` handshake, which the client then falls back to).
        What the SDK would drop without a word is answered here: a line that is not JSON, not
        an object (a batch), params that are not an object, text with an unpaired surrogate
        (else the client would wait for ever)."""
        try:
            parsed = json.loads(line)
        except ValueError:
            if line.strip():
                self.send(None, "error", {"code": -32700, "message": "Parse error"})
            return True
        if not isinstance(parsed, dict):
            self.send(None, "error", {"code": -32600, "message": "Invalid Request" + (
                ": batches are not supported" if isinstance(parsed, list) else "")})
            return True
        message = _request(parsed)
        if message is None and _request({**parsed, "params": {}}) is not None:
            self.send(parsed["id"], "error", {"code": -32602,
                                              "message": "Invalid params: not an object"})
            return True
        if b"\\u" in line and _unpaired(parsed):
            if message is not None:
                self.send(message["id"], "error", {
                    "code": -32602, "message": "Invalid params: text with an unpaired surrogate"})
            return True
        if self.loaded.is_set() and b"server/discover" not in line:
            return False
        if message is None:  # a notification, or not a valid request: the SDK's to judge
            return False
        if message.get("method") == "server/discover":
            self.send(message["id"], "error", {"code": -32601, "message": "Method not found"})
            return True
        if message.get("method") == "tools/call" and not self.loaded.is_set():
            answer = None if self.relayed_call else self.read_call(message.get("params"))
            if answer is None:  # an early read after a write would overtake it: the SDK gets both
                self.relayed_call = True
            else:
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
            if isinstance(message, dict) and "method" not in message \
                    and isinstance(message.get("id"), str | int):
                with self.lock:
                    if message.get("id") in self.waiting:
                        self.waiting.pop(message.get("id")).set()
                    if message.get("id") in self.dropped:
                        self.dropped.discard(message.get("id"))
                        return
        self.write(line)


def _unpaired(value: Any) -> bool:
    """Whether decoded JSON holds a string with an unpaired surrogate (`"\\ud800"`)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _request(message: Any) -> dict[str, Any] | None:
    """`message` if it is a JSON-RPC request this process may answer or wait on: an object with
    a string or integer id, a string method and, if any, object params."""
    if not isinstance(message, dict) or not isinstance(message.get("method"), str):
        return None
    ident = message.get("id")
    if not isinstance(ident, str | int) or isinstance(ident, bool):
        return None
    if not isinstance(message.get("params", {}), dict):
        return None
    return message


def serve(root: str | None, agent: str, session: str | None) -> None:
    """Serve MCP on stdin/stdout until the client closes stdin."""
    session = session or f"mcp-{os.urandom(5).hex()}"  # one session for both answerers
    front = Front(sys.stdout.buffer, json.loads(MANIFEST.read_text(encoding="utf-8")),
                  (root, agent, session))
    lines: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    sdk: Child | None = None
    threads: list[threading.Thread] = []
    for line in iter(sys.stdin.buffer.readline, b""):
        if not front.early(line):
            lines.put(line)
        if sdk is None:  # started once the first message is answered: not competing with it
            try:
                sdk = Child(root, agent, session)
            except OSError as exc:
                sys.stderr.write(f"memtree mcp: cannot start the MCP SDK server: {exc}\n")
                sys.stderr.flush()
                os._exit(1)
            threads = [threading.Thread(target=_ready, args=(sdk.ready, front), daemon=True),
                       threading.Thread(target=_relay, args=(sdk, front), daemon=True),
                       threading.Thread(target=_forward, args=(lines, sdk.to_sdk, front),
                                        daemon=True)]
            for thread in threads:
                thread.start()
    if sdk is None:
        return
    sdk.closing = True
    lines.put(None)
    for thread in threads:
        thread.join(CLOSE_WAIT)
    sdk.end()


class Child:
    """The SDK server's process: `python -c CHILD SPEC`, its ends of four pipes passed.

    A process, not a thread: memtree's reads here and the SDK's imports there never share an
    interpreter (CPython 3.11 was seen to fail an import in one thread while another imported and
    queried: `NameError: name 'sys' is not defined` inside importlib). Started once the first
    message is answered, it reads and writes two pipes, says it is serving with one byte on a
    third, and ends when its input closes (the client closed stdin) or, at once, when the fourth
    closes (this process ended). If it ends first, so does this process.
    """

    def __init__(self, root: str | None, agent: str, session: str) -> None:
        to_sdk_r, self.to_sdk = os.pipe()
        self.from_sdk, from_sdk_w = os.pipe()
        self.ready, ready_w = os.pipe()
        life_r, self.life = os.pipe()  # never written: it closes when this process ends
        ends = (to_sdk_r, from_sdk_w, ready_w, life_r)
        spec = {"root": root, "agent": agent, "session": session, "fds": ends,
                "path": str(Path(__file__).resolve().parents[2])}
        for fd in ends:
            os.set_inheritable(fd, True)
        null = os.devnull  # its stdin and stdout: nothing stray reaches the client's stream
        self.pid = os.posix_spawn(sys.executable, [sys.executable, "-c", CHILD, json.dumps(spec)],
                                  os.environ, file_actions=[
                                      (os.POSIX_SPAWN_OPEN, 0, null, os.O_RDONLY, 0),
                                      (os.POSIX_SPAWN_OPEN, 1, null, os.O_WRONLY, 0)])
        for fd in ends:
            os.close(fd)
        self.closing = False  # set when the client closed stdin: the child's end is expected
        self.code: int | None = None

    def wait(self, limit: float | None = None) -> int | None:
        """The child's exit code (negative: the signal that ended it), or None if still running
        after `limit` seconds."""
        end = None if limit is None else time.monotonic() + limit
        while self.code is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG if end is not None else 0)
            if pid:
                self.code = os.waitstatus_to_exitcode(status)
            elif end is None or time.monotonic() > end:
                break
            else:
                time.sleep(0.02)
        return self.code

    def end(self) -> None:
        if self.wait(CLOSE_WAIT) is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self.wait()


CHILD = ("import json, sys; spec = json.loads(sys.argv[1]); sys.path.append(spec['path']); "
         "from memtree.agents.mcp_start import sdk_main; sys.exit(sdk_main(spec))")
CLOSE_WAIT = 10.0  # seconds the SDK server has to end once the client closed stdin


def sdk_main(spec: dict[str, Any]) -> int:
    """The SDK server's process: serve the pipes until the first one closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for `memtree mcp`, which ends this
    read_fd, write_fd, ready_fd, life_fd = spec["fds"]
    threading.Thread(target=_orphaned, args=(life_fd,), daemon=True).start()
    try:
        from .mcp_server import serve_pipes

        serve_pipes(spec["root"], spec["agent"], spec["session"], read_fd, write_fd, ready_fd)
    except BaseException as exc:  # noqa: BLE001 - the one line `memtree mcp` shows for it
        if _front_gone(exc):  # killed, or its client gone: nobody to tell
            return 0
        sys.stderr.write(f"memtree mcp: {type(exc).__name__}: {exc}\n")
        return 1
    return 0


def _orphaned(fd: int) -> None:
    """End this process at once when `memtree mcp` has ended (killed; it would otherwise go on
    loading the SDK for a second before reading the end of its input)."""
    while os.read(fd, 1):
        pass
    os._exit(0)


def _front_gone(exc: BaseException) -> bool:
    """Whether `exc` is only broken pipes: `memtree mcp` has ended (or closed its ends)."""
    if isinstance(exc, BaseExceptionGroup):
        return exc.split(BrokenPipeError)[1] is None
    return isinstance(exc, BrokenPipeError)


def _ready(fd: int, front: Front) -> None:
    with open(fd, "rb", buffering=0) as ready:
        if ready.read(1):
            front.loaded.set()


def _forward(lines: queue.SimpleQueue[bytes | None], fd: int, front: Front) -> None:
    """Pass the client's lines to the SDK server in order; after an `initialize`, wait for its
    answer first, as a client does (the SDK takes requests before it as stateless ones)."""
    with open(fd, "wb", buffering=0) as to_sdk:
        for line in iter(lines.get, None):
            handshake = front.handshake(line)
            try:
                to_sdk.write(line)
            except OSError:  # the SDK server has ended: _relay ends this process
                return
            if handshake is not None:
                handshake.wait(HANDSHAKE_WAIT)


def _relay(sdk: Child, front: Front) -> None:
    """Pass the SDK server's lines on; if it ends before the client closed stdin, end too."""
    with open(sdk.from_sdk, "rb") as lines:
        for line in iter(lines.readline, b""):
            front.relay(line)
    if sdk.closing:
        return
    code = sdk.wait(CLOSE_WAIT)
    if code != 1:  # 1: it said why itself
        sys.stderr.write(f"memtree mcp: the MCP SDK server ended ({_ended(code)})\n")
    sys.stderr.flush()
    os._exit(1)


def _ended(code: int | None) -> str:
    if code is None:
        return "its output closed"
    if code >= 0:
        return f"exit code {code}"
    with contextlib.suppress(ValueError):
        return f"signal {signal.Signals(-code).name}"
    return f"signal {-code}"
