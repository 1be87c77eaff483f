"""Codex itself (the pinned npm release, `codex exec`) against the loopback model server (OpenAI
Responses), in a project set up by `memtree install codex`, trusted as a user would trust it.

`codex exec` runs a project's hooks only once each is trusted; `memtree install codex`, run with
codex on PATH, trusts memtree's own hooks through Codex's app server, so no test bypasses trust.
Deselect with `-m "not agents"`.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from agents_real import CODEX, Project, agent_program, base_env, make_project, run_agent
from conftest import MEMTREE
from memtree.agents import codex as codex_agent
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


def user_config(tmp_path: Path, server: ModelServer) -> str:
    """A Codex user's own config: a provider, this project trusted."""
    return ('model = "gpt-5"\nmodel_provider = "loopback"\nmodel_auto_compact_token_limit = 5000\n\n'
            '[model_providers.loopback]\nname = "loopback"\n'
            f'base_url = "{server.url}/v1"\nwire_api = "responses"\nenv_key = "OPENAI_API_KEY"\n\n'
            f'[projects."{tmp_path / "project"}"]\ntrust_level = "trusted"\n')


def codex_project(tmp_path: Path, program: Path, server: ModelServer) -> Project:
    """A Codex user's set-up (provider, project trusted), then `memtree install codex` with codex
    on PATH, which trusts memtree's hooks."""
    home = tmp_path / "agent-home" / ".codex"
    home.mkdir(parents=True)
    (home / "config.toml").write_text(user_config(tmp_path, server))
    path = os.pathsep.join([str(program.parent), os.environ.get("PATH", "")])
    project = make_project(tmp_path, "codex", {"PATH": path, "CODEX_HOME": str(home)})
    trusted = f"trusted {len(codex_agent.HOOK_EVENTS)} memtree hook(s)"
    assert trusted in project.installed, project.installed
    return project


class Codex:
    def __init__(self, program: Path, project: Project, server: ModelServer) -> None:
        self.program, self.project, self.server = program, project, server
        home = project.home / ".codex"
        self.env = {**base_env(project), "OPENAI_API_KEY": "test-key", "CODEX_HOME": str(home)}
        self.started = False

    def run(self, prompt: str, cwd: Path | None = None) -> list[Logged]:
        before = len(self.server.requests)
        resume = ["resume", "--last"] if self.started else []
        run_agent([str(self.program), "exec", *resume, prompt], self.project, self.env, cwd=cwd)
        self.started = True
        assert self.project.hook_errors() == ""
        return self.server.of("openai")[before:]


def _newest_texts(request: Logged) -> str:
    items = request.body["input"]
    return json.dumps(items[-1])


def test_briefing_prompt_entries_and_namespaced_tools(codex: Path, server: ModelServer,
                                                      tmp_path: Path) -> None:
    project = codex_project(tmp_path, codex, server)
    requests = Codex(codex, project, server).run(
        'How do our refresh tokens rotate?\ncall:query {"text": "refresh tokens rotate"}')
    first = requests[0]
    records = project.injections()
    assert [r["event"] for r in records] == ["SessionStart", "UserPromptSubmit"]
    for title in project.titles([e["path"] for r in records for e in r["entries"]]):
        assert title in first.text
    assert first.text.count(PINNED_BODY) == 1
    (space,) = [t for t in first.body["tools"] if t.get("name") == "mcp__memtree"]
    assert {t["name"] for t in space["tools"]} == TOOLS
    output = [i for i in requests[-1].body["input"] if i.get("type") == "function_call_output"]
    expected = project.memory.context("refresh tokens rotate", budget=600, limit=3)
    assert expected.items and all(i.path in json.dumps(output) for i in expected.items)


