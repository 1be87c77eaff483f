"""File-aware memory in the real agents (the pinned npm releases) against the loopback model
server: the model server scripts a read of a project file with the agent's own tool (Claude
Code `Read`, Gemini CLI `read_file`, Codex a shell `cat`), the agent runs it, memtree's file hook
fires, and the entry anchored in that file reaches the next model request, once.

Deselect with `-m "not agents"`. Each run is CPU heavy: run them one at a time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agents_real import CLAUDE, CODEX, GEMINI, Project, agent_program, base_env, make_project, run_agent
from model_server import Logged, ModelServer

pytestmark = pytest.mark.agents

NOTE = "The sign function wraps the private key; never log its argument."
FILE = "src/auth/tokens.py"


@pytest.fixture
def server() -> Any:
    with ModelServer() as running:
        yield running


def _project(tmp_path: Path, agent: str) -> Project:
    project = make_project(tmp_path, agent)
    code = project.root / "src" / "auth"
    code.mkdir(parents=True)
    (code / "tokens.py").write_text("def sign(payload):\n    return payload\n")
    project.memory.add("Token signing lives in tokens.py", "auth/code", NOTE,
                       anchors=[f"{FILE}#sign"])
    return project


def _file_records(project: Project) -> list[dict[str, Any]]:
    return [r for r in project.injections() if r.get("files")]


def _check(project: Project, requests: list[Logged], copies: int = 1) -> None:
    """The entry came once: from the request after the first read on, never twice (`copies`:
    how often the agent's own history repeats the first read's result); one file-hook
    injection for the two reads of the file."""
    assert project.hook_errors() == ""
    first = next(n for n, r in enumerate(requests) if NOTE in r.text)
    assert first > 0  # not before the tool ran
    assert all(1 <= r.text.count(NOTE) <= copies for r in requests[first:]), \
        [r.text.count(NOTE) for r in requests]
    records = _file_records(project)
    assert len(records) == 1 and records[0]["files"] == [FILE]
    assert [e["tier"] for e in records[0]["entries"]] == ["anchor"]


def test_claude_code_read_brings_the_anchored_entry(server: ModelServer, tmp_path: Path) -> None:
    program = agent_program(CLAUDE)
    project = _project(tmp_path, "claude-code")
    env = {**base_env(project), "ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": "sk-ant-test",
           "DISABLE_AUTOUPDATER": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}
    read = f'tool:Read {{"file_path": "{project.root / FILE}"}}'
    done = run_agent([str(program), "-p", f"Look at the signing code.\n{read}", "--output-format",
                      "json"], project, env)
    session = json.loads(done.stdout)["session_id"]
    run_agent([str(program), "-p", f"Read it once more.\n{read}", "--output-format", "json",
               "--resume", session], project, env)
    requests = server.of("anthropic")
    _check(project, requests)
    # The entry came right after the tool's result (Claude Code adds hook context as a message
    # of its own after the result, or inside the result's turn).
    after = next(r for r in requests if NOTE in r.text)
    messages = after.body["messages"]
    where = next(n for n, m in enumerate(messages) if NOTE in json.dumps(m))
    results = [n for n, m in enumerate(messages) if "tool_result" in json.dumps(m)]
    assert results and where >= results[0], (where, results, json.dumps(messages)[-3000:])


def test_gemini_read_file_brings_the_anchored_entry(server: ModelServer, tmp_path: Path) -> None:
    program = agent_program(GEMINI)
    project = _project(tmp_path, "gemini")
    env = {**base_env(project), "GOOGLE_GEMINI_BASE_URL": server.url, "GEMINI_API_KEY": "test-key"}
    settings = project.home / ".gemini"
    settings.mkdir(exist_ok=True)
    (settings / "settings.json").write_text(json.dumps(
        {"security": {"auth": {"selectedType": "gemini-api-key"}}}))
    (settings / "trustedFolders.json").write_text(json.dumps({str(project.root): "TRUST_FOLDER"}))
    read = f'tool:read_file {{"file_path": "{FILE}"}}'
    for n, prompt in enumerate((f"Look at the signing code.\n{read}", f"Read it once more.\n{read}")):
        run_agent([str(program), "-m", "gemini-2.5-flash", "-p", prompt, "--output-format", "json",
                   *(["--resume", "latest"] if n else [])], project, env)
    requests = [r for r in server.of("gemini") if ":stream" in r.path]
    # Gemini escapes what a hook adds (`<` as `&lt;`) and wraps it in <hook_context>; its resumed
    # history repeats the first read's result (with the entry), the second read's has none.
    _check(project, requests, copies=2)
    after = next(r for r in requests if NOTE in r.text)
    parts = json.dumps(after.body["contents"][-1]["parts"])
    assert "functionResponse" in parts and NOTE in parts and "hook_context" in parts
    answers = [p for r in requests for p in r.body["contents"][-1]["parts"] if "functionResponse" in p]
    assert len(answers) >= 2 and NOTE not in json.dumps(answers[-1])  # the second read's result


def test_codex_shell_read_brings_the_anchored_entry(server: ModelServer, tmp_path: Path) -> None:
    program = agent_program(CODEX)
    project = _project(tmp_path, "codex")
    home = project.home / ".codex"
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(
        'model = "gpt-5"\nmodel_provider = "loopback"\n\n'
        '[model_providers.loopback]\nname = "loopback"\n'
        f'base_url = "{server.url}/v1"\nwire_api = "responses"\nenv_key = "OPENAI_API_KEY"\n\n'
        f'[projects."{project.root}"]\ntrust_level = "trusted"\n')
    env = {**base_env(project), "OPENAI_API_KEY": "test-key", "CODEX_HOME": str(home)}
    read = f'tool:exec_command {{"cmd": "cat {FILE}"}}'
    for n, prompt in enumerate((f"Look at the signing code.\n{read}", f"Read it once more.\n{read}")):
        run_agent([str(program), "exec", "--dangerously-bypass-hook-trust",
                   *(["resume", "--last"] if n else []), prompt], project, env)
    requests = server.of("openai")
    _check(project, requests)
    after = next(r for r in requests if NOTE in r.text)
    outputs = [i for i in after.body["input"] if i.get("type") == "function_call_output"]
    assert outputs and NOTE in json.dumps(after.body["input"][-3:])
