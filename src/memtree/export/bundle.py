"""Export and import of a whole tree: the format registry (`json`, `okf`, `obsidian`, one module
each), the files a tree is made of, and writing an imported tree back without loss.

`dump(ws, out, fmt)` writes a bundle to folder `out`; `load(ws, folder, fmt)` writes the entries
of a bundle into the root of `ws` (an OKF bundle made elsewhere adopted), refusing to replace a
file that differs, and reports what it cannot take (with the fix) instead of guessing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Workspace
from ..entries import layout as tree
from ..errors import AlreadyExists, InvalidEntry, UsageError

FORMATS = ("okf", "json", "obsidian")
JSON_FILE = "memtree.json"


@dataclass
class Outcome:
    """What an export or an import did: files written, and notes it could not take."""

    format: str
    folder: str
    written: list[str] = field(default_factory=list)
    reported: list[dict[str, str]] = field(default_factory=list)
    adopted: list[dict[str, Any]] = field(default_factory=list)  # notes made elsewhere, as entries

    def to_dict(self) -> dict[str, Any]:
        return {"format": self.format, "folder": self.folder, "written": self.written,
                "reported": self.reported, "adopted": self.adopted}


def tree_files(root: Path) -> dict[str, str]:
    """Every file a tree is made of, by path relative to the root: entries (archive included)
    and the `_index.md` summaries. Config, index and machine-local state are not exported."""
    files = {tree.rel_of(root, f) + ".md": f.read_text(encoding="utf-8") for f in tree.walk(root)}
    for index in tree.index_files(root):
        files[index.relative_to(root).as_posix()] = index.read_text(encoding="utf-8")
    return dict(sorted(files.items()))


Progress = Callable[[int, int], None]


def dump(ws: Workspace, out: Path, fmt: str, progress: Progress | None = None) -> Outcome:
    writer, _ = _codec(fmt)
    _check_out(ws, out)
    out.mkdir(parents=True, exist_ok=True)
    done = Outcome(fmt, str(out))
    files = writer(tree_files(ws.root))
    for count, (rel, text) in enumerate(files.items(), 1):
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        done.written.append(rel)
        if progress is not None:
            progress(count, len(files))
    return done


def _check_out(ws: Workspace, out: Path) -> None:
    """OUT is a folder (made when missing) outside the memory root."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: not a folder; export writes a folder of files (name a new one)")
    if out.resolve().is_relative_to(ws.root.resolve()):
        raise UsageError(f"{out}: inside the memory root {ws.root}; export to a folder outside it")


def load(ws: Workspace, folder: Path, fmt: str, progress: Progress | None = None) -> Outcome:
    """Write the entries of the bundle in `folder` into the root (under the lock); nothing is
    written when any file would replace a differing one."""
    from ..entries import store

    _, reader = _codec(fmt)
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder holding a {fmt} export")
    if fmt == "okf":
        from . import okf

        files, reported, adopted = okf.read(folder, lambda p, i: _held(ws.root, p, i))
    else:
        (files, reported), adopted = reader(folder), []
    done = Outcome(fmt, str(folder), reported=reported)
    files = _guarded(ws, files, adopted, done)
    with store.lock(ws.root):
        todo = _changes(ws.root, files)
        for count, rel in enumerate(todo, 1):
            if progress is not None:
                progress(count, len(todo))
            store.atomic_write(ws.root / rel, files[rel])
            done.written.append(rel)
    if done.written:
        from ..history.service import record
        from ..model import Change

        record(ws, Change("import", tuple(done.written), f"import {fmt} bundle {folder.name}"))
    return done


def _held(root: Path, path: str, entry_id: str) -> bool:
    """Whether an entry other than `entry_id` holds memory path `path` (a re-import finds its own)."""
    file = tree.file_for(root, path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    except (OSError, UnicodeDecodeError):
        return True
    return f"\nid: {entry_id}\n" not in text


def _changes(root: Path, files: dict[str, str]) -> list[str]:
    """The files to write, after checking that none would replace a file that differs."""
    todo = []
    for rel, text in sorted(files.items()):
        target = root / rel
        tree.ensure_inside(root, target)
        if target.exists():
            if target.read_text(encoding="utf-8") == text:
                continue
            raise AlreadyExists(f"{rel}: already in the tree with other content",
                                hint="import into an empty tree, or move the existing entry")
        todo.append(rel)
    return todo


def _guarded(ws: Workspace, files: dict[str, str], adopted: list[dict[str, Any]],
             done: Outcome) -> dict[str, str]:
    """Adopted notes pass the secret guard of every write (docs/security.md): refused ones are
    reported, masked ones written masked."""
    from ..entries import codec
    from ..errors import SecretFound
    from ..secretscan import guard

    for item in adopted:
        rel = item["path"]
        try:
            entry = codec.parse(files[rel], rel.removesuffix(".md"))
            files[rel] = codec.render(guard(ws.settings, entry))
        except SecretFound as exc:
            del files[rel]
            done.reported.append({"path": item["from"], "message": f"not adopted: {exc.message}",
                                  "fix": "remove the secret from the note, then import again"})
            continue
        done.adopted.append(item)
    return files


def _codec(fmt: str) -> tuple[Callable[[dict[str, str]], dict[str, str]],
                              Callable[[Path], tuple[dict[str, str], list[dict[str, str]]]]]:
    if fmt == "json":
        return _json_out, _json_in
    if fmt == "okf":
        from . import okf

        return okf.write, lambda folder: okf.read(folder)[:2]
    if fmt == "obsidian":
        from . import obsidian

        return obsidian.write, obsidian.read
    raise UsageError(f"format {fmt!r}: use one of {', '.join(FORMATS)}")


def _json_out(files: dict[str, str]) -> dict[str, str]:
    data = {"format": "memtree-export", "version": 1, "files": files}
    return {JSON_FILE: json.dumps(data, ensure_ascii=False, indent=1) + "\n"}


def _json_in(folder: Path) -> tuple[dict[str, str], list[dict[str, str]]]:
    file = folder / JSON_FILE
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidEntry(f"{file}: not a memtree JSON export: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != "memtree-export":
        raise InvalidEntry(f"{file}: not a memtree JSON export (no \"format\": \"memtree-export\")")
    files = data.get("files")
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise InvalidEntry(f"{file}: field 'files' must map paths to file texts")
    return {str(k): v for k, v in files.items()}, []
