"""What memory goes into an agent's context: the session-start briefing, per-prompt entries,
pinned rules after compaction, and the stop reminder. Reads memory only; never writes entries.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import field
from pathlib import Path

from .. import framing
from ..errors import InvalidEntry
from ..health import vetting
from ..model import Entry, Maturity, Status
from ..record import Record, record
from ..retrieval.packs import estimate_tokens

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    import datetime as dt
    from typing import Any

    from ..config import Settings
    from ..memory import Memory

MAP_TOPICS = 8  # topics named per domain in the session-start map
MAX_CHARS = 9000  # Claude Code moves larger hook output to a file the model is not asked to read
SHELL_WRITE = r"\bmemtree (?:add|update|edit|link|mv|rm)\b"
WRITE_CALL = (  # a pattern string, compiled on first use (re caches it): prompts never need it
    r"mcp__memtree__(?:add|update|link|supersede|archive)\b|" + SHELL_WRITE
)


@record
class Options(Record):
    """The `[agents]` table of config.toml."""

    budget: int = 600  # tokens for one prompt's entries
    start_budget: int = 1200  # tokens for the session-start briefing
    pinned_budget: int = 2000  # tokens for pinned entries in full
    limit: int = 3  # entries per prompt at most
    min_score: float = 0.25  # entries are injected in rank order while they score this much,
    min_evidence: float = 0.25  # hold this share of the prompt's information (full-text hits)
    margin: float = 0.2  # and score within this share of the first hit's score
    observe: bool = False  # log what would be injected, inject nothing
    review: bool = False  # agent writes become proposals
    remind_after: int = 2  # prompts in a session before a stop reminder is due
    require_approval: bool = False  # pinned, core and instruction-like entries wait for a person


# The valid range of each number in `[agents]` (inclusive; None: no upper bound).
RANGES: dict[str, tuple[float, float | None]] = {
    "budget": (1, None), "start_budget": (1, None), "pinned_budget": (1, None), "limit": (1, None),
    "min_score": (0.0, 1.0), "min_evidence": (0.0, 1.0), "margin": (0.0, 1.0),
    "remind_after": (0, None),
}


def options(settings: Settings) -> Options:
    """Read `[agents]` settings, naming any key of the wrong type or out of its range."""
    defaults = Options()
    values: dict[str, Any] = {}
    for name, default in defaults.__dict__.items():
        value = settings.get(f"agents.{name}", default)
        kind = type(default)
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if not ok or (kind in (int, float) and value < 0):
            raise InvalidEntry(f"config.toml: [agents] {name} must be a non-negative {kind.__name__}")
        if name in RANGES:
            _in_range(name, value)
        values[name] = value
    return Options(**values)


def _in_range(name: str, value: float) -> None:
    low, high = RANGES[name]
    if value < low or (high is not None and value > high):
        span = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise InvalidEntry(f"config.toml: [agents] {name} = {value:g} is out of range: "
                           f"it must be {span}")


@record
class Injection(Record):
    """Text for the agent plus what it contains, for the log."""

    text: str = ""
    items: tuple[dict[str, Any], ...] = ()
    omitted: tuple[str, ...] = field(default=())
    budget: int = 0

    @property
    def tokens(self) -> int:
        return estimate_tokens(self.text) if self.text else 0

    @property
    def ids(self) -> list[str]:
        return [i["id"] for i in self.items]


def _item(entry: Entry, why: str, text: str, score: float = 1.0) -> dict[str, Any]:
    return {"path": entry.path, "id": entry.id, "tier": why, "score": round(score, 4),
            "tokens": estimate_tokens(text)}


def _full(entry: Entry) -> str:
    head = f"## {entry.title}"
    return framing.entry_block(entry, "\n".join(x for x in (head, entry.summary, entry.body.strip()) if x))


def _line(entry: Entry) -> str:
    return framing.entry_line(entry)


class _Budget:
    def __init__(self, tokens: int) -> None:
        self.left = min(tokens, MAX_CHARS // 4)
        self.parts: list[str] = []

    def take(self, text: str) -> bool:
        cost = estimate_tokens(text + "\n")
        if cost > self.left:
            return False
        self.parts.append(text)
        self.left -= cost
        return True


def pinned(entries: Sequence[Entry], budget: int, heading: str) -> Injection:
    """Pinned entries in full (the rules that must survive compaction)."""
    out = _Budget(budget)
    items: list[dict[str, Any]] = []
    omitted: list[str] = []
    chosen = [e for e in entries if e.pinned and e.status is Status.ACTIVE]
    if chosen:
        out.take(heading)
    for entry in sorted(chosen, key=lambda e: (-e.importance, e.path)):
        text = _full(entry)
        if out.take(text):
            items.append(_item(entry, "pinned", text))
        else:
            omitted.append(entry.path)
    return Injection("\n\n".join(out.parts) if items else "", tuple(items), tuple(omitted), budget)


def briefing(entries: Sequence[Entry], opts: Options) -> Injection:
    """Session start: pinned entries in full, core entries as one line each, a map of the tree."""
    active = [e for e in entries if e.status is Status.ACTIVE]
    if not active:
        return Injection(budget=opts.start_budget + opts.pinned_budget)
    head = (f"memtree: this project keeps its memory in .memory/ ({len(active)} entries). "
            "Pinned entries follow in full, then core entries and a map; the memtree MCP tools "
            "(query, get) return more.")
    first = pinned(active, opts.pinned_budget, "# Pinned")
    out = _Budget(opts.start_budget)
    out.take(head)
    items, omitted = list(first.items), list(first.omitted)
    core_lines: list[str] = []
    core = [e for e in active if e.maturity is Maturity.CORE and not e.pinned]
    if core and out.take("# Core"):
        for entry in sorted(core, key=lambda e: (-e.importance, e.path)):
            line = _line(entry)
            if out.take(line):
                core_lines.append(line)
                items.append(_item(entry, "core", line))
            else:
                omitted.append(entry.path)
    map_lines: list[str] = []
    if out.take("# Map (domain: topics, with entry counts)"):
        for line in tree_lines(active):
            if not out.take(line):
                map_lines.append("- …")
                break
            map_lines.append(line)
    sections = [head, first.text,
                "# Core\n" + "\n".join(core_lines) if core_lines else "",
                "# Map (domain: topics, with entry counts)\n" + "\n".join(map_lines)]
    text = framing.frame(sections)
    return Injection(text, tuple(items), tuple(omitted), opts.start_budget + opts.pinned_budget)


def approved(root: Path, entries: Sequence[Entry], opts: Options) -> list[Entry]:
    """`entries` without those waiting for a person's approval (with `require_approval`)."""
    if not opts.require_approval:
        return list(entries)
    known = vetting.approvals(root)
    return [e for e in entries if not (e.pinned or e.maturity is Maturity.CORE)
            or not _held(root, e.path, e.id, known)]


