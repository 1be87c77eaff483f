"""`.memory-example` is valid in a fresh clone of this repository, not only in a working copy
(an ignore rule such as `build/` once kept one of its entries out of git)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import MEMTREE

ROOT = Path(__file__).resolve().parents[1]


def _git(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          check=False)


def test_example_memory_validates_in_a_fresh_clone(tmp_path: Path) -> None:
    head = _git("rev-parse", "HEAD")
    if head.returncode != 0:
        pytest.skip("not a git checkout")
    clone = tmp_path / "clone"
    assert _git("clone", "-q", "--no-checkout", str(ROOT), str(clone)).returncode == 0
    checkout = _git("checkout", "-q", head.stdout.strip(), cwd=clone)
    assert checkout.returncode == 0, checkout.stderr
    out = subprocess.run([str(MEMTREE), "--root", str(clone / ".memory-example"), "validate"],
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    tracked = _git("ls-files", ".memory-example", cwd=clone).stdout.split()
    on_disk = [p.relative_to(ROOT).as_posix() for p in (ROOT / ".memory-example").rglob("*.md")]
    assert sorted(on_disk) == sorted(t for t in tracked if t.endswith(".md"))


def test_example_project_ships_what_import_reads_in_a_fresh_clone(tmp_path: Path) -> None:
    """examples/project, as a clone gets it: every kind of source `memtree import` reads is there
    (dot-folders such as `.cursor/` and `.github/` included), and importing it twice is stable."""
    head = _git("rev-parse", "HEAD")
    if head.returncode != 0:
        pytest.skip("not a git checkout")
    clone = tmp_path / "clone"
    assert _git("clone", "-q", "--no-checkout", str(ROOT), str(clone)).returncode == 0
    assert _git("checkout", "-q", head.stdout.strip(), cwd=clone).returncode == 0
    project = clone / "examples" / "project"
    for args in (("init", "-q", "-b", "main"), ("add", "-A"), ("-c", "user.name=A", "-c",
                 "user.email=a@example.com", "commit", "-qm", "Start the shop (#1)")):
        assert _git(*args, cwd=project).returncode == 0

    def memtree(*args: str) -> dict[str, object]:
        out = subprocess.run([str(MEMTREE), *args, "--json"], cwd=project, capture_output=True,
                             text=True, timeout=120, check=False)
        assert out.returncode == 0, out.stderr
        return dict(json.loads(out.stdout))

    found = memtree("init")["found"]
    assert found == {"claude-md": 1, "agents-md": 1, "cursor-rules": 1, "cursorrules": 1,
                     "copilot": 1, "contributing": 1, "adr": 6, "commits": 1}
    first = memtree("import")["counts"]
    assert first == {"add": 20, "supersede": 2}
    assert memtree("import")["counts"] == {"unchanged": 20}
