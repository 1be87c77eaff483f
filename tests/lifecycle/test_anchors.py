"""Anchors to code in a real git repository: edits, moves within and across files, deletes,
re-anchoring with --update, and the cheap cached stale flags."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import Run
from memtree import Memory
from memtree.errors import InvalidEntry, NotFound, UnsafePath
from memtree.lifecycle.anchors import digest, parse_spec

CODE = """import os


def load(path):
    with open(path) as handle:
        return handle.read()


def save(path, text):
    with open(path, "w") as handle:
        handle.write(text)
"""


def git(project: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "files.py").write_text(CODE)
    git(folder, "init", "-q")
    git(folder, "add", ".")
    git(folder, "commit", "-qm", "code")
    return folder


@pytest.fixture
def mem(project: Path) -> Memory:
    return Memory.init(project)


def states(memory: Memory) -> list[tuple[str, str]]:
    return [(f.state, f.anchor.spec()) for f in memory.lifecycle.check()]


def test_spec_parsing() -> None:
    assert parse_spec("src/a.py") == ("src/a.py", None, None)
    assert parse_spec("./src/a.py:3-9") == ("src/a.py", "3-9", None)
    assert parse_spec("src/a.py:7") == ("src/a.py", "7-7", None)
    assert parse_spec("src/a.py#load") == ("src/a.py", None, "load")
    with pytest.raises(InvalidEntry, match="START-END"):
        parse_spec("src/a.py:9-3")


def test_anchor_records_hash_and_commit(mem: Memory, project: Path) -> None:
    made = mem.add("Loading files", "code/io", "How load works.")
    head_when_written = git(project, "rev-parse", "HEAD")  # memtree's own commits may follow
    done = mem.lifecycle.anchor(made.id, "src/files.py:4-6")
    (anchor,) = done.anchors
    assert anchor.lines == "4-6" and anchor.hash == digest(CODE.splitlines()[3:6])
    assert anchor.commit and head_when_written.startswith(anchor.commit)
    text = (mem.root / f"{made.path}.md").read_text()
    assert "anchors:\n  - {path: src/files.py, lines: 4-6, hash: " in text
    assert text.index("source:") < text.index("anchors:")
    assert states(mem) == [("ok", "src/files.py:4-6")]


def test_bad_anchors_are_refused(mem: Memory) -> None:
    made = mem.add("X", "code/io", "x")
    with pytest.raises(NotFound, match="no readable file"):
        mem.lifecycle.anchor(made.id, "src/nope.py")
    with pytest.raises(InvalidEntry, match="lines 40-50 not found"):
        mem.lifecycle.anchor(made.id, "src/files.py:40-50")
    with pytest.raises(InvalidEntry, match="symbol 'nope'"):
        mem.lifecycle.anchor(made.id, "src/files.py#nope")
    with pytest.raises(UnsafePath):
        mem.lifecycle.anchor(made.id, "../../etc/passwd")
    assert mem.get(made.id).anchors == ()


def test_edit_inside_the_range_is_a_change(mem: Memory, project: Path) -> None:
    made = mem.add("Loading files", "code/io", "How load works.")
    mem.lifecycle.anchor(made.id, "src/files.py:4-6")
    (project / "src" / "files.py").write_text(CODE.replace("handle.read()", "handle.read().strip()"))
    assert states(mem) == [("changed", "src/files.py:4-6")]
    assert "changed" in mem.lifecycle.stale_flags()[made.id]


def test_lines_shifted_by_an_edit_above_are_refound(mem: Memory, project: Path) -> None:
    made = mem.add("Saving files", "code/io", "How save works.")
    mem.lifecycle.anchor(made.id, "src/files.py:9-11")
    (project / "src" / "files.py").write_text("# header\n# more\n" + CODE)
    (finding,) = mem.lifecycle.check()
    assert finding.state == "moved" and finding.new is not None and finding.new.lines == "11-13"
    mem.lifecycle.check(update=True)
    assert mem.get(made.id).anchors[0].lines == "11-13"
    assert states(mem) == [("ok", "src/files.py:11-13")]


def test_symbol_anchor_follows_its_function(mem: Memory, project: Path) -> None:
    made = mem.add("Saving", "code/io", "save()")
    mem.lifecycle.anchor(made.id, "src/files.py#save")
    (project / "src" / "files.py").write_text(CODE + "\n\ndef extra():\n    pass\n")
    assert states(mem) == [("ok", "src/files.py#save")]
    (project / "src" / "files.py").write_text(CODE.replace('"w"', '"a"'))
    assert states(mem) == [("changed", "src/files.py#save")]


def test_file_moved_with_git_is_refound(mem: Memory, project: Path) -> None:
    made = mem.add("Whole file", "code/io", "the io module")
    mem.lifecycle.anchor(made.id, "src/files.py")
    lines = mem.add("Load", "code/io", "load()")
    mem.lifecycle.anchor(lines.id, "src/files.py:4-6")
    (project / "lib").mkdir()
    git(project, "mv", "src/files.py", "lib/io_files.py")
    git(project, "commit", "-qm", "move")
    found = {f.entry: f for f in mem.lifecycle.check()}
    assert found[made.path].state == "moved" and found[made.path].new.path == "lib/io_files.py"  # type: ignore[union-attr]
    assert found[lines.path].new.spec() == "lib/io_files.py:4-6"  # type: ignore[union-attr]
    assert made.id in mem.lifecycle.stale_flags()
    head_when_updated = git(project, "rev-parse", "HEAD")  # memtree's own commit follows
    mem.lifecycle.check(update=True)
    moved = mem.get(made.id).anchors[0]
    assert moved.path == "lib/io_files.py" and head_when_updated.startswith(moved.commit or "x")
    assert all(f.state == "ok" for f in mem.lifecycle.check())
    assert mem.lifecycle.stale_flags() == {}


def test_deleted_code_is_missing_and_stays_a_problem(mem: Memory, project: Path, run: Run) -> None:
    made = mem.add("Load", "code/io", "load()")
    mem.lifecycle.anchor(made.id, "src/files.py:4-6")
    git(project, "rm", "-q", "src/files.py")
    assert states(mem) == [("missing", "src/files.py:4-6")]
    assert "disappeared" in mem.lifecycle.stale_flags()[made.id]
    out = run("check", "--update", "--json")
    assert out.returncode == 10 and json.loads(out.stdout)[0]["state"] == "missing"
    assert "1 anchor(s) need attention" in out.stderr


def test_stale_flags_use_the_cache_until_the_file_changes(mem: Memory, project: Path) -> None:
    made = mem.add("Load", "code/io", "load()")
    mem.lifecycle.anchor(made.id, "src/files.py:4-6")
    assert mem.lifecycle.stale_flags() == {}
    cache = json.loads((mem.root / ".local" / "anchors.json").read_text())
    assert "src/files.py:4-6" in cache["src/files.py"]["hashes"]
    (project / "src" / "files.py").write_text(CODE.replace("path)", "name)"))
    assert made.id in mem.lifecycle.stale_flags()


def test_cli_add_anchor_and_check(run: Run, project: Path) -> None:
    out = run("init")
    out = run("add", "Load files", "-p", "code/io", "-b", "load()", "--anchor", "src/files.py#load", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["anchors"][0]["symbol"] == "load"
    assert run("check").returncode == 0
    bad = run("add", "Other", "-p", "code/io", "-b", "x", "--anchor", "src/none.py")
    assert bad.returncode == 3 and "src/none.py" in bad.stderr
    assert run("show", "code/io/other").returncode == 3  # nothing half-added
    run("add", "Save files", "-p", "code/io", "-b", "save()")
    assert run("anchor", "save-files", "src/files.py:9-11").returncode == 0
    (project / "src" / "files.py").write_text(CODE.replace("handle.write(text)", "handle.write(text + '\\n')"))
    out = run("check")
    assert out.returncode == 10 and "changed" in out.stdout and "save-files" in out.stdout
    assert run("check", "--update").returncode == 0
    assert run("check").returncode == 0


def test_anchors_field_round_trips_and_bad_values_are_named() -> None:
    from memtree.entries import codec

    text = ("---\nid: abcdefghjk\ntitle: T\ncreated: 2026-01-01T00:00:00Z\nupdated: 2026-01-01T00:00:00Z\n"
            "source: {by: person:x}\n"
            "anchors:\n  - {path: src/a.py, lines: 3-9, hash: '0123', commit: 3f2a9c1}\n"
            "  - {path: src/b.py, symbol: load, hash: ff00aa}\n---\nBody\n")
    item = codec.parse(text, "d/t/x")
    assert [a.spec() for a in item.anchors] == ["src/a.py:3-9", "src/b.py#load"]
    assert item.anchors[0].hash == "0123"
    again = codec.render(item)
    assert codec.parse(again, "d/t/x") == item and codec.render(codec.parse(again, "d/t/x")) == again
    assert again.index("source:") < again.index("anchors:")
    with pytest.raises(InvalidEntry, match="d/t/x.md:3: field 'anchors' must be a list"):
        codec.parse("---\ntitle: T\nanchors: src/a.py\n---\n", "d/t/x")
    with pytest.raises(InvalidEntry, match="needs a path"):
        codec.parse("---\ntitle: T\nanchors:\n  - {lines: 1-2}\n---\n", "d/t/x")