def test_doctor_reports_hook_trust(codex: Path, server: ModelServer, tmp_path: Path) -> None:
    project = codex_project(tmp_path, codex, server)
    env = {**base_env(project), "PATH": f"{codex.parent}{os.pathsep}{base_env(project)['PATH']}",
           "CODEX_HOME": str(project.home / ".codex")}

    def doctor() -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(MEMTREE), "doctor"], cwd=project.root, env=env,
                              capture_output=True, text=True, timeout=120)

    assert doctor().returncode == 0
    hooks = json.loads((project.root / ".codex" / "hooks.json").read_text())
    hooks["hooks"]["Stop"][0]["hooks"][0]["timeout"] = 31  # a changed hook is trusted no more
    (project.root / ".codex" / "hooks.json").write_text(json.dumps(hooks))
    done = doctor()
    assert done.returncode == 10 and "does not trust memtree's stop hook" in done.stdout, done.stdout


def test_uninstall_drops_the_trust_records_install_wrote(codex: Path, server: ModelServer,
                                                        tmp_path: Path) -> None:
    """Install trusted memtree's hooks in the user's Codex config (`hooks.state`); uninstall
    removes those records through Codex itself, and the user's config comes back byte for byte."""
    project = codex_project(tmp_path, codex, server)
    config = project.home / ".codex" / "config.toml"
    assert "[hooks.state." in config.read_text()
    env = {**base_env(project), "PATH": f"{codex.parent}{os.pathsep}{base_env(project)['PATH']}",
           "CODEX_HOME": str(project.home / ".codex")}
    done = subprocess.run([str(MEMTREE), "uninstall", "codex"], cwd=project.root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"untrusted {len(codex_agent.HOOK_EVENTS)} memtree hook(s)" in done.stderr, done.stderr
    assert config.read_text() == user_config(tmp_path, server)
    assert not (project.root / ".codex" / "hooks.json").exists()


def test_started_from_a_project_subfolder(codex: Path, server: ModelServer, tmp_path: Path) -> None:
    project = codex_project(tmp_path, codex, server)
    sub = project.root / "src" / "pkg"
    sub.mkdir(parents=True)
    requests = Codex(codex, project, server).run(
        'How do our refresh tokens rotate?\ncall:query {"text": "refresh tokens rotate"}', cwd=sub)
    records = project.injections()
    assert [r["event"] for r in records] == ["SessionStart", "UserPromptSubmit"]
    assert requests[0].text.count(PINNED_BODY) == 1
    output = [i for i in requests[-1].body["input"] if i.get("type") == "function_call_output"]
    expected = project.memory.context("refresh tokens rotate", budget=600, limit=3)
    assert expected.items and all(i.path in json.dumps(output) for i in expected.items)


def test_add_reminder_and_resume(codex: Path, server: ModelServer, tmp_path: Path) -> None:
    project = codex_project(tmp_path, codex, server)
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
    project = codex_project(tmp_path, codex, server)
    server.openai_input_tokens = 200_000  # the first answer reports a context over the limit
    requests = Codex(codex, project, server).run(
        'How do our refresh tokens rotate?\ncall:query {"text": "refresh tokens rotate"}')
    marks = [i for i, r in enumerate(requests) if "CONTEXT CHECKPOINT COMPACTION" in _newest_texts(r)]
    assert len(marks) == 1  # Codex compacted once, mid-turn
    after = requests[marks[0] + 1:]
    assert after and all(r.text.count(PINNED_BODY) == 1 for r in after)
    starts = [r["source"] for r in project.injections() if r["event"] == "SessionStart"]
    assert starts == ["startup", "compact"]


def test_install_in_a_project_codex_does_not_trust_says_so(codex: Path, tmp_path: Path) -> None:
    """Codex lists no project hook where the project is not trusted: install must not claim
    that Codex already trusts memtree's hooks there."""
    home = tmp_path / "agent-home" / ".codex"
    home.mkdir(parents=True)
    (home / "config.toml").write_text('model = "gpt-5"\n')
    path = os.pathsep.join([str(codex.parent), os.environ.get("PATH", "")])
    project = make_project(tmp_path, "codex", {"PATH": path, "CODEX_HOME": str(home)})
    assert "already trusts" not in project.installed, project.installed
    assert "Codex lists no memtree hook here" in project.installed, project.installed
    assert (home / "config.toml").read_text() == 'model = "gpt-5"\n'
