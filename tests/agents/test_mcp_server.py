"""A real MCP client session over stdio against the installed `memtree mcp` command."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession, MCPError

from agents_support import build_tree
from conftest import Run
from mcp_support import data, session

pytestmark = pytest.mark.slow



def test_stdio_session_lists_queries_adds_and_reads_back(tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_tree(project)

    async def body(s: ClientSession) -> dict[str, Any]:
        tools = {t.name: t for t in (await s.list_tools()).tools}
        found = data(await s.call_tool("query", {"text": "how are jwt access tokens signed"}))
        hits = data(await s.call_tool("query", {"text": "jwt", "budget": 0}))
        made = data(await s.call_tool("add", {
            "title": "Use ruff for linting", "path": "dev/tooling", "body": "Run `ruff check`.",
            "summary": "Lint with ruff.", "tags": ["lint"], "type": "convention",
            "relations": [{"type": "relates_to", "target": "dev/testing/tests-run-with-pytest"}]}))
        got = data(await s.call_tool("get", {"ref": made["path"]}))
        read = await s.read_resource(f"memtree://entry/{made['path']}")
        templates = (await s.list_resource_templates()).resource_templates
        missing = await s.call_tool("get", {"ref": "no/such/entry"})
        listed = data(await s.call_tool("list", {"domain": "dev"}))
        return {"tools": tools, "found": found, "hits": hits, "made": made, "got": got,
                "read": read, "templates": templates, "missing": missing, "listed": listed}

    out = session(project, body, "--agent", "claude-code", "--session", "sess-1")
    tools = out["tools"]
    assert set(tools) == {"query", "get", "list", "tree", "add", "update", "link", "supersede",
                          "archive"}
    for name in ("query", "get", "list", "tree"):
        assert tools[name].annotations.read_only_hint is True
    assert tools["add"].annotations.read_only_hint is False
    assert tools["add"].annotations.destructive_hint is False
    assert tools["archive"].annotations.destructive_hint is True
    assert tools["update"].annotations.idempotent_hint is True
    schema = tools["add"].input_schema
    assert set(schema["required"]) == {"title", "path"}
    assert schema["properties"]["path"]["description"]
    assert out["found"]["items"][0]["path"] == "auth/tokens/sign-access-tokens-with-rs256"
    assert "RS256" in out["found"]["text"] and out["found"]["tokens"] <= 600
    assert out["hits"]["hits"][0]["tier"]
    made = out["made"]
    assert made["path"] == "dev/tooling/use-ruff-for-linting"
    assert made["source"] == {"by": "agent:claude-code", "session": "sess-1"}
    assert out["got"]["body"].strip() == "Run `ruff check`."
    assert out["got"]["relations"] == [{"type": "relates_to", "target": "dev/testing/tests-run-with-pytest"}]
    text = out["read"].contents[0].text
    assert text.startswith("---\n") and "title: Use ruff for linting" in text
    assert [t.uri_template for t in out["templates"]] == ["memtree://entry/{+path}"]
    assert out["missing"].is_error and "no/such/entry" in out["missing"].content[0].text
    assert out["listed"]["problems"] == []  # a list names unreadable files too (none here)
    assert {e["path"] for e in out["listed"]["entries"]} == {
        "dev/testing/tests-run-with-pytest", "dev/tooling/use-ruff-for-linting"}
    from memtree import Memory

    on_disk = Memory.open(project).get("dev/tooling/use-ruff-for-linting")
    assert on_disk.source.by == "agent:claude-code" and on_disk.source.session == "sess-1"


def test_update_link_supersede_archive_and_unsafe_resource(tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_tree(project)
    old = "auth/tokens/refresh-tokens-rotate-on-every-use"

    async def body(s: ClientSession) -> dict[str, Any]:
        new = data(await s.call_tool("add", {"title": "Refresh tokens rotate and expire", "path": "auth/tokens",
                                              "body": "Single use, 30 day expiry."}))
        sup = data(await s.call_tool("supersede", {"old": old, "new": new["path"], "reason": "expiry added"}))
        upd = data(await s.call_tool("update", {"ref": new["path"], "tags": ["auth", "refresh"]}))
        empty = await s.call_tool("update", {"ref": new["path"]})
        linked = data(await s.call_tool("link", {"ref": new["path"], "type": "depends_on",
                                                  "target": "auth/tokens/sign-access-tokens-with-rs256"}))
        gone = data(await s.call_tool("archive", {"ref": "build/release/arm-release-builds-need-libffi"}))
        try:
            await s.read_resource("memtree://entry/../../etc/passwd")
            unsafe = None
        except MCPError as exc:
            unsafe = str(exc)
        return {"new": new, "sup": sup, "upd": upd, "empty": empty, "linked": linked, "gone": gone,
                "unsafe": unsafe}

    out = session(project, body)
    from memtree import Memory

    memory = Memory.open(project)
    assert memory.get(old).status.value == "superseded"
    old_id = memory.get(old).id
    assert any(r.type == "supersedes" and r.target in (old, old_id)
               for r in memory.get(out["new"]["path"]).relations)
    assert out["sup"]["old"]["status"] == "superseded" and out["sup"]["new"]["path"] == out["new"]["path"]
    assert out["upd"]["tags"] == ["auth", "refresh"]
    assert out["empty"].is_error
    assert {"type": "depends_on", "target": "auth/tokens/sign-access-tokens-with-rs256"} in out["linked"]["relations"]
    assert out["gone"]["status"] == "archived"
    assert out["unsafe"] is not None


def test_review_mode_turns_agent_writes_into_proposals(run: Run, tmp_path: Path) -> None:
    project = tmp_path / "project"
    memory = build_tree(project)
    (memory.root / "config.toml").write_text("format = 1\n[agents]\nreview = true\n")

    async def body(s: ClientSession) -> Any:
        first = data(await s.call_tool("add", {"title": "Deploys happen on Tuesdays", "path": "ops/deploy",
                                                "body": "Never on Fridays."}))
        second = data(await s.call_tool("update", {"ref": "dev/testing/tests-run-with-pytest",
                                                    "summary": "pytest, with xdist."}))
        bad = await s.call_tool("add", {"title": "Nested too deep", "path": "a/b/c/d"})
        return first, second, bad

    first, second, bad = session(project, body, "--agent", "codex", "--session", "s-9")
    assert first["status"] == "proposed" and second["status"] == "proposed"
    assert bad.is_error  # refused at once, never queued
    assert not (memory.root / "ops").exists()
    listed = json.loads(run("review", "--json").stdout)
    assert [p["id"] for p in listed] == [first["proposal"], second["proposal"]]
    shown = json.loads(run("review", "show", first["proposal"], "--json").stdout)
    assert "+title: Deploys happen on Tuesdays" in shown["diff"]
    assert "b/ops/deploy/deploys-happen-on-tuesdays.md" in shown["diff"]
    assert "agent:codex" in shown["diff"] and shown["actor"] == "agent:codex"
    text = run("review", "show", second["proposal"]).stdout
    assert "-summary: The test suite uses pytest." in text and "+summary: pytest, with xdist." in text
    done = run("review", "approve", first["proposal"])
    assert done.returncode == 0, done.stderr
    made = memory.get("ops/deploy/deploys-happen-on-tuesdays")
    assert made.source.by == "agent:codex" and made.source.session == "s-9"
    assert run("review", "reject", second["proposal"], "--note", "not true").returncode == 0
    assert memory.get("dev/testing/tests-run-with-pytest").summary == "The test suite uses pytest."
    assert json.loads(run("review", "--json").stdout) == []
    again = run("review", "approve", second["proposal"])
    assert again.returncode == 3 and "no such open proposal" in again.stderr


def test_no_tree_is_a_clear_tool_error(tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    bare.mkdir()

    async def body(s: ClientSession) -> Any:
        return await s.call_tool("query", {"text": "anything"})

    result = session(bare, body)
    assert result.is_error and "memtree init" in result.content[0].text


def test_cli_help_does_not_need_the_sdk_loaded() -> None:
    # `memtree mcp` imports the SDK only when serving: the command list stays fast.
    import subprocess

    probe = "import sys, memtree.cli.main; print('mcp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False"


def test_resources_outside_a_memory_say_how_to_make_one(tmp_path: Path) -> None:
    empty = tmp_path / "no-memory"
    empty.mkdir()

    async def body(s: ClientSession) -> list[str]:
        said = []
        for uri in ("memtree://tree", "memtree://entry/a/b"):
            try:
                await s.read_resource(uri)
                said.append("")
            except MCPError as exc:
                said.append(str(exc))
        return said

    tree, entry = session(empty, body)
    assert tree.startswith("no .memory/ found in") and "run `memtree init`" in tree, tree
    assert entry.startswith("no .memory/ found in") and "run `memtree init`" in entry, entry
