"""The resident process, `python -m memtree.resident.server [--idle SECONDS]`: imports the query
and hook paths once, keeps a spare child warmed on the last memory asked, and hands each command
to a fresh child that runs `memtree.__main__.main` with the caller's streams, folder, umask and
environment. Ends when idle, stopped, replaced, or when memtree's own files change on disk.
"""

from __future__ import annotations

import fcntl
import gc
import json
import os
import select
import signal
import socket
import sys
import threading
import time
from array import array
from dataclasses import dataclass, field

from . import place

IDLE = 600.0  # seconds without a command before the process ends
READ_TIMEOUT = 2.0  # seconds a caller has to send its request
ORPHAN_CHECK_S = 30.0  # how often a waiting spare checks that its parent still runs
PRELOAD = (  # what `memtree query` and `memtree hook` import, imported once here
    "memtree.__main__", "memtree.cli.fastquery", "memtree.cli.output", "memtree.cli.plainview",
    "memtree.retrieval.scopes", "memtree.retrieval.tiers", "memtree.retrieval.proximity",
    "memtree.retrieval.packs", "memtree.retrieval.touched", "memtree.lifecycle.scores",
    "memtree.agents.hook", "memtree.agents.inject", "memtree.agents.journal",
    "memtree.agents.claude_code", "memtree.agents.codex", "memtree.agents.cursor",
    "memtree.agents.gemini", "memtree.agents.files_context", "memtree.memory",
    "memtree.entries.store", "memtree.health.vetting", "memtree.startup", "pwd", "threading",
)


@dataclass
class Request:
    kind: str
    identity: str
    cwd: bytes
    umask: int
    args: list[str]
    env: dict[bytes, bytes]
    fds: list[int] = field(default_factory=list)


def parse(data: bytes, fds: list[int]) -> Request:
    """A request's fields (client.request), or ValueError."""
    parts = data.split(b"\0")
    if len(parts) < 6 or parts[0] != place.MAGIC:
        raise ValueError("not a memtree request")
    count = int(parts[5])
    args = [os.fsdecode(a) for a in parts[6:6 + count]]
    env = dict(item.partition(b"=")[::2] for item in parts[6 + count:] if b"=" in item)
    return Request(parts[1].decode(), parts[2].decode(), parts[3], int(parts[4]), args, env, fds)


def read(conn: socket.socket) -> Request:
    """The whole request and the descriptors that came with it."""
    size = socket.CMSG_LEN(3 * array("i").itemsize)
    data, ancillary, _, _ = conn.recvmsg(1 << 16, size)
    fds: list[int] = []
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            got = array("i")
            got.frombytes(payload[: len(payload) - len(payload) % got.itemsize])
            fds += list(got)
    try:
        head, _, data = data.partition(b"\n")
        size = int(head)
        while len(data) < size:
            chunk = conn.recv(1 << 16)
            if not chunk:
                raise ValueError("the request ended early")
            data += chunk
        return parse(data, fds)
    except (ValueError, UnicodeDecodeError):
        _close(fds)
        raise


