"""A real HTTP model server on 127.0.0.1 for the LLM tests: it answers in the OpenAI chat
completions or Anthropic Messages wire format from a script of replies (status, body, headers,
delay), records every request it got, and answers the last reply again when the script runs out."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Reply:
    text: str | None = None      # the model's text, wrapped in the wire format
    status: int = 200
    raw: bytes | None = None     # sent as is instead (malformed answers)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def openai_body(text: str) -> dict[str, Any]:
    return {"choices": [{"message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 120, "completion_tokens": 30}}


def anthropic_body(text: str) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": text}],
            "usage": {"input_tokens": 100, "output_tokens": 20}}


class ModelServer:
    def __init__(self) -> None:
        self.script: list[Reply] = [Reply("ok")]
        self.requests: list[dict[str, Any]] = []
        self.answer: Callable[[dict[str, Any]], str] | None = None  # computes the text from the request
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                owner.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                reply = owner.script.pop(0) if len(owner.script) > 1 else owner.script[0]
                if reply.delay:
                    time.sleep(reply.delay)
                text = owner.answer(body) if owner.answer and reply.text is None and reply.raw is None else reply.text
                wire = anthropic_body if self.path.endswith("/v1/messages") else openai_body
                data = reply.raw if reply.raw is not None else json.dumps(wire(text or "")).encode()
                try:
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def replies(self, *script: Reply) -> None:
        self.script = list(script)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(name="model_server")
def model_server_fixture() -> Iterator[ModelServer]:
    """Import this fixture into a test module (`model_server_fixture`) to use `model_server`."""
    server = ModelServer()
    yield server
    server.close()


def configure(root: Any, provider: str, base_url: str, **more: Any) -> None:
    """Write an [llm] table into a root's config.toml (replacing any earlier one)."""
    path = root / "config.toml"
    text = path.read_text().split("\n[llm]\n")[0].rstrip("\n")
    lines = [f'provider = "{provider}"', f'base_url = "{base_url}"']
    for key, value in {"model": "test-model", **more}.items():
        lines.append(f"{key} = {json.dumps(value) if not isinstance(value, bool) else str(value).lower()}")
    path.write_text(text + "\n\n[llm]\n" + "\n".join(lines) + "\n")
