"""Progress bars: drawn on stderr when it is a terminal, for the slow whole-tree commands;
nothing on stderr when it is not."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

import pytest

from conftest import MEMTREE


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("big")
    subprocess.run([str(MEMTREE), "init", "--no-autocommit"], cwd=project, check=True,
                   capture_output=True)
    for i in range(1500):
        folder = project / ".memory" / f"d{i % 5}" / f"t{i % 30}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"e{i}.md").write_text(f"---\nid: big{i:07d}\ntitle: Entry {i}\n---\nbody\n")
    return project


def _on_tty(project: Path, *args: str) -> str:
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(project)
        os.environ.update({"TERM": "xterm-256color", "COLUMNS": "100"})
        os.execv(str(MEMTREE), [str(MEMTREE), *args])
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.waitpid(pid, 0)
    return b"".join(chunks).decode(errors="replace")


@pytest.mark.parametrize(("args", "label"), [
    (("export", "OUT", "--format", "json"), "exporting"),
    (("doctor",), "checking"),
    (("validate",), "validating"),
    (("graph", "--format", "dot", "-o", "OUT.dot"), "drawing"),
    (("tree",), "reading"),
    (("list",), "listing"),
    (("summaries", "--check"), "summarising"),
    (("import", "bundle", "OUT"), "importing"),
])
def test_bar_on_a_terminal_only(big: Path, tmp_path: Path, args: tuple[str, ...], label: str) -> None:
    real = [a.replace("OUT", str(tmp_path / "out")) for a in args]
    if args[0] == "import":  # a bundle of the tree itself: every file read and compared
        subprocess.run([str(MEMTREE), "export", str(tmp_path / "out")], cwd=big, check=True,
                       capture_output=True)
    assert label in _on_tty(big, *real)
    piped = subprocess.run([str(MEMTREE), *real], cwd=big, capture_output=True, text=True)
    assert label not in piped.stderr and "\x1b[" not in piped.stderr
