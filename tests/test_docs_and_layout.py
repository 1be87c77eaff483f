"""Docs are checked by tests: every command has help and a section in docs/cli.md; every module
says what it owns; third-party libraries each stay inside their one module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from conftest import Run

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "memtree"

# Which of our modules may import each third-party library (one module per library).
OWNERS = {
    "frontmatter": {"entry.py"},
    "yaml": {"entry.py"},
    "git": {"history.py"},
    "sqlite3": {"index.py"},
    "watchdog": {"watch.py"},
    "mcp": {"mcp_server.py"},
    "typer": {"cli/"},
    "rich": {"render.py", "views.py", "cli/", "progress.py"},
}


def _commands() -> list[str]:
    from memtree.cli import app

    names = []
    for info in app.registered_commands:
        if info.hidden:
            continue
        names.append(info.name or info.callback.__name__.replace("_", "-"))
    for group in app.registered_groups:
        names.append(group.name or "")
    return sorted(n for n in names if n)


def test_every_command_is_documented_in_cli_md() -> None:
    text = (ROOT / "docs" / "cli.md").read_text()
    headings = set(re.findall(r"^### memtree ([a-z-]+)", text, re.M))
    missing = [c for c in _commands() if c not in headings]
    assert missing == []


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help(run: Run, command: str) -> None:
    out = run(command, "--help")
    assert out.returncode == 0, out.stderr
    assert "Usage:" in out.stdout and len(out.stdout.splitlines()) > 3


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py"))


@pytest.mark.parametrize("module", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_module_opens_with_docstring(module: Path) -> None:
    tree = ast.parse(module.read_text())
    doc = ast.get_docstring(tree)
    assert doc, f"{module.relative_to(ROOT)} needs a docstring saying what it owns"
    assert len(doc.splitlines()) <= 6


def _imports(module: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_one_module_per_third_party_library() -> None:
    offenders = []
    for module in _modules():
        rel = module.relative_to(SRC).as_posix()
        for lib in _imports(module) & OWNERS.keys():
            allowed = OWNERS[lib]
            if rel not in allowed and not any(rel.startswith(a) for a in allowed if a.endswith("/")):
                offenders.append(f"{rel} imports {lib}")
    assert offenders == []


def test_modules_stay_small() -> None:
    big = [f"{m.relative_to(SRC)}: {n}" for m in _modules()
           if (n := len(m.read_text().splitlines())) > 450]
    assert big == []


def test_readme_opens_with_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)\n```", text, re.S)
    assert len(blocks) >= 2
    run_cmd, test_cmd = blocks[0], blocks[1]
    assert "memtree" in run_cmd and ".memory-example" in run_cmd and "query" in run_cmd
    assert "pytest" in test_cmd
    ci = (ROOT / ".ci" / "run").read_text()
    assert "test-command" in ci


def test_every_module_is_in_the_architecture_table() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    missing = []
    for module in _modules():
        rel = module.relative_to(SRC).as_posix()
        if rel.startswith("cli/") or rel in ("__init__.py", "__main__.py"):
            continue
        if f"`{module.name}`" not in text and f"`{rel}`" not in text:
            missing.append(rel)
    assert missing == []
