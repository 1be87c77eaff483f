"""Every failure memtree reports on purpose, each carrying its exit code.

The CLI's single error boundary (`memtree.cli.main.run`) turns these into one line on
stderr and the code below. docs/cli.md holds the same table; a test checks both agree.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1  # unexpected failure (a bug): reported with its type
    USAGE = 2  # bad command-line arguments
    NOT_FOUND = 3  # no entry, template, revision… by that name
    EXISTS = 4  # refusing to overwrite something that exists
    INVALID = 5  # bad input: malformed entry, field or value
    NO_ROOT = 6  # no memory root found
    UNSAFE_PATH = 7  # a path escaping the memory root, or a state path that is a link
    AMBIGUOUS = 8  # a reference matching several entries
    LOCKED = 9  # another process holds the lock for too long
    PROBLEMS = 10  # `validate` / `check` found problems
    HISTORY = 11  # git refused or the repository is in a state memtree will not touch
    INDEX = 12  # the search index could not be built or read
    LLM = 13  # the configured LLM endpoint failed
    NO_SPACE = 14  # the disk (or quota) is full: nothing was half-written
    PERMISSION = 15  # the file system refused access to a file or folder
    READ_ONLY = 16  # a write was asked of a read-only file system (reads still work)
    INTERRUPTED = 130


class MemtreeError(Exception):
    """Base of every deliberate memtree failure."""

    code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(MemtreeError):
    code = ExitCode.USAGE


class NotFound(MemtreeError):
    code = ExitCode.NOT_FOUND


class AlreadyExists(MemtreeError):
    code = ExitCode.EXISTS


class InvalidEntry(MemtreeError):
    code = ExitCode.INVALID


class NoRoot(MemtreeError):
    code = ExitCode.NO_ROOT


class UnsafePath(MemtreeError):
    code = ExitCode.UNSAFE_PATH


class UnsafeState(UnsafePath):
    """memtree's own state path (index, lock, log, cache) is a link or not a plain file/folder."""


class SecretFound(InvalidEntry):
    """A write would store something that looks like a credential (see secrets.py)."""


class Ambiguous(MemtreeError):
    code = ExitCode.AMBIGUOUS


class Locked(MemtreeError):
    code = ExitCode.LOCKED


class ProblemsFound(MemtreeError):
    code = ExitCode.PROBLEMS


class HistoryError(MemtreeError):
    code = ExitCode.HISTORY


class StaleCopy(MemtreeError):
    """The file changed since the copy being saved was taken: saving would lose that change."""

    code = ExitCode.EXISTS


class IndexError_(MemtreeError):
    code = ExitCode.INDEX


class LLMError(MemtreeError):
    code = ExitCode.LLM


class NoSpace(MemtreeError):
    code = ExitCode.NO_SPACE


class PermissionDenied(MemtreeError):
    code = ExitCode.PERMISSION


class ReadOnly(MemtreeError):
    code = ExitCode.READ_ONLY


def from_os_error(exc: BaseException) -> MemtreeError | None:
    """The deliberate error for a file system failure (disk full, permissions, read-only), or
    None for anything else. SQLite reports the same conditions in its own words."""
    import errno

    number = getattr(exc, "errno", None)
    where = getattr(exc, "filename", None)
    why = getattr(exc, "strerror", None)
    text = f"{where}: {why}" if where and why else str(exc)
    said = str(exc).lower()
    if number in (errno.ENOSPC, errno.EDQUOT) or "disk is full" in said:
        return NoSpace(f"no space left: {text}", hint="free some disk space and run it again")
    if number == errno.EROFS or "readonly database" in said:
        return ReadOnly(f"read-only: {text}", hint="reads work on a read-only tree; write "
                        "from a writable checkout")
    if number in (errno.EACCES, errno.EPERM):
        return PermissionDenied(f"permission denied: {text}",
                                hint="check the owner and mode of the memory folder")
    return None
