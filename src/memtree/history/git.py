"""Git history of the memory: running git (the only gitpython user), the repository a root
lives in, commits with provenance trailers, and deferral while the repository is busy.

Commits are built in a temporary index from HEAD, so they hold memory paths only and never
touch what a person has staged. Until a memory is tracked by git, recording does nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..entries import local, statepaths
from ..errors import HistoryError
from ..model import Change
from . import trailers
from .hooks import HookRejected

MESSAGE_ARG_MAX = 64_000  # bytes; a longer commit message goes through a file

if TYPE_CHECKING:
    from ..config import Workspace
    from . import hooks as hooks_
    from .setup import Done

MODES = ("embedded", "standalone")
QUEUE = "pending-commits.jsonl"
ZERO = "0" * 40
DETACHED = "on a detached HEAD"
_ID_RE = re.compile(r"^id:\s*[\"']?([0-9a-z]+)", re.M)


@dataclass(frozen=True)
class Repo:
    """The git repository holding a memory root: its work tree top, git dir and the root's place."""

    top: Path
    gitdir: Path
    prefix: str  # the memory root relative to `top` ("" when the root is the repository)
    mode: str

    def path(self, rel: str) -> str:
        """A memory-relative path (entry path without `.md`, or a file name) as a repo path."""
        name = rel if Path(rel).suffix in (".md", ".json", ".toml") or rel.startswith(".") \
            or "/." in rel else rel + ".md"
        return f"{self.prefix}/{name}" if self.prefix else name

    def rel(self, repo_path: str) -> str:
        """A repository path back to memory-relative form (with its file suffix)."""
        return repo_path[len(self.prefix) + 1:] if self.prefix else repo_path

    @property
    def scope(self) -> str:
        return self.prefix or "."


