"""A scripted model server on 127.0.0.1 for running real coding agents in the tests.

Speaks the three wire protocols the agents use: Anthropic Messages (`POST /v1/messages`, SSE
when `stream` is set), Gemini (`…:generateContent`, `…:streamGenerateContent?alt=sse`) and
OpenAI Responses (`POST /v1/responses`, SSE). Every request body is logged, in order.

The script is in the prompt: a line `call:TOOL {json}` in the newest user turn makes the model
answer with a call to the memtree tool whose name ends in TOOL (it must be among the tools the
request lists; a request without it is answered in text); a line `tool:NAME {json}` calls the
agent's own tool named exactly NAME (`Read`, `read_file`, `exec_command`). A turn that carries a
tool's result is answered with text. Everything else gets the text `OK.`
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DIRECTIVE = re.compile(r"(?m)^call:(\w+) (\{.*\})\s*$")
OWN_TOOL = re.compile(r"(?m)^tool:(\w+) (\{.*\})\s*$")
_ids = itertools.count(1)


@dataclass
class Logged:
    """One request the server received."""

    protocol: str  # anthropic / gemini / openai
    path: str
    body: dict[str, Any]

    @property
    def text(self) -> str:
        return json.dumps(self.body, ensure_ascii=False)


@dataclass
class Reply:
    """What the model answers: text, or one tool call (name as the agent listed it)."""

    text: str = "OK."
    tool: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    namespace: str | None = None  # OpenAI Responses namespaced tools (Codex's MCP tools)


@dataclass
class Turn:
    """The newest turn of a conversation: its text and whether it carries tool results."""

    text: str
    tool_result: bool


def decide(turn: Turn, tools: list[tuple[str | None, str]], prompt_tokens: int = 0) -> Reply:
    """The scripted answer to a request whose newest turn is `turn`."""
    if turn.tool_result:
        return Reply("Done: the tool answered.")
    own = OWN_TOOL.findall(turn.text)
    if own:
        name, raw = own[-1]
        for namespace, listed in tools:
            if listed == name:
                return Reply(tool=name, args=json.loads(raw), namespace=namespace)
        return Reply(f"No tool named {name} is available.")
    found = DIRECTIVE.findall(turn.text)
    if not found:
        return Reply()
    short, raw = found[-1]
    for namespace, name in tools:
        full = f"{namespace or ''}{name}"
        if "memtree" in full and re.search(rf"(?:^|_){short}$", name):
            return Reply(tool=name, args=json.loads(raw), namespace=namespace)
    return Reply(f"No memtree tool named {short} is available.")


# ---------------------------------------------------------------- Anthropic Messages


def _anthropic_turn(body: dict[str, Any]) -> Turn:
    users = [m for m in body.get("messages") or [] if m.get("role") == "user"] or [{}]
    content = users[-1].get("content", "")
    if isinstance(content, str):
        return Turn(content, False)
    texts = [b.get("text", "") for b in content if b.get("type") == "text"]
    results = any(b.get("type") == "tool_result" for b in content)
    return Turn("\n".join(texts), results)


def _anthropic(body: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    tools = [(None, t["name"]) for t in body.get("tools") or [] if "name" in t]
    reply = decide(_anthropic_turn(body), tools)
    if reply.tool:
        block = {"type": "tool_use", "id": f"toolu_{next(_ids):04d}", "name": reply.tool,
                 "input": reply.args}
        return [block], "tool_use"
    return [{"type": "text", "text": reply.text}], "end_turn"


def anthropic_json(body: dict[str, Any]) -> dict[str, Any]:
    content, stop = _anthropic(body)
    return {"id": f"msg_{next(_ids):04d}", "type": "message", "role": "assistant",
            "model": body.get("model", "test"), "content": content, "stop_reason": stop,
            "stop_sequence": None, "usage": {"input_tokens": 100, "output_tokens": 10}}


def anthropic_events(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    message = anthropic_json(body)
    head = {**message, "content": [], "stop_reason": None}
    events: list[tuple[str, dict[str, Any]]] = [("message_start", {"type": "message_start",
                                                                   "message": head})]
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            start = {"type": "text", "text": ""}
            delta = {"type": "text_delta", "text": block["text"]}
        else:
            start = {**block, "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        events += [("content_block_start", {"type": "content_block_start", "index": index,
                                            "content_block": start}),
                   ("content_block_delta", {"type": "content_block_delta", "index": index,
                                            "delta": delta}),
                   ("content_block_stop", {"type": "content_block_stop", "index": index})]
    events += [("message_delta", {"type": "message_delta",
                                  "delta": {"stop_reason": message["stop_reason"],
                                            "stop_sequence": None},
                                  "usage": {"output_tokens": 10}}),
               ("message_stop", {"type": "message_stop"})]
    return events


# ---------------------------------------------------------------- Gemini


def _gemini_turn(body: dict[str, Any]) -> Turn:
    contents = body.get("contents") or [{}]
    parts = contents[-1].get("parts") or []
    texts = [p.get("text", "") for p in parts if "text" in p]
    return Turn("\n".join(texts), any("functionResponse" in p for p in parts))


def gemini_json(body: dict[str, Any], prompt_tokens: int) -> dict[str, Any]:
    tools = [(None, f["name"]) for t in body.get("tools") or []
             for f in t.get("functionDeclarations") or []]
    reply = decide(_gemini_turn(body), tools)
    part: dict[str, Any] = ({"functionCall": {"name": reply.tool, "args": reply.args}}
                            if reply.tool else {"text": reply.text})
    return {"candidates": [{"content": {"role": "model", "parts": [part]},
                            "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": prompt_tokens or 100,
                              "candidatesTokenCount": 10,
                              "totalTokenCount": (prompt_tokens or 100) + 10},
            "modelVersion": "test"}


# ---------------------------------------------------------------- OpenAI Responses


def _openai_turn(body: dict[str, Any]) -> Turn:
    items = body.get("input") or []
    if isinstance(items, str):
        return Turn(items, False)
    tail: list[dict[str, Any]] = []
    for item in reversed(items):  # the items after the last assistant output
        if item.get("role") == "assistant" or item.get("type") in ("function_call", "reasoning"):
            break
        tail.append(item)
    results = any(i.get("type", "").endswith("_call_output") for i in tail)
    texts = [c.get("text", "") for i in tail for c in (i.get("content") or [])
             if isinstance(c, dict)]
    return Turn("\n".join(texts), results)


def _openai_tools(body: dict[str, Any]) -> list[tuple[str | None, str]]:
    out: list[tuple[str | None, str]] = []
    for tool in body.get("tools") or []:
        if tool.get("type") == "namespace":
            out += [(tool.get("name"), t["name"]) for t in tool.get("tools") or [] if "name" in t]
        elif "name" in tool:
            out.append((None, tool["name"]))
    return out


def openai_events(body: dict[str, Any], input_tokens: int = 0) -> list[tuple[str, dict[str, Any]]]:
    reply = decide(_openai_turn(body), _openai_tools(body))
    rid = f"resp_{next(_ids):04d}"
    if reply.tool:
        item: dict[str, Any] = {"type": "function_call", "id": f"fc_{next(_ids):04d}",
                                "call_id": f"call_{next(_ids):04d}", "name": reply.tool,
                                "arguments": json.dumps(reply.args), "status": "completed"}
        if reply.namespace:
            item["namespace"] = reply.namespace
    else:
        item = {"type": "message", "role": "assistant", "id": f"msg_{next(_ids):04d}",
                "status": "completed",
                "content": [{"type": "output_text", "text": reply.text, "annotations": []}]}
    tokens = input_tokens or 100
    usage = {"input_tokens": tokens, "input_tokens_details": {"cached_tokens": 0},
             "output_tokens": 10, "output_tokens_details": {"reasoning_tokens": 0},
             "total_tokens": tokens + 10}
    return [("response.created", {"type": "response.created", "response": {"id": rid}}),
            ("response.output_item.added", {"type": "response.output_item.added",
                                            "output_index": 0, "item": item}),
            ("response.output_item.done", {"type": "response.output_item.done",
                                           "output_index": 0, "item": item}),
            ("response.completed", {"type": "response.completed",
                                    "response": {"id": rid, "usage": usage}})]


# ---------------------------------------------------------------- the HTTP server


class ModelServer:
    """The server, started on a free loopback port; use as a context manager."""

    def __init__(self) -> None:
        self.requests: list[Logged] = []
        self.gemini_prompt_tokens = 0  # reported usage, for one streamed answer: Gemini compresses
        self.openai_input_tokens = 0  # the same for Codex's auto-compact limit, for one answer
        self._lock = threading.Lock()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> ModelServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()

    def log(self, entry: Logged) -> None:
        with self._lock:
            self.requests.append(entry)

    def of(self, protocol: str) -> list[Logged]:
        with self._lock:
            return [r for r in self.requests if r.protocol == protocol]


def _handler(server: ModelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:  # model lists and health checks
            self._json({"data": [], "models": []})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = _decode(raw, self.headers.get("Content-Encoding", ""))
            path = self.path.split("?")[0]
            if path.endswith("/messages/count_tokens"):
                self._json({"input_tokens": 100})
            elif path.endswith("/messages"):
                server.log(Logged("anthropic", self.path, body))
                if body.get("stream"):
                    self._sse(anthropic_events(body), named=True)
                else:
                    self._json(anthropic_json(body))
            elif ":countTokens" in path:
                self._json({"totalTokens": 100})
            elif ":streamGenerateContent" in path or ":generateContent" in path:
                server.log(Logged("gemini", self.path, body))
                tokens = 0
                if ":stream" in path:
                    tokens, server.gemini_prompt_tokens = server.gemini_prompt_tokens, 0
                answer = gemini_json(body, tokens)
                if ":stream" in path:
                    self._sse([("", answer)], named=False)
                else:
                    self._json(answer)
            elif path.endswith("/responses"):
                server.log(Logged("openai", self.path, body))
                tokens, server.openai_input_tokens = server.openai_input_tokens, 0
                self._sse(openai_events(body, tokens), named=True)
            else:
                self._json({})

        def _json(self, data: dict[str, Any]) -> None:
            raw = json.dumps(data).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _sse(self, events: list[tuple[str, dict[str, Any]]], named: bool) -> None:
            chunks = [(f"event: {name}\n" if named else "") + f"data: {json.dumps(data)}\n\n"
                      for name, data in events]
            raw = "".join(chunks).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    return Handler


def _decode(raw: bytes, encoding: str) -> dict[str, Any]:
    if "zstd" in encoding:
        raise ValueError("zstd request bodies are not supported; turn compression off")
    if "gzip" in encoding:
        import gzip

        raw = gzip.decompress(raw)
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return {"_raw": raw.decode("utf-8", "replace")}
    return data if isinstance(data, dict) else {"_value": data}
