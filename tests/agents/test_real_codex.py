"""Codex itself (the pinned npm release, `codex exec`) against the loopback model server (OpenAI
Responses), in a project set up by `memtree install codex`, trusted as a user would trust it.

`codex exec` runs a project's hooks only once each is trusted (in the TUI); the tests pass
`--dangerously-bypass-hook-trust`, Codex's switch for automation that vets its hooks itself.
Deselect with `-m "not agents"`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agents_real import CODEX, Project, agent_program, base_env, make_project, run_agent
from memtree.agents.inject import REMINDER
from model_server import Logged, ModelServer

pytestmark = pytest.mark.agents

PINNED_BODY = "Secrets live in the team vault."
TOOLS = {"query", "get", "list", "tree", "add", "update", "link", "supersede", "archive"}


@pytest.fixture(scope="module")
def codex() -> Path:
    return agent_program(CODEX)


@pytest.fixture
def server() -> Any:
    with ModelServer() as running:
        yield running


class Codex:
    def __init__(self, program: Path, project: Project, server: ModelServer) -> None:
        self.program, self.project, self.server = program, project, server
        home = project.home / ".codex"
        home.mkdir(exist_ok=True)
        (home / "config.toml").write_text(
            'model = "gpt-5"\nmodel_provider = "loopback"\nmodel_auto_compact_token_limit = 5000\n\n'
            '[model_providers.loopback]\nname = "loopback"\n'
            f'base_url = "{server.url}/v1"\nwire_api = "responses"\nenv_key = "OPENAI_API_KEY"\n\n'
            f'[projects."{project.root}"]\ntrust_level = "trusted"\n')
        self.env = {**base_env(project), "OPENAI_API_KEY": "test-key", "CODEX_HOME": str(home)}
        self.started = False

    def run(self, prompt: str) -> list[Logged]:
        before = len(self.server.requests)
        resume = ["resume", "--last"] if self.started else []
        run_agent([str(self.program), "exec", "--dangerously-bypass-hook-trust", *resume, prompt],
                  self.project, self.env)
        self.started = True
        assert self.project.hook_errors() == ""
        return self.server.of("openai")[before:]


def _newest_texts(request: Logged) -> str:
    items = request.body["input"]
    return json.dumps(items[-1])


def test_briefing_prompt_entries_and_namespaced_tools(codex: Path, server: ModelServer,
                                                      tmp_path: Path) -> None:
    project = make_project(tmp_path, "codex")
    requests = Codex(codex, project, server).run(
        'How are our JWT access tokens signed?\ncall:query {"text": "jwt signing", "limit": 3}')
    first = requests[0]
    records = project.injections()
    assert [r["event"] for r in records] == ["SessionStart", "UserPromptSubmit"]
    for title in project.titles([e["path"] for r in records for e in r["entries"]]):
        assert title in first.text
    assert first.text.count(PINNED_BODY) == 1
    (space,) = [t for t in first.body["tools"] if t.get("name") == "mcp__memtree"]
    assert {t["name"] for t in space["tools"]} == TOOLS
    output = [i for i in requests[-1].body["input"] if i.get("type") == "function_call_output"]
    expected = project.memory.context("jwt signing", budget=600, limit=3)
    assert expected.items and all(i.path in json.dumps(output) for i in expected.items)


def test_add_reminder_and_resume(codex: Path, server: ModelServer, tmp_path: Path) -> None:
    project = make_project(tmp_path, "codex")
    agent = Codex(codex, project, server)
    first = agent.run("Look at how the release build works today, please.")
    second = agent.run("Now check the runner images for the release workflow.")
    assert len([r for r in second if REMINDER in _newest_texts(r)]) == 1
    third = agent.run('Record that we lint with ruff.\ncall:add {"title": "Lint with ruff", '
                      '"path": "dev/tooling", "summary": "Run ruff before pushing."}')
    assert project.memory.get("dev/tooling/lint-with-ruff").source.by == "agent:codex"
    assert not any(REMINDER in _newest_texts(r) for r in third)
    # A resumed session replays its history: the briefing is in it once, not given again.
    assert all(r.text.count(PINNED_BODY) == 1 for r in first + second + third)
    starts = [r for r in project.injections() if r["event"] == "SessionStart"]
    assert len(starts) == 1


def test_pinned_entries_once_after_compaction(codex: Path, server: ModelServer, tmp_path: Path) -> None:
    project = make_project(tmp_path, "codex")
    server.openai_input_tokens = 200_000  # the first answer reports a context over the limit
    requests = Codex(codex, project, server).run(
        'How are our JWT access tokens signed?\ncall:query {"text": "jwt signing"}')
    marks = [i for i, r in enumerate(requests) if "CONTEXT CHECKPOINT COMPACTION" in _newest_texts(r)]
    assert len(marks) == 1  # Codex compacted once, mid-turn
    after = requests[marks[0] + 1:]
    assert after and all(r.text.count(PINNED_BODY) == 1 for r in after)
    starts = [r["source"] for r in project.injections() if r["event"] == "SessionStart"]
    assert starts == ["startup", "compact"]
