"""A cloned repository cannot make memtree write outside it.

Each vector is a real repository whose author committed (with `git add -f`) a symbolic link at one
of memtree's state paths, cloned with git; the installed `memtree` runs `query` and the prompt and
session hooks in the clone. Every file outside the clone is snapshotted before and compared after:
0 writes outside the repository. The state paths are refused with exit 7 (`UNSAFE_PATH`) while the
hook still exits 0 and the agent is not broken.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from agents_support import build_tree, payload
from conftest import MEMTREE
from memtree import Memory
from memtree.errors import ExitCode

pytestmark = [pytest.mark.git, pytest.mark.slow]

# state path (relative to the repository) -> what the link points at, in the victim folder
VECTORS = {
    "recheck": (".memory/.index/recheck", "notes.txt"),
    "index-db": (".memory/.index/memtree.db", "other.db"),
    "index-wal": (".memory/.index/memtree.db-wal", "notes.txt"),
    "index-dir": (".memory/.index", "dir"),
    "usage-log": (".memory/.local/usage.jsonl", "notes.txt"),
    "injection-log": (".memory/.local/injections.jsonl", "notes.txt"),
    "local-dir": (".memory/.local", "dir"),
    "sessions-dir": (".memory/.local/sessions", "dir"),
    "lock": (".memory/.local/.lock", "notes.txt"),
    "root": (".memory", "other-root"),
}
QUERY_REFUSES = {"recheck", "index-db", "index-wal", "index-dir", "usage-log", "local-dir", "root"}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True, timeout=60).stdout


def victim(folder: Path) -> Path:
    """Things a hostile link could aim at: a text file, another app's SQLite database, a folder,
    another memtree root."""
    folder.mkdir()
    (folder / "notes.txt").write_text("precious\n")
    with sqlite3.connect(folder / "other.db") as conn:
        conn.execute("CREATE TABLE accounts(id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO accounts(name) VALUES ('alice')")
    conn.close()
    (folder / "dir").mkdir()
    Memory.init(folder / "other", as_root=False)  # creates other/.memory
    os.rename(folder / "other" / ".memory", folder / "other-root")
    (folder / "other").rmdir()
    return folder


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    out = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        data = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
        out[str(path.relative_to(folder))] = (info.st_mtime_ns, data)
    return out


def hostile_clone(tmp_path: Path, name: str, target: Path) -> Path:
    origin = tmp_path / "origin"
    origin.mkdir()
    git(origin, "init", "-q", "-b", "main")
    build_tree(origin)
    link, _ = VECTORS[name]
    path = origin / link
    if path.exists() or path.is_symlink():
        git(origin, "rm", "-rq", "--cached", "--ignore-unmatch", link)
        subprocess.run(["rm", "-rf", str(path)], check=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    git(origin, "add", "-A")
    git(origin, "add", "-f", link)
    git(origin, "commit", "-qm", "hostile")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    assert (clone / link).is_symlink()
    return clone


def memtree(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    home = cwd.parent / "home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home), "XDG_STATE_HOME": str(home / "state")}
    env.pop("MEMTREE_ROOT", None)
    return subprocess.run([str(MEMTREE), *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, env=env, timeout=60)


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_hostile_clone_writes_nothing_outside(tmp_path: Path, name: str) -> None:
    outside = victim(tmp_path / "victim")
    target = outside / VECTORS[name][1]
    clone = hostile_clone(tmp_path, name, target)
    before = snapshot(outside)
    memtree(clone, "query", "release builds", "--json")  # the second query re-checks files
    query = memtree(clone, "query", "JWT access tokens", "--json")
    prompt = memtree(clone, "hook", "claude-code", "UserPromptSubmit",
                     stdin=payload("claude-code", "UserPromptSubmit", clone))
    start = memtree(clone, "hook", "claude-code", "SessionStart",
                    stdin=payload("claude-code", "SessionStart", clone))
    feedback = memtree(clone, "feedback", "Sign access tokens with RS256", "useful")
    assert snapshot(outside) == before, f"{name}: a file outside the repository changed"
    if name in QUERY_REFUSES:
        assert query.returncode == ExitCode.UNSAFE_PATH, (query.stdout, query.stderr)
        assert "symbolic link" in query.stderr and ".memory" in query.stderr
    else:  # a first query may never open this path (the cursor, the lock, the agents' logs)
        assert query.returncode in (0, ExitCode.UNSAFE_PATH), query.stderr
    assert prompt.returncode == 0 and start.returncode == 0
    assert feedback.returncode in (0, ExitCode.UNSAFE_PATH), feedback.stderr
    with sqlite3.connect(outside / "other.db") as conn:
        assert conn.execute("SELECT name FROM accounts").fetchall() == [("alice",)]
    conn.close()


def test_hook_logs_the_refusal_outside_the_hostile_folder(tmp_path: Path) -> None:
    outside = victim(tmp_path / "victim")
    clone = hostile_clone(tmp_path, "local-dir", outside / "dir")
    memtree(clone, "hook", "claude-code", "UserPromptSubmit",
            stdin=payload("claude-code", "UserPromptSubmit", clone))
    log = tmp_path / "home" / "state" / "memtree" / "hook-errors.log"
    assert "symbolic link" in log.read_text()
    assert list((outside / "dir").iterdir()) == []


@pytest.mark.parametrize("table", ["accounts", "meta"])
def test_a_foreign_database_in_the_index_folder_is_left_alone(tmp_path: Path, table: str) -> None:
    project = tmp_path / "project"
    build_tree(project)
    db = project / ".memory" / ".index" / "memtree.db"
    db.parent.mkdir(exist_ok=True)
    for file in db.parent.iterdir():
        file.unlink()
    with sqlite3.connect(db) as conn:  # "meta": a table of memtree's name, another app's columns
        conn.execute(f"CREATE TABLE {table}(id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute(f"INSERT INTO {table}(name) VALUES ('alice')")
    conn.close()
    data = db.read_bytes()
    out = memtree(project, "query", "JWT", "--json")
    assert out.returncode == ExitCode.INDEX
    assert "did not make" in out.stderr and "memtree.db" in out.stderr
    assert db.read_bytes() == data


def test_entries_still_read_and_a_clean_clone_works(tmp_path: Path) -> None:
    """Only the state paths are refused: with the link removed everything works again."""
    outside = victim(tmp_path / "victim")
    clone = hostile_clone(tmp_path, "usage-log", outside / "notes.txt")
    shown = memtree(clone, "show", "auth/tokens/sign-access-tokens-with-rs256")
    assert shown.returncode == 0 and "RS256" in shown.stdout
    (clone / ".memory" / ".local" / "usage.jsonl").unlink()
    again = memtree(clone, "query", "JWT access tokens", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["hits"]
    assert (outside / "notes.txt").read_text() == "precious\n"


def test_validate_names_state_files_a_clone_tracks(tmp_path: Path) -> None:
    outside = victim(tmp_path / "victim")
    clone = hostile_clone(tmp_path, "injection-log", outside / "notes.txt")
    out = memtree(clone, "validate", "--json")
    assert out.returncode == ExitCode.PROBLEMS, out.stderr
    found = json.loads(out.stdout)
    assert any(p["path"] == ".local/injections.jsonl" and "tracked by git" in p["message"]
               for p in found)


def test_install_in_a_hostile_clone_writes_nothing_outside(tmp_path: Path) -> None:
    outside = victim(tmp_path / "victim")
    clone = hostile_clone(tmp_path, "local-dir", outside / "dir")
    (clone / ".claude").mkdir()
    (clone / ".claude" / "settings.json").write_text('{"model": "x"}\n')
    before = snapshot(outside)
    out = memtree(clone, "install", "claude-code")
    assert out.returncode == ExitCode.UNSAFE_PATH, (out.stdout, out.stderr)
    assert snapshot(outside) == before
    assert (clone / ".claude" / "settings.json").read_text() == '{"model": "x"}\n'
