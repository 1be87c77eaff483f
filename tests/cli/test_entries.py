"""Every entry command through the installed `memtree` executable in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import MEMTREE, Run


def _init(run: Run) -> None:
    assert run("init").returncode == 0


def test_help_lists_every_core_command(run: Run) -> None:
    out = run("--help").stdout
    for name in ("init", "add", "show", "edit", "list", "tree", "mv", "rm", "link", "unlink",
                 "validate", "templates", "query"):
        assert f"  {name} " in out or f"  {name}\n" in out, name


def test_add_show_list_tree_json(run: Run, tmp_path: Path) -> None:
    _init(run)
    made = run("add", "Use Alembic", "--path", "db/migrations", "--body", "alembic upgrade head",
               "--type", "convention", "--tag", "db", "--tag", "migrations", "--json")
    assert made.returncode == 0, made.stderr
    data = json.loads(made.stdout)
    assert data["path"] == "db/migrations/use-alembic" and data["tags"] == ["db", "migrations"]
    shown = json.loads(run("show", data["id"], "--json").stdout)
    assert shown["body"].strip() == "alembic upgrade head"
    raw = run("show", "db/migrations/use-alembic", "--raw").stdout
    assert raw == (tmp_path / "project/.memory/db/migrations/use-alembic.md").read_text()
    listed = json.loads(run("list", "--json", "--tag", "db").stdout)
    assert [e["id"] for e in listed["entries"]] == [data["id"]] and listed["count"] == 1
    assert json.loads(run("list", "--json", "--type", "fact").stdout) == {
        "entries": [], "count": 0, "problems": []}
    tree = json.loads(run("tree", "--json").stdout)
    assert tree["count"] == 1 and tree["children"][0]["name"] == "db"
    people = run("tree").stdout
    assert "db" in people and "Use Alembic" in people


def test_add_body_from_stdin_file_and_flags(run: Run, tmp_path: Path) -> None:
    _init(run)
    piped = run("add", "From stdin", "--domain", "a", "--topic", "b", "--json", input="piped body\n")
    assert json.loads(piped.stdout)["body"].strip() == "piped body"
    dash = run("add", "Dash", "-p", "a/b", "--body", "-", "--json", input="dash body")
    assert json.loads(dash.stdout)["body"].strip() == "dash body"
    body_file = tmp_path / "body.md"
    body_file.write_text("file body\n")
    filed = run("add", "From file", "-p", "a/b/c", "--file", str(body_file), "--json")
    assert json.loads(filed.stdout)["body"].strip() == "file body"
    assert json.loads(filed.stdout)["path"] == "a/b/c/from-file"
    missing = run("add", "X", "-p", "a/b", "--file", str(tmp_path / "nope.md"))
    assert missing.returncode == 2 and "--file" in missing.stderr


def test_root_flag_works_from_anywhere(run: Run, tmp_path: Path) -> None:
    _init(run)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root = str(tmp_path / "project/.memory")
    assert run("--root", root, "add", "Far", "-p", "a/b", cwd=elsewhere).returncode == 0
    assert "Far" in run("--root", str(tmp_path / "project"), "list", cwd=elsewhere).stdout
    env_run = run("list", "--json", cwd=elsewhere, env={"MEMTREE_ROOT": root})
    assert json.loads(env_run.stdout)["entries"][0]["title"] == "Far"


def test_mv_rm_link_unlink_validate(run: Run, tmp_path: Path) -> None:
    _init(run)
    run("add", "Alpha", "-p", "x/one", "--body", "see [[x/one/beta]]")
    run("add", "Beta", "-p", "x/one")
    linked = run("link", "alpha", "beta", "--type", "depends_on", "--json")
    assert json.loads(linked.stdout)["relations"] == [{"type": "depends_on", "target": "x/one/beta"}]
    moved = run("mv", "beta", "y/two", "--json")
    assert json.loads(moved.stdout)["path"] == "y/two/beta"
    alpha = json.loads(run("show", "alpha", "--json").stdout)
    assert alpha["relations"][0]["target"] == "y/two/beta" and "[[y/two/beta]]" in alpha["body"]
    assert run("unlink", "alpha", "beta").returncode == 0
    assert run("validate").returncode == 0
    archived = run("rm", "beta", "--json")
    assert json.loads(archived.stdout)["status"] == "archived"
    assert (tmp_path / "project/.memory/_archive/y/two/beta.md").is_file()
    assert run("rm", "beta", "--hard").returncode == 0
    assert run("show", "beta").returncode == 3


def test_validate_reports_problems_with_exit_10(run: Run, tmp_path: Path) -> None:
    _init(run)
    run("add", "Good", "-p", "a/b")
    (tmp_path / "project/.memory/a/b/bad.md").write_text("---\ntitle: [oops\n---\n")
    out = run("validate")
    assert out.returncode == 10
    assert "a/b/bad.md:3" in out.stdout and "problem" in out.stderr
    data = json.loads(run("validate", "--json").stdout)
    assert data[0]["path"] == "a/b/bad.md" and data[0]["line"] == 3
    # one bad file never breaks listing of the others
    listed = json.loads(run("list", "--json").stdout)
    assert [e["title"] for e in listed["entries"]] == ["Good"]
    assert [(p["path"], p["line"]) for p in listed["problems"]] == [("a/b/bad.md", 3)]


def test_validate_fix_gives_ids(run: Run, tmp_path: Path) -> None:
    _init(run)
    (tmp_path / "project/.memory/a/b").mkdir(parents=True)
    (tmp_path / "project/.memory/a/b/hand.md").write_text("---\ntitle: Written by hand\n---\nbody\n")
    assert run("validate").returncode == 10
    fixed = run("validate", "--fix")
    assert fixed.returncode == 0 and "a/b/hand.md" in fixed.stdout
    assert "id: " in (tmp_path / "project/.memory/a/b/hand.md").read_text()


def test_edit_with_options_and_with_editor(run: Run, tmp_path: Path) -> None:
    _init(run)
    run("add", "Alpha", "-p", "x/one", "--body", "old body")
    out = run("edit", "alpha", "--summary", "Short.", "--tag", "t1", "--importance", "90", "--json")
    data = json.loads(out.stdout)
    assert (data["summary"], data["tags"], data["importance"]) == ("Short.", ["t1"], 90)
    script = tmp_path / "ed.sh"
    script.write_text("#!/bin/sh\nsed -i 's/old body/new body/' \"$1\"\n")
    script.chmod(0o755)
    assert run("edit", "alpha", env={"EDITOR": str(script)}).returncode == 0
    assert "new body" in run("show", "alpha").stdout
    breaker = tmp_path / "break.sh"
    breaker.write_text("#!/bin/sh\nprintf -- '---\\ntitle: [x\\n---\\n' > \"$1\"\n")
    breaker.chmod(0o755)
    file = tmp_path / "project/.memory/x/one/alpha.md"
    before = file.read_bytes()
    bad = run("edit", "alpha", env={"EDITOR": str(breaker)})
    assert bad.returncode == 5 and "your text is kept in" in bad.stderr
    assert file.read_bytes() == before


def test_templates_command(run: Run) -> None:
    out = run("templates", "--json")
    assert out.returncode == 0
    names = {t["name"] for t in json.loads(out.stdout)}
    assert {"decision", "convention", "how-to", "bug", "fact"} <= names
    _init(run)
    made = run("add", "Pick Redis", "-p", "infra/cache", "--template", "decision", "--json")
    assert json.loads(made.stdout)["type"] == "decision"


@pytest.mark.slow
def test_two_concurrent_writers_lose_nothing(run: Run, tmp_path: Path) -> None:
    _init(run)
    env = {**os.environ}
    procs = [
        subprocess.Popen([str(MEMTREE), "add", f"Entry {i}", "-p", "load/test", "--body", f"b{i}"],
                         cwd=tmp_path / "project", env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for i in range(12)
    ]
    codes = [p.wait(timeout=60) for p in procs]
    assert codes == [0] * 12
    listed = json.loads(run("list", "--json").stdout)["entries"]
    assert sorted(e["title"] for e in listed) == sorted(f"Entry {i}" for i in range(12))
    assert len({e["id"] for e in listed}) == 12
    leftovers = list((tmp_path / "project/.memory").rglob("*.tmp"))
    assert leftovers == []


@pytest.mark.slow
def test_same_path_race_has_one_winner(run: Run, tmp_path: Path) -> None:
    _init(run)
    procs = [
        subprocess.Popen([str(MEMTREE), "add", "Same", "-p", "race/t", "--body", f"writer {i}"],
                         cwd=tmp_path / "project", stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for i in range(4)
    ]
    codes = sorted(p.wait(timeout=60) for p in procs)
    assert codes == [0, 4, 4, 4]
    text = (tmp_path / "project/.memory/race/t/same.md").read_text()
    assert text.count("writer ") == 1


@pytest.mark.git
def test_rm_hard_leaves_nothing_in_the_search_index(run_process: Run, tmp_path: Path) -> None:
    project = tmp_path / "project"
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    assert run_process("init").returncode == 0
    for title, folder in (("Quokka smiles", "zoo/quokka"), ("Okapi stripes", "zoo/okapi"),
                          ("Okapi diet", "zoo/okapi")):
        assert run_process("add", title, "-p", folder, "--body", f"{title} marsupial").returncode == 0
    assert len(json.loads(run_process("query", "marsupial", "--json").stdout)["hits"]) == 3
    for ref in ("quokka-smiles", "okapi-stripes"):  # alone in its folder, and with a neighbour
        assert run_process("rm", ref, "--hard").returncode == 0
    findings = json.loads(run_process("doctor", "--json").stdout)["findings"]
    assert not [f for f in findings if f["check"] == "index"], findings
    import sqlite3

    from memtree.index.db import db_file

    with sqlite3.connect(db_file(project / ".memory")) as conn:
        rows = {p for (p,) in conn.execute("SELECT path FROM files")}
    assert rows == {"zoo/okapi/okapi-diet"}
