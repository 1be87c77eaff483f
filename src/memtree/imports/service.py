"""`memtree import` over a Workspace: the project's rules files and decision records, or its git
history, planned against the memory and written (unless a dry run) as one recorded Change."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import UsageError
from ..lifecycle import anchors as code
from ..model import Anchor
from . import apply, files, gitlog
from .draft import Draft

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from ..config import Workspace


def project_of(ws: Workspace) -> Path:
    """The project folder imports read: the folder holding the memory root."""
    return code.project_dir(ws.root)


def import_files(ws: Workspace, dry_run: bool = False, reason: str | None = None) -> apply.Report:
    """Import rules and instructions files, CONTRIBUTING.md and decision records."""
    started = time.perf_counter()
    project = project_of(ws)
    drafts = files.drafts(project)
    report = _run(ws, drafts, files.KINDS, dry_run, reason or "import the project's rules and decisions")
    report.found = files.counts(project)
    planned = {d.id: o.path for d, o in zip(drafts, report.outcomes, strict=False)}
    report.outcomes += apply.supersessions(ws, drafts, dry_run, planned)
    report.took_ms = (time.perf_counter() - started) * 1000
    return report


def import_git(ws: Workspace, since: str | None = None, limit: int = gitlog.DEFAULT_MAX,
               dry_run: bool = False, reason: str | None = None) -> apply.Report:
    """Import episodes from the project's git history (at most `limit` commits, since `since`)."""
    if limit < 1:
        raise UsageError(f"--max {limit}: must be at least 1")
    started = time.perf_counter()
    project = project_of(ws)
    commits = gitlog.read_log(project, since, limit, _memory_folder(ws, project))
    report = _run(ws, gitlog.drafts(commits), {"git"}, dry_run,
                  reason or f"import episodes from {len(commits)} commits")
    report.found = {"commits": len(commits)}
    report.took_ms = (time.perf_counter() - started) * 1000
    return report


def pending(ws: Workspace, source: str, since: str | None = None,
            limit: int = gitlog.DEFAULT_MAX) -> list[Draft]:
    """What an import of `source` (`files` or `git`) would add or update, written nowhere: the
    material `memtree import --curate` sends through curation instead."""
    if limit < 1:
        raise UsageError(f"--max {limit}: must be at least 1")
    project = project_of(ws)
    if source == "git":
        drafts = gitlog.drafts(gitlog.read_log(project, since, limit, _memory_folder(ws, project)))
        kinds = {"git"}
    else:
        drafts, kinds = files.drafts(project), files.KINDS
    outcomes, _ = apply.plan(ws.root, drafts, kinds)
    return [d for d, o in zip(drafts, outcomes, strict=False) if o.action in ("add", "update")]


def _run(ws: Workspace, drafts: Sequence[Draft], kinds: set[str], dry_run: bool,
         reason: str) -> apply.Report:
    outcomes, writes = apply.plan(ws.root, drafts, kinds)
    if not dry_run:
        added = sum(o.action == "add" for o in outcomes)
        updated = sum(o.action == "update" for o in outcomes)
        summary = f"import: {added} added, {updated} updated"
        apply.write(ws, writes, anchorer(project_of(ws)), summary, reason)
    return apply.Report(outcomes=outcomes, dry_run=dry_run)


def _memory_folder(ws: Workspace, project: Path) -> str:
    try:
        return ws.root.resolve().relative_to(project.resolve()).as_posix()
    except ValueError:
        return ""


def anchorer(project: Path) -> Callable[[str], Anchor | None]:
    """Whole-file anchors for project files, each file hashed once and stamped with HEAD."""
    head = code.commit_of(project)
    cache: dict[str, Anchor | None] = {}

    def make(rel: str) -> Anchor | None:
        if rel not in cache:
            target = (project / rel).resolve()
            try:
                inside = project.resolve() in target.parents and target.is_file()
                text = target.read_text(encoding="utf-8", errors="replace") if inside else None
            except OSError:
                text = None
            cache[rel] = Anchor(rel, hash=code.digest(text.splitlines()), commit=head) \
                if text is not None else None
        return cache[rel]
    return make


def offer(ws: Workspace) -> dict[str, int]:
    """What `memtree init` can offer to import: files per source kind, and commits in git."""
    project = project_of(ws)
    found = files.counts(project)
    try:
        args = ["git", "-C", str(project), "rev-list", "--count", "--no-merges", "HEAD"]
        folder = _memory_folder(ws, project)
        done = subprocess.run([*args, "--", ".", f":(exclude){folder}"] if folder else args,
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return found
    if done.returncode == 0 and done.stdout.strip().isdigit() and int(done.stdout) > 0:
        found["commits"] = int(done.stdout)
    return found
