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

def _commands() -> list[str]:
    from memtree.cli.main import app  # importing main registers every command

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
    """Each module is named in docs/architecture.md: by its path, or by its name in a row that
    names another module of its package by path."""
    lines = (ROOT / "docs" / "architecture.md").read_text().splitlines()
    missing = []
    for module in _modules():
        rel = module.relative_to(SRC).as_posix()
        package = rel.rsplit("/", 1)[0] if "/" in rel else ""
        if module.name == "__init__.py" and package not in ("agents", ""):
            continue  # a package's docstring says what it holds
        named = any(f"`{rel}`" in line or (package and f"`{module.name}`" in line
                                           and f"`{package}/" in line) for line in lines)
        if not named and not (not package and f"`{module.name}`" in "\n".join(lines)):
            missing.append(rel)
    assert missing == []
