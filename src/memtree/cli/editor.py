"""`memtree edit` in $EDITOR: edit a copy, validate on save, never lose what was typed and never
overwrite newer content (`memtree open` opens the file itself). The copy under `.local/edits/` keeps, beside it, the hash of the text it
began from: a kept copy is offered again only while the entry is unchanged (else both are kept),
and saving re-checks the hash under the lock. A file that does not parse can be repaired.
"""

from __future__ import annotations

import shlex
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .. import config
from ..entries import layout as tree, statepaths, store
from ..entries.store import digest
from ..errors import InvalidEntry, StaleCopy, UsageError

if TYPE_CHECKING:
    from ..memory import Memory
    from ..model import Entry

Tell = Callable[[str], None]


def edit_in_editor(memory: Memory, ref: str, reason: str | None = None,
                   tell: Tell = lambda _: None) -> Entry:
    """Edit one entry (even one whose file does not parse) in $EDITOR; `tell` hears about kept
    copies."""
    rel = resolve_any(memory, ref)
    original = store.read_text(tree.file_for(memory.root, rel))
    scratch = statepaths.local(memory.root, "edits") / (rel.replace("/", "__") + ".md")
    base = _prepare(scratch, original, tell)
    command = [*shlex.split(config.editor()), str(scratch)]
    try:
        code = subprocess.call(command)
    except FileNotFoundError as exc:
        raise UsageError(f"$EDITOR {command[0]!r}: not found") from exc
    if code != 0:
        raise UsageError(f"editor exited with {code}; your text is kept in {scratch}")
    text = store.read_text(scratch)
    try:
        saved = memory.replace_text(rel, text, reason, expect=base)
    except InvalidEntry as exc:
        raise InvalidEntry(f"{exc.message} (your text is kept in {scratch}; run edit again)") from exc
    except StaleCopy as exc:
        raise StaleCopy(f"{exc.message}; your text is kept in {scratch} (compare it with "
                            f"the entry and run edit again)") from exc
    scratch.unlink()
    _base_file(scratch).unlink(missing_ok=True)
    return saved


def _prepare(scratch: Path, original: str, tell: Tell) -> str:
    """Make the copy to edit; returns the hash of the entry text it stands for."""
    now = digest(original)
    if statepaths.check_file(scratch):  # a link or a non-file kept copy is refused
        kept = store.read_text(scratch)
        try:
            base = (_base_file(scratch).read_text(encoding="utf-8").strip()
                    if statepaths.check_file(_base_file(scratch)) else "")
        except FileNotFoundError:
            base = ""  # a copy kept before hashes were: trust it only if it is the file itself
        if base == now or kept == original:
            tell(f"opening the text you kept in {scratch} (the entry has not changed since)")
            return now
        aside = scratch.with_name(f"{scratch.stem}.{time.strftime('%Y%m%dT%H%M%S')}.md")
        scratch.rename(aside)
        _base_file(scratch).unlink(missing_ok=True)
        tell(f"the entry changed since you kept {aside.name}: it stays in {aside.parent}; "
             "editing the current entry")
    store.atomic_write(scratch, original)
    store.atomic_write(_base_file(scratch), now + "\n")
    return now


def _base_file(scratch: Path) -> Path:
    return scratch.with_suffix(".base")


def resolve_any(memory: Memory, ref: str) -> str:
    """The memory path of an entry, or of a file by that name that does not parse (to repair)."""
    try:
        return memory.resolve(ref)
    except InvalidEntry:
        text = ref.strip().removesuffix(".md")
        for problem in memory.unreadable():
            path = problem.path.removesuffix(".md")
            if text in (path, path.rsplit("/", 1)[-1]):
                return path
        raise



def open_file(file: Path) -> bool:
    """Open `file` in $VISUAL/$EDITOR (waiting for it: True), else the system's opener (not
    waiting: False)."""
    import shutil
    import sys

    chosen = config.env("VISUAL") or config.env("EDITOR")
    if chosen:
        command = [*shlex.split(chosen), str(file)]
        try:
            code = subprocess.call(command)
        except FileNotFoundError as exc:
            raise UsageError(f"$VISUAL/$EDITOR {command[0]!r}: not found") from exc
        if code != 0:
            raise UsageError(f"editor {command[0]!r} exited with {code}")
        return True
    opener = {"darwin": "open", "win32": ""}.get(sys.platform, "xdg-open")
    found = shutil.which(opener) if opener else None
    if found is None:
        raise UsageError(f"{file}: no $VISUAL or $EDITOR set and no system opener found",
                         hint="set EDITOR (e.g. `export EDITOR=nano`), or use --print for the path")
    subprocess.Popen([found, str(file)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)
    return False


def check_saved(memory: Memory, rel: str) -> None:
    """After a hand edit: the file must still parse (named, with the repair, when it does not)."""
    from ..entries import codec

    file = tree.file_for(memory.root, rel)
    try:
        codec.parse(store.read_text(file), rel)
    except InvalidEntry as exc:
        raise InvalidEntry(f"{rel}.md: saved, but it no longer parses: {exc.message}",
                           hint=f"`memtree edit {rel}` repairs it (the last good version is in git)") from exc
