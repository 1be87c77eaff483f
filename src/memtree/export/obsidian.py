"""An Obsidian vault: each entry at its own path with its frontmatter unchanged (Obsidian shows
it as properties) and, after the body, a marked `## Relations` section of `[[domain/topic/slug]]` links
so the vault's graph view shows memtree's relations. Wikilinks by slug resolve because file
names are the slugs. The import removes the section again, and reports notes made in Obsidian without
frontmatter, with the command that adopts each.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..entries import codec

START, END = "\n\n<!-- memtree:relations -->\n", "<!-- /memtree:relations -->\n"
SECTION = re.compile(re.escape(START) + r".*?" + re.escape(END) + r"\Z", re.S)


def write(files: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for rel, text in files.items():
        if rel.endswith("_index.md") or not text.startswith("---\n"):
            out[rel] = text
            continue
        item = codec.parse(text, rel.removesuffix(".md"))
        links = [f"- {r.type}: [[{r.target}]]\n" for r in item.relations]
        out[rel] = text + START + "## Relations\n" + "".join(links) + END if links else text
    return out


def read(folder: Path) -> tuple[dict[str, str], list[dict[str, str]]]:
    files: dict[str, str] = {}
    reported: list[dict[str, str]] = []
    for file in sorted(folder.rglob("*.md")):
        rel = file.relative_to(folder).as_posix()
        if rel.split("/", 1)[0] in (".obsidian", ".trash"):
            continue
        text = file.read_text(encoding="utf-8")
        if rel.endswith("_index.md"):
            files[rel] = text
            continue
        if not text.startswith("---\n"):
            folder_of = "/".join(rel.split("/")[:-1]) or "DOMAIN/TOPIC"
            reported.append({
                "path": rel, "message": "a note without frontmatter (made in Obsidian)",
                "fix": f'memtree add "{file.stem}" --path {folder_of} --file "{file}"'})
            continue
        files[rel] = SECTION.sub("", text)
    return files, reported
