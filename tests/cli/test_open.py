"""`memtree open`: the entry's own file opened in $VISUAL/$EDITOR (a real stand-in editor script
on PATH, run by the installed command), else the system opener; every form of reference a person
types; did-you-mean on a miss; `--print` for scripts; a save that breaks the file is named."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from conftest import Run

EDITOR = """#!/bin/sh
# a stand-in editor: records what it was asked to open, then appends a line to it
echo "$0 $*" >> "{log}"
for last; do :; done
echo "{line}" >> "$last"
"""


@pytest.fixture
def project(run_process: Run, tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    assert run_process("init", "--no-autocommit").returncode == 0
    out = run_process("add", "Sign tokens with RS256", "-p", "auth/tokens", "--body", "Use RS256.")
    assert out.returncode == 0, out.stderr
    return project


def _tool(tmp_path: Path, name: str, line: str = "edited by hand") -> tuple[dict[str, str], Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / f"{name}.log"
    script = bin_dir / name
    script.write_text(EDITOR.format(log=log, line=line))
    script.chmod(0o755)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "VISUAL": "", "EDITOR": ""}
    return env, log


def _entry_id(project: Path) -> str:
    text = (project / ".memory/auth/tokens/sign-tokens-with-rs256.md").read_text()
    return next(line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("id: "))


def test_every_reference_form_opens_the_file(run_process: Run, project: Path, tmp_path: Path) -> None:
    env, log = _tool(tmp_path, "fake-editor")
    file = project / ".memory/auth/tokens/sign-tokens-with-rs256.md"
    refs = [("auth/tokens/sign-tokens-with-rs256", project), ("auth/tokens/sign-tokens-with-rs256.md", project),
            (".memory/auth/tokens/sign-tokens-with-rs256.md", project), (str(file), tmp_path),
            ("sign-tokens-with-rs256.md", file.parent), ("tokens/sign-tokens-with-rs256", project / ".memory/auth"),
            ("[[sign-tokens-with-rs256]]", project), ("sign tokens with rs256", project),
            (_entry_id(project), project)]
    for ref, cwd in refs:
        out = run_process("open", ref, cwd=cwd, env={**env, "EDITOR": "fake-editor --wait"})
        assert out.returncode == 0, (ref, out.stderr)
    opened = log.read_text().splitlines()
    assert len(opened) == len(refs)
    assert all(line.endswith(f"--wait {file}") for line in opened)
    assert file.read_text().count("edited by hand") == len(refs)  # the file itself, not a copy


def test_visual_wins_and_print_opens_nothing(run_process: Run, project: Path, tmp_path: Path) -> None:
    env, visual_log = _tool(tmp_path, "visual-editor")
    _, editor_log = _tool(tmp_path, "plain-editor")
    out = run_process("open", "sign-tokens-with-rs256", env={**env, "VISUAL": "visual-editor",
                                                               "EDITOR": "plain-editor"})
    assert out.returncode == 0 and visual_log.exists() and not editor_log.exists()
    printed = run_process("open", "sign-tokens-with-rs256", "--print", env={**env, "EDITOR": "plain-editor"})
    file = project / ".memory/auth/tokens/sign-tokens-with-rs256.md"
    assert printed.returncode == 0 and printed.stdout == f"{file}\n"
    assert not editor_log.exists()


def test_system_opener_when_no_editor(run_process: Run, project: Path, tmp_path: Path) -> None:
    env, log = _tool(tmp_path, "xdg-open")
    out = run_process("open", "sign-tokens-with-rs256", env=env)
    assert out.returncode == 0, out.stderr
    deadline = time.monotonic() + 10
    while not log.exists() and time.monotonic() < deadline:  # the opener is not waited for
        time.sleep(0.05)
    assert log.read_text().strip().endswith("auth/tokens/sign-tokens-with-rs256.md")


def test_no_editor_no_opener_is_one_line(run_process: Run, project: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    out = run_process("open", "sign-tokens-with-rs256",
                      env={"PATH": str(empty), "VISUAL": "", "EDITOR": ""})
    assert out.returncode == 2
    assert "no $VISUAL or $EDITOR set and no system opener found" in out.stderr
    assert "--print" in out.stderr


def test_miss_suggests_and_broken_save_is_named(run_process: Run, project: Path, tmp_path: Path) -> None:
    out = run_process("open", "sign-tokns-with-rs256", "--print")
    assert out.returncode == 3
    assert "did you mean auth/tokens/sign-tokens-with-rs256?" in out.stderr
    env, _ = _tool(tmp_path, "breaker", line="---\nbroken: [")
    file = project / ".memory/auth/tokens/sign-tokens-with-rs256.md"
    file.write_text(file.read_text().replace("---\n", "", 1))  # no frontmatter start: broken
    broken = run_process("open", "sign-tokens-with-rs256", env={**env, "EDITOR": "breaker"})
    assert broken.returncode == 5, broken.stderr
    assert "saved, but it no longer parses" in broken.stderr
    assert "memtree edit auth/tokens/sign-tokens-with-rs256" in broken.stderr
    assert "Use RS256." in file.read_text()  # nothing lost


def test_editor_failure_is_reported(run: Run, project: Path) -> None:
    out = run("open", "sign-tokens-with-rs256", env={"VISUAL": "false"})
    assert out.returncode == 2 and "exited with 1" in out.stderr
