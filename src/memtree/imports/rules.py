"""Rules and instructions files (CLAUDE.md, AGENTS.md, `.cursor/rules/*.mdc`, …) split into
drafts: one per section under a heading, and one per lead-in bullet group ("Do:", "Don't:")
when a section holds several. memtree's own marked blocks are never imported. Pure: text in,
drafts out."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..entries.layout import slugify
from .draft import Draft

MARKERS = ("<!-- memtree:begin -->", "<!-- memtree:end -->")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
LEAD_IN = re.compile(r"^\s*(?:\*\*|__)?[^-*+\s].{0,80}?:(?:\*\*|__)?\s*$")
DO_DONT = re.compile(r"\b(?:do|don'?t|never|avoid|always|must(?: not)?|should(?:n'?t| not)?)\b", re.I)
COMMANDS = re.compile(r"\b(?:commands?|build(?:ing)?|tests?|testing|run(?:ning)?|setup|install|"
                      r"scripts?|lint(?:ing)?|develop(?:ment)?|workflow)\b", re.I)
SHELL = re.compile(r"`(?:npm|pnpm|yarn|make|pytest|python3?|uv|pip|cargo|go|git|docker|ruff|mypy|"
                   r"\./|bun|npx|just|tox|nox|gradle|mvn)\b[^`]*`")
PATHLIKE = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)+[\w.-]+|[\w-]+\.(?:py|ts|tsx|js|jsx|go|rs|rb|"
                      r"java|kt|toml|json|ya?ml|cfg|ini|md|sh|sql|c|h|cpp))(?![\w/])")
MAX_ANCHORS = 5


@dataclass(frozen=True)
class Section:
    """The text directly under one heading (not its sub-headings), with 1-based line numbers."""

    headings: tuple[str, ...]
    start: int
    end: int
    lines: tuple[str, ...]


def front_matter(text: str) -> tuple[dict[str, str], int]:
    """A Cursor rule's `key: value` frontmatter (read line by line: `globs: *.ts` is not YAML)
    and how many lines it takes (0 when there is none)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, 0
    meta: dict[str, str] = {}
    for number, line in enumerate(lines[1:], 2):
        if line.strip() == "---":
            return meta, number
        key, sep, value = line.partition(":")
        if sep and key.strip():
            meta[key.strip()] = value.strip().strip("\"'")
    return {}, 0


def without_marked_blocks(lines: list[str]) -> list[str]:
    """The lines with memtree's own marked blocks blanked (line numbers stay right)."""
    out, inside = [], False
    for line in lines:
        if line.strip() == MARKERS[0]:
            inside = True
        out.append("" if inside else line)
        if inside and line.strip() == MARKERS[1]:
            inside = False
    return out


def sections(lines: list[str], first: int = 1) -> list[Section]:
    """Sections of markdown lines (numbered from `first`); headings inside code fences ignored."""
    out: list[Section] = []
    stack: list[tuple[int, str]] = []
    start, body, fenced = first, [], False
    for number, line in enumerate(lines, first):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        found = None if fenced else HEADING.match(line)
        if found is None:
            body.append(line)
            continue
        out.append(_section(stack, start, body))
        level = len(found.group(1))
        stack = [(lv, h) for lv, h in stack if lv < level] + [(level, _plain(found.group(2)))]
        start, body = number, []
    out.append(_section(stack, start, body))
    return [s for s in out if any(ln.strip() for ln in s.lines)]


def _section(stack: list[tuple[int, str]], start: int, body: list[str]) -> Section:
    """A section whose line range ends at its last non-blank line."""
    while body and not body[-1].strip():
        body = body[:-1]
    heading = 1 if stack else 0
    return Section(tuple(h for _, h in stack), start, start + heading + len(body) - 1, tuple(body))


def _plain(text: str) -> str:
    return re.sub(r"[*_`]+", "", text).strip()


