"""The resident process's side of the socket: a request as the client sends it (its length, then
NUL-separated fields, with the caller's standard streams as SCM_RIGHTS descriptors), read and
checked. The client's side is client.request.
"""

from __future__ import annotations

import os
import socket
from array import array
from dataclasses import dataclass, field

from . import place


@dataclass
class Request:
    kind: str
    identity: str
    cwd: bytes
    umask: int
    streams: list[tuple[str, str]]  # (encoding, errors) of the caller's stdin, stdout, stderr
    args: list[str]
    env: dict[bytes, bytes]
    fds: list[int] = field(default_factory=list)


def parse(data: bytes, fds: list[int]) -> Request:
    """A request's fields (client.request), or ValueError."""
    parts = data.split(b"\0")
    if len(parts) < 7 or parts[0] != place.MAGIC:
        raise ValueError("not a memtree request")
    streams = [tuple(s.split(":", 1)) for s in parts[5].decode().split("|")]
    if len(streams) != 3 or any(len(s) != 2 for s in streams):
        raise ValueError("bad stream encodings")
    count = int(parts[6])
    args = [os.fsdecode(a) for a in parts[7:7 + count]]
    env = dict(item.partition(b"=")[::2] for item in parts[7 + count:] if b"=" in item)
    return Request(parts[1].decode(), parts[2].decode(), parts[3], int(parts[4]),
                   [(e, r) for e, r in streams], args, env, fds)


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
        close(fds)
        raise


def same_user(conn: socket.socket) -> bool:
    """The caller runs as this user (checked where the system says; the folder is private)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return True
    creds = array("i", conn.getsockopt(socket.SOL_SOCKET, option, 3 * array("i").itemsize))
    return creds[1] == os.getuid()


def close(fds: list[int]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass
