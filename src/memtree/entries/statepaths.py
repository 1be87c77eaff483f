"""Safe opening of memtree's own state: the `.index/` and `.local/` folders and their files.

A clone can commit symbolic links at memtree's fixed state names (`git add -f`). Each state folder
is checked with lstat (created 0700 when missing), each file opened with O_NOFOLLOW and checked to
be regular; anything else is refused with UnsafeState (exit 7). Entry files are store.py's.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from ..config import check_root
from ..errors import UnsafeState

INDEX_DIR = ".index"
LOCAL_DIR = ".local"
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
CLOEXEC = getattr(os, "O_CLOEXEC", 0)
NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO planted at a state name never blocks a hook
_HINT = ("memtree never creates links among its own state; the repository may be hostile. "
         "Inspect it, then remove the path (it is rebuilt)")


def refuse(path: Path | str, what: str) -> UnsafeState:
    return UnsafeState(f"{path}: {what}; refusing to use it as memtree state", hint=_HINT)


def folder(root: Path, *parts: str, create: bool = True) -> Path:
    """`root/<parts…>`, each level checked to be a real folder (created when missing)."""
    check_root(root)
    current = root
    for part in parts:
        current = current / part
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            if not create:
                return root.joinpath(*parts)
            try:
                os.mkdir(current, 0o700)
            except FileExistsError:
                pass  # another process made it meanwhile: checked below
            info = os.lstat(current)
        if stat.S_ISLNK(info.st_mode):
            raise refuse(current, "is a symbolic link")
        if not stat.S_ISDIR(info.st_mode):
            raise refuse(current, "is not a folder")
    return current


def check_file(path: Path | str) -> bool:
    """True if `path` is a regular file, False if absent; a link or anything else is refused."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(info.st_mode):
        raise refuse(path, "is a symbolic link")
    if not stat.S_ISREG(info.st_mode):
        raise refuse(path, "is not a regular file")
    return True


def open_fd(path: Path | str, flags: int, mode: int = 0o600) -> int:
    """`os.open` that never follows a link at the last component and only opens regular files.
    The caller has checked the folders above it with `folder()`."""
    try:
        fd = os.open(path, flags | NOFOLLOW | CLOEXEC | NONBLOCK, mode)
    except OSError as exc:
        if os.path.islink(path):  # ELOOP (Linux) or EMLINK (BSD) for O_NOFOLLOW on a link
            raise refuse(path, "is a symbolic link") from exc
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise refuse(path, "is not a regular file")
    return fd


def append(path: Path, text: str) -> None:
    """Append `text` (UTF-8) to a state log, creating it with mode 0600."""
    fd = open_fd(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(text)


def read_bytes(path: Path) -> bytes | None:
    """A state file's bytes, or None when it does not exist."""
    try:
        fd = open_fd(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def read_text(path: Path) -> str | None:
    data = read_bytes(path)
    return None if data is None else data.decode("utf-8", "replace")


def write(path: Path, text: str) -> None:
    """Replace a state file atomically (a temporary file opened O_EXCL|O_NOFOLLOW, renamed over
    the name: a rename replaces a link itself, never its target). Without store.py, which the
    query path does not import."""
    check_file(path)
    tmp = f"{path.parent}/.{path.name}.{os.urandom(5).hex()}.tmp"
    fd = open_fd(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def flock(root: Path, name: str) -> Iterator[None]:
    """Hold an exclusive lock on `.local/<name>` (blocking) for the `with` block."""
    import fcntl

    fd = open_fd(local(root) / name, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def local(root: Path, *parts: str, create: bool = True) -> Path:
    """The checked `.local/` folder of `root` (or a folder under it)."""
    return folder(root, LOCAL_DIR, *parts, create=create)


def index(root: Path, create: bool = True) -> Path:
    """The checked `.index/` folder of `root`."""
    return folder(root, INDEX_DIR, create=create)
