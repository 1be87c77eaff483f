"""Looking back through the memory's git history: log (following moves by entry id), diff,
provenance (`why`), an entry at a revision, and restoring it.

Runs git only through history.py; writes files only through store.py (in `restore`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..entries import codec, layout as tree, store
from ..errors import HistoryError, NotFound
from ..index.refs import resolve
from ..model import Change, Entry
from . import git as history
from .trailers import Revision, parse

if TYPE_CHECKING:
    from ..config import Workspace

_FORMAT = "%x1e%H%x1f%P%x1f%an%x1f%aI%x1f%B%x1f"


def require(ws: Workspace) -> history.Repo:
    repo = history.find(ws)
    if repo is None:
        raise HistoryError(f"{ws.root}: not tracked by git",
                           hint="run `memtree init` inside a git work tree, or --mode standalone")
    return repo


def revisions(repo: history.Repo, *args: str) -> list[Revision]:
    """Commits touching the memory, newest first, with their files and renames."""
    if history.head(repo) is None:
        return []
    out = history.git(repo.top, "log", "-M", "--name-status", f"--format={_FORMAT}", *args,
                      "--", repo.scope)
    found = []
    for chunk in out.split("\x1e")[1:]:
        sha, parents, author, date, body, rest = chunk.split("\x1f", 5)
        files: list[str] = []
        renames: list[tuple[str, str]] = []
        for line in rest.strip("\n").splitlines():
            parts = line.split("\t")
            if len(parts) == 3:
                renames.append((repo.rel(parts[1]), repo.rel(parts[2])))
            files.extend(repo.rel(p) for p in parts[1:])
        found.append(Revision(sha, author, date, body.split("\n", 1)[0], parse(body),
                              tuple(files), tuple(parents.split()), tuple(renames)))
    return found


def locate(ws: Workspace, ref: str) -> tuple[str | None, str | None]:
    """(memory-relative file, entry id) for a reference to a live or a vanished entry."""
    try:
        rel = resolve(ws.root, ref)
        return rel + ".md", store.read(ws.root, rel).id or None
    except NotFound:
        text = ref.strip().removesuffix(".md")
        if codec.ID_RE.match(text):
            return None, text
        if "/" in text:
            return "/".join(tree.split_path(text)) + ".md", None
        raise


def log(ws: Workspace, ref: str | None = None, limit: int | None = None) -> list[Revision]:
    repo = require(ws)
    revs = revisions(repo, *([f"-n{limit}"] if limit and ref is None else []))
    if ref is not None:
        path, entry_id = locate(ws, ref)
        revs = follow(revs, path, entry_id)
    return revs[:limit] if limit else revs


def follow(revs: list[Revision], path: str | None, entry_id: str | None) -> list[Revision]:
    """The commits of one entry: by its id in memtree's trailers, and by path across renames."""
    out = []
    current = path
    for rev in revs:
        hit = bool(entry_id) and entry_id in rev.get("ids").split()
        for old, new in rev.renames:
            if new == current:
                current, hit = old, True
        if current is not None and current in rev.files:
            hit = True
        if hit:
            out.append(rev)
    return out


@dataclass(frozen=True)
class Diff:
    rev: str
    files: tuple[tuple[str, str], ...]  # (status, memory-relative path)
    patch: str

    def to_dict(self) -> dict[str, Any]:
        return {"rev": self.rev, "files": [{"status": s, "path": p} for s, p in self.files],
                "patch": self.patch}


def diff(ws: Workspace, rev: str | None = None) -> Diff:
    """What changed in the memory since `rev` (default HEAD: the uncommitted changes)."""
    require(ws)
    target = rev or "HEAD"
    names = history.git(ws.root, "diff", "--relative", "-M", "--name-status", target, "--", ".")
    files = tuple((line.split("\t")[0], line.split("\t")[-1]) for line in names.splitlines() if line)
    patch = history.git(ws.root, "diff", "--relative", "-M", target, "--", ".")
    if rev is None:  # new files not yet known to git are changes too
        others = history.git(ws.root, "ls-files", "-z", "--others", "--exclude-standard")
        for name in sorted(n for n in others.split("\0") if n):
            files += (("A", name),)
            patch += _new_file_patch(name, (ws.root / name).read_text(errors="replace"))
    return Diff(target, files, patch)


