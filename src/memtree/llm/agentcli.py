"""The agent a developer already has as a provider: `claude -p`, `codex exec` or `gemini -p`,
run non-interactively with JSON output, no tools, in a new process group killed at the
timeout. Also `detect`: which of these programs are on PATH. Registered on import.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess

from ..errors import LLMError
from . import Completion, estimate_tokens, register

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .settings import LLMSettings

# program -> (arguments; the prompt goes on stdin, or replaces "{prompt}")
COMMANDS: dict[str, list[str]] = {
    "claude": ["-p", "--output-format", "json", "--max-turns", "1", "--tools", ""],
    "codex": ["exec", "--json", "--skip-git-repo-check", "--sandbox", "read-only", "-"],
    "gemini": ["--output-format", "json", "-p", "{prompt}"],
}


def detect() -> dict[str, str]:
    """The agent programs found on PATH, by name: their full paths."""
    return {name: found for name in COMMANDS if (found := shutil.which(name))}


class AgentCLI:
    """One of COMMANDS; `base_url`, when set, is the program to run instead of the name."""

    def __init__(self, settings: LLMSettings, program: str) -> None:
        self.name, self.settings = program, settings
        self.model = settings.model or "default"
        self.command = settings.base_url if settings.base_url.startswith("/") else (
            shutil.which(program) or "")
        if not self.command:
            raise LLMError(f"provider {program!r}: `{program}` is not installed (not on PATH)")

    def complete(self, messages: list[dict[str, str]], *, max_tokens: int,
                 timeout: float) -> Completion:
        prompt = "\n\n".join(f"{m['role'].upper()}:\n{m['content']}" if m["role"] != "user"
                             else m["content"] for m in messages)
        args = [a.replace("{prompt}", prompt) for a in COMMANDS[self.name]]
        if self.settings.model:
            flag = ["-m" if self.name == "codex" else "--model", self.settings.model]
            args = [args[0], *flag, *args[1:]] if self.name == "codex" else [*flag, *args]
        stdin = "" if "{prompt}" in COMMANDS[self.name] else prompt
        out = _run([self.command, *args], stdin, timeout, self.name)
        text, used = PARSERS[self.name](out, self.name)
        spent_in = used.get("input_tokens") or estimate_tokens(prompt)
        spent_out = used.get("output_tokens") or estimate_tokens(text)
        return Completion(text, int(spent_in), int(spent_out), self.model)


def _run(argv: list[str], stdin: str, timeout: float, name: str) -> str:
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise LLMError(f"`{name}`: no answer within {timeout:g}s") from exc
    if proc.returncode != 0:
        last = (err.strip().splitlines() or ["no message"])[-1][:200]
        raise LLMError(f"`{name}` exited with {proc.returncode}: {last}")
    return out


def _claude(out: str, name: str) -> tuple[str, dict[str, Any]]:
    found = _json(out, name)
    if found.get("is_error") or not isinstance(found.get("result"), str):
        raise LLMError(f"`{name}`: {str(found.get('result') or found.get('subtype'))[:200]}")
    usage = found.get("usage")
    return found["result"], usage if isinstance(usage, dict) else {}


def _codex(out: str, name: str) -> tuple[str, dict[str, Any]]:
    text, usage = None, {}
    for line in out.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        item = event.get("item") if isinstance(event, dict) else None
        if isinstance(item, dict) and item.get("type") in ("agent_message", "assistant_message"):
            text = item.get("text", text)
        if isinstance(event, dict) and isinstance(event.get("usage"), dict):
            usage = event["usage"]
    if not isinstance(text, str):
        raise LLMError(f"`{name}`: no agent message in its JSON events")
    return text, usage


def _gemini(out: str, name: str) -> tuple[str, dict[str, Any]]:
    found = _json(out, name)
    if not isinstance(found.get("response"), str):
        raise LLMError(f"`{name}`: no 'response' in its JSON output")
    return found["response"], {}


def _json(out: str, name: str) -> dict[str, Any]:
    try:
        found = json.loads(out)
    except ValueError as exc:
        raise LLMError(f"`{name}`: its output is not JSON: {out[:80]!r}") from exc
    if not isinstance(found, dict):
        raise LLMError(f"`{name}`: its output is not a JSON object")
    return found


PARSERS = {"claude": _claude, "codex": _codex, "gemini": _gemini}


def _factory(program: str) -> Callable[[LLMSettings], AgentCLI]:
    def build(settings: LLMSettings) -> AgentCLI:
        return AgentCLI(settings, program)

    return build


for _name in COMMANDS:
    register(_name, _factory(_name))
