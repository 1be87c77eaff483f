"""`memtree doctor`: one report of everything wrong with a memory root (invalid files,
duplicate ids, dangling relations, orphans, index drift, stale summaries, git state and ignored
entries, leftover temporary files, agent hooks, notes made by hand), and the safe repairs `--fix`
makes: notes adopted, ids for entries without one, a re-index, summaries regenerated, leftover
temporary files removed. Repairs only through the store, the index and the lifecycle service.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Workspace
from ..entries import layout as tree
from ..model import Entry

if TYPE_CHECKING:
    from ..history.git import Repo

TEMP_RE = re.compile(r"^\..+\.[0-9a-f]{10}\.tmp$")  # store.atomic_write's temporary files
TEMP_AGE = 60.0  # seconds: younger ones may belong to a write in progress
HOOK_FILES = {
    "claude-code": (".claude/settings.json", ".claude/settings.local.json"),
    "cursor": (".cursor/hooks.json",),
    "codex": (".codex/hooks.json", ".codex/config.toml"),
    "gemini": (".gemini/settings.json",),
}


@dataclass(frozen=True)
class Finding:
    """One thing doctor found: which check, how bad, where, what, and what repairs it."""

    check: str
    severity: str  # error | warning | info (info never fails the report)
    path: str
    message: str
    fix: str = ""  # the repair `--fix` makes, or the command a person runs
    fixed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "severity": self.severity, "path": self.path,
                "message": self.message, "fix": self.fix, "fixed": self.fixed}


@dataclass
class Report:
    root: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def remaining(self) -> list[Finding]:
        """Problems still there: errors and warnings not repaired."""
        return [f for f in self.findings if f.severity != "info" and not f.fixed]

    def to_dict(self) -> dict[str, Any]:
        return {"root": self.root, "ok": not self.remaining, "remaining": len(self.remaining),
                "findings": [f.to_dict() for f in self.findings]}


def diagnose(ws: Workspace, fix: bool = False,
             progress: Callable[[int, int], None] | None = None) -> Report:
    """Run every check; with `fix`, make the safe repairs first, then report what remains.
    `progress(done, total)` is told after each check."""
    from ..entries import store
    from .notes import find

    step = progress or (lambda done, total: None)
    total = 6 + (1 if fix else 0)
    repaired: list[Finding] = _repair(ws) if fix else []
    report = Report(str(ws.root), repaired)
    step(1 if fix else 0, total)
    notes = find(ws)
    report.findings.extend(_note_findings(notes))
    skip = {n.rel for n in notes}
    checks: tuple[Callable[[Workspace], list[Finding]], ...] = (
        lambda w: _files(w, skip), _index_drift, lambda w: _git(w) + _ignores(w), _temp_files, _hooks)

    for number, check in enumerate(checks, 1):
        report.findings.extend(check(ws))
        step(number + (1 if fix else 0), total)
    entries, _ = store.load_all(ws.root)
    report.findings.extend(_orphans(entries))
    step(total, total)
    return report


def _repair(ws: Workspace) -> list[Finding]:
    from ..entries.validate import fix_ids
    from ..index.db import open_index
    from ..lifecycle.service import Lifecycle

    done = _adopt_notes(ws) + _add_ignores(ws)
    done += [Finding("invalid", "error", f"{rel}.md", "had no id", "gave it one", True)
             for rel in fix_ids(ws)]
    for item in _temp_files(ws):
        (ws.root / item.path).unlink(missing_ok=True)
        done.append(replace(item, fixed=True))
    drift = _index_drift(ws)
    if drift:
        open_index(ws.root).sync(rebuild=True)
        done.extend(replace(d, fixed=True) for d in drift)
    stale = [f for f in _files(ws) if f.check == "stale-summary"]
    if stale:
        Lifecycle(ws).summaries(write=True)
        done.extend(replace(s, fixed=True) for s in stale)
    return done


def _adopt_notes(ws: Workspace) -> list[Finding]:
    """Notes made by hand, adopted where safe (one transaction, one commit)."""
    from ..entries import store
    from ..history.service import record
    from ..model import Change
    from .notes import adopt_all, find

    with store.lock(ws.root):
        notes = [n for n in find(ws) if n.target]
        touched = adopt_all(ws, notes)
    if touched:
        record(ws, Change("adopt", tuple(dict.fromkeys(touched)),
                          f"adopt {len(notes)} note(s) made by hand", "doctor --fix"))
    return [Finding("note", "warning", n.rel, n.why, f"adopted as {n.target}.md", True) for n in notes]


def _ignores(ws: Workspace) -> list[Finding]:
    """The root's .gitignore lacking lines memtree needs (older roots lack `.obsidian/`)."""
    from ..entries.ignores import missing

    lines = missing(ws.root)
    if not lines:
        return []
    return [Finding("git", "warning", ".gitignore", f"does not ignore {', '.join(lines)}: "
                    "Obsidian's and memtree's own state would be committed",
                    "`memtree doctor --fix` adds the lines (so does `memtree init`)")]


