"""Team sharing over any git remote: commit now, and sync (signals, fetch, merge with the
entry merge driver, push). Runs git only through history.py; never force-pushes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..entries import codec, store
from ..errors import HistoryError, MemtreeError
from ..lifecycle import signals
from ..model import Change
from . import git as history, trailers
from .timeline import require

if TYPE_CHECKING:
    from ..config import Workspace


def _change(ws: Workspace, action: str, paths: tuple[str, ...], summary: str,
            reason: str | None = None) -> Change:
    return Change(action, paths, summary, reason, ws.actor, ws.session, ws.tool)


def changed_files(repo: history.Repo) -> tuple[str, ...]:
    """Memory files that differ from HEAD (modified, added, removed or untracked, not ignored)."""
    out = history.git(repo.top, "status", "--porcelain=v1", "-z", "--untracked-files=all",
                      "--", repo.scope)
    tokens = out.split("\0")
    found: list[str] = []
    i = 0
    while i < len(tokens):
        item = tokens[i]
        i += 1
        if len(item) < 4:
            continue
        found.append(repo.rel(item[3:]))
        if item[0] in "RC":
            found.append(repo.rel(tokens[i]))
            i += 1
    return tuple(sorted(set(found)))


OWN_FILES = ("config.toml", ".gitignore", ".gitattributes")


def committable(root: Path, rel: str) -> bool:
    """Whether `memtree commit` takes this changed file: a removal, one of memtree's own files
    (config, ignore and attributes files, `_signals/`, `.templates/`, `_index.md`) or an entry
    that parses. Never temporary files, stray files, editor folders or invalid entries."""
    from ..entries import layout

    file = root / rel
    if not file.exists():
        return True
    parts = rel.split("/")
    if rel in OWN_FILES or parts[0] == "_signals" and rel.endswith(".json"):
        return True
    if not rel.endswith(".md") or any(p.startswith(".") and p != ".templates" for p in parts):
        return False
    try:
        text = store.read_text(file)
        if parts[0] == ".templates" or parts[-1] == layout.INDEX_FILE:
            codec.split_meta(text, rel)
        elif layout.unreadable(rel.removesuffix(".md")) is None:
            codec.parse(text, rel.removesuffix(".md"))
        else:
            return False
    except (MemtreeError, OSError):
        return False
    return True


def commit_now(ws: Workspace, reason: str | None = None) -> str | None:
    """Commit deferred changes and every uncommitted memory file (for --no-autocommit users)."""
    repo = require(ws)
    queued = {repo.path(p) for c in history.read_queue(ws.root) for p in c.paths}
    candidates = [f for f in changed_files(repo) if repo.path(f) not in queued]
    files = tuple(f for f in candidates if committable(ws.root, f))
    left = [f for f in candidates if f not in files]
    if left:
        history._note(f"not committed (not a valid entry nor a memtree file): {', '.join(left)}")
    shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
    summary = f"commit {len(files)} memory file(s): {shown}"
    extra = [_change(ws, "commit", files, summary, reason)] if files else []
    return history.commit(ws, repo, extra, strict=True, here=True)


def sync(ws: Workspace, remote: str | None = None) -> dict[str, Any]:
    """Fold signals and commit, then fetch, merge and push the current branch."""
    repo = require(ws)
    busy = history.blocker(repo)
    if busy:
        then = "switch to a branch first (git checkout BRANCH)" if busy == history.DETACHED \
            else "finish that first"
        raise HistoryError(f"{repo.top}: the repository is {busy}; {then}")
    flushed = signals.flush(ws.root, ws.actor)
    changes = []
    if flushed is not None:
        rel = flushed.relative_to(ws.root).as_posix()
        changes.append(_change(ws, "signals", (rel,), "fold usage signals"))
    committed = None
    if changes or history.read_queue(ws.root):
        committed = history.commit(ws, repo, changes, strict=True)
    history.install_driver(repo)
    branch = history.git(repo.top, "symbolic-ref", "--short", "HEAD").strip()
    result: dict[str, Any] = {"remote": None, "branch": branch, "committed": committed,
                              "signals": flushed is not None, "merged": False, "pushed": False,
                              "conflicts": []}
    name = remote or _default_remote(repo, branch)
    if name is None:
        result["status"] = "no remote: committed locally only"
        return result
    result["remote"] = name
    history.git(repo.top, "fetch", "-q", name)
    theirs = f"refs/remotes/{name}/{branch}"
    if history.try_git(repo.top, "rev-parse", "--verify", "-q", theirs) is not None:
        result["merged"], result["conflicts"] = _merge(repo, name, branch, theirs)
    if result["conflicts"]:
        result["status"] = "merged with conflicts marked in entry bodies; not pushed"
        return result
    yours = _not_memtree(repo, name) if repo.mode == "embedded" else []
    if yours:
        result["yours"] = yours
        result["status"] = (f"not pushed: {len(yours)} outgoing commit(s) on {branch} are not "
                            f"memtree's ({'; '.join(yours[:3])}); push them with `git push` "
                            "when they are ready, then run `memtree sync` again")
        return result
    if not _exists(repo, theirs) or int(
            history.git(repo.top, "rev-list", "--count", f"{theirs}..HEAD").strip() or 0) > 0:
        history.git(repo.top, "push", "-q", "-u", name, f"HEAD:refs/heads/{branch}")
        result["pushed"] = True
    result["status"] = "in sync"
    return result


def _not_memtree(repo: history.Repo, remote: str) -> list[str]:
    """Outgoing commits (on HEAD, on no branch of `remote`) that memtree did not make, as
    `<short sha> <subject>`: in embedded mode they are the person's work, not memtree's to push."""
    out = history.git(repo.top, "log", "--format=%h%x00%s%x00%B%x1e", "HEAD",
                      "--not", f"--remotes={remote}")
    found = []
    for record in out.split("\x1e"):
        parts = record.strip("\n").split("\0")
        if len(parts) == 3 and not trailers.parse(parts[2]):
            found.append(f"{parts[0]} {parts[1]}")
    return found


def _exists(repo: history.Repo, ref: str) -> bool:
    return history.try_git(repo.top, "rev-parse", "--verify", "-q", ref) is not None


def _default_remote(repo: history.Repo, branch: str) -> str | None:
    configured = history.try_git(repo.top, "config", "--get", f"branch.{branch}.remote")
    if configured and configured.strip():
        return configured.strip()
    names = (history.try_git(repo.top, "remote") or "").split()
    if "origin" in names:
        return "origin"
    return names[0] if len(names) == 1 else None


def _merge(repo: history.Repo, name: str, branch: str, theirs: str) -> tuple[bool, list[str]]:
    """Merge the remote branch. Conflicts the entry driver marked inside valid entries are
    committed (and reported); any other conflict aborts the merge, leaving things as they were."""
    if history.try_git(repo.top, "merge-base", "--is-ancestor", theirs, "HEAD") is not None:
        return False, []
    message = f"memtree sync: merge {name}/{branch}\n\nMemtree-Action: sync\n"
    try:
        history.git(repo.top, "merge", "--no-edit", "-q", "-m", message, theirs)
        return True, []
    except HistoryError as exc:
        if not (repo.gitdir / "MERGE_HEAD").exists():
            raise
        failure = exc
    unmerged = history.git(repo.top, "diff", "--name-only", "--diff-filter=U").split()
    if not unmerged or not all(_valid_entry(repo, path) for path in unmerged):
        history.git(repo.top, "merge", "--abort")
        raise HistoryError(f"sync: merging {name}/{branch} conflicts outside memory entries "
                           f"({', '.join(unmerged) or failure}); merge aborted, nothing changed",
                           hint="merge it yourself with git, then run `memtree sync` again")
    history.git(repo.top, "add", "--", *unmerged)
    history.git(repo.top, "commit", "-q", "--no-edit", "-m", message)
    return True, [repo.rel(p) for p in unmerged]


def _valid_entry(repo: history.Repo, path: str) -> bool:
    inside = not repo.prefix or path.startswith(repo.prefix + "/")
    if not inside or not path.endswith(".md"):
        return False
    try:
        codec.parse(store.read_text(repo.top / path), path)
    except (MemtreeError, OSError, ValueError):
        return False
    return True
