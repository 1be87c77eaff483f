"""Tier 4: when the confidence gate is unsure, the configured model re-ranks retrieval's top
candidates (title, summary, date, path) and may rewrite the query once. Only cited paths that
are among the candidates survive; answers are cached per query and tree state in `.local/`.
A failing model degrades to retrieval's own result, with a note saying why. Never writes entries.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import time

from ..entries import local
from ..errors import LLMError
from ..index.db import open_index
from ..lifecycle.scores import params_of
from ..model import Hit, Result, Tier
from . import tiers

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any

    from ..config import Workspace
    from ..llm.client import Client

CACHE_DIR = "llm-cache"
SUMMARY_CHARS = 240
SYSTEM = """You re-rank search results from a project's memory. You get a question and numbered \
candidate entries (path, title, date, summary). Answer with one JSON object and nothing else:
{"ranked": [{"path": "<a candidate's path>", "why": "<a few words>"}], "rewrite": null}
List, best first, only candidates that help answer the question; cite paths exactly as given and \
never a path that is not listed. If no candidate helps, give "ranked": [] and, in "rewrite", the \
question rewritten once for a keyword search (synonyms, names, dates resolved against the \
entries' dates), or null."""
log = logging.getLogger("memtree")


def wanted(ws: Workspace, llm: bool | None) -> bool:
    """Whether a query should try escalation: `--llm`/`--no-llm`, else `[llm] escalate` with a
    provider configured."""
    if llm is not None:
        return llm
    return bool(ws.settings.get("llm.provider")) and ws.settings.get("llm.escalate", True) is True


def query(ws: Workspace, text: str, limit: int = 10, filters: tiers.Filters | None = None,
          llm: bool | None = None, now: dt.datetime | None = None) -> Result:
    """`scopes.query`, escalated to the model when the gate says so and escalation is wanted."""
    from .scopes import query as scoped

    found = scoped(ws, text, limit, filters, now=now)
    if not found.escalate or not wanted(ws, llm):
        return found
    return escalate(ws, found, limit, filters or tiers.Filters())


def escalate(ws: Workspace, found: Result, limit: int, filters: tiers.Filters,
             client: Client | None = None) -> Result:
    """`found` re-ranked by the model; `found` with a note when there is none or it fails."""
    from ..llm.client import resolve

    started = time.perf_counter()
    try:
        client = client or resolve(ws)
    except LLMError as exc:
        return _degraded(found, str(exc))
    if client is None:
        return dataclasses.replace(found, reason=found.reason + "; no model configured to "
                                   "escalate to (see `memtree llm status`)")
    try:
        hits, note = _rerank(ws, client, found, limit, filters)
    except LLMError as exc:
        return _degraded(found, str(exc))
    took = found.took_ms + (time.perf_counter() - started) * 1000
    if not hits:
        return dataclasses.replace(found, reason=f"{found.reason}; {note}", took_ms=took)
    return Result(found.query, tuple(hits), found.confidence, False, note, took)


def _degraded(found: Result, why: str) -> Result:
    log.warning("escalation failed: %s; showing retrieval's own result", why)
    return dataclasses.replace(found, reason=f"{found.reason}; escalation failed: {why}")


def _rerank(ws: Workspace, client: Client, found: Result, limit: int,
            filters: tiers.Filters) -> tuple[list[Hit], str]:
    """The model's ranking of the candidates (after at most one rewrite), and a note."""
    text, pool = found.query, client.settings.candidates
    if len(found.hits) >= pool or len(found.hits) < limit:  # retrieval has no more to give
        cands = {h.path: h for h in found.hits[:pool]}
    else:
        cands = _candidates(ws, text, pool, filters)
    key = _key(text, limit, filters, client, cands)
    cached = _cached(ws, key)
    answer = cached if cached is not None else _ask(client, text, cands)
    rewrite = answer["rewrite"] if not answer["ranked"] or cached is not None else None
    if rewrite and rewrite.strip() != text.strip():
        more = _candidates(ws, rewrite, pool, filters)
        cands = {**more, **{p: c for p, c in cands.items() if p not in more}}
        if cached is None:
            answer = {**_ask(client, rewrite, cands, allow_rewrite=False), "rewrite": rewrite}
    if cached is None:
        local.append(ws.root, f"{CACHE_DIR}.jsonl", {"key": key, **answer})
    hits, dropped = _cited(answer, cands, limit)
    name = f"{client.provider.name}/{client.provider.model}"
    note = f"re-ranked {len(cands)} candidates with {name}" + (" (cached)" if cached else "")
    if answer.get("rewrite"):
        note += f" after rewriting the query to {answer['rewrite']!r}"
    if dropped:
        note += f"; dropped {dropped} cited path(s) that are not candidates"
    if not hits:
        note = f"{name} found no candidate that answers" + (
            f"; dropped {dropped} invented path(s)" if dropped else "")
    return hits, note


def _candidates(ws: Workspace, text: str, pool: int, filters: tiers.Filters) -> dict[str, Hit]:
    found = tiers.search(ws.root, text, pool, filters, fresh=False, params=params_of(ws.settings))
    return {h.path: h for h in found.hits}


def _key(text: str, limit: int, filters: tiers.Filters, client: Client,
         cands: dict[str, Hit]) -> str:
    """The query, the model and the tree state that matters: what is sent of each candidate
    (path, title, summary) and its date."""
    dates = _dates(client, cands)
    state = [text, limit, dataclasses.astuple(filters), client.provider.name, client.provider.model,
             [(p, h.title, h.summary or h.snippet, dates.get(p, "")) for p, h in cands.items()]]
    return hashlib.sha256(json.dumps(state).encode()).hexdigest()[:32]


def _dates(client: Client, cands: dict[str, Hit]) -> dict[str, str]:
    paths = list(cands)
    if not paths:
        return {}
    found = open_index(client.root).entries(f"path IN ({','.join('?' * len(paths))})", paths)
    return {e.path: e.updated for e in found}


def _cached(ws: Workspace, key: str) -> dict[str, Any] | None:
    for found in reversed(local.records(ws.root, f"{CACHE_DIR}.jsonl")):
        if found.get("key") == key:
            return {k: v for k, v in found.items() if k != "key"}
    return None


def _ask(client: Client, text: str, cands: dict[str, Hit],
         allow_rewrite: bool = True) -> dict[str, Any]:
    dates = {p: d[:10] for p, d in _dates(client, cands).items()}
    lines = [json.dumps({"n": n, "path": h.path, "title": h.title, "date": dates.get(h.path, ""),
                         "summary": (h.summary or h.snippet)[:SUMMARY_CHARS]}, ensure_ascii=False)
             for n, h in enumerate(cands.values(), 1)]
    user = f"Question: {text}\n\nCandidates:\n" + "\n".join(lines)
    if not allow_rewrite:
        user += '\n\nThe question was already rewritten once: give "rewrite": null.'
    done = client.ask(SYSTEM, user, "escalate")
    return parse_answer(done.text)


def parse_answer(text: str) -> dict[str, Any]:
    """The JSON object in a model's answer (code fences and prose around it allowed)."""
    start, end = text.find("{"), text.rfind("}")
    try:
        found = json.loads(text[start:end + 1]) if 0 <= start < end else None
    except ValueError:
        found = None
    if not isinstance(found, dict) or not isinstance(found.get("ranked", []), list):
        raise LLMError(f"the model did not answer with the JSON asked for: {text[:80]!r}")
    ranked = [r for r in found.get("ranked", []) if isinstance(r, dict | str)]
    rewrite = found.get("rewrite")
    return {"ranked": [r if isinstance(r, dict) else {"path": r} for r in ranked],
            "rewrite": rewrite if isinstance(rewrite, str) else None}


def _cited(answer: dict[str, Any], cands: dict[str, Hit], limit: int) -> tuple[list[Hit], int]:
    """Hits for the cited candidates, best first, then the rest in retrieval's order; and how
    many cited paths were dropped (not candidates: invented, or cited twice)."""
    out: list[Hit] = []
    dropped = 0
    for n, item in enumerate(answer["ranked"]):
        path = str(item.get("path", "")).removesuffix(".md").strip("/")
        hit = cands.get(path)
        if hit is None or any(h.path == path for h in out):
            dropped += 1
            continue
        why = str(item.get("why") or "cited by the model")[:200]
        out.append(dataclasses.replace(hit, tier=Tier.LLM, why=f"llm: {why} (was {hit.tier.value}: "
                                       f"{hit.why})", parts=(*hit.parts, ("llm_rank", n + 1.0))))
    if not out:
        return [], dropped
    rest = [h for h in cands.values() if h.path not in {o.path for o in out}]
    return (out + rest)[:limit], dropped