def _add_ignores(ws: Workspace) -> list[Finding]:
    from ..entries import store
    from ..entries.ignores import ensure
    from ..history.service import record
    from ..model import Change

    before = _ignores(ws)
    with store.lock(ws.root):
        added = ensure(ws.root)
    if added:
        record(ws, Change("config", (".gitignore",), f"ignore {', '.join(added)}", "doctor --fix"))
    return [replace(f, fixed=True) for f in before] if added else []


def _note_findings(notes: list[Any]) -> list[Finding]:
    return [Finding("note", "warning", n.rel, n.why, "`memtree doctor --fix` adopts it (frontmatter, "
                    f"a slug path: {n.target}.md; links follow)") if n.target else
            Finding("note", "info" if "/" not in n.rel else "error", n.rel,
                    f"{n.why}; not adopted: {n.unsafe}", n.fix) for n in notes]


def _files(ws: Workspace, skip: set[str] | None = None) -> list[Finding]:
    """validate's problems, sorted into the checks doctor names (notes in `skip` are reported
    by the note check)."""
    from ..entries.validate import check

    found = []
    for problem in check(ws):
        if problem.path in (skip or set()):
            continue
        text = problem.message
        kind, fix = "invalid", "edit the file (`memtree validate` shows the line)"
        if "is also used by" in text:
            kind = "duplicate-id"
            fix = "give one of them a new id (delete its id line, then `memtree doctor --fix`)"
        elif "no such entry" in text:
            kind, fix = "dangling", "`memtree unlink` it, or restore the target"
        elif "summary is stale" in text:
            kind, fix = "stale-summary", "`memtree doctor --fix` (or `memtree summaries`)"
        elif "'id' is missing" in text:
            fix = "`memtree doctor --fix` gives it an id"
        where = f"{problem.path}:{problem.line}" if problem.line else problem.path
        found.append(Finding(kind, problem.severity, where, text, fix))
    return found


def _orphans(entries: list[Entry]) -> list[Finding]:
    """Active entries that link nowhere and that nothing links to (information only)."""
    linked: set[str] = set()
    for item in entries:
        if item.relations:
            linked.add(item.path)
            linked.add(item.id)
        linked.update(r.target for r in item.relations)
    return [Finding("orphan", "info", f"{e.path}.md", "no relation in or out",
                    "`memtree link` it to what it belongs with")
            for e in entries if e.status.value == "active" and not e.path.startswith("_")
            and e.path not in linked and e.id not in linked]


def _index_drift(ws: Workspace) -> list[Finding]:
    """Entry files the index does not hold, holds stale, or holds but are gone. Information
    only: the next query catches up on its own; `--fix` re-indexes at once."""
    from ..index.db import open_index

    on_disk = tree.stat_walk(ws.root)
    index = open_index(ws.root)
    if not index.file.exists():
        return [Finding("index", "info", str(index.file), "no search index yet",
                        "`memtree doctor --fix` builds it")] if on_disk else []
    rows = index.using(lambda conn: conn.execute("SELECT path, mtime_ns, size FROM files").fetchall())
    indexed = {str(p): (int(m), int(s)) for p, m, s in rows}
    found = []
    for rel, stamp in sorted(on_disk.items()):
        if rel not in indexed:
            found.append(Finding("index", "info", f"{rel}.md", "not in the search index", "re-index"))
        elif indexed[rel] != stamp:
            found.append(Finding("index", "info", f"{rel}.md", "changed since it was indexed", "re-index"))
    found.extend(Finding("index", "info", f"{rel}.md", "indexed but the file is gone", "re-index")
                 for rel in sorted(set(indexed) - set(on_disk)))
    return found


def _git(ws: Workspace) -> list[Finding]:
    from ..history import git

    repo = git.find(ws)
    if repo is None:
        severity = "warning" if git.mode_of(ws) else "info"
        return [Finding("git", severity, str(ws.root), "not tracked by git: no history, undo or sync",
                        "`memtree init --mode standalone` (or run `git init` in the project)")]
    found = []
    why = git.blocker(repo)
    if why:
        found.append(Finding("git", "error", str(repo.top), f"repository {why}: memtree will not commit",
                             "finish or abort it with git"))
    dirty = _uncommitted(ws, repo)
    if dirty and git.autocommit(ws):
        found.append(Finding("git", "warning", repo.scope, f"{len(dirty)} memory file(s) not committed",
                             "`memtree commit`"))
    files = [repo.path(f"{rel}.md") for rel in tree.stat_walk(ws.root)]
    ignored = git.try_git(repo.top, "check-ignore", "--no-index", *files) if files else None
    found.extend(Finding("git", "error", line, "entry file is ignored by git: never committed or shared",
                         "remove the matching line from .gitignore")
                 for line in (ignored or "").splitlines())
    return found


