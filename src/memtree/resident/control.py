"""Status, start and stop of the resident process, for `memtree resident` (not the lean path)."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass

from ..errors import InvalidEntry, MemtreeError, UnsafePath
from . import client, place

START_WAIT_S = 5.0


@dataclass(frozen=True)
class Status:
    running: bool
    socket: str
    pid: int | None = None
    started: float | None = None  # Unix time
    served: int = 0  # commands taken since it started
    idle: float | None = None  # seconds without a command before it ends


def _checked(starting: bool = False) -> str:
    """The socket path; errors when it cannot be used safely (or, `starting`, when resident
    processes are switched off)."""
    if starting and not place.enabled():
        raise InvalidEntry(f"{place.ENV_SWITCH}={os.environ.get(place.ENV_SWITCH)}: resident "
                           "processes are switched off", hint=f"unset {place.ENV_SWITCH}")
    where = place.folder()
    path = place.socket_path(where)
    if not place.usable(path):
        raise UnsafePath(f"{path}: the socket's path is longer than {place.MAX_SOCKET_PATH} bytes",
                         hint="set XDG_RUNTIME_DIR or TMPDIR to a shorter folder")
    if os.path.lexists(where) and not place.private(where):
        raise UnsafePath(f"{where}: not a private folder (it must be a folder of yours that "
                         "nobody else can enter, mode 0700)", hint=f"remove it, or `chmod 700 {where}`")
    return path


def status() -> Status:
    path = _checked()
    reply = client.control(b"status")
    if not reply or reply[:1] != b"S":
        return Status(False, path)
    data = json.loads(reply[1:])
    return Status(True, path, int(data["pid"]), float(data["started"]), int(data["served"]),
                  float(data["idle"]))


def start(idle: float | None = None) -> Status:
    """Start one unless it runs; wait until it answers."""
    _checked(starting=True)
    found = status()
    if found.running:
        return found
    if not place.make_private(place.folder()):
        raise UnsafePath(f"{place.folder()}: cannot make it a private folder")
    client.start(idle)
    deadline = time.monotonic() + START_WAIT_S
    while time.monotonic() < deadline:
        found = status()
        if found.running:
            return found
        time.sleep(0.05)
    raise MemtreeError(f"the resident process did not answer within {START_WAIT_S:.0f} s "
                       f"on {found.socket}")


def stop() -> Status:
    """Stop it if it runs; the status it had (running False when none was)."""
    found = status()
    if found.running:
        client.control(b"stop")
        deadline = time.monotonic() + START_WAIT_S
        while time.monotonic() < deadline and os.path.exists(found.socket):
            time.sleep(0.05)
    return found
