"""Moves with relinking, archives, hard deletes (with unlinking) and supersessions are one
transaction: killed (SIGKILL) right
after any step, the next command finishes them and the tree is valid, with no broken link, no
duplicate id and no half-superseded pair."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import MEMTREE
from memtree import Memory


def _tree(project: Path) -> Memory:
    memory = Memory.init(project, autocommit=False)
    memory.add("Target", "auth/tokens", "the moved one links [[auth/tokens/target]] to itself")
    for i in range(3):
        memory.add(f"Linker {i}", "auth/web", f"see [[auth/tokens/target]] ({i})",
                   relations=[("depends_on", "auth/tokens/target")])
    memory.add("Newer", "auth/tokens", "the replacement")
    return memory


def _memtree(project: Path, *args: str, stop: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MEMTREE_STOP_AFTER_STEP"}
    if stop is not None:
        env["MEMTREE_STOP_AFTER_STEP"] = str(stop)
    return subprocess.run([str(MEMTREE), *args], cwd=project, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


OPERATIONS = {
    "move": (("mv", "target", "auth/keys"), 5),  # new file, old removed, 3 linkers
    "archive": (("rm", "target"), 2),  # (step 0 is the journal itself)
    "supersede": (("supersede", "target", "newer", "--reason", "replaced"), 2),
    "delete": (("rm", "--hard", "target"), 4),  # file removed, 3 linkers unlinked
}


def _done(project: Path, name: str) -> None:
    root = project / ".memory"
    if name == "move":
        assert not (root / "auth/tokens/target.md").exists()
        assert "[[auth/keys/target]]" in (root / "auth/keys/target.md").read_text()
        for i in range(3):
            text = (root / f"auth/web/linker-{i}.md").read_text()
            assert "auth/keys/target" in text and "auth/tokens/target" not in text
    elif name == "archive":
        assert not (root / "auth/tokens/target.md").exists()
        assert "status: archived" in (root / "_archive/auth/tokens/target.md").read_text()
    elif name == "delete":
        assert not (root / "auth/tokens/target.md").exists()
        for i in range(3):
            text = (root / f"auth/web/linker-{i}.md").read_text()
            assert "auth/tokens/target" not in text and f"see Target ({i})" in text
    else:
        assert "status: superseded" in (root / "auth/tokens/target.md").read_text()
        assert "type: supersedes" in (root / "auth/tokens/newer.md").read_text()


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_killed_after_every_step_the_next_command_finishes_it(tmp_path: Path, name: str) -> None:
    args, steps = OPERATIONS[name]
    for stop in range(steps + 1):
        project = tmp_path / f"{name}-{stop}"
        _tree(project)
        killed = _memtree(project, *args, stop=stop)
        assert killed.returncode == -signal.SIGKILL, (stop, killed.stderr)
        assert (project / ".memory/.local/journal.json").exists()
        checked = _memtree(project, "validate", "--json")
        assert checked.returncode == 0, (stop, checked.stdout, checked.stderr)
        assert json.loads(checked.stdout) == []
        assert not (project / ".memory/.local/journal.json").exists()
        _done(project, name)


def test_a_run_that_is_not_killed_leaves_no_journal(tmp_path: Path) -> None:
    project = tmp_path / "project"
    _tree(project)
    for name, (args, _) in OPERATIONS.items():
        if name != "delete":
            assert _memtree(project, *args).returncode == 0
    assert not (project / ".memory/.local/journal.json").exists()
    assert (project / ".memory/_archive/auth/keys/target.md").exists()
    assert _memtree(project, *OPERATIONS["delete"][0]).returncode == 0
    assert not (project / ".memory/_archive/auth/keys/target.md").exists()
    assert not (project / ".memory/.local/journal.json").exists()
    assert _memtree(project, "validate").returncode == 0


def test_hard_delete_unlinks_every_way_an_entry_is_named(tmp_path: Path) -> None:
    project = tmp_path / "project"
    memory = _tree(project)
    target = memory.get("auth/tokens/target")
    other = memory.add("Other", "ops/notes", f"[[auth/tokens/target#usage|how to]], "
                       f"[[{target.id}]], [[target]], [[auth/tokens/newer]]",
                       relations=[("relates_to", target.id), ("relates_to", "auth/tokens/newer")])
    assert _memtree(project, "rm", "--hard", "target").returncode == 0
    text = (project / ".memory" / f"{other.path}.md").read_text()
    assert text.endswith("how to, Target, Target, [[auth/tokens/newer]]\n")
    assert [r.target for r in memory.get(other.path).relations] == ["auth/tokens/newer"]
    checked = _memtree(project, "validate", "--json")
    assert checked.returncode == 0 and json.loads(checked.stdout) == []
