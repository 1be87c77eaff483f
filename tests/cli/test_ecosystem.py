"""The command line fits the shell around it: whole rows when piped, tab-separated on request,
a quiet exit 0 when the reader closes the pipe, colour only on a terminal, one-line usage errors
with exit 2, `--version`, examples in every `--help`, completion, and docs/cli.md that agree
with `--help`."""

from __future__ import annotations

import os
import pty
import re
import subprocess
from pathlib import Path

import pytest

from conftest import MEMTREE, Run

ROOT = Path(__file__).resolve().parents[2]
LONG = "Pgbouncer pooling settings for the main database cluster with a rather long title"


def _commands() -> list[tuple[str, ...]]:
    from memtree.cli.main import app

    found: list[tuple[str, ...]] = []
    for info in app.registered_commands:
        if not info.hidden:
            found.append((info.name or info.callback.__name__.rstrip("_").replace("_", "-"),))
    for group in app.registered_groups:
        found.append((group.name or "",))
    return found


def test_piped_list_keeps_whole_rows_tab_separated(run: Run) -> None:
    run("init")
    run("add", LONG, "-p", "ops/database", "--slug", "pgbouncer")
    out = run("list")
    assert out.returncode == 0
    line = [ln for ln in out.stdout.splitlines() if "pgbouncer" in ln]
    assert line == [f"ops/database/pgbouncer\t{LONG}\tfact\tactive\t50"]
    assert run("--plain", "list").stdout == out.stdout == run("list", "--plain").stdout


def _fill(root: Path, count: int) -> None:
    folder = root / ".memory" / "bulk" / "many"
    folder.mkdir(parents=True)
    for i in range(count):
        (folder / f"entry-{i:04d}.md").write_text(
            f"---\nid: 01HBULK{i:019d}\ntitle: Bulk entry {i} {'x' * 60}\n---\nbody {i}\n")


