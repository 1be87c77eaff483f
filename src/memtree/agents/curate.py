"""What sessions learned, into the tree: `curate` asks the configured model for operations
(text, a file or a transcript), checks them (`lifecycle.curation`) and applies them or queues
them for `memtree review`; `ingest` turns a transcript into an episode entry with no model; the
session-end hook's queue of transcripts. Writes only through Memory and agents.review.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..entries import layout, local
from ..errors import AlreadyExists, InvalidEntry, LLMError, MemtreeError
from ..lifecycle import curation, transcripts
from . import review

if TYPE_CHECKING:
    from ..memory import Memory

QUEUE = "curation-queue.jsonl"
SOURCE_CHARS = 24_000   # how much of a source the model reads (a transcript's end)
EXISTING_MAX = 60       # existing entries shown to the model (the most related ones)
EPISODE_CHARS = 8_000   # how long an ingested episode's body may grow


def read_source(text: str | None, file: str | None) -> tuple[str, str, transcripts.Transcript | None]:
    """(the text to curate, where it came from, its transcript when it is one)."""
    if (text is None) == (file is None):
        raise InvalidEntry("curate: give TEXT or --file PATH (a text file or a session transcript)")
    if text is not None:
        if not text.strip():
            raise InvalidEntry("curate: TEXT is empty")
        return text, "text", None
    path = Path(str(file)).expanduser()
    try:
        raw = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InvalidEntry(f"--file {file}: cannot read: {exc.strerror}") from exc
    found = transcripts.parse(raw, path.stem)
    if found.agent == "text":
        return raw, str(path), None
    if not found.turns:
        raise InvalidEntry(f"--file {file}: a transcript with no user or assistant messages")
    return _rendered(found), f"{found.agent} session {found.session} ({path})", found


def _rendered(found: transcripts.Transcript) -> str:
    text = "\n\n".join(f"{t.role.upper()}: {t.text}" for t in found.turns)
    return text[-SOURCE_CHARS:]


def curate(memory: Memory, text: str, source: str, apply: bool = False) -> dict[str, Any]:
    """Ask the model, check its proposals, then apply them (`apply`) or queue them for review."""
    from ..llm.client import resolve

    client = resolve(memory.ws)
    if client is None:
        raise LLMError("curate: no model configured ([llm] provider in config.toml; see "
                       "`memtree llm status`); `memtree ingest` keeps a transcript without one")
    catalog = memory.catalog()
    shown = _related(memory, text, catalog)
    done = client.ask(curation.SYSTEM, curation.prompt(text[-SOURCE_CHARS:], shown), "curate",
                      max_tokens=client.settings.max_tokens)
    try:
        proposed = curation.parse(done.text)
    except MemtreeError as exc:
        raise LLMError(f"curate: {exc}; nothing was written") from exc
    plan = curation.check(proposed, catalog, source)
    results = [_carry_out(memory, op, apply) for op in plan.operations]
    refused = list(plan.refused) + [{"proposal": r["summary"], "why": r["error"]}
                                    for r in results if "error" in r]
    kept = [r for r in results if "error" not in r]
    return {"source": source, "model": f"{client.provider.name}/{client.provider.model}",
            "operations": kept, "refused": refused, "nothing": list(plan.nothing),
            "message": _message(kept, refused, plan, apply)}


def _related(memory: Memory, text: str, catalog: list[Any]) -> list[Any]:
    """The existing entries the model sees: all of a small tree, else those retrieval finds
    for the source's paragraphs."""
    if len(catalog) <= EXISTING_MAX:
        return catalog
    seen: dict[str, Any] = {}
    by_path = {e.path: e for e in catalog}
    for chunk in [c for c in text.split("\n\n") if c.strip()][-20:]:
        for hit in memory.query(chunk[:500], limit=5, llm=False).hits:
            if hit.path in by_path:
                seen.setdefault(hit.path, by_path[hit.path])
    return list(seen.values())[:EXISTING_MAX]


def _carry_out(memory: Memory, op: dict[str, Any], apply: bool) -> dict[str, Any]:
    args = {**op["args"], "reason": f"{op['reason']} (curated from {op['source']})"[:500]}
    out = {"action": op["action"], "summary": op["summary"], "reason": op["reason"],
           "source": op["source"]}
    try:
        if apply:
            review.apply(memory, op["action"], args)
            return {**out, "status": "applied"}
        queued = review.queue(memory, op["action"], args)
        return {**out, "status": "queued", "proposal": queued["proposal"]}
    except MemtreeError as exc:
        return {**out, "error": str(exc)}