def groups(section: Section) -> list[tuple[str, int, int, list[str]]]:
    """(lead-in, start, end, lines) for each bullet group introduced by a lead-in line, when the
    section holds at least two; else the whole section as one part with no lead-in."""
    found: list[tuple[str, int, int, list[str]]] = []
    lines = list(section.lines)
    offset = section.start + 1 if section.headings else section.start
    i = 0
    while i < len(lines):
        if LEAD_IN.match(lines[i]) and i + 1 < len(lines) and BULLET.match(lines[i + 1]):
            j = i + 1
            while j < len(lines) and (BULLET.match(lines[j]) or lines[j].startswith((" ", "\t"))):
                j += 1
            found.append((_plain(lines[i]).rstrip(":").strip(), offset + i, offset + j - 1,
                          lines[i:j]))
            i = j
        else:
            i += 1
    if len(found) < 2:
        return [("", section.start, section.end, lines)]
    return found


def kind_of(title: str, text: str) -> tuple[str, str]:
    """(entry type, tag): commands are how-tos, do/don't lists and the rest conventions."""
    if SHELL.search(text) or "```" in text or COMMANDS.search(title):
        if not DO_DONT.search(title):
            return "how-to", "commands"
    if DO_DONT.search(title) or sum(bool(DO_DONT.search(ln)) for ln in text.split("\n")) >= 2:
        return "convention", "do-dont"
    return "convention", "conventions"


def code_paths(text: str, exists: object) -> tuple[str, ...]:
    """Project files the text names (`exists(path)` says whether one is a file), in order."""
    seen: list[str] = []
    for match in PATHLIKE.finditer(text):
        path = match.group(1).strip(".").removeprefix("./")
        if path and path not in seen and callable(exists) and exists(path):
            seen.append(path)
        if len(seen) >= MAX_ANCHORS:
            break
    return tuple(seen)


def summary_of(text: str) -> str:
    """The first sentence of the first prose or bullet line, at most 160 characters."""
    for line in text.split("\n"):
        plain = BULLET.sub("", line).strip()
        if plain and not plain.startswith(("```", "|", "<!--")) and not LEAD_IN.match(line):
            sentence = re.split(r"(?<=[.!?])\s", plain, maxsplit=1)[0]
            return sentence if len(sentence) <= 160 else sentence[:157].rstrip() + "…"
    return ""


def drafts(text: str, rel: str, source: str, exists: object) -> list[Draft]:
    """Drafts for one rules file at project path `rel`; `source` names its kind (`claude-md`,
    `cursor-rules`, …) and `exists(path)` says whether a named code path is a project file."""
    meta, skip = front_matter(text)
    lines = without_marked_blocks(text.split("\n"))
    found = sections(lines[skip:], first=skip + 1)
    top = _document_title(found)
    folder = f"project/{source}" + (f"/{slugify(rel.rsplit('/', 1)[-1].rsplit('.', 1)[0])}"
                                    if source == "cursor-rules" else "")
    out: list[Draft] = []
    used: dict[str, int] = {}
    for section in found:
        names = tuple(h for h in section.headings if h != top) or (top or _file_title(rel),)
        for lead, start, end, part in groups(section):
            title = " / ".join(names) + (f": {lead}" if lead else "")
            slug = slugify(title)
            used[slug] = used.get(slug, 0) + 1
            if used[slug] > 1:
                slug = f"{slug[:55]}-{used[slug]}"
            out.append(_draft(rel, source, folder, slug, title, "\n".join(part).strip("\n"),
                              (start, end), meta, exists))
    return out


def _document_title(found: list[Section]) -> str:
    """The single level-one heading a file opens with (not repeated in every title), if any."""
    tops = {s.headings[0] for s in found if s.headings}
    return next(iter(tops)) if len(tops) == 1 else ""


def _file_title(rel: str) -> str:
    return rel.rsplit("/", 1)[-1]


def _draft(rel: str, source: str, folder: str, slug: str, title: str, body: str,
           span: tuple[int, int], meta: dict[str, str], exists: object) -> Draft:
    kind, tag = kind_of(title, body)
    origin = {"file": rel, "lines": f"{span[0]}-{span[1]}", "section": title, "kind": source}
    if meta.get("globs"):
        origin["globs"] = meta["globs"]
    summary = meta.get("description", "") if source == "cursor-rules" else ""
    tags = ("imported", source, tag) + (("always-apply",) if meta.get("alwaysApply") == "true" else ())
    return Draft(key=f"{rel}#{slug}", title=title, folder=folder, slug=slug, body=body,
                 type=kind, summary=summary or summary_of(body), tags=tags, origin=origin,
                 files=(rel,), anchors=code_paths(body, exists),
                 importance=60 if tag == "do-dont" else 55)
