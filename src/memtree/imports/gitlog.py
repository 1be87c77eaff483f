"""Episodes from a project's git history: one `git log` call (a format and `--name-only`) parsed
here, commits grouped by the issue or pull request numbers they reference (`#123`, `gh-123`,
`Fixes: #N`, issue URLs) and, when they reference none, by the file they mainly touched; each
group laid out under the domain/topic of the code it touched (`src/` and `lib/` skipped)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..entries.layout import slugify
from ..errors import HistoryError
from .draft import Draft

FORMAT = "%x1e%H%x1f%an%x1f%cI%x1f%s%x1f%b%x1f"
REF = re.compile(r"(?<![\w&/#])(?:#|gh-)(\d{1,6})\b|/(?:issues|pull)/(\d{1,6})\b", re.I)
BOTS = ("[bot]", "dependabot", "pre-commit-ci", "renovate", "github-actions")
SKIPPED_TOP = {"src", "lib"}
MAX_REFS = 3  # a commit naming more numbers is a roll-up (release notes), not work on one problem
SHOWN_COMMITS = 25
SHOWN_FILES = 15
MAX_ANCHORS = 3  # the most touched files, anchored when they still exist
SOURCE_FILES = 10
DEFAULT_MAX = 10_000
NOT_CODE = {"tests", "test", "docs", "doc"}
PROSE = (".md", ".rst", ".txt")


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    date: str  # UTC, YYYY-MM-DDTHH:MM:SSZ
    subject: str
    body: str
    files: tuple[str, ...]

    def refs(self) -> tuple[int, ...]:
        if any(bot in self.author.lower() for bot in BOTS):
            return ()
        found = sorted({int(a or b) for a, b in REF.findall(f"{self.subject}\n{self.body}")})
        return tuple(found) if len(found) <= MAX_REFS else ()


def read_log(project: Path, since: str | None = None, limit: int = DEFAULT_MAX,
             exclude: str = "") -> list[Commit]:
    """The project's non-merge commits, newest first, from one `git log` call; commits that only
    touch `exclude` (the memory's own folder) are left out, and so are its files."""
    args = ["git", "-C", str(project), "-c", "core.quotePath=false", "log", "--no-merges",
            f"--format={FORMAT}", "--name-only", "--no-renames", f"-n{int(limit)}"]
    if since:
        args.append(f"--since={since}")
    if exclude:
        args += ["--", ".", f":(exclude){exclude}"]
    try:
        done = subprocess.run(args, capture_output=True, timeout=600)
    except (OSError, subprocess.SubprocessError) as exc:
        raise HistoryError(f"git log in {project}: {exc}") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise HistoryError(f"git log in {project}: {message[-1] if message else 'failed'}",
                           hint="run `memtree import git` inside a git repository with commits")
    return parse(done.stdout.decode("utf-8", "replace"))


def parse(text: str) -> list[Commit]:
    """Commits from `git log --format=FORMAT --name-only` output."""
    out = []
    for record in text.split("\x1e")[1:]:
        fields = record.split("\x1f")
        if len(fields) < 6:
            continue
        sha, author, date, subject, body, names = fields[:6]
        files = tuple(n for n in names.split("\n") if n)
        out.append(Commit(sha, author, _utc(date), subject.strip(), body.strip(), files))
    return out


def _utc(stamp: str) -> str:
    try:
        when = dt.datetime.fromisoformat(stamp.strip())
    except ValueError:
        return ""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=65536)
def area(path: str) -> str:
    """DOMAIN/TOPIC of a file from the code's own layout: top folder / next folder."""
    parts = path.split("/")[:-1]
    while parts and parts[0] in SKIPPED_TOP:
        parts.pop(0)
    names = [slugify(p.lstrip("._"), 64) for p in parts[:2]]
    if not names:
        return "project/general"
    return "/".join(names if len(names) == 2 else [names[0], "general"])


