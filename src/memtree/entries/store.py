"""The only writer of memory files: atomic writes, the root lock, moves and deletes.

Reads are lenient: one malformed file is reported as a Problem and never stops the
others from loading. Nothing here decides *what* to write; memory.py does.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import AlreadyExists, InvalidEntry, Locked, NotFound, StaleCopy
from ..model import Entry, Problem
from . import codec, layout as tree

LOCK_NAME = ".lock"
LOCAL_DIR = tree.LOCAL_DIR
LOCK_TIMEOUT = 10.0


@contextlib.contextmanager
def lock(root: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the root's write lock (an flock on `.local/.lock`), waiting up to `timeout`."""
    import fcntl  # imported here: read-only paths (queries, hooks) never lock

    if timeout is None:
        timeout = _lock_timeout()
    from . import statepaths

    local = statepaths.local(root)
    fd = statepaths.open_fd(local / LOCK_NAME, os.O_RDWR | os.O_CREAT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() > deadline:
                    raise Locked(
                        f"{local / LOCK_NAME}: another memtree process has held the lock "
                        f"for over {timeout:.0f}s"
                    ) from exc
                time.sleep(0.01)
        if os.path.exists(local / "journal.json"):  # a killed writer's transaction: finish it
            from .transaction import recover

            recover(root)
        yield
    finally:
        os.close(fd)


def settle(root: Path) -> None:
    """Finish a transaction a killed writer left, if any and if this process may write."""
    if os.path.exists(root / LOCAL_DIR / "journal.json"):
        with contextlib.suppress(OSError, Locked), lock(root):
            pass


def _lock_timeout() -> float:
    from ..config import env

    try:
        return float(env("MEMTREE_LOCK_TIMEOUT") or LOCK_TIMEOUT)
    except ValueError:
        return LOCK_TIMEOUT


def atomic_write(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder, fsync, then rename over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temp_file(path)
    try:
        _keep_mode(fd, path)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def _keep_mode(fd: int, path: Path) -> None:
    """A rewritten file keeps its permission bits (a new one has 0666 less the umask)."""
    with contextlib.suppress(FileNotFoundError):
        os.fchmod(fd, os.stat(path).st_mode & 0o7777)


def _temp_file(path: Path) -> tuple[int, str]:
    """A new `.<name>.<random>.tmp` beside `path`, opened exclusively without following a symlink
    (as `tempfile.mkstemp` does, without importing tempfile, which costs the hooks ~6 ms), with
    mode 0666 less the umask, as any new file."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        tmp = os.path.join(path.parent, f".{path.name}.{os.urandom(5).hex()}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"{path.parent}: no free temporary file name")


def fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def read_text(file: Path) -> str:
    try:
        data = file.read_bytes()
    except FileNotFoundError as exc:
        raise NotFound(f"{file}: no such entry file") from exc
    except IsADirectoryError as exc:
        raise InvalidEntry(f"{file}: is a folder, not an entry file") from exc
    if b"\x00" in data:
        raise InvalidEntry(f"{file}: binary file, not a markdown entry")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidEntry(f"{file}: not UTF-8 text (byte {exc.start})") from exc


def read(root: Path, rel: str) -> Entry:
    """Read and parse one entry by its memory path."""
    file = tree.file_for(root, rel)
    return codec.parse(read_text(file), tree.rel_of(root, file))


def read_body(root: Path, rel: str) -> str:
    """One entry's body by its memory path, its frontmatter left unparsed (the index has it)."""
    file = tree.file_for(root, rel)
    return codec.body_of(read_text(file), tree.rel_of(root, file))


def problem_of(error: InvalidEntry, rel: str) -> Problem:
    return Problem.of(error.message, rel)


def load_all(root: Path, archived: bool = True) -> tuple[list[Entry], list[Problem]]:
    """Every entry that parses, and a Problem for each file that does not."""
    entries: list[Entry] = []
    problems: list[Problem] = []
    for file in tree.walk(root, archived=archived, misplaced=True):
        rel = tree.shown_name(tree.rel_of(root, file))
        try:
            why = tree.unreadable(rel)
            if why is not None:
                raise InvalidEntry(why)
            entries.append(codec.parse(read_text(file), rel))
        except codec.EntryProblems as exc:
            problems.extend(problem_of(InvalidEntry(m), rel) for m in exc.messages)
        except InvalidEntry as exc:
            problems.append(problem_of(exc, rel))
        except (NotFound, OSError) as exc:
            problems.append(Problem(rel + ".md", getattr(exc, "strerror", None) or str(exc)))
    return entries, problems


def write(root: Path, item: Entry, overwrite: bool = False) -> Path:
    """Write an entry to its path. Caller holds the lock. Refuses to replace unless asked."""
    file = tree.file_for(root, item.path)
    if file.exists() and not overwrite:
        free = next(f"{file.stem}-{n}" for n in range(2, 10_000)
                    if not file.with_name(f"{file.stem}-{n}.md").exists())
        raise AlreadyExists(
            f"{item.path}.md already exists",
            hint=f"to keep both, give this one its own name: --slug {free} "
                 "(--force would replace the existing entry)",
        )
    atomic_write(file, codec.render(item))
    return file


def check_move(root: Path, old_rel: str, new_rel: str) -> None:
    """Refuse a move whose source is missing or whose destination exists."""
    if not tree.file_for(root, old_rel).exists():
        raise NotFound(f"{old_rel}: no such entry")
    if tree.file_for(root, new_rel).exists():
        raise AlreadyExists(f"{new_rel}.md already exists")


def move(root: Path, old_rel: str, new_rel: str) -> Path:
    """Rename an entry file (caller holds the lock and rewrites its content if needed)."""
    src = tree.file_for(root, old_rel)
    dst = tree.file_for(root, new_rel)
    if not src.exists():
        raise NotFound(f"{old_rel}: no such entry")
    if dst.exists():
        raise AlreadyExists(f"{new_rel}.md already exists")
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dst)
    fsync_dir(dst.parent)
    prune_empty(root, src.parent)
    return dst


def delete(root: Path, rel: str) -> None:
    file = tree.file_for(root, rel)
    try:
        file.unlink()
    except FileNotFoundError as exc:
        raise NotFound(f"{rel}: no such entry") from exc
    prune_empty(root, file.parent)


def prune_empty(root: Path, folder: Path) -> None:
    """Remove folders left empty by a move or delete (never the root)."""
    real_root = root.resolve()
    current = folder.resolve()
    while current != real_root and real_root in current.parents:
        try:
            current.rmdir()
        except OSError:
            return
        current = current.parent


def digest(text: str) -> str:
    """The hash `edit` keeps of the text a copy began from."""
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_unchanged(root: Path, rel: str, expect: str | None) -> None:
    """Refuse (StaleCopy) when the entry's text no longer has the hash `expect`."""
    if expect is None:
        return
    current = read_text(tree.file_for(root, rel))
    if digest(current) != expect:
        raise StaleCopy(f"{rel}.md changed since this edit began; it was not overwritten")


def old_entry(root: Path, rel: str) -> Entry | None:
    """The entry as it is on disk, or None when its file does not parse (an edit repairs it)."""
    try:
        return read(root, rel)
    except InvalidEntry:
        return None


BATCH = 256  # files open at once in `write_many`
SYNC_THREADS = 16


def write_many(root: Path, items: list[Entry]) -> list[Path]:
    """Write many entries (caller holds the lock), each whole or absent after a crash, faster
    than `write` per entry: each chunk of files is written to temporaries, flushed to disk by a
    pool of threads (the filesystem commits their syncs together) and renamed into place; then
    each folder touched (and each new folder's parent) is synced once. Replaces what is there."""
    from concurrent.futures import ThreadPoolExecutor

    files = [(tree.file_for(root, item.path), codec.render(item)) for item in items]
    folders: set[Path] = set()
    for file, _ in files:
        folders.update(p for p in (file.parent, *file.parent.parents) if root in (p, *p.parents))
        file.parent.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(SYNC_THREADS) as pool:
        for start in range(0, len(files), BATCH):
            _write_chunk(files[start:start + BATCH], pool.map)
    for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
        fsync_dir(folder)
    return [file for file, _ in files]


def _write_chunk(files: list[tuple[Path, str]], each: Callable[..., Iterator[None]]) -> None:
    """Temporaries written and synced together, then each closed and renamed over its target."""
    sync = getattr(os, "fdatasync", os.fsync)
    opened: list[tuple[int, str, Path]] = []
    try:
        for file, text in files:
            fd, tmp = _temp_file(file)
            opened.append((fd, tmp, file))
            _keep_mode(fd, file)
            data = text.encode("utf-8")
            while data:
                data = data[os.write(fd, data):]
        list(each(sync, [fd for fd, _, _ in opened]))
    except BaseException:
        for fd, tmp, _ in opened:
            os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise
    for fd, _, _ in opened:
        os.close(fd)
    for _, tmp, file in opened:
        os.replace(tmp, file)
