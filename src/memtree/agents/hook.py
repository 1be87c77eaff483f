"""`memtree hook <agent> <event>`: read the agent's JSON payload on stdin, print what it expects.

Never fails the agent: any problem is logged (`.local/hook-errors.log`, or a per-user log when
there is no memory root) and the hook exits 0 with harmless output. Imports only what it uses.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path

from .. import config
from ..entries import statepaths, store
from ..entries.codec import now_iso
from ..errors import MemtreeError, NoRoot
from . import event_key, get, inject, journal

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import IO, Any

    from .base import Agent

ERROR_LOG = "hook-errors.log"


def main(args: list[str], stdin: IO[str] | None = None, stdout: IO[str] | None = None,
         root_option: str | None = None) -> int:
    """Run one hook; always returns 0. `root_option` is the CLI's --root, if given."""
    out = stdout or sys.stdout
    agent: Agent | None = None
    root: Path | None = None
    try:
        if len(args) != 2:
            raise MemtreeError("usage: memtree hook AGENT EVENT (payload JSON on stdin)")
        agent = get(args[0])
        raw = (stdin or sys.stdin).read()
        payload = _payload(raw)
        root = _root(agent, payload, root_option)
        text = handle(agent, args[1], payload, root)
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - never break the agent
        if not _outside_project(exc, root_option):
            _log_error(root, args, exc)
        text = agent.EMPTY if agent is not None else ""
    if text and out is not None:  # None: this process was started with stdout closed
        try:
            out.write(text + "\n")
            out.flush()
        except (OSError, ValueError):  # a full disk, a closed pipe: the agent gets nothing
            _discard(out)
    return 0


def _discard(out: IO[str]) -> None:
    """Drop what could not be written, so that nothing fails again when the process ends."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _outside_project(exc: BaseException, root_option: str | None) -> bool:
    """A folder with no .memory/ above it (no root named explicitly): not an error, since a
    user-level install runs the hooks in every folder."""
    return isinstance(exc, NoRoot) and root_option is None and not config.env(config.ENV_ROOT)


def _payload(raw: str) -> dict[str, Any]:
    try:
        data = json.loads(raw) if raw.strip() else None
    except ValueError as exc:
        raise MemtreeError(f"payload on stdin is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise MemtreeError("payload on stdin must be a JSON object")
    return data


def _root(agent: Agent, payload: dict[str, Any], explicit: str | None) -> Path:
    where = agent.project_of(payload) or config.env("CLAUDE_PROJECT_DIR")
    if not isinstance(where, str):
        where = None
    return config.find_root(explicit, cwd=Path(where) if where else None)


def handle(agent: Agent, event: str, payload: dict[str, Any], root: Path) -> str:
    """Dispatch one event to its action; returns the agent's output text."""
    action = agent.EVENTS.get(event_key(event))
    compacts = getattr(agent, "is_compaction", None)
    if action == "compact" and compacts is not None and not compacts(payload):
        action = None  # announced, but the agent may not compact (Gemini's automatic check)
    if action is None:
        return str(agent.EMPTY)
    from ..memory import Memory

    memory = Memory(root)
    opts = inject.options(memory.ws.settings)
    session = str(agent.session_of(payload) or "unknown")
    state = journal.load_state(root, agent.NAME, session)
    marker = getattr(agent, "compression_mark", None)
    if marker is not None and action in ("start", "prompt", "stop"):
        _compressed(state, marker(_tail(payload.get("transcript_path"))), action)
    text = ""
    if action == "start":
        text = _start(memory, agent, event, payload, state, opts)
    elif action == "prompt":
        text = _prompt(memory, agent, event, payload, state, opts)
    elif action == "file":
        text = _file(memory, agent, event, payload, state, opts)
    elif action == "compact":
        state.compacted = True
        state.injected.clear()
        state.observed.clear()
    elif action == "stop":
        text = _stop(agent, event, payload, state, opts)
    elif action == "end":
        journal.prune_states(root)
        transcript = payload.get("transcript_path")
        if memory.ws.settings.get("llm.curate_on_end") is True and isinstance(transcript, str):
            from .curate import enqueue  # off by default: `memtree curate --queued` runs it

            enqueue(root, transcript, agent.NAME, session)
    journal.save_state(root, state)
    return text or str(agent.EMPTY)


def _compressed(state: journal.SessionState, mark: str, action: str) -> None:
    """The agent compressed its history since memtree last looked (Gemini's automatic compression,
    seen in its transcript): what the session was given is gone, so pinned entries come back at
    the next prompt (a session start gives the briefing anyway)."""
    if mark == state.mark:
        return
    state.mark = mark
    if mark and action != "start":
        state.compacted = True
        state.injected.clear()
        state.observed.clear()


def _with_pinned_bodies(memory: Any) -> list[Any]:
    """Entries from the index (no bodies), with the bodies of the few pinned ones from their files
    (their other fields are in the index: no frontmatter to parse, no YAML to import)."""
    return [dataclasses.replace(e, body=store.read_body(memory.root, e.path)) if e.pinned else e
            for e in memory.catalog()]


def _start(memory: Any, agent: Agent, event: str, payload: dict[str, Any],
           state: journal.SessionState, opts: inject.Options) -> str:
    source = agent.source_of(payload)
    if source == "resume" and getattr(agent, "RESUME_KEEPS_CONTEXT", False) and state.injected:
        return ""  # the resumed history holds the briefing, and the agent drops new context here
    if source in ("compact", "clear") or state.compacted:
        state.injected.clear()
        state.observed.clear()
    state.compacted = False
    shot = inject.briefing(inject.approved(memory.root, _with_pinned_bodies(memory), opts), opts)
    return _deliver(memory, agent, event, state, opts, shot, {"source": source}, signal=False)


