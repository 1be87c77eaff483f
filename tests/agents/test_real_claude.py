"""Claude Code itself (the pinned npm release, `-p` mode) against the loopback model server, in
a project set up by `memtree install claude-code`: what reaches the model is what memtree gave.

Deselect with `-m "not agents"`.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from agents_real import CLAUDE, Project, agent_program, base_env, make_project, run_agent
from conftest import MEMTREE
from memtree.agents.inject import REMINDER
from model_server import Logged, ModelServer

pytestmark = pytest.mark.agents

TOOLS = ("query", "get", "list", "tree", "add", "update", "link", "supersede", "archive")
PINNED_BODY = "Secrets live in the team vault."


@pytest.fixture(scope="module")
def claude() -> Path:
    return agent_program(CLAUDE)


@pytest.fixture
def server() -> Any:
    with ModelServer() as running:
        yield running


class Claude:
    """One project, one model server; `run` is one `claude -p` invocation."""

    def __init__(self, program: Path, project: Project, server: ModelServer) -> None:
        self.program, self.project, self.server = program, project, server
        self.env = {**base_env(project), "ANTHROPIC_BASE_URL": server.url,
                    "ANTHROPIC_API_KEY": "sk-ant-test-key", "DISABLE_AUTOUPDATER": "1",
                    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}
        self.session: str | None = None

    def run(self, prompt: str, *args: str, cwd: Path | None = None) -> tuple[dict[str, Any], list[Logged]]:
        before = len(self.server.requests)
        resume = ["--resume", self.session] if self.session else []
        done = run_agent([str(self.program), "-p", prompt, "--output-format", "json", *resume,
                          *args], self.project, self.env, cwd=cwd)
        result = json.loads(done.stdout)
        self.session = result["session_id"]
        assert self.project.hook_errors() == ""
        return result, self.server.of("anthropic")[before:]


def _user_turns(request: Logged) -> list[Any]:
    return [m["content"] for m in request.body["messages"] if m["role"] == "user"]


def _tool_results(request: Logged) -> list[dict[str, Any]]:
    last = _user_turns(request)[-1]
    return [b for b in last if isinstance(b, dict) and b.get("type") == "tool_result"]


def _transcript(project: Project, session: str | None) -> list[dict[str, Any]]:
    (file,) = (project.home / ".claude" / "projects").rglob(f"{session}.jsonl")
    return [json.loads(line) for line in file.read_text().splitlines() if line.strip()]


def _newest_turn_has(request: Logged, text: str) -> bool:
    return text in json.dumps(_user_turns(request)[-1])


def test_briefing_prompt_entries_and_tools_reach_the_model(claude: Path, server: ModelServer,
                                                           tmp_path: Path) -> None:
    project = make_project(tmp_path, "claude-code")
    agent = Claude(claude, project, server)
    result, requests = agent.run('How do our refresh tokens rotate?\n'
                                 'call:query {"text": "refresh tokens rotate"}')
    first = requests[0]
    given = {i["event"]: [e["path"] for e in i["entries"]] for i in project.injections()}
    assert set(given) == {"SessionStart", "UserPromptSubmit"}
    for title in project.titles(given["SessionStart"] + given["UserPromptSubmit"]):
        assert first.text.count(title) >= 1, title
    assert first.text.count(PINNED_BODY) == 1
    names = {t["name"] for t in first.body["tools"]}
    assert {f"mcp__memtree__{t}" for t in TOOLS} <= names
    # The scripted query went to memtree without a permission prompt, and its answer came back.
    assert result["permission_denials"] == [] and result["result"] == "Done: the tool answered."
    (answer,) = _tool_results(requests[-1])
    assert not answer.get("is_error")
    data = json.loads(answer["content"] if isinstance(answer["content"], str)
                      else answer["content"][0]["text"])
    expected = project.memory.context("refresh tokens rotate", budget=600, limit=3)
    assert [i["path"] for i in data["items"]] == [i.path for i in expected.items]


def test_add_writes_an_entry_as_claude_code_and_resume_gives_no_second_briefing(
        claude: Path, server: ModelServer, tmp_path: Path) -> None:
    project = make_project(tmp_path, "claude-code")
    agent = Claude(claude, project, server)
    agent.run("Look at how the release build works today, please.")
    result, requests = agent.run(
        'Record that we lint with ruff.\ncall:add {"title": "Lint with ruff", "path": '
        '"dev/tooling", "summary": "Run ruff check before pushing.", "body": "CI runs ruff."}',
        "--allowedTools", "mcp__memtree__add")
    (answer,) = _tool_results(requests[-1])
    assert "dev/tooling/lint-with-ruff" in json.dumps(answer), answer
    entry = project.memory.get("dev/tooling/lint-with-ruff")
    assert entry.source.by == "agent:claude-code"
    # Resumed: the history still holds the one briefing; none is logged or given again.
    events = [i["event"] for i in project.injections()]
    assert events.count("SessionStart") == 1
    assert all(r.text.count(PINNED_BODY) == 1 for r in requests)
    # Two prompts are enough for the reminder, but the session wrote to memory: none is given.
    assert not any(REMINDER in r.text for r in requests)
    assert result["result"] == "Done: the tool answered."


def test_reminder_once_and_pinned_entries_once_after_compaction(
        claude: Path, server: ModelServer, tmp_path: Path) -> None:
    project = make_project(tmp_path, "claude-code")
    agent = Claude(claude, project, server)
    agent.run("Look at how the release build works today, please.")
    _, second = agent.run("Now check the runner images for the release workflow.")
    reminded = [r for r in second if _newest_turn_has(r, REMINDER)]
    assert len(reminded) == 1  # the Stop hook continued the turn once; the model answered it
    # What the interactive view draws from: the transcript's stop-hook summary holds the reminder
    # as feedback ("Stop hook feedback: …"), not as an error ("Stop hook error: …").
    (summary,) = [s for s in _transcript(project, agent.session) if s.get("subtype") == "stop_hook_summary"
                  and s.get("hookAdditionalContext")]
    assert summary["hookErrors"] == [] and summary["hookAdditionalContext"] == [REMINDER]
    _, third = agent.run("Check the test setup in conftest as well.")
    assert not any(_newest_turn_has(r, REMINDER) for r in third)
    agent.run("/compact")
    _, after = agent.run("What are the rules about secrets and tokens here?")
    assert after[0].text.count(PINNED_BODY) == 1
    starts = [i for i in project.injections() if i["event"] == "SessionStart"]
    assert [s["source"] for s in starts] == ["startup", "compact"]


@pytest.mark.xfail(strict=True, reason="Claude Code 2.1.332 reads .claude/settings.json only in "
                   "the folder it starts in (hence `memtree install claude-code --user`)")
def test_hooks_run_when_claude_code_starts_in_a_subfolder(claude: Path, server: ModelServer,
                                                         tmp_path: Path) -> None:
    project = make_project(tmp_path, "claude-code")
    folder = project.root / "src" / "app"
    folder.mkdir(parents=True)
    _, requests = Claude(claude, project, server).run(
        "How are our JWT access tokens signed?", cwd=folder)
    assert requests[0].text.count(PINNED_BODY) == 1
    assert {i["event"] for i in project.injections()} == {"SessionStart", "UserPromptSubmit"}


def test_a_user_level_install_runs_the_hooks_from_a_subfolder(claude: Path, server: ModelServer,
                                                              tmp_path: Path) -> None:
    project = make_project(tmp_path, "claude-code")
    done = subprocess.run([str(MEMTREE), "uninstall", "claude-code"], cwd=project.root,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([str(MEMTREE), "install", "claude-code", "--user"], cwd=project.root,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "HOME": str(project.home)})
    assert done.returncode == 0, done.stderr
    folder = project.root / "src" / "app"
    folder.mkdir(parents=True)
    result, requests = Claude(claude, project, server).run(
        'How do our refresh tokens rotate?\ncall:query {"text": "refresh tokens rotate"}', cwd=folder)
    assert requests[0].text.count(PINNED_BODY) == 1
    assert {i["event"] for i in project.injections()} == {"SessionStart", "UserPromptSubmit"}
    assert result["permission_denials"] == []
    (answer,) = _tool_results(requests[-1])
    assert not answer.get("is_error") and "sign-access-tokens-with-rs256" in json.dumps(answer)


def test_a_session_is_answered_by_the_resident_process_its_first_hook_starts(
        claude: Path, server: ModelServer, tmp_path: Path) -> None:
    """With the resident process on (the default outside this suite): the first hook answers
    and starts it, the next prompts' hooks are answered by it, and the model gets the same
    memory as from hooks run on their own."""
    import shutil
    import tempfile

    runtime = tempfile.mkdtemp(prefix="mr", dir="/tmp")
    os.chmod(runtime, 0o700)
    project = make_project(tmp_path, "claude-code")
    agent = Claude(claude, project, server)
    agent.env = {**agent.env, "MEMTREE_RESIDENT": "on", "XDG_RUNTIME_DIR": runtime}

    def resident() -> dict[str, Any]:
        done = subprocess.run([str(MEMTREE), "resident", "--json"], env=agent.env,
                              capture_output=True, text=True, timeout=60)
        return dict(json.loads(done.stdout))

    try:
        agent.run("Look at how the release build works today, please.")
        first = resident()
        assert first["running"] is True
        _, requests = agent.run("How do our refresh tokens rotate?")
        assert resident()["served"] > first["served"]  # this prompt's hooks went to it
        given = [i for i in project.injections() if i["event"] == "UserPromptSubmit"]
        assert given and "refresh" in json.dumps(given[-1])
        for title in project.titles([e["path"] for e in given[-1]["entries"]]):
            assert any(title in r.text for r in requests), title
    finally:
        subprocess.run([str(MEMTREE), "resident", "stop"], env=agent.env, capture_output=True,
                       timeout=60)
        shutil.rmtree(runtime, ignore_errors=True)
