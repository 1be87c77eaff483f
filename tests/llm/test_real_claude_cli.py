"""The agent-CLI provider against the real `claude` program (the pinned Claude Code the agent
tests install), pointed at the loopback model server: the prompt reaches the model and its
answer comes back as the completion, with no tools offered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents_real import CLAUDE, agent_program
from memtree import Memory
from memtree.llm.client import resolve
from model_server import ModelServer

pytestmark = pytest.mark.agents


def test_claude_cli_provider_answers_through_the_real_program(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    claude = agent_program(CLAUDE)
    memory = Memory.init(tmp_path / "project", autocommit=False)
    config = memory.root / "config.toml"
    config.write_text(config.read_text() + f'\n[llm]\nprovider = "claude"\nbase_url = "{claude}"\n'
                      "timeout = 120\n")
    with ModelServer() as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-key")
        monkeypatch.setenv("DISABLE_AUTOUPDATER", "1")
        monkeypatch.setenv("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        client = resolve(Memory.open(memory.root).ws)
        assert client is not None
        answer = client.ask("You rank memory entries.", "Which entry says how tokens are signed?",
                            "test")
        asked = server.of("anthropic")
    assert answer.text.strip() == "OK."
    assert any("Which entry says how tokens are signed?" in r.text for r in asked)
    assert all(not r.body.get("tools") for r in asked if "tokens are signed" in r.text)
    spent = (memory.root / ".local" / "llm-spend.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(spent[-1])["purpose"] == "test"
