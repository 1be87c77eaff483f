"""The lean side, run by the console script before anything else: hand `memtree query` or
`memtree hook` to the resident process with this process's standard streams, or say it cannot
(None: the caller runs the command itself); start one in the background. Imports `os`, `sys`
and `_socket` only.
"""

from __future__ import annotations

import os
import sys
import time

from . import place

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from _socket import socket

ACCEPT_TIMEOUT = 5.0  # seconds for the resident process to take the command
LIVENESS_S = 1.0  # how often a waiting caller checks that the child running its command lives
INTERRUPT_WAIT_S = 2.0  # how long an interrupted caller still waits for the child's code
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


def _address(switch: bool = True) -> str | None:
    """The socket's path when its folder is private and the path fits (and, with `switch`,
    resident processes are not switched off); else None."""
    if switch and not place.enabled():
        return None
    where = place.folder()
    path = place.socket_path(where)
    if not place.usable(path) or not place.private(where):
        return None
    return path


def _streams_open() -> bool:
    """Standard input, output and error are open (a closed one would be given the socket's
    number, and the command run with its own socket as a stream)."""
    try:
        for fd in (0, 1, 2):
            os.fstat(fd)
    except OSError:
        return False
    return True


def request(kind: bytes, args: list[str] | None = None) -> bytes:
    """One request's bytes: NUL-separated fields (none can hold a NUL)."""
    umask = os.umask(0)
    os.umask(umask)
    streams = "|".join(f"{getattr(f, 'encoding', '')}:{getattr(f, 'errors', '')}"
                       for f in (sys.stdin, sys.stdout, sys.stderr))  # as this Python set them
    fields = [place.MAGIC, kind, place.identity().encode(), os.getcwdb(), b"%d" % umask,
              streams.encode(), b"%d" % len(args or []), *(os.fsencode(a) for a in args or [])]
    fields += [k + b"=" + v for k, v in os.environb.items()]
    body = b"\0".join(fields)
    return b"%d\n" % len(body) + body  # its length first: the socket stays open both ways


def forward(args: list[str]) -> int | None:
    """The exit code of `memtree ARGS` run by the resident process, or None when it did not
    take the command (the caller then runs it itself)."""
    path = _address()
    if path is None or not _streams_open() or sys.getfilesystemencoding() != "utf-8":
        return None  # (a Python in an ASCII locale decodes arguments and names its own way)
    try:
        data = request(b"run", args)
    except OSError:  # the working folder is gone: the command itself says so
        return None
    sock = _connect(path)
    if sock is None:
        return None
    import _socket

    head = b""
    try:
        fds = b"".join(fd.to_bytes(4, sys.byteorder) for fd in (0, 1, 2))
        sent = sock.sendmsg([data], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)])
        sock.sendall(data[sent:])
        while b"\n" not in head and len(head) < 32:  # "A<pid>\n": a child took it
            chunk = sock.recv(32 - len(head))
            if not chunk:
                break
            head += chunk
        taken = head[:1] == b"A" and head.endswith(b"\n") and head[1:-1].isdigit()
        if taken:
            sock.sendall(b"G")  # the child runs the command only once this side is committed
    except OSError:  # a timeout (then the child, finding no "G", does not run it), or gone
        taken = False
    except KeyboardInterrupt:  # before the command began: it will not run
        sock.close()
        return _interrupted(args)
    if not taken:
        sock.close()
        return None
    return _answer(sock, int(head[1:-1]), args)


def _answer(sock: socket, child: int, args: list[str]) -> int:
    """Wait for the exit code: the command runs as long as it needs (an index rebuild, a model).
    Interrupted (Ctrl-C), this side says so, the child interrupts the command as this process
    would have been, and its code is still waited for a moment; ended (killed), the socket
    closes and the child ends as this process did.
    A child that dies without a code (killed) is noticed even when processes it started keep
    the socket open."""

    reply = b""
    deadline = None
    sock.settimeout(LIVENESS_S)
    while True:
        try:
            chunk = sock.recv(64)
            if not chunk:
                break
            reply += chunk
        except KeyboardInterrupt:
            if deadline is not None:
                break
            try:
                sock.sendall(b"I")  # the child interrupts the command (a closed socket: ended)
            except OSError:
                break
            deadline = time.monotonic() + INTERRUPT_WAIT_S
        except TimeoutError:
            if deadline is not None and time.monotonic() > deadline or not _alive(child):
                break
        except OSError:
            break
    sock.close()
    if reply.isdigit():
        return int(reply)
    if deadline is not None:
        return _interrupted(args)
    if args[:1] == ["hook"]:
        return 0  # a hook never fails the agent
    sys.stderr.write(f"memtree: error: {DIED}\n")
    return 1


def _interrupted(args: list[str]) -> int:
    """As the command ends when interrupted: a hook quietly (it never fails the agent)."""
    if args[:1] == ["hook"]:
        return 0
    sys.stderr.write("memtree: error: interrupted\n")
    return 130


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def leave(code: int) -> None:
    """End this process now with `code`: its streams hold nothing (the answer was written by
    the resident process), so the interpreter's shutdown is skipped."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
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

    command = [sys.executable, "-X", "utf8", "-m", "memtree.resident.server"]  # any locale
    if idle is not None:
        command += ["--idle", str(idle)]
    try:
        subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, close_fds=True, start_new_session=True)
    except OSError:
        return False
    return True


def control(kind: bytes) -> bytes | None:
    """Send `status` or `stop`; the reply (kind letter first), or None when none is running.
    Switched off or not, a running one answers: it can be seen and stopped."""
    path = _address(switch=False)
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