# ------------------------------------------------------------------ running git


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run one git command in `cwd`; its stdout exactly (no newline stripped)."""
    return git_bytes(cwd, *args, env=env).decode("utf-8", "surrogateescape")


def git_bytes(cwd: Path, *args: str, env: dict[str, str] | None = None) -> bytes:
    from git.cmd import Git
    from git.exc import GitCommandError, GitCommandNotFound

    try:
        out = Git(str(cwd)).execute(
            ["git", *args], env=env, strip_newline_in_stdout=False, stdout_as_string=False,
        )
    except GitCommandNotFound as exc:
        raise HistoryError("git is not installed or not on PATH") from exc
    except GitCommandError as exc:
        # GitPython quotes what git said: "stderr: '…'" (one quote each end, lines between)
        detail = str(exc.stderr or "").strip().removeprefix("stderr:").strip().strip("'").strip()
        last = detail.splitlines()[-1].strip() if detail else f"exit {exc.status}"
        raise HistoryError(f"git {args[0]} failed in {cwd}: {last}") from exc
    return out if isinstance(out, bytes) else str(out).encode()


def try_git(cwd: Path, *args: str) -> str | None:
    try:
        return git(cwd, *args)
    except HistoryError:
        return None


# ------------------------------------------------------------------ where and in what state


def mode_of(ws: Workspace) -> str | None:
    chosen = ws.settings.get("history.mode")
    return chosen if chosen in MODES else None


def autocommit(ws: Workspace) -> bool:
    return ws.settings.get("history.autocommit", True) is not False


def find(ws: Workspace) -> Repo | None:
    """The repository tracking this memory, or None when it is not tracked."""
    root = ws.root
    mode = mode_of(ws)
    if (root / ".git").exists():
        return Repo(root, _gitdir(root), "", "standalone")
    if mode != "embedded":
        return None  # a root never set up for history (no mode in config.toml) is left alone
    out = try_git(root, "rev-parse", "--show-toplevel", "--absolute-git-dir")
    if not out:
        return None
    top, gitdir = out.splitlines()[:2]
    prefix = root.resolve().relative_to(Path(top).resolve()).as_posix()
    return Repo(Path(top), Path(gitdir), "" if prefix == "." else prefix, "embedded")


def _gitdir(top: Path) -> Path:
    dot = top / ".git"
    if dot.is_file():
        line = dot.read_text(encoding="utf-8").strip().removeprefix("gitdir:").strip()
        return (top / line).resolve()
    return dot


def blocker(repo: Repo) -> str | None:
    """Why memtree must not commit now (mid-merge, rebase, detached HEAD…), or None."""
    checks = (
        ("MERGE_HEAD", "in the middle of a merge"),
        ("rebase-merge", "in the middle of a rebase"),
        ("rebase-apply", "in the middle of a rebase or am"),
        ("CHERRY_PICK_HEAD", "in the middle of a cherry-pick"),
        ("REVERT_HEAD", "in the middle of a revert"),
        ("BISECT_LOG", "bisecting"),
        ("index.lock", "locked by another git process (index.lock)"),
    )
    for name, why in checks:
        if (repo.gitdir / name).exists():
            return why
    head = repo.gitdir / "HEAD"
    if head.exists() and not head.read_text(encoding="utf-8").startswith("ref:"):
        return DETACHED
    return None


def head(repo: Repo) -> tuple[str, str] | None:
    """(commit, tree) of HEAD, or None on an unborn branch."""
    out = try_git(repo.top, "rev-parse", "-q", "HEAD", "HEAD^{tree}")
    if not out:
        return None
    commit, tree = out.split()[:2]
    return commit, tree


# ------------------------------------------------------------------ recording


def record(ws: Workspace, change: Change) -> None:
    """Commit one change (with any deferred before it) when autocommit is on. The change is
    queued first, so a writer killed before git commits it loses nothing: the next commit
    (the next write, `memtree commit` or `memtree sync`) records it with its provenance."""
    if not autocommit(ws) or mode_of(ws) is None and not (ws.root / ".git").exists():
        return
    with commit_lock(ws.root):
        queued = [*read_queue(ws.root), change]
        write_queue(ws.root, queued)
        stop_here("commit")
        repo = find(ws)
        if repo is None:
            write_queue(ws.root, queued[:-1])
            return
        try:
            _locked_commit(ws, repo, queued[:-1], [change], everything=False, reverts=(),
                           strict=False, here=False, in_queue=True)
        except HookRejected as exc:  # the person must hear it (exit 11), and what was written:
            raise HookRejected(_naming(exc.message, change), hint=exc.hint) from exc  # it stays
        except HistoryError as exc:  # the write itself succeeded: it stays queued
            _note(f"commit failed ({exc}); the change is queued for the next commit")


def _naming(message: str, change: Change) -> str:
    """A hook's refusal that names the change it kept: "the change (add a/b.md) stays …"."""
    shown = ", ".join(change.paths[:3]) + (f" and {len(change.paths) - 3} more"
                                           if len(change.paths) > 3 else "")
    return message.replace("the change stays", f"the change ({change.action} {shown}) stays", 1)


def commit(ws: Workspace, repo: Repo, changes: Sequence[Change], *, everything: bool = False,
           reverts: Sequence[str] = (), strict: bool = False, here: bool = False) -> str | None:
    """Commit `changes` and the deferred queue; defer (or with `strict`, refuse) when busy.
    With `here` (`memtree commit`), a detached HEAD is no obstacle: the commit goes there."""
    with commit_lock(ws.root):
        return _locked_commit(ws, repo, read_queue(ws.root), changes, everything=everything,
                              reverts=reverts, strict=strict, here=here)


def _locked_commit(ws: Workspace, repo: Repo, queued: Sequence[Change],
                   changes: Sequence[Change], *, everything: bool, reverts: Sequence[str],
                   strict: bool, here: bool, in_queue: bool = False) -> str | None:
    """`commit` under the lock; `in_queue`: `changes` are already in the queue file."""
    why = blocker(repo)
    detached = why == DETACHED
    if why and not (detached and here):
        if strict:
            then = "switch to a branch first (git checkout BRANCH)" if detached \
                else "finish that first"
            raise HistoryError(f"{repo.top}: the repository is {why}; {then}")
        write_queue(ws.root, [*queued, *changes])
        _hold(repo, [*queued, *changes], not detached)  # git must see it on a detached HEAD
        _note(f"commit deferred: {repo.top} is {why}; " + (_STAYS if detached else _LATER))
        return None
    install_driver(repo)
    _hold(repo, queued, False)
    try:
        sha = _commit(ws, repo, [*queued, *changes], everything, reverts)
    except HookRejected:
        write_queue(ws.root, [*queued, *changes])  # kept for the next commit, as it says
        raise
    if queued or in_queue:
        write_queue(ws.root, [])
    if detached and sha:
        _note(f"committed {sha[:10]} on a detached HEAD (on no branch): keep it with "
              f"`git branch NAME {sha[:10]}`, or bring it to a branch with "
              f"`git checkout BRANCH && git cherry-pick {sha[:10]}`")
    return sha