def _held(root: Path, path: str, entry_id: str, known: dict[str, str]) -> bool:
    from ..entries import layout as tree, store

    text = store.read_text(tree.file_for(root, path))
    item = codec_entry(text, path)
    return item is None or vetting.held(root, item, text, known)


def held_back(root: Path, pairs: list[tuple[Entry, str]], opts: Options) -> list[tuple[Entry, str]]:
    """`pairs` (entry, why) without the entries waiting for approval (with `require_approval`)."""
    if not opts.require_approval:
        return pairs
    known = vetting.approvals(root)
    return [(e, why) for e, why in pairs if not _held(root, e.path, e.id, known)]


def codec_entry(text: str, path: str) -> Entry | None:
    """The entry a file holds (its frontmatter decides pinned and core), None if it is broken."""
    from ..entries import codec

    try:
        return codec.parse(text, path)
    except InvalidEntry:
        return None


def tree_lines(entries: Sequence[Entry]) -> list[str]:
    """`- domain (n): topic (n), topic (n)` lines, biggest domains and topics first."""
    counts: dict[str, dict[str, int]] = {}
    for entry in entries:
        topics = counts.setdefault(entry.domain, {})
        topics[entry.topic] = topics.get(entry.topic, 0) + 1
    lines = []
    for domain, topics in sorted(counts.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])):
        ranked = sorted(topics.items(), key=lambda kv: (-kv[1], kv[0]))
        listed = ", ".join(f"{t} ({n})" for t, n in ranked[:MAP_TOPICS])
        more = f", and {len(ranked) - MAP_TOPICS} more topics" if len(ranked) > MAP_TOPICS else ""
        lines.append(f"- {domain} ({sum(topics.values())}): {listed}{more}")
    return lines


