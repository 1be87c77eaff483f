"""Entry templates: finding the shipped `templates/` folder, listing and filling templates.

A template is an entry-like markdown file whose frontmatter holds defaults (type, tags,
importance, maturity) and a `template_description`; `{{title}}` and `{{date}}` are filled in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import NotFound
from . import codec


@dataclass(frozen=True)
class Template:
    name: str
    description: str
    defaults: dict[str, Any]
    body: str
    path: Path

    def fill(self, title: str, date: str) -> str:
        return self.body.replace("{{title}}", title).replace("{{date}}", date)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, **self.defaults}


def folders(root: Path | None = None) -> list[Path]:
    """Where templates are looked up: the memory's own `.templates/`, then the shipped ones."""
    package = Path(__file__).resolve().parents[1]  # memtree/ (installed) or src/memtree/
    found = []
    if root is not None and (root / ".templates").is_dir():
        found.append(root / ".templates")
    for candidate in (package / "templates", package.parents[1] / "templates"):
        if candidate.is_dir():
            found.append(candidate)
    return found


def available(root: Path | None = None) -> list[Template]:
    seen: dict[str, Template] = {}
    for folder in folders(root):
        for file in sorted(folder.glob("*.md")):
            if file.stem not in seen:
                seen[file.stem] = load(file)
    return sorted(seen.values(), key=lambda t: t.name)


def load(file: Path) -> Template:
    text = file.read_text(encoding="utf-8")
    meta, body = codec.split_meta(text, str(file))
    allowed = {"type", "tags", "importance", "maturity", "aliases", "summary"}
    defaults = {k: v for k, v in meta.items() if k in allowed}
    description = str(meta.get("template_description", ""))
    return Template(file.stem, description, defaults, body, file)


def get(name: str, root: Path | None = None) -> Template:
    for template in available(root):
        if template.name == name:
            return template
    names = ", ".join(t.name for t in available(root)) or "none"
    raise NotFound(f"--template {name!r}: no such template (available: {names})")
