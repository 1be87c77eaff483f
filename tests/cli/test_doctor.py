"""`memtree doctor`: each kind of problem is reported on a real tree in a real git repository,
`--fix` makes the safe repairs, and the exit code is 10 while problems remain."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from conftest import Run


@pytest.fixture
def project(run: Run, tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    run("init")
    run("add", "Sign tokens", "-p", "auth/tokens")
    run("add", "Rotate keys", "-p", "auth/keys", "--link", "depends_on=auth/tokens/sign-tokens")
    return project


def _findings(run: Run, *args: str) -> tuple[int, list[dict[str, object]]]:
    out = run("doctor", "--json", *args)
    return out.returncode, json.loads(out.stdout)["findings"]


def test_a_healthy_tree_passes(run: Run, project: Path) -> None:
    out = run("doctor")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "ok: nothing wrong" in out.stdout


def test_reports_every_kind_and_fails(run: Run, project: Path) -> None:
    memory = project / ".memory"
    (memory / "auth" / "tokens" / "broken.md").write_text("---\ntitle: [unclosed\n---\n")
    sign = (memory / "auth" / "tokens" / "sign-tokens.md").read_text()
    (memory / "auth" / "tokens" / "copy.md").write_text(sign.replace("Sign tokens", "Copy"))
    keys = memory / "auth" / "keys" / "rotate-keys.md"
    keys.write_text(keys.read_text().replace("auth/tokens/sign-tokens", "auth/tokens/gone"))
    temp = memory / "auth" / ".copy.md.0123456789.tmp"
    temp.write_text("half")
    os.utime(temp, (time.time() - 3600, time.time() - 3600))
    (project / ".gitignore").write_text(".memory/auth/keys/\n")
    code, found = _findings(run)
    assert code == 10
    kinds = {(f["check"], f["severity"]) for f in found}
    assert {("invalid", "error"), ("duplicate-id", "error"), ("dangling", "error"),
            ("temp", "warning"), ("orphan", "info")} <= kinds
    ignored = [f for f in found if f["check"] == "git" and "ignored" in str(f["message"])]
    assert [f["path"] for f in ignored] == [".memory/auth/keys/rotate-keys.md"]
    assert any(f["check"] == "index" for f in found)  # files written behind the index's back


def test_fix_repairs_the_safe_ones(run: Run, project: Path) -> None:
    memory = project / ".memory"
    temp = memory / "auth" / ".x.md.abcdef0123.tmp"
    temp.write_text("half")
    os.utime(temp, (time.time() - 3600, time.time() - 3600))
    young = memory / "auth" / ".y.md.abcdef0124.tmp"
    young.write_text("a write in progress")
    bare = memory / "auth" / "tokens" / "no-id.md"
    bare.write_text("---\ntitle: No id\n---\nbody\n")
    code, found = _findings(run, "--fix")
    fixed = {f["check"] for f in found if f["fixed"]}
    assert {"temp", "invalid", "index"} <= fixed
    assert not temp.exists() and young.exists()
    assert "id:" in bare.read_text()
    assert code == 10  # the hand-made files are not committed yet
    run("commit")
    young.unlink()
    assert run("doctor").returncode == 0


def test_git_state_mid_merge_and_hooks(run: Run, project: Path) -> None:
    git_dir = project / ".git"
    (git_dir / "MERGE_HEAD").write_text("0" * 40 + "\n")
    settings = project / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"hooks": {"UserPromptSubmit": [{"hooks": [
        {"type": "command", "command": "/nowhere/memtree hook claude-code UserPromptSubmit"}]}]}}))
    code, found = _findings(run)
    assert code == 10
    assert any(f["check"] == "git" and "merge" in str(f["message"]) for f in found)
    hooks = [f for f in found if f["check"] == "hooks"]
    assert hooks and hooks[0]["severity"] == "error" and "/nowhere/memtree" in str(hooks[0]["message"])


def test_hooks_compare_the_installing_version(run: Run, project: Path) -> None:
    from importlib.metadata import version

    running = version("memtree")
    assert run("install", "claude-code").returncode == 0
    record = project / ".memory" / ".local" / "installed.json"
    assert json.loads(record.read_text())["claude-code"]["version"] == running
    _, found = _findings(run)
    hooks = [f for f in found if f["check"] == "hooks"]
    assert hooks and all(f["severity"] == "info" for f in hooks)
    assert f"by memtree {running}, the version running" in str(hooks[0]["message"])

    data = json.loads(record.read_text())
    data["claude-code"]["version"] = "0.0.1"  # as an older memtree would have recorded it
    record.write_text(json.dumps(data))
    code, found = _findings(run)
    stale = [f for f in found if f["check"] == "hooks"]
    assert code == 10 and stale[0]["severity"] == "warning"
    assert f"stale: installed by memtree 0.0.1, running {running}" in str(stale[0]["message"])
    assert "`memtree install claude-code`" in str(stale[0]["fix"])
    human = run("doctor")
    assert "memtree install claude-code" in human.stdout

    record.unlink()  # installed before versions were recorded, or on another machine
    _, found = _findings(run)
    assert "an unrecorded memtree version" in str([f for f in found if f["check"] == "hooks"][0]["message"])

    assert run("install", "claude-code").returncode == 0  # the fix the report names
    assert all(f["severity"] == "info" for f in _findings(run)[1] if f["check"] == "hooks")
    assert run("uninstall", "claude-code").returncode == 0
    assert not record.exists()


def test_an_older_root_gets_the_obsidian_ignore_lines(run: Run, project: Path) -> None:
    memory = project / ".memory"
    (memory / ".gitignore").write_text(".index/\n.local/\n# kept\nscratch/\n")  # as older roots have it
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run(["git", "commit", "-qm", "older root"], cwd=project, check=True)
    code, found = _findings(run)
    ignores = [f for f in found if f["path"] == ".gitignore"]
    assert code == 10 and ignores and ignores[0]["severity"] == "warning"
    assert ".obsidian/, .trash/" in str(ignores[0]["message"])

    code, found = _findings(run, "--fix")
    assert any(f["path"] == ".gitignore" and f["fixed"] for f in found)
    assert (memory / ".gitignore").read_text() == ".index/\n.local/\n# kept\nscratch/\n.obsidian/\n.trash/\n"
    (memory / ".obsidian").mkdir()
    (memory / ".obsidian" / "workspace.json").write_text("{}")
    status = subprocess.run(["git", "status", "--porcelain"], cwd=project, capture_output=True,
                            text=True, check=True).stdout
    assert status == ""  # the fix is committed and Obsidian's state is ignored
    assert not [f for f in _findings(run)[1] if f["path"] == ".gitignore"]


def test_init_on_an_existing_root_adds_the_lines(run: Run, project: Path) -> None:
    memory = project / ".memory"
    (memory / ".gitignore").write_text(".index/\n.local/")  # no final newline
    assert run("init").returncode == 0
    assert (memory / ".gitignore").read_text() == ".index/\n.local/\n.obsidian/\n.trash/\n"
