"""Setting a memory up for history: choosing the mode, the standalone repository, config.toml's
[history] table, and registering the merge drivers. Runs git only through history.py.
"""

from __future__ import annotations

import dataclasses
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..entries import store
from ..errors import HistoryError, UsageError
from ..model import Change
from .git import MODES, Repo, autocommit, commit, find, git, head, mode_of, try_git

if TYPE_CHECKING:
    from ..config import Settings, Workspace

ATTRIBUTES = (
    "# memtree: entries and usage signals merge field by field (docs/history.md)\n"
    "*.md merge=memtree\n"
    "_signals/*.json merge=memtree-signals\n"
)


@dataclasses.dataclass(frozen=True)
class Done:
    """What `memtree init` set up: the settings as written and the commit it made, if any
    (its files as repository paths, and whether it is the repository's first commit)."""

    settings: Settings
    commit: str | None = None
    files: tuple[str, ...] = ()
    first: bool = False
    repository: str | None = None
    autocommit: bool = True

    def to_dict(self) -> dict[str, object]:
        return {"commit": self.commit, "files": list(self.files), "first_commit": self.first,
                "repository": self.repository, "autocommit": self.autocommit}


def setup(ws: Workspace, mode: str | None = None, auto: bool | None = None) -> Done:
    """Choose the mode, create the standalone repository if needed, install the merge driver,
    commit memtree's own files; the settings as written and that commit."""
    root = ws.root
    if mode is not None and mode not in MODES:
        raise UsageError(f"--mode {mode!r}: use embedded or standalone")
    current = mode_of(ws)
    if mode and current and mode != current:
        raise HistoryError(f"{root}: already set up in {current} mode (asked for {mode})")
    enclosing = None if (root / ".git").exists() else try_git(root, "rev-parse", "--show-toplevel")
    ignored = bool(enclosing) and try_git(root, "check-ignore", "-q", str(root)) is not None
    chosen = mode or current or ("embedded" if enclosing and not ignored else "standalone")
    if chosen == "embedded" and not enclosing:
        raise HistoryError(f"--mode embedded: {root} is not inside a git work tree",
                           hint="run `git init` in the project first, or use --mode standalone")
    from ..config import load_settings

    _write_settings(ws, chosen, auto)
    ws = dataclasses.replace(ws, settings=load_settings(root))
    if not (root / ".gitattributes").exists():
        store.atomic_write(root / ".gitattributes", ATTRIBUTES)
    if chosen == "standalone" and not (root / ".git").exists():
        git(root, "init", "-q", "-b", "main")
        if enclosing:
            _exclude(Path(enclosing.strip()), root)
    repo = find(ws)
    if repo is None:
        return Done(ws.settings)
    install_driver(repo)
    if not autocommit(ws):
        return Done(ws.settings, repository=str(repo.top), autocommit=False)
    first = head(repo) is None
    what = Change("init", ("config.toml", ".gitignore", ".gitattributes"),
                  f"init memory ({chosen} mode)", actor=ws.actor, tool=ws.tool)
    sha = commit(ws, repo, [what])
    if sha is None:
        return Done(ws.settings, repository=str(repo.top))
    files = git(repo.top, "diff-tree", "-r", "--root", "--no-commit-id", "--name-only", "-z", sha)
    return Done(ws.settings, sha, tuple(f for f in files.split("\0") if f), first, str(repo.top))


def _write_settings(ws: Workspace, mode: str, auto: bool | None) -> None:
    from ..config import CONFIG_NAME

    path = ws.root / CONFIG_NAME
    text = path.read_text(encoding="utf-8") if path.exists() else "format = 1\n"
    wanted = {"mode": f'"{mode}"'}
    if auto is not None or "[history]" not in text:
        wanted["autocommit"] = "true" if auto is not False else "false"
    new = set_section(text, "history", wanted)
    if new != text:
        store.atomic_write(path, new)


def set_section(text: str, section: str, values: dict[str, str]) -> str:
    """Set `key = value` lines inside one TOML table, adding the table if missing."""
    lines = text.splitlines()
    header = f"[{section}]"
    if header not in (line.strip() for line in lines):
        lines += ["", header] if lines and lines[-1].strip() else [header]
    start = next(n for n, line in enumerate(lines) if line.strip() == header) + 1
    end = next((n for n in range(start, len(lines)) if lines[n].lstrip().startswith("[")),
               len(lines))
    for key, value in values.items():
        at = next((n for n in range(start, end)
                   if lines[n].split("=")[0].strip() == key), None)
        if at is None:
            lines.insert(end, f"{key} = {value}")
            end += 1
        else:
            lines[at] = f"{key} = {value}"
    return "\n".join(lines) + "\n"


def _exclude(enclosing_top: Path, root: Path) -> None:
    """Keep a standalone memory out of the enclosing repository (info/exclude, never committed)."""
    common = Path(git(enclosing_top, "rev-parse", "--git-common-dir").strip())
    exclude = (enclosing_top / common if not common.is_absolute() else common) / "info" / "exclude"
    line = "/" + root.resolve().relative_to(enclosing_top.resolve()).as_posix() + "/"
    text = exclude.read_text(encoding="utf-8") if exclude.exists() else ""
    if line not in text.splitlines():
        store.atomic_write(exclude, text + ("" if text.endswith("\n") or not text else "\n")
                           + f"# memtree standalone memory\n{line}\n")


def driver_command(signals: bool = False) -> str:
    flag = " --signals" if signals else ""
    return f"{shlex.quote(sys.executable)} -m memtree merge-driver{flag} %O %A %B %P"


def install_driver(repo: Repo) -> bool:
    """Register memtree's merge drivers in the repository's config (idempotent). True if changed."""
    config = _config_file(repo)
    text = config.read_text(encoding="utf-8") if config.exists() else ""
    if '[merge "memtree-signals"]' in text and sys.executable in text:
        return False
    for name, signals, label in (("memtree", False, "memtree entry merge"),
                                 ("memtree-signals", True, "memtree usage counters")):
        git(repo.top, "config", f"merge.{name}.name", label)
        git(repo.top, "config", f"merge.{name}.driver", driver_command(signals))
    return True


def _config_file(repo: Repo) -> Path:
    common = repo.gitdir / "commondir"
    if common.exists():
        return (repo.gitdir / common.read_text(encoding="utf-8").strip()).resolve() / "config"
    return repo.gitdir / "config"
