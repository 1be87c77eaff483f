"""memtree's commits honour the repository's pre-commit, prepare-commit-msg, commit-msg and
post-commit hooks (`core.hooksPath` too) and its signing config, while still never touching the
person's staged work. A rejecting hook is a one-line error, exit 11, and nothing is lost.
`[history] hooks = false` / `sign = false` opt out. Real git, real hooks, real ssh signing."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from history_support import git, mt, ok, project

pytestmark = pytest.mark.git
QUEUE = ".memory/.local/pending-commits.jsonl"


def _hook(folder: Path, name: str, script: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / name
    file.write_text("#!/bin/sh\n" + script)
    file.chmod(0o755)


def _opt_out(proj: Path, key: str) -> None:
    config = proj / ".memory/config.toml"
    config.write_text(config.read_text().replace("[history]\n", f"[history]\n{key} = false\n"))


def test_a_rejecting_pre_commit_hook_is_one_line_exit_11_and_loses_nothing(tmp_path: Path) -> None:
    proj = project(tmp_path / "p")
    ok(proj, "init")
    _hook(proj / ".git/hooks", "pre-commit", "echo 'secrets scan: no notes on Fridays' >&2\nexit 1\n")
    head = git(proj, "rev-parse", "HEAD")
    done = mt(proj, "add", "Rejected", "--path", "a/b", "--body", "kept", "--reason", "r1")
    assert done.returncode == 11, done.stderr
    first = done.stderr.splitlines()[0]
    assert "pre-commit hook rejected memtree's commit" in first
    assert "(secrets scan: no notes on Fridays);" in first and "nothing is lost" in first
    assert "the change (add a/b/rejected) stays" in first  # what was written, though not committed
    assert git(proj, "rev-parse", "HEAD") == head
    assert (proj / ".memory/a/b/rejected.md").read_text().rstrip().endswith("kept")
    assert json.loads((proj / QUEUE).read_text())["summary"] == "add a/b/rejected: Rejected"
    assert mt(proj, "commit").returncode == 11  # still rejected: still queued
    assert (proj / QUEUE).exists()
    (proj / ".git/hooks/pre-commit").unlink()
    ok(proj, "commit")
    body = git(proj, "log", "-1", "--format=%B")
    assert body.startswith("add a/b/rejected: Rejected") and "Memtree-Reason: r1" in body
    assert git(proj, "status", "--porcelain") == "" and not (proj / QUEUE).exists()


def test_hooks_in_core_hooks_path_see_only_the_memory_commit(tmp_path: Path) -> None:
    proj = project(tmp_path / "p")
    ok(proj, "init")
    git(proj, "config", "core.hooksPath", "githooks")
    seen = tmp_path / "seen.txt"
    _hook(proj / "githooks", "pre-commit", f"git diff --cached --name-only > {seen}\n")
    _hook(proj / "githooks", "commit-msg", 'printf "\\nChecked-By: hook\\n" >> "$1"\n')
    _hook(proj / "githooks", "post-commit", f"echo done >> {seen}.post\n")
    (proj / "app.py").write_text("print('staged')\n")
    git(proj, "add", "app.py")
    (proj / "notes.txt").write_text("untracked work\n")
    ok(proj, "add", "Hooked", "--path", "a/b")
    assert seen.read_text() == ".memory/a/b/hooked.md\n"
    assert (tmp_path / "seen.txt.post").read_text() == "done\n"
    body = git(proj, "log", "-1", "--format=%B")
    assert "Checked-By: hook" in body and "Memtree-Action: add" in body
    assert git(proj, "show", "--name-only", "--format=", "HEAD").split() == [".memory/a/b/hooked.md"]
    assert git(proj, "status", "--porcelain") == "M  app.py\n?? githooks/\n?? notes.txt\n"


def test_a_rejecting_commit_msg_hook_and_the_opt_out(tmp_path: Path) -> None:
    proj = project(tmp_path / "p")
    ok(proj, "init")
    _hook(proj / ".git/hooks", "commit-msg", "echo 'subject must name a ticket' >&2\nexit 1\n")
    done = mt(proj, "add", "Msg", "--path", "a/b")
    assert done.returncode == 11 and "commit-msg hook rejected" in done.stderr
    _opt_out(proj, "hooks")
    ok(proj, "add", "Other", "--path", "a/b")
    assert git(proj, "status", "--porcelain", "--untracked-files=all", ".memory/a") == ""
    assert "add a/b/msg: Msg" in git(proj, "log", "-1", "--format=%B")


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")
def test_commits_are_signed_when_the_repository_signs_and_not_after_opting_out(tmp_path: Path) -> None:
    proj = project(tmp_path / "p")
    ok(proj, "init")
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    git(proj, "config", "gpg.format", "ssh")
    git(proj, "config", "user.signingkey", str(key))
    git(proj, "config", "commit.gpgsign", "true")
    git(proj, "config", "user.email", "tester@example.com")
    allowed = tmp_path / "allowed"
    allowed.write_text(f"tester@example.com {(tmp_path / 'key.pub').read_text()}")
    git(proj, "config", "gpg.ssh.allowedSignersFile", str(allowed))
    ok(proj, "add", "Signed", "--path", "a/b")
    assert "gpgsig -----BEGIN SSH SIGNATURE-----" in git(proj, "cat-file", "-p", "HEAD")
    git(proj, "verify-commit", "HEAD")
    _opt_out(proj, "sign")
    ok(proj, "add", "Unsigned", "--path", "a/b")
    assert "gpgsig" not in git(proj, "cat-file", "-p", "HEAD")


def test_a_signing_failure_keeps_the_change_queued(tmp_path: Path) -> None:
    proj = project(tmp_path / "p")
    ok(proj, "init")
    git(proj, "config", "gpg.format", "ssh")
    git(proj, "config", "user.signingkey", str(tmp_path / "missing-key"))
    git(proj, "config", "commit.gpgsign", "true")
    head = git(proj, "rev-parse", "HEAD")
    done = mt(proj, "add", "Unsignable", "--path", "a/b")
    assert done.returncode == 0 and "queued" in done.stderr
    assert git(proj, "rev-parse", "HEAD") == head and (proj / QUEUE).exists()
    git(proj, "config", "commit.gpgsign", "false")
    ok(proj, "commit")
    assert "add a/b/unsignable" in git(proj, "log", "-1", "--format=%B")


def test_a_hooks_path_set_in_the_global_config_is_honoured(tmp_path: Path) -> None:
    import os

    from conftest import MEMTREE

    proj = project(tmp_path / "p")
    ok(proj, "init")
    home = tmp_path / "home"
    _hook(home / "hooks", "pre-commit", "echo 'global policy says no' >&2\nexit 1\n")
    (home / ".gitconfig").write_text(f"[core]\n\thooksPath = {home / 'hooks'}\n")
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    done = subprocess.run([str(MEMTREE), "add", "Global", "--path", "a/b"], cwd=proj, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 11 and "global policy says no" in done.stderr