def _uncommitted(ws: Workspace, repo: Repo) -> list[str]:
    """Changed entry files that `memtree commit` would take: the fix offered for them. Notes
    not adopted yet, files that do not parse and stray files have their own findings."""
    from ..errors import HistoryError
    from ..history import sync

    try:
        return [f for f in sync.changed_files(repo)
                if f.endswith(".md") and sync.committable(ws.root, f)]
    except HistoryError:
        return []


def _temp_files(ws: Workspace) -> list[Finding]:
    """Temporary files left by an interrupted write (older than a minute)."""
    now, found = time.time(), []
    for file in ws.root.rglob(".*.tmp"):
        if TEMP_RE.match(file.name) and now - file.stat().st_mtime > TEMP_AGE \
                and tree.LOCAL_DIR not in file.relative_to(ws.root).parts[:1]:
            found.append(Finding("temp", "warning", file.relative_to(ws.root).as_posix(),
                                 "temporary file left by an interrupted write", "delete it"))
    return found


def _hooks(ws: Workspace) -> list[Finding]:
    """Agent hooks installed in the project: whether the command they run still exists, and
    whether the memtree that installed them (recorded by `memtree install`) is the one running."""
    import shutil

    project, found = ws.root.resolve().parent, []
    recorded = _installed(ws)
    for agent, names in HOOK_FILES.items():
        for name in names:
            text = _read(project / name)
            quoted = re.findall(r'"?command"?\s*[:=]\s*"((?:[^"\\]|\\.)*)"', text)  # escapes kept
            commands = sorted({c for c in quoted if re.search(r"\bhook\b", c)})
            commands = [c for c in commands if "memtree" in c]
            if not commands:
                continue
            exe = commands[0].split()[0]
            if not (Path(exe).is_file() or shutil.which(exe) is not None):
                found.append(Finding("hooks", "error", name, f"{agent} hooks run {exe!r}, which does "
                                     "not exist", f"`memtree install {agent}` again"))
            else:
                found.append(_hook_version(agent, name, len(commands), recorded.get(agent)))
    if "memtree hook codex" in _read(project / ".codex/hooks.json"):
        found += _codex_trust(project, ".codex/hooks.json")
    return found


def _installed(ws: Workspace) -> dict[str, Any]:
    """What `memtree install` recorded in `.local/installed.json`: agent -> {version, at}."""
    import json

    from ..entries import statepaths

    try:
        data = json.loads(statepaths.read_text(ws.root / tree.LOCAL_DIR / "installed.json") or "{}")
    except (ValueError, OSError):
        return {}
    return data if isinstance(data, dict) else {}


def _hook_version(agent: str, name: str, count: int, record: Any) -> Finding:
    from importlib.metadata import version

    running = version("memtree")
    got = record.get("version") if isinstance(record, dict) else None
    fix = f"`memtree install {agent}` (rewrites memtree's part for memtree {running})"
    if got == running:
        return Finding("hooks", "info", name, f"{agent} hooks installed ({count} command(s)) "
                                              f"by memtree {got}, the version running")
    if got is None:
        return Finding("hooks", "warning", name, f"{agent} hooks installed ({count} command(s)) by "
                                                 f"an unrecorded memtree version (running {running})", fix)
    return Finding("hooks", "warning", name, f"{agent} hooks are stale: installed by memtree {got}, "
                                             f"running {running}", fix)


def _codex_trust(project: Path, name: str) -> list[Finding]:
    """memtree's Codex hooks that Codex does not trust yet (`codex exec` skips them silently);
    asked of Codex itself, so only when codex is on PATH."""
    from ..errors import MemtreeError
    from . import codex_hooks

    if codex_hooks.codex_program() is None:
        return []
    try:
        hooks = codex_hooks.memtree_hooks(project)
    except MemtreeError as exc:
        return [Finding("hooks", "info", name, f"Codex hook trust not checked: {exc}")]
    untrusted = sorted(h.event for h in hooks if h.status != "trusted")
    if not untrusted:
        return [Finding("hooks", "info", name, f"Codex trusts memtree's {len(hooks)} hook(s)")]
    return [Finding("hooks", "warning", name,
                    f"Codex does not trust memtree's {', '.join(untrusted)} hook(s): `codex exec` "
                    "skips them", "`memtree install codex` again, or trust them in the Codex TUI (/hooks)")]


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
