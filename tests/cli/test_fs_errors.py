"""File system failures get their own exit codes (docs/cli.md), write nothing half-way, and a
read-only tree can still be read. Uses a private mount namespace (a read-only bind mount, a tiny
tmpfs) and an unprivileged user, so these tests need root and are skipped without it."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import MEMTREE

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("setpriv") is None,
    reason="needs root, unshare and setpriv")


def _in_namespace(setup: str, *commands: str) -> list[tuple[int, str]]:
    """Run memtree commands after `setup` in a private mount namespace: (exit code, stderr)."""
    lines = [setup]
    for i, command in enumerate(commands):
        lines.append(f"{MEMTREE} {command} >/dev/null 2>/tmp/.memtree-ns-{os.getpid()}-{i}; "
                     f"echo \"rc$?\"")
    out = subprocess.run(["unshare", "-m", "sh", "-c", " && ".join(lines[:1]) + "\n"
                          + "\n".join(lines[1:])], capture_output=True, text=True, timeout=300,
                         check=False)
    codes = [int(line[2:]) for line in out.stdout.split() if line.startswith("rc")]
    assert len(codes) == len(commands), out.stdout + out.stderr
    found = []
    for i, code in enumerate(codes):
        err = Path(f"/tmp/.memtree-ns-{os.getpid()}-{i}")
        found.append((code, err.read_text()))
        err.unlink()
    return found


def _tree(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(MEMTREE), "init", "--no-autocommit"], cwd=folder, check=True,
                   capture_output=True)
    subprocess.run([str(MEMTREE), "add", "Pool size", "-p", "db/pool", "--body", "pgbouncer 20"],
                   cwd=folder, check=True, capture_output=True)
    return folder


def test_a_read_only_tree_is_read_and_refuses_writes_with_code_16(tmp_path: Path) -> None:
    project = _tree(tmp_path / "project")
    shutil.rmtree(project / ".memory/.index", ignore_errors=True)
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    where = shlex.quote(str(project))
    setup = f"mount --bind {where} {where} && mount -o remount,bind,ro {where} && cd {where}"
    results = _in_namespace(setup, "query pgbouncer", "list", "show pool-size", "tree", "stats",
                            "validate", "add New -p db/pool --body x")
    assert [code for code, _ in results] == [0, 0, 0, 0, 0, 0, 16], results
    assert "read-only" in results[-1][1]
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


def test_a_full_disk_exits_14_and_leaves_nothing_half_written(tmp_path: Path) -> None:
    mount = tmp_path / "small"
    mount.mkdir()
    big = tmp_path / "big.txt"
    big.write_text("word " * 60_000)
    where = shlex.quote(str(mount))
    setup = (f"mount -t tmpfs -o size=200k tmpfs {where} && cd {where} && "
             f"{MEMTREE} init --no-autocommit >/dev/null && "
             f"{MEMTREE} add Small -p a/b --body x >/dev/null")
    results = _in_namespace(setup, f"add Big -p a/b --file {shlex.quote(str(big))}", "list",
                            "query small", "validate")
    assert [code for code, _ in results] == [14, 0, 0, 0], results
    assert "no space left" in results[0][1]


def test_permission_denied_exits_15(tmp_path: Path) -> None:
    project = _tree(tmp_path / "project")
    for path in (tmp_path, project, *project.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)
    out = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                          str(MEMTREE), "--root", str(project), "add", "B", "-p", "db/pool",
                          "--body", "y"], capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 15, out.stderr
    assert "permission denied" in out.stderr
    assert not (project / ".memory/db/pool/b.md").exists()