def same_user(conn: socket.socket) -> bool:
    """The caller runs as this user (checked where the system says; the folder is private)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return True
    creds = array("i", conn.getsockopt(socket.SOL_SOCKET, option, 3 * array("i").itemsize))
    return creds[1] == os.getuid()


def preload() -> dict[str, int]:
    """Import the lean paths and compile the patterns they compile on first use; the
    modification times of every memtree file now loaded."""
    for name in PRELOAD:
        __import__(name)
    from ..agents import inject
    from ..secretscan import scan

    scan("password = warm-up")
    inject.wants_memory("warm up")
    return stamps()


def stamps() -> dict[str, int]:
    found = {}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path and getattr(module, "__name__", "").startswith("memtree"):
            try:
                found[path] = os.stat(path).st_mtime_ns
            except OSError:
                found[path] = -1
    return found


def serve(idle: float = IDLE) -> int:
    """Listen until idle, stopped, replaced or stale; 0, or 1 when it cannot listen safely."""
    where = place.folder()
    path = place.socket_path(where)
    if not place.usable(path) or not place.make_private(where):
        return 1
    lock = os.open(path[: -len(".sock")] + ".lock", os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0  # another one is starting or running
    loaded = preload()
    gc.freeze()  # what is imported now is never collected: children do not copy it by collecting
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.lexists(path):
        os.unlink(path)
    mask = os.umask(0o177)
    try:
        listener.bind(path)
    finally:
        os.umask(mask)
    listener.listen(64)
    inode = os.stat(path).st_ino
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the system
    signal.signal(signal.SIGTERM, _exit_quietly)
    state = {"pid": os.getpid(), "started": time.time(), "served": 0, "idle": idle,
             "identity": place.identity(), "socket": path}
    home = Home(listener, path, inode, loaded, state)
    first = Hint(os.getcwdb(), os.environ.get("MEMTREE_ROOT"))  # where it was started from
    os.chdir("/")  # a long-lived process pins no folder
    try:
        home.run(first)
    except SystemExit:
        pass
    finally:
        home.end()
        os.close(lock)
    return 0


@dataclass
class Hint:
    """Where the last command ran: the next spare warms that memory's index."""

    cwd: bytes
    root: str | None

    def encode(self) -> bytes:
        return self.cwd + b"\0" + os.fsencode(self.root or "")

    @classmethod
    def decode(cls, data: bytes) -> Hint:
        cwd, _, root = data.partition(b"\0")
        return cls(cwd, os.fsdecode(root) or None)

    @classmethod
    def of(cls, req: Request) -> Hint:
        root = req.env.get(b"MEMTREE_ROOT")
        for i, arg in enumerate(req.args[:3]):
            if arg == "--root" and i + 1 < len(req.args):
                root = os.fsencode(req.args[i + 1])
            elif arg.startswith("--root="):
                root = os.fsencode(arg.split("=", 1)[1])
        return cls(req.cwd, os.fsdecode(root) if root else None)


class Home:
    """The resident process's parent. It keeps one spare child ready: a fork that has warmed the
    index of the memory last asked and waits on the socket. The spare takes one command and
    says so on a pipe; the parent then forks the next spare, and the taken one becomes the
    command (`_child`). Status and stop requests are answered by the spare too."""

    SETTLE = 0.05  # seconds a taken command runs alone before the next spare warms up
    RETRIES = 3  # spares in a row that end without taking a command before the process ends

    def __init__(self, listener: socket.socket, path: str, inode: int, loaded: dict[str, int],
                 state: dict[str, object]) -> None:
        self.listener, self.path, self.inode = listener, path, inode
        self.loaded, self.state = loaded, state
        self.spare = 0
        self.taken: Request | None = None
        self.parent = os.getpid()

    def run(self, hint: Hint | None) -> None:
        failures = 0
        while True:
            r, w = os.pipe()
            self.spare = os.fork()
            if self.spare == 0:
                os.close(r)
                self._spare(w, hint if failures == 0 else None)
            os.close(w)
            word = self._listen(r, float(str(self.state["idle"])))
            if word is None:  # idle: no command for `idle` seconds
                os.close(r)
                return
            kind, body = word[:1], word[1:]
            if kind == b"T":  # taken: the spare is now that command
                self.state["served"] = int(str(self.state["served"])) + 1
                hint, failures, self.spare = Hint.decode(body), 0, 0
                self._listen(r, self.SETTLE)
                os.close(r)
                continue
            os.close(r)
            if kind in (b"K", b"X"):  # stopped, or memtree changed on disk
                self.spare = 0
                return
            failures += 1  # the spare ended without a word
            if failures > self.RETRIES:
                return

    @staticmethod
    def _listen(r: int, timeout: float) -> bytes | None:
        """One line from a spare; b"" when it ended without one; None after `timeout` seconds."""
        data = b""
        deadline = time.monotonic() + timeout
        while not data.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([r], [], [], left)[0]:
                return None
            chunk = os.read(r, 4096)
            if not chunk:
                return data
            data += chunk
        return data[:-1]

    def end(self) -> None:
        if self.spare:
            try:
                os.kill(self.spare, signal.SIGTERM)
            except OSError:
                pass
        if _ours(self.path, self.inode):
            os.unlink(self.path)

    def _spare(self, w: int, hint: Hint | None) -> None:
        """Warm up, then wait for one command; never returns."""
        try:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            if hint is not None and not self._waiting():  # a caller waiting is served cold
                warm(hint)
            self.listener.settimeout(ORPHAN_CHECK_S)
            while True:
                try:
                    conn, _ = self.listener.accept()
                except TimeoutError:
                    if os.getppid() != self.parent:  # the parent was killed: end with it
                        break
                    continue
                if self._take(conn, w) and self.taken is not None:
                    self.listener.close()  # `w` stays open: the parent sees it close at the end
                    _child(conn, self.taken)
        except BaseException:  # noqa: BLE001 - the parent starts another spare
            pass
        os._exit(1)

    def _waiting(self) -> bool:
        return bool(select.select([self.listener], [], [], 0)[0])

    def _take(self, conn: socket.socket, w: int) -> bool:
        """Answer a control request, or take a command (True); exits on stop or staleness."""
        conn.settimeout(READ_TIMEOUT)
        try:
            req = read(conn)
        except (OSError, ValueError):
            conn.close()
            return False
        word = b""
        if not _ours(self.path, self.inode) or stamps_changed(self.loaded):
            reply, word = b"R", b"X"  # replaced, or memtree changed on disk: a new process starts
        elif req.kind == "status":
            reply = b"S" + json.dumps(self.state).encode()
        elif req.kind == "stop":
            reply, word = b"K", b"K"
        elif req.kind != "run" or req.identity != self.state["identity"] or not same_user(conn):
            reply = b"R"
        else:
            os.write(w, b"T" + Hint.of(req).encode() + b"\n")
            self.taken = req
            return True
        try:
            conn.sendall(reply)
        except OSError:
            pass
        _close(req.fds)
        conn.close()
        if word:
            os.write(w, word + b"\n")
            os._exit(0)
        return False


