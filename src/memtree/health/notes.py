"""Notes made by hand in a live vault (Obsidian, an editor): markdown files under the root that are
not yet entries (no frontmatter or no title, a name with spaces or capitals, a folder depth the
layout does not allow). `find` says which and whether adopting each is safe; `adopt` gives them
frontmatter and a valid path in one transaction, pointing links at the new paths, no text lost.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from ..config import Workspace
from ..entries import codec, layout as tree
from ..errors import InvalidEntry

QUIET = 10.0  # seconds: a note changed more recently may still be being typed


@dataclass(frozen=True)
class Note:
    """A file that is not an entry yet: why, and either its adoption or why that is not safe."""

    rel: str  # path relative to the root, with `.md`
    why: str
    target: str = ""  # memory path it would be adopted at (empty: not safe)
    text: str = ""  # its text once adopted
    unsafe: str = ""  # why adopting it is not safe
    fix: str = ""  # what a person runs instead


def find(ws: Workspace, now: float | None = None) -> list[Note]:
    """Every hand-made note under the root, planned for adoption (or not, with the reason)."""
    clock = time.time() if now is None else now
    planned: set[str] = set()
    notes = []
    from ..entries.validate import _too_deep

    deeper = [p.path.removesuffix(".md") for p in _too_deep(ws)]
    for file in sorted(ws.root.glob("*.md")):  # top of the root: no domain to choose safely
        if not file.name.lower().startswith(("readme", "_index")) and file.is_file():
            notes.append(Note(file.name, "a note at the top of the root",
                              unsafe="no domain and topic to put it in",
                              fix=f'memtree add "{file.stem}" --path DOMAIN/TOPIC --file "{file}"'
                                  f' (then delete {file.name})'))
    for rel in sorted([*tree.stat_walk(ws.root), *deeper]):
        if rel.startswith(tree.ARCHIVE_DIR + "/") or tree.disk_name(rel) != rel:
            continue
        file = ws.root / f"{rel}.md"
        why = _why(rel, file)
        if why:
            notes.append(_plan(ws, rel, file, why, planned, clock))
    return notes


def _why(rel: str, file: Path) -> str:
    """Why the file at `rel` is a note to adopt rather than an entry ('' when it is not)."""
    name = rel.rsplit("/", 1)[-1]
    if not tree.is_entry_rel(tuple(f"{rel}.md".split("/"))):
        return "a note outside domain/topic[/subtopic]/"
    if not tree.NAME_RE.match(name) or name != name.lower():
        return "a note whose file name is not a slug"
    try:
        head = file.read_bytes()[:4096]
    except OSError:
        return ""
    if not head.startswith(b"---"):
        return "a note without frontmatter"
    if not re.search(rb"^(id|title)\s*:", head, re.M):
        return "a note whose frontmatter has no id or title"
    return ""


def _plan(ws: Workspace, rel: str, file: Path, why: str, planned: set[str], now: float) -> Note:
    from ..export.adopt import adopt, place

    shown = f"{rel}.md"
    try:
        text = file.read_text(encoding="utf-8")
        changed = file.stat().st_mtime
    except (OSError, UnicodeDecodeError) as exc:
        return Note(shown, why, unsafe=f"cannot be read as UTF-8 text ({exc})",
                    fix=f"convert {file} to UTF-8, then `memtree doctor --fix`")
    if now - changed < QUIET:
        return Note(shown, why, unsafe=f"changed {now - changed:.0f} s ago (may still be being typed)",
                    fix="`memtree doctor --fix` again once it is saved and left")
    def taken(path: str) -> bool:
        return path in planned or (path != rel and tree.file_for(ws.root, path).exists())

    target, _ = place(shown, taken, fallback="inbox/notes")
    try:
        entry = codec.parse(text, target)
        adopted = text if entry.id and entry.title else ""
    except InvalidEntry:
        adopted = ""
    try:
        adopted = adopted or adopt(shown, text, target, codec.new_id(), changed, ws.actor,
                                   keep="obsidian_", origin=False, named=True).text
    except InvalidEntry as exc:
        return Note(shown, why, unsafe=f"its frontmatter does not parse: {exc.message}",
                    fix=f"fix the frontmatter of {file} (the line named), then `memtree doctor --fix`")
    if _words(codec.body_of(adopted, target)) != _words(codec.body_of(text, rel) if text.startswith("---")
                                                        else text):
        return Note(shown, why, unsafe="adopting it would change its text",
                    fix=f'memtree add "{rel.rsplit("/", 1)[-1]}" --path DOMAIN/TOPIC --file "{file}"')
    planned.add(target)
    return Note(shown, why, target=target, text=adopted)


def _words(text: str) -> list[str]:
    return text.split()


def adopt_all(ws: Workspace, notes: list[Note]) -> list[str]:
    """Adopt the safe notes in one transaction (caller holds the lock), links to their old names
    pointed at the new paths; the memory paths written, moved or relinked."""
    from ..entries import store
    from ..entries.transaction import Transaction

    safe = [n for n in notes if n.target]
    if not safe:
        return []
    renames = {}
    for note in safe:
        old = note.rel.removesuffix(".md")
        if old != note.target:
            renames[old] = note.target
            renames.setdefault(old.rsplit("/", 1)[-1], note.target)  # Obsidian links by file name
    plan = Transaction(ws.root, "adopt notes made by hand")
    touched = []
    for note in safe:
        plan.write_text(note.target, relink(note.text, renames))
        if note.rel.removesuffix(".md") != note.target:
            plan.remove(note.rel.removesuffix(".md"))
        touched += [note.rel.removesuffix(".md"), note.target]
    entries, _ = store.load_all(ws.root)
    for item in entries:
        body = relink(item.body, renames)
        if body != item.body:
            import dataclasses

            plan.write(dataclasses.replace(item, body=body, updated=codec.now_iso()))
            touched.append(item.path)
    plan.commit()
    return touched


def relink(text: str, renames: dict[str, str]) -> str:
    """`[[old name]]`, `[[old/path.md#h|label]]` → `[[new/path#h|label]]` (the old name kept as
    the label when there was none, so the text reads the same)."""
    if not renames:
        return text
    names = "|".join(re.escape(k) for k in sorted(renames, key=len, reverse=True))
    pattern = re.compile(r"\[\[(" + names + r")(?:\.md)?(#[^\]|]*)?(\|[^\]]*)?\]\]")

    def swap(found: re.Match[str]) -> str:
        old, heading, label = found.group(1), found.group(2) or "", found.group(3)
        return f"[[{renames[old]}{heading}{label or '|' + old.rsplit('/', 1)[-1]}]]"

    return pattern.sub(swap, text)
