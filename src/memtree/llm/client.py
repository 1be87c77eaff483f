"""The configured model behind its limits: `resolve` picks the provider ([llm] in config.toml,
else nothing: no network call unless configured), `Client.ask` enforces the per-call and per-day
token budgets and records each call's spend in `.local/llm-spend.jsonl`; `status` says what would
be used and why.
"""

from __future__ import annotations

import datetime as dt
import time

from ..entries import local
from ..errors import LLMError
from . import Completion, estimate_tokens, make
from .settings import LLMSettings, read

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from ..config import Workspace
    from . import Provider

SPEND_LOG = "llm-spend.jsonl"


class Client:
    """A provider with budgets: every call is checked before it is made and recorded after."""

    def __init__(self, root: Path, settings: LLMSettings, provider: Provider) -> None:
        self.root, self.settings, self.provider = root, settings, provider

    def ask(self, system: str, user: str, purpose: str, max_tokens: int | None = None) -> Completion:
        """One completion for `purpose` (escalate, curate…); LLMError when a budget forbids it."""
        wanted = min(max_tokens or self.settings.max_tokens, self.settings.max_tokens)
        needed = estimate_tokens(system + user) + wanted  # the most this call can cost
        spent = spent_today(self.root)
        if spent + needed > self.settings.daily_tokens:
            raise LLMError(f"daily token budget exhausted: {spent} of {self.settings.daily_tokens} "
                           f"spent today, this call needs up to {needed} ([llm] daily_tokens)")
        started = time.perf_counter()
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        try:
            done = self.provider.complete(messages, max_tokens=wanted, timeout=self.settings.timeout)
        except LLMError as exc:
            self._record(purpose, 0, 0, started, str(exc))
            raise
        self._record(purpose, done.input_tokens, done.output_tokens, started, None)
        return done

    def _record(self, purpose: str, spent_in: int, spent_out: int, started: float,
                error: str | None) -> None:
        local.append(self.root, SPEND_LOG, {
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "day": _today(),
            "provider": self.provider.name, "model": self.provider.model, "purpose": purpose,
            "input_tokens": spent_in, "output_tokens": spent_out,
            "ms": round((time.perf_counter() - started) * 1000, 1), "error": error})


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def spent_today(root: Path) -> int:
    """Tokens recorded in `.local/llm-spend.jsonl` for today (UTC)."""
    day = _today()
    return sum(int(r.get("input_tokens", 0)) + int(r.get("output_tokens", 0))
               for r in local.records(root, SPEND_LOG) if r.get("day") == day)


def resolve(ws: Workspace) -> Client | None:
    """The configured model, or None when `[llm] provider` is unset (nothing is detected into
    use: an installed agent CLI is used only when named)."""
    chosen = _auto(read(ws.settings))
    if not chosen.configured:
        return None
    return Client(ws.root, chosen, make(chosen))


def _auto(chosen: LLMSettings) -> LLMSettings:
    """`provider = "auto"`: the first agent CLI found on PATH (claude, codex, gemini), else none."""
    if chosen.provider != "auto":
        return chosen
    from .agentcli import detect

    found = next(iter(detect()), "")
    return LLMSettings(**{**chosen.to_dict(), "provider": found})


def status(ws: Workspace) -> dict[str, Any]:
    """What would be used and why: the configured provider, else the agent CLIs found."""
    from .agentcli import detect

    asked = read(ws.settings)
    chosen = _auto(asked)
    found = detect()
    out: dict[str, Any] = {"configured": chosen.configured, "settings": chosen.public(),
                           "detected": found, "spent_today": spent_today(ws.root),
                           "daily_tokens": chosen.daily_tokens}
    if chosen.configured:
        try:
            make(chosen)
            out["provider"], out["why"] = chosen.provider, (
                f"[llm] provider = {asked.provider!r} in config.toml"
                + (f" (found `{chosen.provider}` on PATH)" if asked.provider == "auto" else "")
                + (f", model {chosen.model!r}" if chosen.model else "")
                + (f" at {chosen.base_url}" if chosen.base_url else ""))
        except LLMError as exc:
            out["provider"], out["why"] = None, f"configured but unusable: {exc}"
    elif asked.provider == "auto":
        out["provider"], out["why"] = None, ("[llm] provider = 'auto' but no agent CLI (claude, "
                                             "codex, gemini) is on PATH: no model is used")
    else:
        out["provider"] = None
        out["why"] = ("no [llm] provider in config.toml: no model is used. "
                      + (f"Found {', '.join(found)}: set [llm] provider = {next(iter(found))!r} "
                         "to use it" if found else "No agent CLI (claude, codex, gemini) found on PATH"))
    return out
