"""One test per exit code the entry commands produce, and the documented table matches."""

from __future__ import annotations

import fcntl
import os
import re
from pathlib import Path

import pytest

from conftest import Run
from memtree.errors import ExitCode

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_docs_table_matches_enum() -> None:
    text = DOCS.read_text()
    table = dict(re.findall(r"^\| (\d+) \| `([A-Z_]+)` \|", text, re.M))
    assert table == {str(int(c)): c.name for c in ExitCode}


def test_ok_and_usage(run: Run) -> None:
    assert run("--help").returncode == ExitCode.OK
    bad = run("add")
    assert bad.returncode == ExitCode.USAGE and "TITLE" in bad.stderr
    assert run("frobnicate").returncode == ExitCode.USAGE
    run("init")
    assert run("add", "x", "--importance", "300", "-p", "a/b").returncode == ExitCode.USAGE


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("show", "nothing"), ExitCode.NOT_FOUND, "'nothing': no entry"),
        (("add", "Dup", "-p", "a/b"), ExitCode.EXISTS, "a/b/dup.md already exists"),
        (("add", "X", "-p", "only-domain"), ExitCode.INVALID, "--path 'only-domain'"),
        (("add", "X", "-p", "../up/and-out"), ExitCode.UNSAFE_PATH, "'..'"),
        (("show", "twin"), ExitCode.AMBIGUOUS, "matches 2 entries"),
        (("add", "X", "-p", "a/b", "--maturity", "gold"), ExitCode.INVALID, "field 'maturity'"),
    ],
)
def test_error_codes(run: Run, args: tuple[str, ...], code: ExitCode, needle: str) -> None:
    run("init")
    run("add", "Dup", "-p", "a/b")
    run("add", "Twin", "-p", "t/one")
    run("add", "Twin", "-p", "t/two")
    out = run(*args)
    assert out.returncode == code, out.stderr
    assert needle in out.stderr
    assert out.stderr.startswith("memtree: error: ")
    assert out.stdout == ""


def test_no_root(run: Run, tmp_path: Path) -> None:
    out = run("list", cwd=tmp_path)
    assert out.returncode == ExitCode.NO_ROOT
    assert "memtree init" in out.stderr


def test_locked(run: Run, tmp_path: Path) -> None:
    run("init")
    local = tmp_path / "project/.memory/.local"
    local.mkdir(exist_ok=True)
    fd = os.open(local / ".lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        out = run("add", "Blocked", "-p", "a/b", env={"MEMTREE_LOCK_TIMEOUT": "0.3"})
    finally:
        os.close(fd)
    assert out.returncode == ExitCode.LOCKED and "lock" in out.stderr
    assert not (tmp_path / "project/.memory/a/b/blocked.md").exists()


def test_problems(run: Run, tmp_path: Path) -> None:
    run("init")
    (tmp_path / "project/.memory/a/b").mkdir(parents=True)
    (tmp_path / "project/.memory/a/b/x.md").write_bytes(b"\x00binary")
    assert run("validate").returncode == ExitCode.PROBLEMS
