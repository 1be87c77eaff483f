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
import time
from dataclasses import dataclass

from . import child, place, wire
from .wire import Request

IDLE = 600.0  # seconds without a command before the process ends
MAX_IDLE = 7 * 86400.0
READ_TIMEOUT = 2.0  # seconds a caller has to send its request
ORPHAN_CHECK_S = 30.0  # how often a waiting spare checks that its parent still runs
CHECK_S = 5.0  # how often the parent checks that its socket is still there
PRELOAD = (  # what `memtree query` and `memtree hook` import, imported once here
    "memtree.__main__", "memtree.cli.fastquery", "memtree.cli.output", "memtree.cli.plainview",
    "memtree.retrieval.scopes", "memtree.retrieval.tiers", "memtree.retrieval.proximity",
    "memtree.retrieval.packs", "memtree.retrieval.touched", "memtree.lifecycle.scores",
    "memtree.agents.hook", "memtree.agents.inject", "memtree.agents.journal",
    "memtree.agents.claude_code", "memtree.agents.codex", "memtree.agents.cursor",
    "memtree.agents.gemini", "memtree.agents.files_context", "memtree.memory",
    "memtree.entries.store", "memtree.health.vetting", "memtree.startup", "pwd", "threading",
)


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
    home = Home(listener, path, inode, loaded, state, lock)
    mask = os.umask(0o022)
    os.umask(mask)
    first = Hint(os.getcwdb(), os.environ.get("MEMTREE_ROOT"), mask)  # where it was started
    os.chdir("/")  # a long-lived process pins no folder
    try:
        home.run(first)
    except SystemExit:
        pass
    finally:
        home.end()
        os.close(lock)  # the lock file stays: removing it could let two processes both hold one
    return 0


@dataclass
class Hint:
    """Where the last command ran: the next spare warms that memory's index."""

    cwd: bytes
    root: str | None
    umask: int = 0o022

    def encode(self) -> bytes:
        return b"\0".join([self.cwd, os.fsencode(self.root or ""), b"%d" % self.umask])

    @classmethod
    def decode(cls, data: bytes) -> Hint:
        cwd, root, umask = data.split(b"\0")
        return cls(cwd, os.fsdecode(root) or None, int(umask))

    @classmethod
    def of(cls, req: Request) -> Hint:
        root = req.env.get(b"MEMTREE_ROOT")
        for i, arg in enumerate(req.args[:3]):
            if arg == "--root" and i + 1 < len(req.args):
                root = os.fsencode(req.args[i + 1])
            elif arg.startswith("--root="):
                root = os.fsencode(arg.split("=", 1)[1])
        return cls(req.cwd, os.fsdecode(root) if root else None, req.umask)


class Home:
    """The resident process's parent. It keeps one spare child ready: a fork that has warmed the
    index of the memory last asked and waits on the socket. The spare takes one command and
    says so on a pipe; the parent then forks the next spare, and the taken one becomes the
    command (`_child`). Status and stop requests are answered by the spare too."""

    SETTLE = 0.05  # seconds a taken command runs alone before the next spare warms up
    RETRIES = 3  # spares in a row that end without taking a command before the process ends

    def __init__(self, listener: socket.socket, path: str, inode: int, loaded: dict[str, int],
                 state: dict[str, object], lock: int) -> None:
        self.listener, self.path, self.inode, self.lock = listener, path, inode, lock
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
            word = self._wait(r)
            if word is None:  # idle for `idle` seconds, or its socket removed or replaced
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

    def _wait(self, r: int) -> bytes | None:
        """The spare's word; None when idle too long or when the socket is no longer ours."""
        deadline = time.monotonic() + float(str(self.state["idle"]))
        while True:
            left = deadline - time.monotonic()
            word = self._listen(r, min(CHECK_S, max(left, 0.0)))
            if word is not None or left <= CHECK_S or not _ours(self.path, self.inode):
                return word

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
            os.close(self.lock)  # held by the parent alone: a command that outlives it must not
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # keep a new one from starting
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
                    child.run(conn, self.taken)
        except BaseException:  # noqa: BLE001 - the parent starts another spare
            pass
        os._exit(1)

    def _waiting(self) -> bool:
        return bool(select.select([self.listener], [], [], 0)[0])

    def _take(self, conn: socket.socket, w: int) -> bool:
        """Answer a control request, or take a command (True); exits on stop or staleness."""
        conn.settimeout(READ_TIMEOUT)
        try:
            req = wire.read(conn)
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
        elif req.kind != "run" or req.identity != self.state["identity"] or not wire.same_user(conn):
            reply = b"R"
        else:
            os.write(w, b"T" + Hint.of(req).encode() + b"\n")
            self.taken = req
            return True
        try:
            conn.sendall(reply)
        except OSError:
            pass
        wire.close(req.fds)
        conn.close()
        if word:
            os.write(w, word + b"\n")
            os._exit(0)
        return False


def warm(hint: Hint) -> None:
    """Open the index of the memory at `hint`, if it has one, and read it with one search:
    nothing is written (no freshness check, no index built; the command does that itself)."""
    try:
        from pathlib import Path

        from .. import config
        from ..index.db import db_file
        from ..retrieval import tiers

        os.umask(hint.umask)  # as the caller's command would, should SQLite write anything
        root = config.find_root(hint.root, cwd=Path(os.fsdecode(hint.cwd)))
        if db_file(root).is_file():
            tiers.search(root, "warm", limit=1, fresh=False)
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


def _ours(path: str, inode: int) -> bool:
    try:
        return os.lstat(path).st_ino == inode
    except OSError:
        return False


def _exit_quietly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    idle = IDLE
    if args[:1] == ["--idle"] and len(args) == 2:
        idle = float(args[1])
    if not 1 <= idle <= MAX_IDLE:  # inf and nan too
        sys.stderr.write(f"--idle: must be between 1 and {MAX_IDLE:g} seconds, got {args[-1]}\n")
        return 2
    return serve(idle)


if __name__ == "__main__":
    sys.exit(main())