def _prompt(memory: Any, agent: Agent, event: str, payload: dict[str, Any],
            state: journal.SessionState, opts: inject.Options) -> str:
    prompt = inject.bounded(agent.prompt_of(payload))
    if prompt.strip() == inject.REMINDER:
        return ""  # the agent retrying its turn with the stop reminder (Gemini): not a prompt
    state.prompts += 1
    parts = []
    if state.compacted:  # the agent compacted without a session start: pinned rules come back
        state.compacted = False
        again = inject.pinned(inject.approved(memory.root, _with_pinned_bodies(memory), opts),
                              opts.pinned_budget,
                              "memtree: pinned project rules:")
        parts.append(_deliver(memory, agent, event, state, opts, again, {"source": "compact"},
                              signal=False, wrap=False))
    shot = inject.for_prompt(memory, prompt, opts, exclude=set(state.seen(opts.observe)),
                             files=state.files)
    parts.append(_deliver(memory, agent, event, state, opts, shot,
                          {"prompt": journal.digest(prompt),
                           **({"context_files": state.files[-20:]} if state.files else {})},
                          signal=True, wrap=False))
    from ..framing import frame

    text = frame(parts)
    return agent.context(event, text) if text else ""


def _file(memory: Any, agent: Agent, event: str, payload: dict[str, Any],
          state: journal.SessionState, opts: inject.Options) -> str:
    """A tool call read or edited project files: remember them, give the entries about them."""
    from . import files_context

    files = files_context.files_of(payload, memory.root)
    if not files:
        return ""
    state.files = files_context.remember(state.files, files)
    shot = files_context.for_files(memory, files, opts, set(state.seen(opts.observe)))
    text = _deliver(memory, agent, event, state, opts, shot,
                    {"tool": str(payload.get("tool_name")), "files": files}, signal=True, wrap=False)
    from ..framing import frame

    return agent.context(event, frame([text])) if text else ""


def _deliver(memory: Any, agent: Agent, event: str, state: journal.SessionState,
             opts: inject.Options, shot: inject.Injection, extra: dict[str, Any],
             signal: bool, wrap: bool = True) -> str:
    """Log an injection, remember its entries for the session, and return the text to give."""
    if not shot.text:
        return ""
    journal.log(memory.root, {
        "agent": agent.NAME, "session": state.session, "event": event, **extra,
        "entries": list(shot.items), "tokens": shot.tokens, "budget": shot.budget,
        "omitted": list(shot.omitted), "observe": opts.observe,
    })
    state.remember(shot.ids, opts.observe)
    if opts.observe:
        return ""
    if signal:
        from ..lifecycle import signals

        for item in shot.items:  # the personal memory's usage stays out of the project
            if item.get("scope", "project") == "project":
                signals.record(memory.root, item["id"], "recall")
    return agent.context(event, shot.text) if wrap else shot.text


def _stop(agent: Agent, event: str, payload: dict[str, Any],
          state: journal.SessionState, opts: inject.Options) -> str:
    if "prompt" not in agent.EVENTS.values():  # no prompt hook (Cursor): count turns here
        state.prompts += 1
    transcript = _tail(payload.get("transcript_path"))
    writes = getattr(agent, "WRITE_CALL", inject.WRITE_CALL)
    if not inject.should_remind(state.prompts, state.reminded, agent.stop_active(payload),
                                transcript, opts, writes):
        return ""
    state.reminded = True
    return str(agent.remind(event, inject.REMINDER))


def _tail(path: Any, limit: int = 4_000_000) -> str:
    """The end of the agent's transcript (to see whether memory was already written): a regular
    file only (a FIFO or device would block or never end), at most its last `limit` bytes."""
    import stat

    if not isinstance(path, str) or not path:
        return ""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return ""
    try:
        size = os.fstat(fd).st_size
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return ""
        os.lseek(fd, max(0, size - limit), os.SEEK_SET)
        chunks, left = [], min(size, limit)
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks).decode("utf-8", "replace")
    except OSError:
        return ""
    finally:
        os.close(fd)


def _log_error(root: Path | None, args: list[str], exc: BaseException) -> None:
    """One line per failure (plus the traceback for bugs); logging itself never raises."""
    try:
        if root is None:
            try:
                root = config.find_root()
            except MemtreeError:
                pass
        folder = _log_dir(root)
        kind = "" if isinstance(exc, MemtreeError) else f"{type(exc).__name__}: "
        line = f"{now_iso()} hook {' '.join(args)}: {kind}{exc}\n"
        if not isinstance(exc, MemtreeError):
            import traceback

            line += "".join(traceback.format_exception(exc)[-3:])
        statepaths.append(folder / ERROR_LOG, line)
    except Exception:  # noqa: BLE001 - nowhere left to report to
        pass


def _log_dir(root: Path | None) -> Path:
    """The root's `.local/`, or the per-user log folder when there is none or it is unsafe."""
    if root is not None:
        try:
            return statepaths.local(root)
        except MemtreeError:
            pass
    folder = _user_log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _user_log_dir() -> Path:
    base = config.env("XDG_STATE_HOME") or str(Path(config.env("HOME") or "~").expanduser()
                                                / ".local" / "state")
    return Path(base) / "memtree"