def _new_file_patch(name: str, text: str) -> str:
    lines = text.splitlines()
    head = f"diff --git a/{name} b/{name}\nnew file\n--- /dev/null\n+++ b/{name}\n"
    return head + f"@@ -0,0 +1,{len(lines)} @@\n" + "".join(f"+{line}\n" for line in lines)


def why(ws: Workspace, ref: str) -> dict[str, Any]:
    """Who created an entry, from what source, and each later change with its reason."""
    path, entry_id = locate(ws, ref)
    revs = list(reversed(log(ws, ref)))
    item: Entry | None = None
    if path and tree.file_for(ws.root, path).exists():
        item = store.read(ws.root, path.removesuffix(".md"))
    changes = [{"sha": r.sha, "date": r.date, "actor": r.get("actor") or f"person:{r.author}",
                "tool": r.get("tool") or "git", "action": r.get("action") or "commit",
                "reason": r.get("reason"), "session": r.get("session"), "subject": r.subject}
               for r in revs]
    first = changes[0] if changes else {}
    return {
        "path": (item.path if item else (path or "").removesuffix(".md")),
        "id": entry_id, "title": item.title if item else "",
        "created_by": first.get("actor") or (item.source.by if item else ""),
        "created": item.created if item and item.created else first.get("date", ""),
        "source": item.source.to_dict() if item else {},
        "changes": changes,
    }


def text_at(ws: Workspace, ref: str, rev: str) -> tuple[str, str]:
    """(memory-relative file, exact text) of an entry at revision `rev`."""
    repo = require(ws)
    if history.try_git(repo.top, "rev-parse", "--verify", "-q", f"{rev}^{{commit}}") is None:
        raise NotFound(f"revision {rev!r}: no such commit")
    path, entry_id = locate(ws, ref)
    where = repo.path(path) if path else None
    if entry_id:
        found = history.try_git(repo.top, "grep", "-l", "-E", f"^id: ['\"]?{entry_id}['\"]?$",
                                rev, "--", repo.scope)
        if found:
            where = found.splitlines()[0].split(":", 1)[1]
    if where is None:
        raise NotFound(f"{ref!r}: not found at {rev}")
    try:
        data = history.git_bytes(repo.top, "show", f"{rev}:{where}")
    except HistoryError as exc:
        raise NotFound(f"{ref!r}: no {where} at {rev}") from exc
    return repo.rel(where), data.decode("utf-8")


def entry_at(ws: Workspace, ref: str, rev: str) -> Entry:
    rel, text = text_at(ws, ref, rev)
    return codec.parse(text, rel.removesuffix(".md"))


def restore(ws: Workspace, ref: str, rev: str, reason: str | None = None) -> Entry:
    """Write an entry's exact text at `rev` back: where it lives now, or (if archived or gone)
    where it was then."""
    old_rel, text = text_at(ws, ref, rev)
    codec.parse(text, old_rel)
    path, _ = locate(ws, ref) if _exists(ws, ref) else (None, None)
    target = path if path and not path.startswith(tree.ARCHIVE_DIR + "/") else old_rel
    touched = {target}
    with store.lock(ws.root):
        if path and path != target:
            store.delete(ws.root, path.removesuffix(".md"))
            touched.add(path)
        store.atomic_write(tree.file_for(ws.root, target), text)
    rel = target.removesuffix(".md")
    short = history.git(require(ws).top, "rev-parse", "--short", rev).strip()
    from .service import record

    record(ws, Change("restore", tuple(sorted(touched)), f"restore {rel} as of {short}", reason))
    return store.read(ws.root, rel)


def _exists(ws: Workspace, ref: str) -> bool:
    try:
        resolve(ws.root, ref)
        return True
    except NotFound:
        return False
