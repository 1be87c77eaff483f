"""`memtree import --curate` and `memtree import git --curate` against a real HTTP model server on
loopback: the importers' material reaches the model, its proposals are checked and queued for
review (or applied), no imported entry is written, a re-run sends only what is new or changed,
and without a model or on a failing one nothing is written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import Run
from llm_support import ModelServer, Reply, configure, model_server_fixture  # noqa: F401
from memtree import Memory
from memtree.entries import store
from memtree.imports.apply import imported_meta

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "project"
ADD = {"op": "add", "path": "billing/money", "title": "Amounts are integer cents",
       "summary": "Never floats for money", "type": "convention", "tags": ["money"],
       "reason": "a rule the project states", "source": "Store amounts in integer cents"}


@pytest.fixture
def shop(tmp_path: Path) -> Memory:
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, dirs_exist_ok=True)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "Start the shop (#1)")
    return Memory.init(project)


def git(project: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Ann", "GIT_AUTHOR_EMAIL": "a@example.com",
           "GIT_COMMITTER_NAME": "Ann", "GIT_COMMITTER_EMAIL": "a@example.com"}
    subprocess.run(["git", *args], cwd=project, check=True, env=env)


def sent(server: ModelServer, n: int) -> str:
    return str(server.requests[n]["body"]["messages"][-1]["content"])


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*.md")
            if ".index" not in p.parts and ".local" not in p.parts}


def test_rules_go_through_curation_and_a_rerun_sends_only_changes(
        shop: Memory, run: Run, model_server: ModelServer) -> None:
    configure(shop.root, "openai", model_server.url)
    model_server.replies(Reply(json.dumps({"operations": [ADD]})))
    before = files_of(shop.root)
    out = run("import", "--curate", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["found"] > 5 and data["sent"] == data["found"] and data["left"] == 0
    calls = len(model_server.requests)
    assert len(data["calls"]) == calls >= 1
    material = "".join(sent(model_server, n) for n in range(calls))
    assert "from CLAUDE.md lines" in material and "from .cursor/rules/testing.mdc" in material
    assert "ADR 3: Store amounts in integer cents" in material
    queued = [op for c in data["calls"] for op in c["operations"]]
    assert queued and all(op["status"] == "queued" and op["source"].startswith("import files:")
                          for op in queued)
    assert files_of(shop.root) == before  # proposals only: nothing imported, nothing applied
    assert json.loads(run("review", "--json").stdout)

    again = json.loads(run("import", "--curate", "--json").stdout)
    assert again["sent"] == 0 and again["already_curated"] == data["found"]
    assert "nothing new to curate" in again["message"] and len(model_server.requests) == calls

    claude = shop.root.parent / "CLAUDE.md"
    claude.write_text(claude.read_text().replace("integer cents", "integer cents (never floats)", 1))
    third = json.loads(run("import", "--curate", "--json").stdout)
    assert third["sent"] == 1 and len(model_server.requests) == calls + 1
    assert "never floats" in sent(model_server, calls)


def test_git_history_curated_and_applied(shop: Memory, run: Run, model_server: ModelServer) -> None:
    project = shop.root.parent
    for n, text in enumerate(("Round VAT per line (#42)", "Fix VAT on refunds\n\nFixes: #42")):
        (project / "src/shop/billing/invoices.py").write_text(f"VAT = {n}\n")
        git(project, "commit", "-qam", text)
    configure(shop.root, "openai", model_server.url)
    bug = {"op": "add", "path": "billing/vat", "title": "VAT is rounded per invoice line",
           "type": "bug", "reason": "fixed twice", "source": "Round VAT per line"}
    model_server.replies(Reply(json.dumps({"operations": [bug]})))
    out = run("import", "git", "--curate", "--apply")
    assert out.returncode == 0, out.stderr
    assert "1 operation(s) applied" in out.stdout
    material = sent(model_server, 0)
    assert "## #42: " in material and "Round VAT per line" in material and "Fix VAT on refunds" in material
    found, _ = store.load_all(shop.root)
    assert [e.title for e in found if e.type == "bug"] == ["VAT is rounded per invoice line"]
    assert not any(imported_meta(e) for e in found)  # nothing written by the importer itself


def test_calls_bound_each_run_and_the_rest_waits(shop: Memory, run: Run, model_server: ModelServer) -> None:
    configure(shop.root, "openai", model_server.url)
    model_server.replies(Reply(json.dumps({"operations": [{"op": "nothing", "reason": "known"}]})))
    project = shop.root.parent
    (project / "CONTRIBUTING.md").write_text("".join(f"## Rule {n}\n\n{'word ' * 1500}\n\n" for n in range(8)))
    first = json.loads(run("import", "--curate", "--calls", "1", "--json").stdout)
    assert len(model_server.requests) == 1 and first["left"] > 0
    assert f"{first['left']} piece(s) left for the next run" in first["message"]
    second = json.loads(run("import", "--curate", "--calls", "50", "--json").stdout)
    assert second["already_curated"] == first["sent"] and second["left"] == 0


@pytest.mark.parametrize("args, code, message", [
    (("import", "--curate"), 13, "no model configured"),
    (("import", "--apply"), 2, "--apply: only with --curate"),
    (("import", "git", "--curate", "--dry-run"), 2, "--curate and --dry-run"),
    (("import", "git", "--curate", "--calls", "0"), 2, "--calls 0"),
])
def test_bad_use_and_no_model_write_nothing(shop: Memory, run: Run, args: tuple[str, ...],
                                            code: int, message: str, model_server: ModelServer) -> None:
    if code != 13:
        configure(shop.root, "openai", model_server.url)
    before = files_of(shop.root)
    out = run(*args)
    assert out.returncode == code and message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert files_of(shop.root) == before and model_server.requests == []


def test_a_failing_model_writes_nothing_and_keeps_everything_for_later(
        shop: Memory, run: Run, model_server: ModelServer) -> None:
    configure(shop.root, "openai", model_server.url)
    model_server.replies(Reply("I would remember the ADRs."))
    before = files_of(shop.root)
    out = run("import", "--curate")
    assert out.returncode == 13 and "did not answer with the JSON asked for" in out.stderr
    assert files_of(shop.root) == before
    model_server.replies(Reply(json.dumps({"operations": [{"op": "nothing", "reason": "known"}]})))
    data: dict[str, Any] = json.loads(run("import", "--curate", "--json").stdout)
    assert data["already_curated"] == 0 and data["sent"] == data["found"]
