"""The repository's commit hooks (pre-commit, prepare-commit-msg, commit-msg, post-commit;
`core.hooksPath` too) and signing config (`commit.gpgsign`), honoured for memtree's commits,
which `commit-tree` on a scratch index (git.py) would otherwise skip. Hooks run through
`git hook run` with `GIT_INDEX_FILE` naming the scratch index. `[history] hooks = false` or
`sign = false` opts out (docs/history.md); no hook, no signing: one `git config` call.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import HistoryError

if TYPE_CHECKING:
    from ..config import Workspace
    from .git import Repo

HOOKS = ("pre-commit", "prepare-commit-msg", "commit-msg", "post-commit")
_TRUE = ("true", "yes", "on", "1")


class HookRejected(HistoryError):
    """A pre-commit or commit-msg hook refused memtree's commit (exit 11); nothing is lost."""


@dataclass(frozen=True)
class Policy:
    """The hooks to run (name -> executable file) and whether to sign."""

    hooks: dict[str, Path] = field(default_factory=dict)
    sign: bool = False


def policy(ws: Workspace, repo: Repo) -> Policy:
    """What this repository asks of a commit, less what the memory's config opts out of."""
    from .git import try_git

    want_hooks = ws.settings.get("history.hooks", True) is not False
    want_sign = ws.settings.get("history.sign", True) is not False
    if not (want_hooks or want_sign):
        return Policy()
    if not _may_configure(repo):  # the common case, without starting git
        return Policy(_hooks(repo, None) if want_hooks else {}, False)
    out = try_git(repo.top, "config", "-z", "--get-regexp", r"^(core\.hookspath|commit\.gpgsign)$")
    found: dict[str, str] = {}
    for item in (out or "").split("\0"):
        key, _, value = item.partition("\n")
        if key:
            found[key.lower()] = value
    sign = want_sign and found.get("commit.gpgsign", "").strip().lower() in _TRUE
    hooks = _hooks(repo, found.get("core.hookspath")) if want_hooks else {}
    return Policy(hooks, sign)


def _may_configure(repo: Repo) -> bool:
    """Whether any git config file (or the environment) could set core.hooksPath or
    commit.gpgsign: a cheap text scan; only then is `git config` asked (it reads includes,
    conditions and every scope exactly)."""
    from ..config import env

    if any(env(name) for name in ("GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
                                  "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM")):
        return True
    home = Path(os.path.expanduser("~"))
    xdg = Path(env("XDG_CONFIG_HOME") or home / ".config")
    common = _common_dir(repo)
    for file in (Path("/etc/gitconfig"), home / ".gitconfig", xdg / "git/config",
                 common / "config", repo.gitdir / "config.worktree"):
        try:
            text = file.read_text(encoding="utf-8", errors="replace").lower()
        except OSError:
            continue
        if "hookspath" in text or "gpgsign" in text or "[include" in text:
            return True
    return False


def _hooks(repo: Repo, configured: str | None) -> dict[str, Path]:
    if configured:
        folder = Path(os.path.expanduser(configured))
        folder = folder if folder.is_absolute() else repo.top / folder
    else:
        folder = _common_dir(repo) / "hooks"
    found = {}
    for name in HOOKS:
        file = folder / name
        if file.is_file() and os.access(file, os.X_OK):
            found[name] = file
    return found


def _common_dir(repo: Repo) -> Path:
    common = repo.gitdir / "commondir"
    if common.exists():
        return (repo.gitdir / common.read_text(encoding="utf-8").strip()).resolve()
    return repo.gitdir


def run(repo: Repo, chosen: Policy, name: str, env: dict[str, str], *args: str) -> None:
    """Run one hook if the repository has it; a refusal (except post-commit's) is HookRejected."""
    if name not in chosen.hooks:
        return
    from .git import git

    try:
        git(repo.top, "hook", "run", "--ignore-missing", name, "--", *args,
            env={**env, "GIT_EDITOR": ":"})
    except HistoryError as exc:
        if name == "post-commit":
            return  # the commit is made: git itself ignores post-commit's exit status
        why = str(exc).split(": ", 1)[-1] if ": " in str(exc) else str(exc)
        raise HookRejected(
            f"the repository's {name} hook rejected memtree's commit ({why}); nothing is lost: "
            "the change stays in the working tree and queued for the next commit",
            hint="fix what the hook reports, then run `memtree commit`; or set `hooks = false` "
                 "under [history] in the memory's config.toml (docs/history.md)") from exc


def sign_args(chosen: Policy) -> list[str]:
    """`commit-tree` options that sign as `git commit` would (commit-tree ignores gpgsign)."""
    return ["-S"] if chosen.sign else []
