"""How installed agent configs start memtree: a portable launcher that works without memtree on
PATH, and files written with the modes a user expects."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

from agents_support import build_tree
from conftest import MEMTREE

BARE_PATH = "/usr/bin:/bin"  # what a desktop-launched agent may have: no virtualenv, no ~/.local


def _install(project: Path, home: Path, *args: str, umask: int = 0o022) -> dict[str, object]:
    env = {**os.environ, "HOME": str(home)}
    env.pop("XDG_CONFIG_HOME", None)
    done = subprocess.run([str(MEMTREE), "install", "claude-code", "--json", *args], cwd=project,
                          env=env, capture_output=True, text=True, timeout=60,
                          preexec_fn=lambda: os.umask(umask))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _hook_line(project: Path, event: str) -> str:
    settings = json.loads((project / ".claude/settings.json").read_text())
    return str(settings["hooks"][event][0]["hooks"][0]["command"])


def _run_hook(line: str, project: Path, home: Path, event: str) -> subprocess.CompletedProcess[str]:
    payload = json.dumps({"session_id": "s1", "cwd": str(project), "hook_event_name": event,
                          "source": "startup"})
    env = {"HOME": str(home), "PATH": BARE_PATH}
    return subprocess.run(line, shell=True, cwd=project, env=env, input=payload,
                          capture_output=True, text=True, timeout=60)


def test_hooks_run_memtree_when_it_is_not_on_path(tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_tree(project)
    home = tmp_path / "home"
    report = _install(project, home)
    line = _hook_line(project, "SessionStart")
    assert str(MEMTREE) not in line and str(tmp_path) not in line  # the same for every teammate
    recorded = home / ".config/memtree/command"
    assert recorded.read_text().strip() == str(MEMTREE.resolve())
    assert any(str(recorded) in note for note in report["notes"])  # type: ignore[union-attr]
    done = _run_hook(line, project, home, "SessionStart")
    assert done.returncode == 0, done.stderr
    context = json.loads(done.stdout)["hookSpecificOutput"]["additionalContext"]
    assert "Never commit secrets" in context
    server = json.loads((project / ".mcp.json").read_text())["mcpServers"]["memtree"]
    assert server["command"] == "sh" and server["args"][-3:] == ["mcp", "--agent", "claude-code"]


def test_hooks_do_nothing_quietly_where_memtree_is_missing(tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_tree(project)
    _install(project, tmp_path / "home")
    elsewhere = tmp_path / "other-home"  # a teammate without memtree: nothing recorded, not on PATH
    done = _run_hook(_hook_line(project, "SessionStart"), project, elsewhere, "SessionStart")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_files_follow_the_umask_and_rewritten_files_keep_their_mode(tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_tree(project)
    (project / "CLAUDE.md").write_text("# Notes\n")
    os.chmod(project / "CLAUDE.md", 0o644)
    _install(project, tmp_path / "home", "--command", "memtree", umask=0o027)
    assert _mode(project / "CLAUDE.md") == 0o644
    assert _mode(project / ".mcp.json") == 0o640
    assert _mode(project / ".claude/settings.json") == 0o640
    subprocess.run([str(MEMTREE), "uninstall", "claude-code"], cwd=project, check=True,
                   capture_output=True, timeout=60)
    assert _mode(project / "CLAUDE.md") == 0o644 and (project / "CLAUDE.md").read_text() == "# Notes\n"
    umask = os.umask(0o022)
    os.umask(umask)
    entry = next((project / ".memory").rglob("never-commit-secrets.md"))
    assert _mode(entry) == 0o666 & ~umask  # written by Memory.add in this process


def test_user_level_install_writes_only_the_users_files_and_uninstall_removes_them(
        tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_tree(project)
    home = tmp_path / "home"
    (home / ".claude").mkdir(parents=True)
    (home / ".claude.json").write_text('{"numStartups": 3}\n')
    env = {**os.environ, "HOME": str(home)}
    done = subprocess.run([str(MEMTREE), "install", "claude-code", "--user", "--json"], cwd=project,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    paths = {f["path"]: f["action"] for f in json.loads(done.stdout)["files"]}
    assert paths == {"~/.claude/settings.json": "created", "~/.claude.json": "updated",
                     "~/.claude/CLAUDE.md": "created"}
    notes = " ".join(json.loads(done.stdout)["notes"])
    assert ".mcp.json" not in notes  # the project's file: a user install does not write it
    assert sorted(p.name for p in project.iterdir()) == [".memory"]
    state = json.loads((home / ".claude.json").read_text())
    assert state["numStartups"] == 3 and state["mcpServers"]["memtree"]["alwaysLoad"] is True
    settings = json.loads((home / ".claude/settings.json").read_text())
    assert "mcp__memtree__query" in settings["permissions"]["allow"]
    subprocess.run([str(MEMTREE), "uninstall", "claude-code", "--user"], cwd=project, env=env,
                   check=True, capture_output=True, timeout=60)
    assert json.loads((home / ".claude.json").read_text()) == {"numStartups": 3}
    assert not (home / ".claude/settings.json").exists() and not (home / ".claude/CLAUDE.md").exists()
    done = subprocess.run([str(MEMTREE), "install", "gemini", "--user", "--json"], cwd=project,
                          env=env, capture_output=True, text=True, timeout=60)
    assert {f["path"] for f in json.loads(done.stdout)["files"]} == {
        "~/.gemini/settings.json", "~/.gemini/GEMINI.md", "~/.gemini/policies/memtree.toml"}
    settings = json.loads((home / ".gemini/settings.json").read_text())
    assert "memtree" in settings["mcpServers"] and "BeforeAgent" in settings["hooks"]
    subprocess.run([str(MEMTREE), "uninstall", "gemini", "--user"], cwd=project, env=env,
                   check=True, capture_output=True, timeout=60)
    assert not (home / ".gemini/settings.json").exists()
    assert sorted(p.name for p in project.iterdir()) == [".memory"]
    refused = subprocess.run([str(MEMTREE), "install", "codex", "--user"], cwd=project, env=env,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "no user-level install" in refused.stderr
