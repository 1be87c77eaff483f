"""What was injected into which agent session: the JSONL injection log and per-session state.

Owns `.local/injections.jsonl` and `.local/sessions/*.json` (per machine, git-ignored).
Never stores a prompt, only a digest of it.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..entries import local, statepaths
from ..entries.codec import now_iso

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from hashlib import sha256
    from typing import Any
else:
    try:  # CPython's own SHA-256: hashlib's digests without loading OpenSSL (~4 ms a hook)
        from _sha256 import sha256
    except ImportError:  # another Python, or a version that renamed it
        from hashlib import sha256

LOG_NAME = "injections.jsonl"
SESSIONS_DIR = "sessions"
STALE_DAYS = 14


def digest(text: str) -> str:
    return "sha256:" + sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class SessionState:
    """Per-session memory of what the agent has already been given."""

    agent: str
    session: str
    injected: list[str] = field(default_factory=list)  # entry ids since the last compaction
    observed: list[str] = field(default_factory=list)  # same, in observe mode
    prompts: int = 0
    reminded: bool = False
    compacted: bool = False
    files: list[str] = field(default_factory=list)  # project files read or edited, newest last
    mark: str = ""  # the agent's latest history compression seen in its transcript (Gemini)

    def seen(self, observe: bool) -> list[str]:
        return self.observed if observe else self.injected

    def remember(self, ids: Iterable[str], observe: bool) -> None:
        bucket = self.seen(observe)
        bucket.extend(i for i in ids if i not in bucket)


def _state_file(root: Path, agent: str, session: str, create: bool = False) -> Path:
    name = sha256(f"{agent}\0{session}".encode()).hexdigest()[:20]
    return statepaths.local(root, SESSIONS_DIR, create=create) / f"{name}.json"


def load_state(root: Path, agent: str, session: str) -> SessionState:
    file = _state_file(root, agent, session)
    try:
        raw = json.loads(statepaths.read_text(file) or "")
        return SessionState(agent, session, list(raw.get("injected", [])),
                            list(raw.get("observed", [])), int(raw.get("prompts", 0)),
                            bool(raw.get("reminded", False)), bool(raw.get("compacted", False)),
                            [str(f) for f in raw.get("files", [])],
                            str(raw.get("mark", "")))
    except (OSError, ValueError, TypeError, AttributeError):
        return SessionState(agent, session)


def save_state(root: Path, state: SessionState) -> None:
    data = {k: getattr(state, k) for k in
            ("agent", "session", "injected", "observed", "prompts", "reminded", "compacted",
             "files", "mark")}
    statepaths.write(_state_file(root, state.agent, state.session, create=True),
                     json.dumps(data) + "\n")


def prune_states(root: Path, days: int = STALE_DAYS) -> int:
    """Drop session states untouched for `days` (sessions end without telling us)."""
    folder = statepaths.local(root, SESSIONS_DIR, create=False)
    cutoff = time.time() - days * 86400
    dropped = 0
    for file in folder.glob("*.json") if folder.is_dir() else ():
        with contextlib.suppress(OSError):
            if file.stat().st_mtime < cutoff:
                file.unlink()
                dropped += 1
    return dropped


def log(root: Path, record: dict[str, Any]) -> None:
    """Append one injection record (time first)."""
    local.append(root, LOG_NAME, {"time": now_iso(), **record})


def read_log(root: Path, session: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Injection records, oldest first, optionally one session's, at most the last `limit`."""
    out = [r for r in local.records(root, LOG_NAME) if session is None or r.get("session") == session]
    return out[-limit:] if limit else out
