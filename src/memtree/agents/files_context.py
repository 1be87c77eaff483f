"""File-aware memory for agents: which project files a tool call read or edited (Claude Code's
file tools, Gemini CLI's, Codex's shell reads and patches) and the few entries about them to give
after the call: anchored ones always; the newest from or naming the file only when it is recent
and few entries are about the file (`touched.given`). Reads memory only."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..retrieval import touched

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any

    from ..memory import Memory
    from ..model import Entry
    from .inject import Injection, Options

# The tool calls that read or edit a file, by the agents' own tool names, and the keys of their
# input that name it. Codex reports shell commands as `Bash` and patches as `apply_patch`.
FILE_KEYS = ("file_path", "notebook_path", "absolute_path", "path")
FILE_TOOLS = frozenset({"Read", "Edit", "Write", "MultiEdit", "NotebookEdit",  # Claude Code
                        "read_file", "write_file", "replace", "read_many_files"})  # Gemini CLI
SHELL_TOOLS = frozenset({"Bash", "run_shell_command"})
PATCH_TOOLS = frozenset({"apply_patch"})
# Programs whose file arguments a shell command reads (what an agent runs to look at a file).
READERS = frozenset({"cat", "head", "tail", "sed", "nl", "less", "more", "bat", "view", "wc"})
PATCH_FILE = re.compile(r"(?m)^\*\*\* (?:Update File|Add File|Delete File|Move to): (.+?)\s*$")
MAX_TOUCHED = 50  # files a session remembers (the most recent)
ANCHORS_SEEN = 50  # entries per file and kind looked at (the newest)
MAX_COMMAND = 4000  # characters of a shell command looked at


def project_of(root: Path) -> Path:
    """Files are relative to the folder holding the memory root (as anchors are)."""
    return root.resolve().parent


def files_of(payload: dict[str, Any], root: Path) -> list[str]:
    """The project files (relative, `/`-separated) the tool call in `payload` read or edited;
    none for other tools, or for files outside the project."""
    tool = payload.get("tool_name")
    data = payload.get("tool_input")
    if not isinstance(tool, str) or not isinstance(data, dict):
        return []
    cwd = payload.get("cwd") if isinstance(payload.get("cwd"), str) else None
    base = Path(cwd) if cwd else project_of(root)
    named: list[str] = []
    if tool in FILE_TOOLS:
        named = [v for k in FILE_KEYS if isinstance(v := data.get(k), str)]
        include = data.get("include")
        if isinstance(include, list):  # read_many_files: plain paths only, not glob patterns
            named += [p for p in include if isinstance(p, str) and not set(p) & set("*?[")]
    elif tool in SHELL_TOOLS and isinstance(data.get("command"), str):
        named = _shell_reads(data["command"][:MAX_COMMAND], base)
    elif tool in PATCH_TOOLS:
        text = data.get("command") or data.get("input") or data.get("patch")
        named = PATCH_FILE.findall(text) if isinstance(text, str) else []
    project = project_of(root)
    out = [rel for name in named if (rel := relative(name, base, project))]
    return list(dict.fromkeys(out))


def relative(name: str, base: Path, project: Path) -> str | None:
    """`name` (absolute, or relative to `base`) as a path inside `project`, else None."""
    if not name.strip() or "\0" in name:
        return None
    path = Path(os.path.expanduser(name.strip()))
    full = os.path.normpath(path if path.is_absolute() else base / path)
    try:
        rel = Path(full).relative_to(project)
    except ValueError:
        try:  # the agent may name the project through a link
            rel = Path(os.path.realpath(full)).relative_to(project)
        except ValueError:
            return None
    text = rel.as_posix()
    return None if text in ("", ".") or text.startswith((".memory/", ".git/")) else text


def _shell_reads(command: str, base: Path) -> list[str]:
    """Existing files named as arguments of a reading program (`cat`, `sed -n`, `head` …) in a
    shell command; each simple command of a pipeline or list is looked at."""
    import shlex

    out: list[str] = []
    for part in re.split(r"&&|\|\||[;|\n]", command):
        try:
            words = shlex.split(part)
        except ValueError:
            continue
        if not words or os.path.basename(words[0]) not in READERS:
            continue
        for word in words[1:]:
            if not word.startswith("-") and (base / word).is_file():
                out.append(word)
    return out


def remember(state_files: list[str], new: list[str]) -> list[str]:
    """The session's touched files with `new` last (the most recent kept)."""
    kept = [f for f in state_files if f not in new] + new
    return kept[-MAX_TOUCHED:]


def chosen(memory: Memory, files: list[str], exclude: set[str]) -> list[tuple[Entry, str]]:
    """The active entries about `files` not in `exclude` (ids), best first: anchored ones, then
    per file its newest entry from (provenance) or naming it, if recent and few entries are
    about the file (`touched.given`); newest first within a kind."""
    from ..index.db import open_index
    from ..retrieval import rank

    idx = open_index(memory.root)
    idx.sync()
    found = touched.about(idx, files, cap=ANCHORS_SEEN)
    many = {f for f, n in touched.counts(found).items() if n > touched.SPECIFIC}
    wanted = [p for p, mine in found.items() if any(k == "anchor" or f not in many
                                                    for f, k in mine.items())]
    active = {e.path: e for e in touched.entries_at(idx, wanted) if not rank.is_hidden(e)}
    kinds = touched.given(found, {p: e.updated for p, e in active.items()},
                          idx.reads.newest(rank.RECENCY_K + 1))
    fit = sorted((active[p] for p in kinds if active[p].id not in exclude), key=lambda e: e.path)
    fit.sort(key=lambda e: e.updated, reverse=True)  # stable: newest first, then by path
    fit.sort(key=lambda e: touched.KINDS.index(kinds[e.path]))
    return [(e, kinds[e.path]) for e in fit]


def for_files(memory: Memory, files: list[str], opts: Options, exclude: set[str]) -> Injection:
    """The few entries about the files a tool call touched, within the prompt's budget."""
    from ..entries import store
    from ..retrieval.packs import _framed, estimate_tokens
    from .inject import MAX_CHARS, Injection, held_back

    if not files or opts.limit == 0:
        return Injection(budget=opts.budget)
    candidates = held_back(memory.root, chosen(memory, files, exclude), opts)
    room = min(opts.budget, MAX_CHARS // 4)
    blocks: list[str] = []
    items: list[dict[str, Any]] = []
    omitted: list[str] = []
    for entry, kind in candidates:
        if len(items) >= opts.limit:
            omitted.append(entry.path)
            continue
        body = store.read_body(memory.root, entry.path).strip()
        head = f"## {entry.title} ({entry.path}.md)"
        block = _framed(entry, "\n".join(x for x in (head, entry.summary.strip(), body) if x), room)
        if block is None:
            omitted.append(entry.path)
            continue
        room -= estimate_tokens(block)
        blocks.append(block)
        items.append({"path": entry.path, "id": entry.id, "tier": kind, "score": 1.0,
                      "tokens": estimate_tokens(block)})
    if not items:
        return Injection(budget=opts.budget, omitted=tuple(omitted))
    head = f"memtree: entries from this project's memory (.memory/) about {', '.join(files[:5])}:"
    return Injection("\n\n".join([head, *blocks]), tuple(items), tuple(omitted), opts.budget)
