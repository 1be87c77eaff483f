"""Decision records (`docs/adr/`, `docs/decisions/`) in the common templates (Nygard: a
`## Status` section; MADR: `status:` frontmatter or a `* Status:` line) as decision drafts, with
their status, and which record supersedes which. Pure: text in, drafts out."""

from __future__ import annotations

import re

from ..entries.layout import slugify
from .draft import Draft
from .rules import code_paths, front_matter, summary_of, without_marked_blocks

H1 = re.compile(r"^#\s+(.+?)\s*$")
STATUS_LINE = re.compile(r"^\s*(?:[-*]\s*)?(?:\*\*)?status(?:\*\*)?\s*:\s*(?:\*\*)?\s*(.+)$", re.I)
STATUS_HEADING = re.compile(r"^#{2,3}\s+status\s*$", re.I)
NUMBER = re.compile(r"^(\d+)")
NUMBERED = re.compile(r"^(?:adr[-\s]?)?\d+\s*[.:)-]?\s*", re.I)
SUPERSEDED = re.compile(r"superseded\s+by\b(.*)", re.I)
LINK = re.compile(r"\]\(([^)#\s]+\.md)\)")
REF_NUMBER = re.compile(r"\b(?:adr[-\s]?)?0*(\d+)\b", re.I)
SKIP_NAMES = {"readme.md", "index.md", "template.md", "adr-template.md", "_template.md"}


def is_record(name: str) -> bool:
    """Whether a file in a decisions folder is a record (not its README, index or template)."""
    return name.lower().endswith(".md") and name.lower() not in SKIP_NAMES


def status_of(lines: list[str], meta: dict[str, str]) -> str:
    """The status text as written: MADR frontmatter, a `Status:` line or a `## Status` section."""
    if meta.get("status"):
        return meta["status"]
    for i, line in enumerate(lines):
        found = STATUS_LINE.match(line)
        if found:
            return found.group(1).strip().rstrip("*").strip()
        if STATUS_HEADING.match(line):
            following = (ln.strip() for ln in lines[i + 1:] if ln.strip())
            return next(following, "").lstrip("-* ").strip()
    return ""


def superseding(status: str, names: dict[int, str]) -> str:
    """The file name of the record that supersedes this one, from a link or an ADR number."""
    found = SUPERSEDED.search(status)
    if not found:
        return ""
    rest = found.group(1)
    link = LINK.search(rest)
    if link:
        return link.group(1).rsplit("/", 1)[-1]
    number = REF_NUMBER.search(rest)
    return names.get(int(number.group(1)), "") if number else ""


def label_of(status: str) -> str:
    """A one-word status label: accepted, proposed, superseded, deprecated, rejected, …"""
    word = re.sub(r"[^a-z ]", " ", status.lower()).split()
    return word[0] if word else "unknown"


def draft(text: str, rel: str, names: dict[int, str], exists: object) -> Draft:
    """The decision draft of one record at project path `rel`; `names` maps record numbers to
    file names in the same folder (to follow "Superseded by ADR-5")."""
    meta, skip = front_matter(text)
    lines = without_marked_blocks(text.split("\n"))
    body_lines = lines[skip:]
    name = rel.rsplit("/", 1)[-1]
    number = NUMBER.match(name)
    heading = next((H1.match(ln) for ln in body_lines if H1.match(ln)), None)
    title = heading.group(1).strip() if heading else meta.get("title", name.removesuffix(".md"))
    if number:
        title = f"ADR {int(number.group(1))}: {NUMBERED.sub('', title) or title}"
    body = "\n".join(ln for ln in body_lines if not (heading and ln == heading.group(0))).strip("\n")
    status = status_of(body_lines, meta)
    label = label_of(status)
    folder = "decisions/" + slugify(rel.rsplit("/", 2)[-2] if "/" in rel else "adr")
    later = superseding(status, names)
    directory = rel.rsplit("/", 1)[0] if "/" in rel else ""
    aliases = (f"ADR-{int(number.group(1)):04d}", f"ADR {int(number.group(1))}") if number else ()
    return Draft(
        key=f"{rel}#record", title=title, folder=folder, slug=slugify(name.removesuffix(".md")),
        body=body, type="decision", summary=summary_of(_decision_text(body) or body),
        tags=("imported", "adr", label), aliases=aliases,
        origin={"file": rel, "lines": f"1-{len(lines)}", "section": title, "kind": "adr",
                "status": status or "unknown"},
        files=(rel,), anchors=code_paths(body, exists), importance=65,
        superseded_by=f"{directory}/{later}#record".lstrip("/") if later else "")


def _decision_text(body: str) -> str:
    """The text under the record's decision heading (Nygard `Decision`, MADR `Decision Outcome`)."""
    found = re.search(r"(?ims)^#{2,3}\s+decision(?: outcome)?\s*$(.*?)(?=^#{2,3}\s|\Z)", body)
    return found.group(1).strip() if found else ""