def warm(hint: Hint) -> None:
    """Open and freshen the index of the memory at `hint` with one search (nothing printed)."""
    try:
        from pathlib import Path

        from .. import config
        from ..retrieval import tiers

        root = config.find_root(hint.root, cwd=Path(os.fsdecode(hint.cwd)))
        tiers.search(root, "warm", limit=1)
    except Exception:  # noqa: BLE001, S110 - no memory there, or a broken one: the command says so
        pass


def stamps_changed(loaded: dict[str, int]) -> bool:
    for path, stamp in loaded.items():
        try:
            if os.stat(path).st_mtime_ns != stamp:
                return True
        except OSError:
            return True
    return False


def _child(conn: socket.socket, req: Request) -> None:
    """Become the command: the caller's streams, folder, umask and environment; never returns."""
    code = 1
    try:
        conn.settimeout(None)
        if len(req.fds) != 3:
            raise OSError("the caller sent no standard streams")
        for target, fd in enumerate(req.fds):
            os.dup2(fd, target)
        _close([fd for fd in req.fds if fd > 2])
        os.chdir(req.cwd)
        os.umask(req.umask)
        os.environb.clear()
        os.environb.update(req.env)
        time.tzset()
        _streams()
        sys.argv = ["memtree", *req.args]
        conn.sendall(b"A")
        _interrupt_when_closed(conn)
        from ..__main__ import main

        code = main(req.args, resident=False)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - the caller gets an exit code whatever happens
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001, S110 - a closed pipe: the answer is already lost
                pass
        try:
            conn.sendall(b"%d" % code)
        finally:
            os._exit(0)


def _interrupt_when_closed(conn: socket.socket) -> None:
    """The caller sends nothing more: when its side closes (Ctrl-C, killed), interrupt the
    command as the caller's own process would have been."""
    def watch() -> None:
        try:
            while conn.recv(64):
                pass
        except OSError:
            pass
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=watch, daemon=True).start()


def _streams() -> None:
    """Standard streams on the caller's descriptors, set up as Python sets them at start."""
    encoding = sys.__stdout__.encoding if sys.__stdout__ else "utf-8"
    sys.stdin = open(0, encoding=encoding, closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", encoding=encoding, closefd=False,  # noqa: SIM115
                      buffering=1 if os.isatty(1) else -1)
    sys.stderr = open(2, "w", encoding=encoding, errors="backslashreplace",  # noqa: SIM115
                      closefd=False, buffering=1)


def _ours(path: str, inode: int) -> bool:
    try:
        return os.lstat(path).st_ino == inode
    except OSError:
        return False


def _close(fds: list[int]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def _exit_quietly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    idle = IDLE
    if args[:1] == ["--idle"] and len(args) == 2:
        idle = float(args[1])
    return serve(idle)


if __name__ == "__main__":
    sys.exit(main())
