"""`memtree edit` in $EDITOR: edit a copy, validate on save, never lose what was typed.

If the edited text does not parse, the entry file is untouched and the text is kept
under `.local/edits/` so the person can fix it and try again.
"""

from __future__ import annotations

import shlex
import subprocess
from typing import TYPE_CHECKING

from .. import config
from ..entries import layout as tree
from ..entries import statepaths, store
from ..errors import InvalidEntry, UsageError

if TYPE_CHECKING:
    from ..memory import Memory
    from ..model import Entry


def edit_in_editor(memory: Memory, ref: str, reason: str | None = None) -> Entry:
    rel = memory.resolve(ref)
    original = store.read_text(tree.file_for(memory.root, rel))
    scratch = statepaths.local(memory.root, "edits") / (rel.replace("/", "__") + ".md")
    if not statepaths.check_file(scratch):
        store.atomic_write(scratch, original)
    command = [*shlex.split(config.editor()), str(scratch)]
    try:
        code = subprocess.call(command)
    except FileNotFoundError as exc:
        raise UsageError(f"$EDITOR {command[0]!r}: not found") from exc
    if code != 0:
        raise UsageError(f"editor exited with {code}; your text is kept in {scratch}")
    text = store.read_text(scratch)
    try:
        saved = memory.replace_text(rel, text, reason)
    except InvalidEntry as exc:
        raise InvalidEntry(f"{exc.message} (your text is kept in {scratch}; run edit again)") from exc
    scratch.unlink()
    return saved