def group(commits: list[Commit]) -> dict[str, list[Commit]]:
    """Commits by group key: `ref:N` (numbers referenced together join one group, named by the
    smallest) or `file:PATH` for commits that reference nothing (by their first touched file)."""
    parent: dict[int, int] = {}

    def find(n: int) -> int:
        while parent.setdefault(n, n) != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    refs = [c.refs() for c in commits]
    for numbers in refs:
        for other in numbers[1:]:
            parent[find(other)] = find(numbers[0])
    groups: dict[str, list[Commit]] = {}
    smallest: dict[int, int] = {}
    for numbers in refs:
        for n in numbers:
            root = find(n)
            smallest[root] = min(smallest.get(root, n), n)
    for commit, numbers in zip(commits, refs, strict=True):
        if numbers:
            groups.setdefault(f"ref:{smallest[find(numbers[0])]}", []).append(commit)
        elif commit.files:
            groups.setdefault(f"file:{main_file(commit.files)}", []).append(commit)
    return groups


def main_file(files: tuple[str, ...]) -> str:
    """The file a commit is mainly about: its first code file (not tests or docs), else its
    first file."""
    for path in files:
        top = path.split("/", 1)[0] if "/" in path else ""
        if top not in NOT_CODE and not path.endswith(PROSE):
            return path
    return files[0]


def drafts(commits: list[Commit]) -> list[Draft]:
    """One episode draft per group of commits."""
    return [episode(key, items) for key, items in group(commits).items()]


def episode(key: str, commits: list[Commit]) -> Draft:
    """The episode of one group (commits newest first, as git log gives them)."""
    ordered = sorted(commits, key=lambda c: c.date)
    first, last = ordered[0], ordered[-1]
    touched = Counter(f for c in ordered for f in c.files)
    files = tuple(f for f, _ in touched.most_common(SHOWN_FILES))
    areas = Counter(area(f) for c in ordered for f in c.files)
    refs = sorted({n for c in ordered for n in c.refs()})
    topic = REF.sub("", first.subject).strip(" ()[]:-") or first.subject
    if key.startswith("ref:"):
        title = f"{', '.join(f'#{n}' for n in refs)}: {topic}"
        slug = slugify(f"{key[4:]}-{topic}", 60)
        aliases = tuple(alias for n in refs for alias in (f"#{n}", f"gh-{n}"))
    else:
        title = f"Changes to {key[5:]}: {topic}"
        slug = slugify(f"{key[5:].rsplit('/', 1)[-1]}-changes", 60)
        aliases = (key[5:],)
    authors = list(dict.fromkeys(c.author for c in reversed(ordered)))
    folder = areas.most_common(1)[0][0] if areas else "project/general"
    return Draft(
        key=f"git:{key}", title=title[:200].rstrip(), folder=folder,
        slug=slug, body=_body(ordered, files, len(touched), authors), type="episode",
        summary=_summary(ordered, authors), tags=("imported", "git", *(f"ref-{n}" for n in refs)),
        aliases=aliases, files=files[:SOURCE_FILES], anchors=files[:MAX_ANCHORS],
        by=f"person:{last.author}", commit=last.sha[:12],
        created=first.date, updated=last.date, importance=55 if refs else 45,
        origin={"kind": "git", "file": "git log", "group": key, "commits": str(len(ordered)),
                "first": first.sha[:12], "last": last.sha[:12]})


def _summary(ordered: list[Commit], authors: list[str]) -> str:
    span = ordered[0].date[:10] if len(ordered) == 1 else f"{ordered[0].date[:10]} to {ordered[-1].date[:10]}"
    n = len(ordered)
    return f"{n} commit{'s' if n > 1 else ''}, {span}, by {', '.join(authors[:3])}" + \
        (f" and {len(authors) - 3} more" if len(authors) > 3 else "") + "."


def _body(ordered: list[Commit], files: tuple[str, ...], nfiles: int, authors: list[str]) -> str:
    lines = []
    shown = ordered[-SHOWN_COMMITS:]
    if len(ordered) > len(shown):
        lines.append(f"({len(ordered) - len(shown)} earlier commits not shown)\n")
    for c in shown:
        lines.append(f"- {c.date[:10]} {c.sha[:10]} ({c.author}): {c.subject}")
        lines.extend(f"  {ln}" for ln in c.body.splitlines()[:6] if ln.strip())
    more = f" (and {nfiles - len(files)} more)" if nfiles > len(files) else ""
    lines.append(f"\nFiles: {', '.join(files)}{more}")
    lines.append(f"Authors: {', '.join(authors)}")
    return "\n".join(lines)
