"""Vetting memory before it reaches an agent: secrets in files and git history, entries that read
like instructions to agents, entries made pinned or core by commits memtree did not make, and a
person's approval (`memtree approve`, `.local/approvals.json`: id -> digest of the file text).
With `[agents] require_approval = true` the hooks keep unapproved ones out of briefings.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..entries import statepaths
from ..model import Entry, Maturity, Problem

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from hashlib import sha256

    from ..config import Settings, Workspace
else:
    try:  # CPython's own SHA-256 without loading OpenSSL (the hooks call this)
        from _sha256 import sha256
    except ImportError:
        from hashlib import sha256

APPROVALS = "approvals.json"
RAISE_LINE = "^(pinned: true|maturity: core)"  # git -G (extended regex): the line that raises
# Phrases that address the reader as a model and try to change what it does. Kept narrow: a
# convention ("run pytest before committing") is memory's job and is not flagged.
INSTRUCTION = (
    r"(?i)\b(?:ignore|disregard|forget|override)\b[^.\n]{0,40}?\b(?:previous|prior|above|earlier|"
    r"all|any|your|system)\b[^.\n]{0,20}?\b(?:instructions?|prompts?|rules|guidelines|directions)\b"
    r"|\byou are now\b|\bnew instructions?\s*:|\b(?:reveal|print|show)\b[^.\n]{0,20}system prompt"
    r"|\bdo not (?:tell|inform|mention)\b[^.\n]{0,30}\bthe user\b"
    r"|\b(?:run|execute)\s+(?:this|the following|these)\s+(?:command|commands|script)\b[^.\n]{0,40}"
    r"(?:without|silently|immediately|now)\b"
    r"|\b(?:curl|wget)\b[^\n|]{0,200}\|\s*(?:sudo\s+)?(?:ba|z)?sh\b"
    r"|\b(?:send|post|upload|exfiltrate|copy)\b[^.\n]{0,60}(?:\b(?:secrets?|credentials?|tokens?|"
    r"api keys?|ssh keys?|id_rsa)|\.env)\b[^.\n]{0,40}\b(?:to|into)\s+(?:https?://|\S+@)"
    r"|<\s*/?\s*(?:system|assistant|instructions?)\s*>|^\s*(?:system|assistant)\s*:"
)


def instruction_like(text: str) -> str | None:
    """The phrase that makes `text` read like an instruction aimed at an agent, if any."""
    found = re.search(INSTRUCTION, text, re.M)
    return found.group(0).strip()[:80] if found else None


def digest(text: str) -> str:
    return sha256(text.encode("utf-8")).hexdigest()[:20]


def required(settings: Settings) -> bool:
    return bool(settings.get("agents.require_approval", False))


def approvals(root: Path) -> dict[str, str]:
    """`{entry id: digest of the approved file text}` on this machine."""
    try:
        data = json.loads(statepaths.read_text(statepaths.local(root, create=False) / APPROVALS)
                          or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def needs_approval(item: Entry, text: str) -> bool:
    """Pinned and core entries, and those that read like instructions, need a person's approval."""
    return item.pinned or item.maturity is Maturity.CORE or instruction_like(text) is not None


def held(root: Path, item: Entry, text: str, known: dict[str, str] | None = None) -> bool:
    """True when `item` (whose file holds `text`) needs approval and has none for this text."""
    if not needs_approval(item, text):
        return False
    known = approvals(root) if known is None else known
    return known.get(item.id) != digest(text)


def approve(ws: Workspace, refs: list[str]) -> list[dict[str, str]]:
    """Approve entries as they are now (their current file text)."""
    from ..entries import layout as tree, store
    from ..index.refs import resolve

    known = approvals(ws.root)
    done = []
    for ref in refs:
        rel = resolve(ws.root, ref)
        item = store.read(ws.root, rel)
        known[item.id] = digest(store.read_text(tree.file_for(ws.root, rel)))
        done.append({"path": rel, "id": item.id, "digest": known[item.id]})
    with store.lock(ws.root):
        statepaths.write(statepaths.local(ws.root) / APPROVALS,
                         json.dumps(known, indent=1, sort_keys=True) + "\n")
    return done


