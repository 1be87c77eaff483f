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


class IndexError_(MemtreeError):
    code = ExitCode.INDEX


class LLMError(MemtreeError):
    code = ExitCode.LLM
