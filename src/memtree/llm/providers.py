"""The HTTP providers: OpenAI-compatible chat completions (OpenAI, Ollama, vLLM, LM Studio,
llama.cpp servers) and Anthropic Messages. Each turns messages into its wire format and its answer
into a `Completion`; an answer of the wrong shape is an `LLMError`. Registered on import.
"""

from __future__ import annotations

from ..errors import LLMError
from . import Completion, estimate_tokens, register
from .http import post_json

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any

    from .settings import LLMSettings


class OpenAICompatible:
    """POST {base_url}/chat/completions with a bearer key (none for local servers)."""

    name = "openai"

    def __init__(self, settings: LLMSettings) -> None:
        if not settings.model:
            raise LLMError("config.toml: [llm] model: required for provider 'openai'")
        self.settings, self.model = settings, settings.model

    def complete(self, messages: list[dict[str, str]], *, max_tokens: int,
                 timeout: float) -> Completion:
        headers = {"authorization": f"Bearer {self.settings.api_key}"} if self.settings.api_key else {}
        url = f"{self.settings.base_url}/chat/completions"
        body = {"model": self.model, "messages": messages, "max_tokens": max_tokens,
                "temperature": 0}
        found = post_json(url, body, headers, timeout=timeout, retries=self.settings.retries)
        try:
            text = found["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise LLMError(f"{url}: no choices[0].message.content in the answer") from exc
        return _completion(text, found.get("usage"), ("prompt_tokens", "completion_tokens"),
                           messages, self.model, url)


class AnthropicMessages:
    """POST {base_url}/v1/messages with `x-api-key` and `anthropic-version`."""

    name = "anthropic"
    VERSION = "2023-06-01"

    def __init__(self, settings: LLMSettings) -> None:
        if not settings.model:
            raise LLMError("config.toml: [llm] model: required for provider 'anthropic'")
        if not settings.api_key:
            raise LLMError(f"provider 'anthropic': no API key in ${settings.api_key_env}")
        self.settings, self.model = settings, settings.model

    def complete(self, messages: list[dict[str, str]], *, max_tokens: int,
                 timeout: float) -> Completion:
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        body: dict[str, Any] = {"model": self.model, "max_tokens": max_tokens, "temperature": 0,
                                "messages": [m for m in messages if m["role"] != "system"]}
        if system:
            body["system"] = system
        headers = {"x-api-key": self.settings.api_key, "anthropic-version": self.VERSION}
        url = f"{self.settings.base_url}/v1/messages"
        found = post_json(url, body, headers, timeout=timeout, retries=self.settings.retries)
        blocks = found.get("content")
        if not isinstance(blocks, list):
            raise LLMError(f"{url}: no content blocks in the answer")
        text = "".join(b.get("text", "") for b in blocks
                       if isinstance(b, dict) and b.get("type") == "text")
        return _completion(text, found.get("usage"), ("input_tokens", "output_tokens"),
                           messages, self.model, url)


def _completion(text: Any, usage: Any, keys: tuple[str, str], messages: list[dict[str, str]],
                model: str, url: str) -> Completion:
    if not isinstance(text, str):
        raise LLMError(f"{url}: the answer's text is not a string")
    usage = usage if isinstance(usage, dict) else {}
    given = [usage.get(k) for k in keys]
    spent_in = given[0] if isinstance(given[0], int) else estimate_tokens(
        "".join(m["content"] for m in messages))
    spent_out = given[1] if isinstance(given[1], int) else estimate_tokens(text)
    return Completion(text, spent_in, spent_out, model)


register("openai", OpenAICompatible)
register("anthropic", AnthropicMessages)
