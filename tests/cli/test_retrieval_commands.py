"""`memtree query`, `context` and `reindex` through the installed command, and the lean query path."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import MEMTREE, Run
from memtree import Memory
from memtree.cli import fastquery
from retrieval_support import seed


@pytest.fixture
def project(tmp_path: Path) -> Memory:
    memory = Memory.init(tmp_path / "project")
    seed(memory)
    return memory


def test_query_json_shape(project: Memory, run: Run) -> None:
    out = run("query", "pgbouncer", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"query", "hits", "confidence", "escalate", "reason", "took_ms", "problems"}
    assert data["problems"] == []
    hit = data["hits"][0]
    assert hit["path"] == "db/postgres/connection-pooling"
    assert set(hit) >= {"path", "id", "title", "tier", "score", "why", "parts", "flags"}
    assert hit["tier"] == "fulltext" and "bm25" in hit["parts"]


def test_query_filters_and_explain(project: Memory, run: Run) -> None:
    out = run("query", "tokens", "--domain", "auth", "--tag", "security", "--explain")
    assert out.returncode == 0, out.stderr
    assert "auth/jwt/sign-access-tokens-with-rs256" in out.stdout
    assert "tier=" in out.stdout and "why:" in out.stdout
    assert "refresh-token-lifetime" not in out.stdout


def test_query_all_shows_archived(project: Memory, run: Run) -> None:
    project.remove("db/postgres/connection-pooling")
    assert json.loads(run("query", "pgbouncer", "--json").stdout)["hits"] == []
    hits = json.loads(run("query", "pgbouncer", "--all", "--json").stdout)["hits"]
    assert hits[0]["path"] == "_archive/db/postgres/connection-pooling"


def test_query_errors(project: Memory, run: Run, tmp_path: Path) -> None:
    assert run("query", "x", "--limit", "0").returncode == 2
    elsewhere = tmp_path / "empty"
    elsewhere.mkdir()
    out = run("query", "x", cwd=elsewhere)
    assert out.returncode == 6 and out.stderr.startswith("memtree: error:")


def test_context_budget_and_determinism(project: Memory, run: Run) -> None:
    first = run("context", "jwt tokens signing", "--budget", "60", "--json")
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert 0 < data["tokens"] <= 60
    assert all(item["why"] and item["path"] for item in data["items"])
    second = run("context", "jwt tokens signing", "--budget", "60", "--json")
    assert second.stdout == first.stdout
    plain = run("context", "jwt tokens signing", "--budget", "400")
    assert "## Sign access tokens with RS256" in plain.stdout


def test_context_pack_api_cuts_to_budget(project: Memory) -> None:
    project.add("Long story", "notes/long", body=" ".join(["pgbouncer story"] * 400))
    for budget in (30, 80, 200, 5000):
        pack = project.context("pgbouncer story", budget=budget)
        assert pack.tokens <= budget
        assert pack == project.context("pgbouncer story", budget=budget)
    small = project.context("pgbouncer story", budget=30)
    assert small.omitted or small.items


def test_reindex(project: Memory, run: Run) -> None:
    out = run("reindex", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["updated"] == 5 and data["rebuilt"] is True
    assert out.stderr == ""  # quiet when not on a terminal


# ---------------------------------------------------------------- the lean query path


@pytest.mark.parametrize(
    "args",
    [
        ["query", "pgbouncer", "--json"],
        ["query", "--json", "auth/*", "-n", "2"],
        ["query", "tokens", "--domain=auth", "--explain"],
        ["query", "nothing-like-this", "--all"],
        ["query", "jwt", "--type", "fact", "--tag", "jwt", "--json"],
    ],
)
@pytest.mark.slow
def test_lean_path_matches_typer(project: Memory, args: list[str]) -> None:
    lean = subprocess.run([str(MEMTREE), *args], cwd=project.root.parent, capture_output=True,
                          text=True, timeout=60)
    full = subprocess.run([str(MEMTREE.with_name("python")), "-c",
                           "import sys; from memtree.cli.main import run; sys.exit(run(sys.argv[1:]))",
                           *args], cwd=project.root.parent, capture_output=True, text=True,
                          timeout=60)
    assert lean.returncode == full.returncode == 0, lean.stderr + full.stderr
    if "--json" in args:
        drop = ("took_ms",)
        lean_data, full_data = json.loads(lean.stdout), json.loads(full.stdout)
        assert {k: v for k, v in lean_data.items() if k not in drop} == \
            {k: v for k, v in full_data.items() if k not in drop}
    else:
        assert lean.stdout == full.stdout
    assert lean.stderr == full.stderr


@pytest.mark.parametrize(
    ("args", "handled"),
    [
        (["query", "x"], True),
        (["--root", "r", "query", "x", "--json"], True),
        (["--root=r", "query", "x", "-n", "3"], True),
        (["query", "--help"], False),
        (["query", "x", "y"], False),
        (["query", "x", "--limit", "zero"], False),
        (["query", "x", "--limit", "0"], False),
        (["query", "x", "--bogus"], False),
        (["query"], False),
        (["--version", "query", "x"], False),
        (["query", "x", "--limit"], False),
    ],
)
def test_lean_parser_defers_when_unsure(args: list[str], handled: bool) -> None:
    assert (fastquery.parse(args) is not None) is handled


@pytest.mark.slow
def test_lean_path_errors_like_the_cli(tmp_path: Path) -> None:
    for args in (["--root", str(tmp_path), "query", "x"], ["query", "x", "--limit", "0"]):
        lean = subprocess.run([str(MEMTREE), *args], cwd=tmp_path, capture_output=True, text=True)
        full = subprocess.run([str(MEMTREE.with_name("python")), "-c",
                               "import sys; from memtree.cli.main import run; sys.exit(run(sys.argv[1:]))",
                               *args], cwd=tmp_path, capture_output=True, text=True)
        assert (lean.returncode, lean.stderr) == (full.returncode, full.stderr)


def test_lean_path_reports_a_broken_config_like_the_cli(project: Memory, run: Run) -> None:
    (project.root / "config.toml").write_text("format = [", encoding="utf-8")
    lean = run("query", "pgbouncer")
    assert lean.returncode == 5 and "config.toml" in lean.stderr
    typer_path = subprocess.run([str(MEMTREE.with_name("python")), "-c",
                                 "import sys; from memtree.cli.main import run; sys.exit(run(sys.argv[1:]))",
                                 "query", "pgbouncer"], cwd=project.root.parent,
                                capture_output=True, text=True)
    assert (lean.returncode, lean.stderr) == (typer_path.returncode, typer_path.stderr)
