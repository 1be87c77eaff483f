"""The providers against real HTTP servers on loopback and a real agent-CLI process: normal
answers in each wire format, malformed answers, 429 then success, timeouts, budgets, keys from
the environment, detection, and `memtree llm status`."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest

from conftest import Run
from llm_support import ModelServer, Reply, configure, model_server_fixture  # noqa: F401
from memtree import Memory
from memtree.config import Workspace
from memtree.errors import InvalidEntry, LLMError
from memtree.llm import client


def _client(memory: Memory) -> client.Client:
    found = client.resolve(Workspace.at(memory.root))
    assert found is not None
    return found


def test_no_provider_means_no_client(memory: Memory) -> None:
    assert client.resolve(memory.ws) is None


def test_openai_compatible_answer_key_and_spend(memory: Memory, model_server: ModelServer,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", "sk-test-123")
    configure(memory.root, "openai", model_server.url, api_key_env="MY_KEY")
    model_server.replies(Reply("the answer"))
    done = _client(memory).ask("be brief", "question?", "test")
    assert (done.text, done.input_tokens, done.output_tokens) == ("the answer", 120, 30)
    sent = model_server.requests[0]
    assert sent["path"] == "/chat/completions"
    assert sent["headers"]["Authorization"] == "Bearer sk-test-123"
    assert sent["body"]["messages"][0] == {"role": "system", "content": "be brief"}
    assert sent["body"]["model"] == "test-model"
    assert client.spent_today(memory.root) == 150


def test_anthropic_messages_wire_format(memory: Memory, model_server: ModelServer,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "ak-1")
    configure(memory.root, "anthropic", model_server.url)
    model_server.replies(Reply("hello"))
    done = _client(memory).ask("system text", "user text", "test", max_tokens=50)
    assert done.text == "hello" and done.tokens == 120
    sent = model_server.requests[0]
    assert sent["path"] == "/v1/messages"
    assert sent["headers"]["X-Api-Key"] == "ak-1" and sent["headers"]["Anthropic-Version"]
    assert sent["body"]["system"] == "system text"
    assert sent["body"]["messages"] == [{"role": "user", "content": "user text"}]
    assert sent["body"]["max_tokens"] == 50


def test_anthropic_without_key_is_an_llm_error(memory: Memory, model_server: ModelServer,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    configure(memory.root, "anthropic", model_server.url)
    with pytest.raises(LLMError, match="ANTHROPIC_API_KEY"):
        client.resolve(Workspace.at(memory.root))
    assert model_server.requests == []


@pytest.mark.parametrize("raw, message", [(b"not json{", "not JSON"), (b'{"choices": []}', "no choices"),
                                          (b"[1, 2]", "not a JSON object")])
def test_malformed_answers_are_llm_errors(memory: Memory, model_server: ModelServer,
                                          raw: bytes, message: str) -> None:
    configure(memory.root, "openai", model_server.url)
    model_server.replies(Reply(raw=raw))
    with pytest.raises(LLMError, match=message):
        _client(memory).ask("s", "u", "test")


def test_429_then_success_honours_retry_after(memory: Memory, model_server: ModelServer) -> None:
    configure(memory.root, "openai", model_server.url)
    model_server.replies(Reply(status=429, raw=b"{}", headers={"Retry-After": "0.3"}), Reply("fine"))
    started = time.monotonic()
    assert _client(memory).ask("s", "u", "test").text == "fine"
    assert time.monotonic() - started >= 0.3
    assert len(model_server.requests) == 2


def test_5xx_retried_a_bounded_number_of_times(memory: Memory, model_server: ModelServer) -> None:
    configure(memory.root, "openai", model_server.url, retries=2)
    model_server.replies(Reply(status=503, raw=b'{"error": "overloaded"}', headers={"Retry-After": "0"}))
    with pytest.raises(LLMError, match="HTTP 503"):
        _client(memory).ask("s", "u", "test")
    assert len(model_server.requests) == 3


def test_4xx_is_not_retried(memory: Memory, model_server: ModelServer) -> None:
    configure(memory.root, "openai", model_server.url)
    model_server.replies(Reply(status=401, raw=b'{"error": "bad key"}'))
    with pytest.raises(LLMError, match="HTTP 401.*bad key"):
        _client(memory).ask("s", "u", "test")
    assert len(model_server.requests) == 1


def test_slow_answer_past_the_timeout(memory: Memory, model_server: ModelServer) -> None:
    configure(memory.root, "openai", model_server.url, timeout=0.5)
    model_server.replies(Reply("late", delay=3))
    started = time.monotonic()
    with pytest.raises(LLMError, match="no answer within 0.5s"):
        _client(memory).ask("s", "u", "test")
    assert time.monotonic() - started < 2.5


def test_daily_budget_is_enforced_before_calling(memory: Memory, model_server: ModelServer) -> None:
    configure(memory.root, "openai", model_server.url, daily_tokens=400, max_tokens=100)
    model_server.replies(Reply("one"))
    ask = _client(memory)
    ask.ask("s", "u", "test")  # 150 tokens recorded (the server's usage)
    ask.ask("s", "u", "test")  # 300
    with pytest.raises(LLMError, match="daily token budget exhausted: 300 of 400"):
        ask.ask("s", "u", "test")
    assert len(model_server.requests) == 2
    lines = (memory.root / ".local" / "llm-spend.jsonl").read_text().splitlines()
    assert [json.loads(line)["purpose"] for line in lines] == ["test", "test"]


def test_per_call_budget_caps_what_is_asked(memory: Memory, model_server: ModelServer) -> None:
    configure(memory.root, "openai", model_server.url, max_tokens=64)
    _client(memory).ask("s", "u", "test", max_tokens=5000)
    assert model_server.requests[0]["body"]["max_tokens"] == 64


def test_settings_of_the_wrong_type_name_the_key(memory: Memory) -> None:
    configure(memory.root, "openai", "http://127.0.0.1:9", timeout="soon")
    with pytest.raises(InvalidEntry, match=r"\[llm\] timeout must be a positive number"):
        client.resolve(Workspace.at(memory.root))


def test_an_endless_timeout_written_by_hand_is_refused(memory: Memory) -> None:
    configure(memory.root, "openai", "http://127.0.0.1:9")
    config = memory.root / "config.toml"
    config.write_text(config.read_text() + "timeout = inf\n")
    with pytest.raises(InvalidEntry, match=r"\[llm\] timeout must be a positive number"):
        client.resolve(Workspace.at(memory.root))


def test_unknown_provider(memory: Memory) -> None:
    configure(memory.root, "nope", "http://127.0.0.1:9")
    with pytest.raises(LLMError, match="provider 'nope': expected one of"):
        client.resolve(Workspace.at(memory.root))


# ---------------------------------------------------------------- agent CLIs


def fake_agent(folder: Path, name: str, script: str) -> Path:
    """A real executable on PATH standing in for an agent CLI (a shell script)."""
    folder.mkdir(exist_ok=True)
    exe = folder / name
    exe.write_text("#!/bin/sh\n" + script)
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return exe


def test_claude_cli_provider(memory: Memory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = tmp_path / "args.txt"
    fake_agent(tmp_path / "bin", "claude", f'echo "$@" > {seen}\ncat > {seen}.stdin\n'
               'echo \'{"type":"result","subtype":"success","is_error":false,"result":"from claude",'
               '"usage":{"input_tokens":11,"output_tokens":4}}\'\n')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    configure(memory.root, "auto", "", model="")
    done = _client(memory).ask("system words", "user words", "test")
    assert (done.text, done.tokens) == ("from claude", 15)
    assert "-p --output-format json" in seen.read_text()
    assert "user words" in Path(f"{seen}.stdin").read_text()
    status = client.status(Workspace.at(memory.root))
    assert status["provider"] == "claude" and "found `claude` on PATH" in status["why"]


def test_agent_cli_timeout_and_failure(memory: Memory, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    fake_agent(tmp_path / "bin", "codex", "sleep 5\n")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    configure(memory.root, "codex", "", timeout=0.5)
    started = time.monotonic()
    with pytest.raises(LLMError, match="no answer within 0.5s"):
        _client(memory).ask("s", "u", "test")
    assert time.monotonic() - started < 3
    fake_agent(tmp_path / "bin", "codex", "echo 'not logged in' >&2\nexit 3\n")
    with pytest.raises(LLMError, match="exited with 3: not logged in"):
        _client(memory).ask("s", "u", "test")


def test_codex_and_gemini_output_shapes(memory: Memory, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    fake_agent(tmp_path / "bin", "codex", "cat >/dev/null\n"
               'echo \'{"type":"thread.started"}\'\n'
               'echo \'{"type":"item.completed","item":{"type":"agent_message","text":"codex says"}}\'\n'
               'echo \'{"type":"turn.completed","usage":{"input_tokens":7,"output_tokens":2}}\'\n')
    fake_agent(tmp_path / "bin", "gemini", 'echo \'{"response":"gemini says"}\'\n')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    configure(memory.root, "codex", "")
    assert _client(memory).ask("s", "u", "t").text == "codex says"
    configure(memory.root, "gemini", "")
    assert _client(memory).ask("s", "u", "t").text == "gemini says"


def test_llm_status_command(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Memory.init(tmp_path / "project")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    out = run("llm", "status", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["provider"] is None and "no [llm] provider" in data["why"] and data["detected"] == {}
    fake_agent(tmp_path / "bin", "gemini", "true\n")
    out = run("llm", "status")
    assert "Found gemini" in out.stdout and "provider: none" in out.stdout


def test_a_registered_provider_is_used_like_a_built_in(memory: Memory) -> None:
    from memtree import llm

    class Fixed:
        name, model = "fixed", "v1"

        def __init__(self, settings: object) -> None:
            self.calls: list[int] = []

        def complete(self, messages: list[dict[str, str]], *, max_tokens: int, timeout: float) -> llm.Completion:
            return llm.Completion(f"{len(messages)} messages, at most {max_tokens}", 3, 4, self.model)

    llm.register("fixed", Fixed)
    configure(memory.root, "fixed", "", max_tokens=77)
    done = _client(memory).ask("s", "u", "test")
    assert done.text == "2 messages, at most 77" and client.spent_today(memory.root) == 7
    assert "fixed" in llm.names()
