"""`memtree install` / `uninstall` for every agent: idempotent, only memtree's parts, and a
round trip that gives the user's files back byte for byte."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from conftest import Run
from memtree.agents import files

USER_FILES = {
    "CLAUDE.md": "# Project\n\nKeep functions small.\n",
    "AGENTS.md": "Agents: run `make check` first.",  # no final newline
    "GEMINI.md": "# Gemini notes\r\nUse tabs.\r\n",  # CRLF line ends
    ".claude/settings.json": '{\n  "permissions": {\n    "allow": ["Bash(ls)"]\n  },\n'
                             '  "hooks": {\n    "Stop": [{"hooks": [{"type": "command", "command": "say done"}]}]\n  }\n}\n',
    ".mcp.json": '{\n    "mcpServers": {\n        "other": {"command": "other-server"}\n    }\n}',
    ".cursor/mcp.json": '{"mcpServers": {"x": {"command": "y"}}}\n',
    ".cursor/hooks.json": '{\n  "version": 1,\n  "hooks": {\n    "afterFileEdit": [\n      {\n'
                          '        "command": "./fmt.sh"\n      }\n    ]\n  }\n}\n',
    ".codex/config.toml": 'model = "o4"\n\n[mcp_servers.other]\ncommand = "x"\n',
    ".gemini/settings.json": '{\n\t"theme": "dark",\n\t"mcpServers": {}\n}\n',
}
AGENTS = ["claude-code", "cursor", "codex", "gemini"]


def _snapshot(project: Path) -> dict[str, bytes]:
    return {p.relative_to(project).as_posix(): p.read_bytes() for p in sorted(project.rglob("*"))
            if p.is_file() and ".memory" not in p.parts}


def _no_empty(data: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in data.items() if v != {}}


def _write(project: Path, files_: dict[str, str]) -> None:
    for rel, text in files_.items():
        target = project / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode())


@pytest.mark.slow
@pytest.mark.parametrize("with_tree", [True, False])
def test_round_trip_restores_user_files_byte_for_byte(run: Run, tmp_path: Path, with_tree: bool) -> None:
    project = tmp_path / "project"
    if with_tree:
        assert run("init").returncode == 0
    _write(project, USER_FILES)
    before = _snapshot(project)
    for agent in AGENTS:
        out = run("install", agent, "--command", "memtree", "--json")
        assert out.returncode == 0, out.stderr
    assert _snapshot(project) != before
    for agent in AGENTS:
        again = json.loads(run("install", agent, "--command", "memtree", "--json").stdout)
        assert {c["action"] for c in again["files"]} == {"unchanged"}, again
    for agent in AGENTS:
        assert run("uninstall", agent, "--json").returncode == 0
    after = _snapshot(project)
    if with_tree:
        assert after == before
    else:  # without .memory/ to keep originals in, JSON data comes back, re-formatted, minus
        # the empty objects memtree's keys lived in
        assert {k: v for k, v in after.items() if not k.endswith(".json")} == \
               {k: v for k, v in before.items() if not k.endswith(".json")}
        for name in (k for k in before if k.endswith(".json")):
            assert json.loads(after[name]) == _no_empty(json.loads(before[name]))
    assert not (project / ".cursor" / "rules").exists()


def test_installed_files_are_what_each_agent_reads(run: Run, tmp_path: Path) -> None:
    project = tmp_path / "project"
    run("init")
    _write(project, USER_FILES)
    for agent in AGENTS:
        run("install", agent, "--command", "memtree")
    claude = json.loads((project / ".claude/settings.json").read_text())
    assert claude["permissions"] == {"allow": ["Bash(ls)"]}
    local = json.loads((project / ".claude/settings.local.json").read_text())
    assert local == {"permissions": {"allow": [f"mcp__memtree__{t}" for t in ("query", "get", "list", "tree")]},
                     "enabledMcpjsonServers": ["memtree"]}
    assert claude["hooks"]["Stop"][0]["hooks"][0]["command"] == "say done"
    assert claude["hooks"]["UserPromptSubmit"][0]["hooks"][0]["command"] == \
        "memtree hook claude-code UserPromptSubmit"
    assert set(claude["hooks"]) == {"SessionStart", "UserPromptSubmit", "PreCompact", "Stop", "SessionEnd",
                                    "PostToolUse"}
    # The file hook runs for the file tools only (a process per shell command would cost).
    (files_group,) = claude["hooks"]["PostToolUse"]
    assert files_group["matcher"] == "Read|Edit|Write|MultiEdit|NotebookEdit"
    assert files_group["hooks"][0]["command"] == "memtree hook claude-code PostToolUse"
    mcp = json.loads((project / ".mcp.json").read_text())["mcpServers"]
    assert mcp["memtree"]["args"] == ["mcp", "--agent", "claude-code"] and "other" in mcp
    assert mcp["memtree"]["alwaysLoad"] is True
    codex = tomllib.loads((project / ".codex/config.toml").read_text())
    assert codex["model"] == "o4" and codex["mcp_servers"]["memtree"]["command"] == "memtree"
    codex_hooks = json.loads((project / ".codex/hooks.json").read_text())["hooks"]
    assert set(codex_hooks) == {"SessionStart", "UserPromptSubmit", "PreCompact", "Stop", "SessionEnd",
                                "PostToolUse"}
    assert codex_hooks["PostToolUse"][0]["matcher"] == "Bash|apply_patch|Edit|Write"
    gemini = json.loads((project / ".gemini/settings.json").read_text())
    assert gemini["theme"] == "dark" and "BeforeAgent" in gemini["hooks"]
    assert gemini["hooks"]["AfterTool"][0]["matcher"] == "^(read_file|write_file|replace|read_many_files)$"
    assert gemini["mcpServers"]["memtree"]["args"][-1] == "gemini"
    cursor = json.loads((project / ".cursor/hooks.json").read_text())
    assert cursor["hooks"]["afterFileEdit"] == [{"command": "./fmt.sh"}]
    assert "sessionStart" in cursor["hooks"]
    rules = (project / ".cursor/rules/memtree.mdc").read_text()
    assert rules.startswith("---\ndescription:") and "alwaysApply: true" in rules
    for name in ("CLAUDE.md", "AGENTS.md", "GEMINI.md"):
        text = (project / name).read_text()
        assert text.count("<!-- memtree:begin -->") == 1 and "`query`" in text


def test_conflicts_are_refused_without_writing_anything(run: Run, tmp_path: Path) -> None:
    project = tmp_path / "project"
    _write(project, {".codex/config.toml": '[mcp_servers.memtree]\ncommand = "mine"\n'})
    before = _snapshot(project)
    out = run("install", "codex")
    assert out.returncode == 4 and "mcp_servers.memtree" in out.stderr
    assert _snapshot(project) == before
    _write(project, {".claude/settings.json": "{ // comments are not JSON\n}"})
    before = _snapshot(project)
    out = run("install", "claude-code")
    assert out.returncode == 5 and ".claude/settings.json" in out.stderr
    assert _snapshot(project) == before
    _write(project, {".cursor/rules/memtree.mdc": "my own rules\n"})
    assert run("install", "cursor").returncode == 4
    assert run("install", "vim").returncode == 2


def test_uninstall_keeps_changes_the_user_made_since(run: Run, tmp_path: Path) -> None:
    project = tmp_path / "project"
    run("init")
    _write(project, {"CLAUDE.md": "# Top\n"})
    run("install", "claude-code", "--command", "memtree")
    text = (project / "CLAUDE.md").read_text() + "\n## Added later\n"
    (project / "CLAUDE.md").write_text(text)
    settings = json.loads((project / ".claude/settings.json").read_text())
    settings["model"] = "opus"
    (project / ".claude/settings.json").write_text(json.dumps(settings, indent=2))
    run("uninstall", "claude-code")
    assert (project / "CLAUDE.md").read_text() == "# Top\n\n## Added later\n"
    assert json.loads((project / ".claude/settings.json").read_text()) == {"model": "opus"}


@pytest.mark.parametrize("original", ["", "x", "x\n", "x\n\n", "a\nb\r\n", "<!-- memtree:begin -->"[:5]])
def test_marked_block_round_trip(original: str) -> None:
    markers = files.MD_MARKERS
    once = files.set_block(original or None, "rules", markers)
    assert files.set_block(once, "rules", markers) == once
    assert files.set_block(once, "new rules", markers).count("new rules") == 1
    assert files.remove_block(once, markers) == original


def test_unterminated_block_is_reported() -> None:
    with pytest.raises(Exception, match="no matching"):
        files.remove_block("<!-- memtree:begin -->\nhalf", files.MD_MARKERS)


@pytest.mark.parametrize("like,expected", [
    (None, '{\n  "a": 1\n}\n'),
    ('{\n    "b": 2\n}', '{\n    "a": 1\n}'),
    ('{\n\t"b": 2\n}\n', '{\n\t"a": 1\n}\n'),
    ('{"b": 2}', '{"a": 1}'),
])
def test_json_keeps_the_file_style(like: str | None, expected: str) -> None:
    assert files.dump_json({"a": 1}, like) == expected
