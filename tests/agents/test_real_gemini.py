"""Gemini CLI itself (the pinned npm release, `-p` mode) against the loopback model server, in a
project set up by `memtree install gemini`, with the project folder trusted as a user would.

Deselect with `-m "not agents"`.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from agents_real import GEMINI, Project, agent_program, base_env, make_project, run_agent
from conftest import MEMTREE
from memtree.agents.inject import REMINDER
from memtree.agents.journal import digest
from model_server import Logged, ModelServer

pytestmark = pytest.mark.agents

PINNED_BODY = "Secrets live in the team vault."
MODEL = "gemini-2.5-flash"  # a fixed model: no routing requests


@pytest.fixture(scope="module")
def gemini() -> Path:
    return agent_program(GEMINI)


@pytest.fixture
def server() -> Any:
    with ModelServer() as running:
        yield running


class Gemini:
    def __init__(self, program: Path, project: Project, server: ModelServer) -> None:
        self.program, self.project, self.server = program, project, server
        self.env = {**base_env(project), "GOOGLE_GEMINI_BASE_URL": server.url,
                    "GEMINI_API_KEY": "test-key"}
        settings = project.home / ".gemini"
        settings.mkdir(exist_ok=True)
        (settings / "settings.json").write_text(json.dumps(
            {"security": {"auth": {"selectedType": "gemini-api-key"}}}))
        (settings / "trustedFolders.json").write_text(json.dumps({str(project.root): "TRUST_FOLDER"}))
        self.started = False

    def run(self, prompt: str, *args: str, cwd: Path | None = None) -> list[Logged]:
        before = len(self.server.requests)
        resume = ["--resume", "latest"] if self.started else []
        run_agent([str(self.program), "-m", MODEL, "-p", prompt, "--output-format", "json", *resume,
                   *args], self.project, self.env, cwd=cwd)
        self.started = True
        assert self.project.hook_errors() == ""
        return [r for r in self.server.of("gemini")[before:] if ":stream" in r.path]


def _newest(request: Logged) -> list[dict[str, Any]]:
    return list(request.body["contents"][-1]["parts"])


def _tools(request: Logged) -> set[str]:
    return {f["name"] for t in request.body.get("tools") or [] for f in t.get("functionDeclarations") or []}


def test_briefing_prompt_entries_and_read_only_tools(gemini: Path, server: ModelServer,
                                                     tmp_path: Path) -> None:
    project = make_project(tmp_path, "gemini")
    prompt = 'How do our refresh tokens rotate?\ncall:query {"text": "refresh tokens rotate"}'
    requests = Gemini(gemini, project, server).run(prompt)
    first = requests[0]
    records = project.injections()
    assert [r["event"] for r in records] == ["SessionStart", "BeforeAgent"]
    # The prompt memtree searched is the user's, not the briefing Gemini put before it.
    assert records[1]["prompt"] == digest(prompt)
    for title in project.titles([e["path"] for r in records for e in r["entries"]]):
        assert title in first.text
    assert first.text.count(PINNED_BODY) == 1
    tools = _tools(first)
    assert {"mcp_memtree_query", "mcp_memtree_get", "mcp_memtree_list", "mcp_memtree_tree"} <= tools
    assert "mcp_memtree_add" not in tools  # writes are not pre-approved
    (answer,) = [p["functionResponse"] for p in _newest(requests[-1]) if "functionResponse" in p]
    assert answer["name"] == "mcp_memtree_query"
    expected = project.memory.context("refresh tokens rotate", budget=600, limit=3)
    output = json.dumps(answer["response"])
    assert all(i.path in output for i in expected.items) and expected.items


def test_reminder_once_no_repeated_pinned_rules_and_add_as_gemini(gemini: Path, server: ModelServer,
                                                                  tmp_path: Path) -> None:
    project = make_project(tmp_path, "gemini")
    agent = Gemini(gemini, project, server)
    first = agent.run("Look at how the release build works today, please.")
    second = agent.run("Now check the runner images for the release workflow.")
    retried = [r for r in second if any(p.get("text") == REMINDER for p in _newest(r))]
    assert len(retried) == 1  # AfterAgent denied once; Gemini retried the turn with the reminder
    third = agent.run('Record that we lint with ruff.\ncall:add {"title": "Lint with ruff", '
                      '"path": "dev/tooling", "summary": "Run ruff before pushing."}',
                      "--allowed-tools", "mcp_memtree_add")
    assert project.memory.get("dev/tooling/lint-with-ruff").source.by == "agent:gemini"
    assert not any(any(p.get("text") == REMINDER for p in _newest(r)) for r in third)
    # PreCompress fires before every model call; the pinned rules were given once all the same.
    assert [r.text.count(PINNED_BODY) for r in first + second + third] == [1] * len(first + second + third), [(r.text.count(PINNED_BODY), r.text.count("<hook_context>")) for r in first + second + third]
    prompts = [r for r in project.injections() if r["event"] == "BeforeAgent"]
    assert digest(REMINDER) not in {r["prompt"] for r in prompts}  # the retry was not searched


@pytest.mark.parametrize("user_level", [False, True], ids=["project-install", "user-install"])
def test_started_from_a_project_subfolder(gemini: Path, server: ModelServer, tmp_path: Path,
                                          user_level: bool) -> None:
    """Gemini reads .gemini/settings.json only in the folder it starts in: from a subfolder
    only a user-level install (~/.gemini/settings.json) brings memtree's hooks and server."""
    project = make_project(tmp_path, "gemini")
    sub = project.root / "src" / "pkg"
    sub.mkdir(parents=True)
    agent = Gemini(gemini, project, server)
    if user_level:
        subprocess.run([str(MEMTREE), "install", "gemini", "--user"], cwd=project.root, check=True,
                       env={**os.environ, "HOME": str(project.home)}, capture_output=True, timeout=60)
    prompt = 'How do our refresh tokens rotate?\ncall:query {"text": "refresh tokens rotate"}'
    requests = agent.run(prompt, cwd=sub)
    if not user_level:
        assert project.injections() == [] and _tools(requests[0]) & {"mcp_memtree_query"} == set()
        return
    assert [r["event"] for r in project.injections()] == ["SessionStart", "BeforeAgent"]
    assert requests[0].text.count(PINNED_BODY) == 1
    (answer,) = [p["functionResponse"] for p in _newest(requests[-1]) if "functionResponse" in p]
    expected = project.memory.context("refresh tokens rotate", budget=600, limit=3)
    assert expected.items and all(i.path in json.dumps(answer["response"]) for i in expected.items)
