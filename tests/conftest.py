"""Shared fixtures: real memory roots in temporary folders, and the `memtree` command run either
in this process through its error boundary (`run`, fast) or as the installed program in a real
subprocess (`run_process`, where the process itself is the point)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from memtree import Memory

MEMTREE = Path(sys.executable).with_name("memtree")


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("MEMTREE_AUTHOR", "person:tester")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Tester")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "tester@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Tester")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "tester@example.com")
    monkeypatch.delenv("MEMTREE_ROOT", raising=False)
    monkeypatch.delenv("MEMTREE_PERSONAL", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("MEMTREE_RESIDENT", "off")  # tests/resident turn it on in a folder of their own


@pytest.fixture
def memory(tmp_path: Path) -> Memory:
    return Memory.init(tmp_path / "project")


Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run(tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run `memtree` in this process, as the console script does (`memtree.__main__.main`:
    the hook and query fast paths, then the CLI and its error boundary), with the given working
    folder, environment and standard input; output captured like a subprocess's."""
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)

    def _run(*args: str, input: str | None = None, cwd: Path | None = None,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        from memtree.__main__ import main

        with monkeypatch.context() as patch:
            patch.chdir(cwd or project)
            for key, value in (env or {}).items():
                patch.setenv(key, value)
            fed = tmp_path / ".stdin"  # a real file: select() and fileno() work as on a pipe
            fed.write_text(input or "", encoding="utf-8")
            with open(fed, encoding="utf-8") as stdin:
                patch.setattr(sys, "stdin", stdin)
                capfd.readouterr()
                try:
                    code = main(list(args))
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else 1
                out, err = capfd.readouterr()
        return subprocess.CompletedProcess([str(MEMTREE), *args], code, out, err)

    return _run


@pytest.fixture
def run_process(tmp_path: Path) -> Run:
    """Run the installed `memtree` command in a subprocess (cwd: the project folder)."""
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)

    def _run(*args: str, input: str | None = None, cwd: Path | None = None,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, **(env or {})}
        return subprocess.run(
            [str(MEMTREE), *args], cwd=cwd or project, input=input if input is not None else "",
            capture_output=True, text=True, env=full_env, timeout=60,
        )

    return _run
