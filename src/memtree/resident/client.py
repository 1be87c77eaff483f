"""The lean side, run by the console script before anything else: hand `memtree query` or
`memtree hook` to the resident process with this process's standard streams, or say it cannot
(None: the caller runs the command itself); start one in the background. Imports `os`, `sys`
and `_socket` only.
"""

from __future__ import annotations

import os
import sys

from . import place

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from _socket import socket

ACCEPT_TIMEOUT = 5.0  # seconds for the resident process to take the command
DIED = "the resident process ended before answering (`memtree resident stop` ends it)"


def _connect(path: str) -> socket | None:
    import _socket

    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    sock.settimeout(ACCEPT_TIMEOUT)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        return None
    return sock


def _address() -> str | None:
    """The socket's path when its folder is private and the path fits; else None."""
    if not place.enabled():
        return None
    where = place.folder()
    path = place.socket_path(where)
    if not place.usable(path) or not place.private(where):
        return None
    return path


def request(kind: bytes, args: list[str] | None = None) -> bytes:
    """One request's bytes: NUL-separated fields (none can hold a NUL)."""
    umask = os.umask(0)
    os.umask(umask)
    fields = [place.MAGIC, kind, place.identity().encode(), os.getcwdb(), b"%d" % umask,
              b"%d" % len(args or []), *(os.fsencode(a) for a in args or [])]
    fields += [k + b"=" + v for k, v in os.environb.items()]
    body = b"\0".join(fields)
    return b"%d\n" % len(body) + body  # its length first: the socket stays open both ways


def forward(args: list[str]) -> int | None:
    """The exit code of `memtree ARGS` run by the resident process, or None when it did not
    take the command (the caller then runs it itself)."""
    path = _address()
    if path is None:
        return None
    try:
        data = request(b"run", args)
    except OSError:  # the working folder is gone: the command itself says so
        return None
    sock = _connect(path)
    if sock is None:
        return None
    import _socket

    try:
        fds = b"".join(fd.to_bytes(4, sys.byteorder) for fd in (0, 1, 2))
        sent = sock.sendmsg([data], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)])
        sock.sendall(data[sent:])
        taken = sock.recv(1) == b"A"  # else refused, or the process is exiting
    except OSError:  # a closed standard stream, a timeout, a process that went away
        taken = False
    if not taken:
        sock.close()
        return None
    return _answer(sock, args)


def _answer(sock: socket, args: list[str]) -> int:
    """Wait for the exit code: the command runs as long as it needs (an index rebuild, a model).
    Interrupted (Ctrl-C, an agent ending its hook), this side closes the socket, and the command
    is interrupted as it would have been in this process."""
    reply = b""
    try:
        sock.settimeout(None)
        while chunk := sock.recv(64):
            reply += chunk
    except KeyboardInterrupt:
        return 130
    except OSError:
        pass
    finally:
        sock.close()
    if reply.isdigit():
        return int(reply)
    if args[:1] == ["hook"]:
        return 0  # a hook never fails the agent
    sys.stderr.write(f"memtree: error: {DIED}\n")
    return 1


def leave(code: int) -> None:
    """End this process now with `code`: its streams hold nothing (the answer was written by
    the resident process), so the interpreter's shutdown is skipped."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def running() -> bool:
    path = _address()
    sock = _connect(path) if path else None
    if sock is None:
        return False
    sock.close()
    return True


def start(idle: float | None = None) -> bool:
    """Start a resident process in the background unless one answers or they are switched off;
    True when one was started. It detaches: its own session, its streams on /dev/null, no other
    descriptor of this process (an agent waiting for a hook's pipes to close is not kept
    waiting), and `/` as its folder."""
    if not place.enabled():
        return False
    where = place.folder()
    if not place.usable(place.socket_path(where)) or not place.make_private(where) or running():
        return False
    import subprocess

    command = [sys.executable, "-m", "memtree.resident.server"]
    if idle is not None:
        command += ["--idle", str(idle)]
    try:
        subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, close_fds=True, start_new_session=True)
    except OSError:
        return False
    return True


def control(kind: bytes) -> bytes | None:
    """Send `status` or `stop`; the reply (kind letter first), or None when none is running."""
    path = _address()
    sock = _connect(path) if path else None
    if sock is None:
        return None
    reply = b""
    try:
        sock.sendall(request(kind))
        while chunk := sock.recv(65536):
            reply += chunk
    except OSError:
        return reply or None
    finally:
        sock.close()
    return reply