def problems(ws: Workspace, entries: list[Entry]) -> list[Problem]:
    """Secrets in entry files, instruction-like entries, pinned/core raised by hand."""
    from ..secretscan import fields_of, policy, scan

    _, allow = policy(ws.settings)
    found = []
    for item in entries:
        where = item.path + ".md"
        for name, value in fields_of(item).items():
            kinds = sorted({f.kind for f in scan(value, allow)})
            if kinds:
                found.append(Problem(where, f"field '{name}' holds what looks like a secret "
                                            f"({', '.join(kinds)})"))
        phrase = instruction_like("\n".join((item.title, item.summary, item.body)))
        if phrase:
            found.append(Problem(where, f"reads like an instruction to an agent: {phrase!r} "
                                        "(approve with `memtree approve` if meant)", severity="warning"))
    found.extend(_raised_by_hand(ws, [e for e in entries
                                          if e.pinned or e.maturity is Maturity.CORE]))
    return found + _tracked_state(ws)


def _tracked_state(ws: Workspace) -> list[Problem]:
    """memtree's state files committed to git: a clone may have planted them (approvals, links)."""
    from ..history import git as history

    repo = history.find(ws)
    if repo is None:
        return []
    names = history.try_git(repo.top, "ls-files", "-z", "--", repo.path(statepaths.LOCAL_DIR),
                            repo.path(statepaths.INDEX_DIR)) or ""
    return [Problem(repo.rel(n), "memtree state file tracked by git; a clone may have planted it "
                                 "(git rm --cached it)") for n in names.split("\0") if n]


def _raised_by_hand(ws: Workspace, raised: list[Entry]) -> list[Problem]:
    """Pinned or core entries whose raise came from a commit without memtree's trailers."""
    from ..history import git as history
    from ..history.trailers import parse

    repo = history.find(ws) if raised else None
    if repo is None or history.head(repo) is None:
        return []
    found = []
    for item in raised:
        out = history.try_git(repo.top, "log", "-G", RAISE_LINE, "--format=%H%x1f%an%x1f%B%x1e",
                              "-1", "--", repo.path(item.path))
        if not out or "\x1f" not in out:
            continue
        sha, author, body = out.strip("\n\x1e").split("\x1f", 2)
        if "action" not in parse(body):
            what = "pinned" if item.pinned else "core"
            found.append(Problem(item.path + ".md", f"made {what} by commit {sha[:10]} ({author}), "
                                                    "which memtree did not make (approve with "
                                                    "`memtree approve` if meant)", severity="warning"))
    return found


def history_secrets(ws: Workspace, limit: int = 2000) -> list[Problem]:
    """Secrets added by the last `limit` commits touching the memory (git is never rewritten)."""
    from ..history import git as history
    from ..secretscan import policy, scan

    repo = history.find(ws)
    if repo is None or history.head(repo) is None:
        return []
    _, allow = policy(ws.settings)
    out = history.git(repo.top, "log", f"-{limit}", "-p", "--no-color", "--unified=0",
                      "--format=%x1e%H", "--", repo.scope)
    found: dict[tuple[str, str], set[str]] = {}
    for chunk in out.split("\x1e")[1:]:
        sha, _, patch = chunk.partition("\n")
        file = ""
        for text in patch.splitlines():
            if text.startswith("+++ "):
                file = repo.rel(text[6:]) if text.startswith("+++ b/") else file
            elif text.startswith("+") and not text.startswith("+++"):
                for hit in scan(text[1:], allow):
                    found.setdefault((file, sha[:10]), set()).add(hit.kind)
    return [Problem(file, f"commit {sha} added what looks like a secret ({', '.join(sorted(k))}); "
                          "history is not rewritten: rotate the credential")
            for (file, sha), k in sorted(found.items())]