@pytest.mark.parametrize("pipeline", [
    "memtree list | head -1",
    "memtree log --json | head -1",
    "memtree query bulk --limit 500 --json | head -1",
    "memtree context bulk --budget 200000 --limit 500 | head -1",  # printed through rich
])
def test_closed_pipe_exits_zero_quietly(tmp_path: Path, pipeline: str) -> None:
    project = tmp_path / "piped"
    project.mkdir()
    env = {**os.environ, "PATH": f"{MEMTREE.parent}:{os.environ['PATH']}"}
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run([str(MEMTREE), "init"], cwd=project, check=True, capture_output=True)
    _fill(project, 1500)
    subprocess.run([str(MEMTREE), "add", "Note", "-p", "a/b"], cwd=project, check=True,
                   capture_output=True, env=env)
    script = ("for i in $(seq 1 400); do echo $i >> .memory/a/b/note.md; "
              "git commit -qam \"hand edit $i $(printf 'z%.0s' $(seq 1 200))\"; done")
    subprocess.run(["bash", "-c", script], cwd=project, check=True, env=env)
    assert len(subprocess.run([str(MEMTREE), "log", "--json"], cwd=project, capture_output=True,
                              check=True).stdout) > 200_000  # far more than a pipe's buffer
    done = subprocess.run(["bash", "-c", f"set -o pipefail; {pipeline}"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert len(done.stdout.splitlines()) == 1


def test_colour_only_on_a_terminal_and_no_color_honoured(tmp_path: Path) -> None:
    project = tmp_path / "tty"
    project.mkdir()
    subprocess.run([str(MEMTREE), "init"], cwd=project, check=True, capture_output=True)
    (project / ".memory" / "a" / "b").mkdir(parents=True)
    (project / ".memory" / "a" / "b" / "bad.md").write_text("---\ntitle: [unclosed\n---\n")

    def on_tty(env_extra: dict[str, str]) -> str:
        pid, fd = pty.fork()
        if pid == 0:  # the child: memtree on a pseudo-terminal
            os.chdir(project)
            os.environ.update({"TERM": "xterm-256color", "COLUMNS": "100", **env_extra})
            os.environ.pop("NO_COLOR", None) if "NO_COLOR" not in env_extra else None
            os.execv(str(MEMTREE), [str(MEMTREE), "validate"])
        chunks = []
        while True:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        os.waitpid(pid, 0)
        return b"".join(chunks).decode(errors="replace")

    colour = re.compile(r"\x1b\[[0-9;]*m")  # SGR codes (the progress bar also moves the cursor)
    assert colour.search(on_tty({}))
    assert not colour.search(on_tty({"NO_COLOR": "1"}))
    piped = subprocess.run([str(MEMTREE), "validate"], cwd=project, capture_output=True, text=True)
    assert "error" in piped.stdout and "\x1b[" not in piped.stdout + piped.stderr


@pytest.mark.parametrize(("args", "needle"), [
    (("list", "--status", "bogus"), "active, superseded, archived, all"),
    (("add", "x", "-p", "a/b", "--importance", "500"), "must be between 0 and 100, got 500"),
    (("list", "--bogus"), "No such option: --bogus"),
    (("log", "-n", "0"), "must be at least 1"),
    (("frobnicate",), "frobnicate"),
    (("add",), "TITLE"),
])
def test_bad_options_give_one_line_and_exit_2(run: Run, args: tuple[str, ...], needle: str) -> None:
    run("init")
    out = run(*args)
    assert out.returncode == 2
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("memtree: error: "), out.stderr
    assert needle in lines[0] and "Input should" not in lines[0]
    assert out.stdout == ""


def test_version(run: Run) -> None:
    from importlib.metadata import version

    out = run("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"memtree {version('memtree')}"


@pytest.mark.parametrize("command", _commands(), ids=lambda c: " ".join(c))
def test_every_help_has_a_working_example(run: Run, command: tuple[str, ...]) -> None:
    out = run(*command, "--help")
    assert out.returncode == 0
    assert "Examples:" in out.stdout, f"memtree {' '.join(command)} --help has no example"
    examples = out.stdout.split("Examples:", 1)[1]
    for line in examples.strip().splitlines():
        assert f"memtree {command[0]}" in line
        for option in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", line.split("|")[0]):
            assert option in out.stdout.split("Examples:")[0], f"{line!r}: {option} is not an option"


def test_completion_script_for_a_shell(run: Run) -> None:
    out = run("--show-completion", env={"SHELL": "/bin/bash"})
    assert out.returncode == 0 and "_MEMTREE_COMPLETE" in out.stdout


def test_completion_completes_commands(tmp_path: Path) -> None:
    env = {**os.environ, "_MEMTREE_COMPLETE": "complete_bash", "COMP_WORDS": "memtree li",
           "COMP_CWORD": "1"}
    out = subprocess.run([str(MEMTREE)], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert set(out.stdout.split()) == {"list", "link", "lifecycle"}


def _doc_sections() -> dict[str, str]:
    text = (ROOT / "docs" / "cli.md").read_text()
    parts = re.split(r"^### memtree ([a-z-]+)\n", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


@pytest.mark.parametrize("command", _commands(), ids=lambda c: " ".join(c))
def test_cli_md_names_every_option_of_help(run: Run, command: tuple[str, ...]) -> None:
    section = _doc_sections()[command[0]]
    options = out_options(run(*command, "--help").stdout)
    missing = [o for o in options if o not in section]
    assert missing == [], f"docs/cli.md `memtree {command[0]}` misses {missing}"


def out_options(help_text: str) -> list[str]:
    """Long options listed in a `--help` Options block (not `--help` itself)."""
    block = help_text.split("Options:", 1)[-1].split("Examples:", 1)[0]
    found = re.findall(r"^\s+(?:-\w, )?(--[a-z][a-z-]*)", block, re.M)
    return [o for o in found if o != "--help"]
