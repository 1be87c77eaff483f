"""Gemini CLI itself (the pinned npm release, `-p` mode) against the loopback model server, in a
project set up by `memtree install gemini`, with the project folder trusted as a user would.

Deselect with `-m "not agents"`.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import time
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


class GeminiTUI:
    """Gemini CLI's interactive view in a pseudo-terminal: prompts are typed, and each step waits
    on the model server's log (what reached the model), not on the screen."""

    def __init__(self, program: Path, project: Project, server: ModelServer) -> None:
        self.server, self.project = server, project
        env = {**Gemini(program, project, server).env, "TERM": "xterm-256color"}
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: Gemini in the project, as a user starts it
            os.chdir(project.root)
            os.execve(str(program), [str(program), "-m", MODEL], env)
        self.screen = b""
        self._until(lambda: any(r["event"] == "SessionStart" for r in project.injections()), 60)
        self._settle()

    def _pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if select.select([self.fd], [], [], 0.1)[0]:
                try:
                    self.screen += os.read(self.fd, 1 << 16)
                except OSError:
                    return

    def _until(self, done: Any, limit: float) -> None:
        end = time.monotonic() + limit
        while not done():
            assert time.monotonic() < end, self.screen[-3000:].decode("utf-8", "replace")
            self._pump(0.3)

    def _settle(self, quiet: float = 3.0) -> None:
        """Wait until nothing new reached the model for `quiet` seconds (hooks done too)."""
        seen, since = len(self.server.requests), time.monotonic()
        while time.monotonic() - since < quiet:
            self._pump(0.3)
            if len(self.server.requests) != seen:
                seen, since = len(self.server.requests), time.monotonic()

    def type(self, text: str) -> list[Logged]:
        """Type one line (no `?`: it opens the shortcuts), return the requests it caused."""
        before = len(self.server.requests)
        os.write(self.fd, text.encode())
        self._pump(0.5)
        os.write(self.fd, b"\r")
        self._until(lambda: len(self.server.requests) > before, 90)
        self._settle()
        return [r for r in self.server.requests[before:] if r.protocol == "gemini"]

    def close(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)


def test_pinned_entries_once_after_compression_automatic_and_manual(
        gemini: Path, server: ModelServer, tmp_path: Path) -> None:
    project = make_project(tmp_path, "gemini")
    config = project.root / ".memory" / "config.toml"
    config.write_text(config.read_text() + "remind_after = 100\n")  # no stop reminder turns here
    tui = GeminiTUI(gemini, project, server)
    try:
        server.gemini_prompt_tokens = 600_000  # over half of the model's 1M window: compress next
        (first,) = tui.type("Look at how the release build works today please")
        assert first.text.count(PINNED_BODY) == 1  # the briefing, in the history
        squeezed = tui.type("Now check the runner images for the release workflow")
        assert len([r for r in squeezed if ":generateContent" in r.path]) == 2  # summary, check
        # The briefing was in the history Gemini summarised: this turn goes without it ...
        assert squeezed[-1].text.count(PINNED_BODY) == 0
        # ... and memtree, seeing the compression in Gemini's chat file, gives it at the next prompt.
        server.gemini_prompt_tokens = 50_000  # under the threshold, and more than a summary
        (after,) = tui.type("What are the rules about secrets and tokens here")
        assert after.text.count(PINNED_BODY) == 1
        # `/compress` summarises the older turns and keeps the newest, which hold the pinned
        # rules memtree just gave: they are in the context once, and not given again.
        assert [r for r in tui.type("/compress") if ":generateContent" in r.path]
        (again,) = tui.type("Which signing keys do we use for access tokens")
        assert again.text.count(PINNED_BODY) == 1
        # `/compress` when the last answer counted 100 tokens: the summary would not be shorter,
        # so Gemini keeps its history (pinned rules included) and memtree gives no second copy.
        assert [r for r in tui.type("/compress") if ":generateContent" in r.path]
        (kept,) = tui.type("Also look at the deploy notes for staging")
        assert kept.text.count(PINNED_BODY) == 1
    finally:
        tui.close()
    assert project.hook_errors() == ""
    back = [r for r in project.injections() if r.get("source") == "compact"]
    assert [r["event"] for r in back] == ["BeforeAgent"]  # after the automatic compression only
