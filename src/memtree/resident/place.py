"""Where the resident process listens (a folder only this user can enter) and which install it
answers for (version, package folder, Python). Lean: `os` and `sys` only, so it reads the
environment itself (config.py and pathlib cost more than all of the client side).
"""

from __future__ import annotations

import os
import sys

ENV_SWITCH = "MEMTREE_RESIDENT"  # `off`: never use or start a resident process
MAGIC = b"memtree-resident/2"
MAX_SOCKET_PATH = 100  # sun_path holds 104-108 bytes depending on the system


def enabled() -> bool:
    return os.environ.get(ENV_SWITCH, "").strip().lower() not in ("off", "0", "false", "no")


def identity() -> str:
    """This install: version, package folder and interpreter (the resident process must match)."""
    from .. import __version__

    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return f"{__version__}|{package}|{sys.executable}"


def folder() -> str:
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isabs(runtime) and os.path.isdir(runtime):
        return os.path.join(runtime, "memtree")
    base = os.environ.get("TMPDIR", "") or "/tmp"
    return os.path.join(base, f"memtree-{os.getuid()}")


def _key(text: str) -> str:
    """A short stable name for `text` (64-bit FNV-1a): short paths fit in sun_path."""
    h = 0xCBF29CE484222325
    for byte in text.encode():
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def socket_path(where: str | None = None) -> str:
    return os.path.join(where or folder(), f"{_key(identity())}.sock")


def private(where: str) -> bool:
    """`where` is a real folder (no link) owned by this user that nobody else may enter."""
    try:
        st = os.lstat(where)
    except OSError:
        return False
    return (st.st_mode & 0o170000) == 0o040000 and st.st_uid == os.getuid() and not st.st_mode & 0o077


def make_private(where: str) -> bool:
    """Create `where` (mode 0700) if missing; True when it is private afterwards."""
    try:
        os.makedirs(where, mode=0o700, exist_ok=True)
    except OSError:
        return False
    return private(where)


def usable(path: str) -> bool:
    return len(path.encode()) <= MAX_SOCKET_PATH