def stop_here(step: str) -> None:
    """Testing hook (docs/architecture.md): SIGKILL this process at a named step."""
    from ..config import env

    wanted = env("MEMTREE_STOP_AFTER_STEP")
    if wanted is not None and wanted.strip() == step:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


_LATER = "memtree commits it afterwards (on the next write, `memtree commit` or `memtree sync`)"
_STAYS = ("the change stays uncommitted in the working tree (`git status` shows it): "
          "`memtree commit` commits it here, or switch to a branch (`git stash` it first if git "
          "says it would be overwritten) and memtree commits it there on the next write")


def commit_lock(root: Path) -> contextlib.AbstractContextManager[None]:
    """Serialise memtree's commits and its queue (a lock of its own: writers may still hold
    the store lock; taken after it, never before)."""
    return statepaths.flock(root, ".commit.lock")


def _hold(repo: Repo, changes: Sequence[Change], hold: bool) -> None:
    """Hide (or show again) deferred edits of tracked memory files from git's clean-tree checks,
    so `git rebase --continue` or `merge --abort` neither refuses nor overwrites them."""
    files = sorted({repo.path(p) for c in changes for p in c.paths})
    if not files or (repo.gitdir / "index.lock").exists():
        return
    tracked = try_git(repo.top, "ls-files", "-z", "--", *files)
    names = [n for n in (tracked or "").split("\0") if n]
    if names:
        flag = "--skip-worktree" if hold else "--no-skip-worktree"
        try_git(repo.top, "update-index", flag, "--", *names)


@contextlib.contextmanager
def _scratch_index(repo: Repo) -> Iterator[Path]:
    """A private git index file inside the git folder (never in /tmp, where a killed process
    would leave it): `memtree-index.<pid>`, removed after use; ones left by dead processes are
    removed by the next commit."""
    for stale in repo.gitdir.glob("memtree-index.*"):
        pid = stale.name.split(".")[1]  # memtree-index.<pid>[.lock|.msg]
        if pid.isdigit() and not _alive(int(pid)):
            stale.unlink(missing_ok=True)
    index = repo.gitdir / f"memtree-index.{os.getpid()}"
    try:
        yield index
    finally:
        for left in (index, Path(f"{index}.lock"), Path(f"{index}.msg")):
            left.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _commit(ws: Workspace, repo: Repo, changes: Sequence[Change], everything: bool,
            reverts: Sequence[str]) -> str | None:
    """Build the commit in a scratch index, run the repository's hooks on it, sign it if asked,
    and move HEAD only if nothing else moved it meanwhile."""
    from . import hooks

    files = sorted({repo.path(p) for c in changes for p in c.paths})
    before = head(repo)
    with _scratch_index(repo) as index:
        env = {"GIT_INDEX_FILE": str(index)}
        if before:
            git(repo.top, "read-tree", before[0], env=env)
        if everything:
            git(repo.top, "add", "-A", "--", repo.scope, env=env)
        if files:
            git(repo.top, "update-index", "--add", "--remove", "--", *files, env=env)
        tree = git(repo.top, "write-tree", env=env).strip()
        if before and tree == before[1] or not changes:
            return None
        chosen = hooks.policy(ws, repo)
        text = trailers.message(changes, ids=_ids(repo, files), reverts=reverts)
        if chosen.hooks:
            tree, text = _hooked(repo, chosen, env, index, text)
        parents = ["-p", before[0]] if before else []
        sha = _commit_tree(repo, ws, tree, [*parents, *hooks.sign_args(chosen)], text)
        git(repo.top, "update-ref", "-m", "memtree: " + text.splitlines()[0], "HEAD", sha,
            before[0] if before else ZERO)
        hooks.run(repo, chosen, "post-commit", env)
    touched = files if not everything else [repo.scope]
    git(repo.top, "reset", "-q", "--", *touched)
    return sha