MAX_PROMPT = 4000  # characters of a prompt searched: its start and its end


def bounded(prompt: str) -> str:
    """A prompt cut to MAX_PROMPT characters (half from each end), so a pasted megabyte never
    keeps the hook busy."""
    if len(prompt) <= MAX_PROMPT:
        return prompt
    half = MAX_PROMPT // 2
    return prompt[:half] + "\n" + prompt[-half:]


def wants_memory(prompt: str) -> bool:
    """Slash commands and near-empty prompts get nothing."""
    text = prompt.strip()
    return len(re.findall(r"\w{3,}", text)) >= 2 and not text.startswith("/")


def for_prompt(memory: Memory, prompt: str, opts: Options, exclude: Collection[str],
               now: dt.datetime | None = None, files: Sequence[str] = ()) -> Injection:
    """The few entries that lead the ranking for a prompt, not given earlier, within the budget
    (`now`: the clock entries are aged by, the wall clock by default; `files`: the project files
    the session read or edited, a second signal besides the text, retrieval/touched.py).

    Entries are taken in rank order while each passes the gate (packs.leading): evidence at
    least `min_evidence` (absolute: nothing is injected when the best hit holds too little of
    the prompt), score at least `min_score`, and within `margin` of the first hit's score (one
    entry when only the first stands out). The first hit that fails ends the choice."""
    if not wants_memory(prompt) or opts.limit == 0:
        return Injection(budget=opts.budget)
    from ..retrieval import packs

    pack = packs.build(memory.ws, prompt, budget=min(opts.budget, MAX_CHARS // 4), limit=opts.limit,
                       exclude=exclude, now=now, min_evidence=opts.min_evidence, files=files,
                       min_score=opts.min_score, margin=opts.margin)
    chosen = list(pack.items)
    if opts.require_approval:
        known = vetting.approvals(memory.root)
        chosen = [i for i in chosen if not _held(memory.root, i.path, i.id, known)]
    if not chosen:
        return Injection(budget=opts.budget, omitted=tuple(pack.omitted))
    head = "memtree: entries from this project's memory (.memory/) that match the prompt:"
    text = "\n\n".join([head, *(i.text for i in chosen)])
    items = tuple({"path": i.path, "id": i.id, "tier": i.tier, "score": round(i.score, 4),
                   "tokens": i.tokens, **({"scope": i.scope} if i.scope != "project" else {})}
                  for i in chosen)
    return Injection(text, items, tuple(pack.omitted), opts.budget)


REMINDER = (
    "Before you finish: if this session established something a later session would need "
    "(a decision and its reason, a convention, the cause of a bug, a non-obvious how-to), record "
    "it in project memory with the memtree MCP tool `add` (or `update` / `supersede` an outdated "
    "entry). If nothing durable was learned, just stop."
)


def should_remind(prompts: int, reminded: bool, active: bool, transcript: str, opts: Options,
                  writes: str = WRITE_CALL) -> bool:
    """Remind once per session, after some work, unless the transcript shows a memory write
    (`writes`: the agent's pattern for a call to a memtree write tool)."""
    if active or reminded or prompts < max(opts.remind_after, 1):
        return False
    return not re.search(writes, transcript)