def _message(kept: list[dict[str, Any]], refused: list[dict[str, Any]], plan: curation.Plan,
             apply: bool) -> str:
    if kept:
        verb = "applied" if apply else "queued for `memtree review`"
        return f"{len(kept)} operation(s) {verb}" + (f"; {len(refused)} refused" if refused else "")
    if refused:
        return (f"nothing written: all {len(refused)} proposed operation(s) were refused "
                f"(first: {refused[0]['why']})")
    if plan.nothing:
        return "nothing to remember: " + "; ".join(plan.nothing)
    return "nothing to remember: the model proposed no operation and gave no reason"


def ingest(memory: Memory, file: str) -> dict[str, Any]:
    """A transcript as one episode entry under `episodes/<agent>`, with no model: what was asked
    and what the agent answered last each time (obvious secrets redacted). Deterministic."""
    path = Path(file).expanduser()
    try:
        raw = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InvalidEntry(f"{file}: cannot read: {exc.strerror}") from exc
    found = transcripts.parse(raw, path.stem)
    asked = [t for t in found.turns if t.role == "user"]
    if found.agent == "text" or not asked:
        raise InvalidEntry(f"{file}: not a session transcript with user messages "
                           "(Claude Code, Codex or Gemini JSONL)")
    day = (found.started or dt.datetime.now(dt.UTC).isoformat())[:10]
    first = " ".join(asked[0].text.split())
    title = f"{found.agent} session {day}: {first[:60]}"
    slug = layout.slugify(f"{day}-{found.session}")
    try:
        made = memory.add(title, f"episodes/{layout.slugify(found.agent)}", _episode(found),
                          summary=_redact(first[:200]), type="episode", slug=slug,
                          tags=[layout.slugify(found.agent), "session"],
                          reason=f"ingested from {path.name}")
    except AlreadyExists:
        return {"status": "exists", "path": f"episodes/{layout.slugify(found.agent)}/{slug}",
                "message": f"{path.name}: this session was already ingested"}
    return {"status": "added", "path": made.path, "turns": len(found.turns),
            "message": f"added {made.path} ({len(asked)} prompt(s))"}


def _episode(found: transcripts.Transcript) -> str:
    parts: list[str] = []
    answer = ""
    for turn in [*found.turns, transcripts.Turn("user", "")]:
        if turn.role == "assistant":
            answer = turn.text
            continue
        if answer:
            parts.append("   Answer: " + " ".join(answer.split())[:600])
            answer = ""
        if turn.text:
            parts.append(f"- Asked{' at ' + turn.at[11:16] if len(turn.at) > 15 else ''}: "
                         + " ".join(turn.text.split())[:300])
    body = f"Session {found.session} ({found.agent}).\n\n" + "\n".join(parts)
    return _redact(body[:EPISODE_CHARS])


def _redact(text: str) -> str:
    from .. import secretscan

    return secretscan.mask(text)


def enqueue(root: Path, transcript: str, agent: str, session: str) -> None:
    """The session-end hook's note that a transcript waits for `memtree curate --queued`."""
    local.append(root, QUEUE, {"transcript": transcript, "agent": agent, "session": session,
                               "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})


def curate_queued(memory: Memory, apply: bool = False) -> list[dict[str, Any]]:
    """Curate every queued transcript not curated yet (each recorded as done, even when it
    yields nothing; a model failure stops here and leaves the rest queued)."""
    done = {r.get("transcript") for r in local.records(memory.root, QUEUE) if r.get("done")}
    out = []
    for item in local.records(memory.root, QUEUE):
        name = item.get("transcript")
        if item.get("done") or not isinstance(name, str) or name in done:
            continue
        try:
            text, source, _ = read_source(None, name)
        except InvalidEntry as exc:
            out.append({"source": name, "message": f"skipped: {exc}"})
        else:
            out.append(curate(memory, text, source, apply))
        done.add(name)
        local.append(memory.root, QUEUE, {"transcript": name, "done": True})
    return out