def _hooked(repo: Repo, chosen: hooks_.Policy, env: dict[str, str], index: Path,
            text: str) -> tuple[str, str]:
    """Run pre-commit (on the scratch index: it may stage more), then the message hooks, as
    `git commit` does; the tree and message to commit."""
    from . import hooks

    hooks.run(repo, chosen, "pre-commit", env)
    tree = git(repo.top, "write-tree", env=env).strip()
    message = Path(f"{index}.msg")
    try:
        message.write_text(text, encoding="utf-8")
        hooks.run(repo, chosen, "prepare-commit-msg", env, str(message), "message")
        hooks.run(repo, chosen, "commit-msg", env, str(message))
        text = message.read_text(encoding="utf-8")
    finally:
        message.unlink(missing_ok=True)
    return tree, text


def _commit_tree(repo: Repo, ws: Workspace, tree: str, parents: list[str], text: str) -> str:
    with _message_args(ws.root, text) as message:
        try:
            return git(repo.top, "commit-tree", tree, *parents, *message).strip()
        except HistoryError as exc:
            if "identity" not in str(exc) and "empty ident" not in str(exc) and "tell me who" not in str(exc):
                raise
        name = ws.actor.split(":", 1)[-1] or "memtree"
        who = {"GIT_AUTHOR_NAME": name, "GIT_COMMITTER_NAME": name,
               "GIT_AUTHOR_EMAIL": "memtree@localhost", "GIT_COMMITTER_EMAIL": "memtree@localhost"}
        return git(repo.top, "commit-tree", tree, *parents, *message, env=who).strip()


@contextlib.contextmanager
def _message_args(root: Path, text: str) -> Iterator[list[str]]:
    """`-m TEXT`, or `-F FILE` for a message too long for one argument (the trailers of a
    large import name thousands of paths; Linux caps one argument at 128 KiB)."""
    if len(text.encode("utf-8", "surrogateescape")) < MESSAGE_ARG_MAX:
        yield ["-m", text]
        return
    file = statepaths.local(root) / "commit-message.txt"
    statepaths.write(file, text)
    try:
        yield ["-F", str(file)]
    finally:
        file.unlink(missing_ok=True)


def _ids(repo: Repo, files: Sequence[str]) -> list[str]:
    found = []
    for name in files:
        file = repo.top / name
        if name.endswith(".md") and file.is_file():
            match = _ID_RE.search(file.read_text(encoding="utf-8", errors="replace")[:2000])
            if match:
                found.append(match.group(1))
    return found


def read_queue(root: Path) -> list[Change]:
    out = []
    for data in local.records(root, QUEUE):
        try:
            out.append(Change(**{**data, "paths": tuple(data["paths"])}))
        except (TypeError, KeyError):
            continue  # a foreign line is skipped
    return out


def write_queue(root: Path, changes: Sequence[Change]) -> None:
    path = statepaths.local(root) / QUEUE
    if not changes:
        path.unlink(missing_ok=True)  # unlinking a link removes the link, never its target
        return
    statepaths.write(path, "".join(json.dumps(asdict(c)) + "\n" for c in changes))


# ------------------------------------------------------------------ setting up


def on_init(ws: Workspace, mode: str | None = None, auto: bool | None = None) -> Done:
    """Set up history for a new memory root: mode, repository, merge driver, first commit;
    the settings as written and what was committed."""
    from .setup import setup

    return setup(ws, mode, auto)


def _note(message: str) -> None:
    """Tell the person (through the `memtree` logger; the CLI prints it on stderr)."""
    import logging

    logging.getLogger("memtree").warning(message)


def install_driver(repo: Repo) -> bool:
    from .setup import install_driver as install

    return install(repo)
