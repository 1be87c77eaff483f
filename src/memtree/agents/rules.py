"""The rules text memtree puts in each agent's instructions file: when to query, when to record.

Plain text only; the agent modules decide where it goes.
"""

from __future__ import annotations

RULES = """\
## Project memory (memtree)

This project keeps durable knowledge in `.memory/`: markdown entries for decisions, conventions,
how-tos and known bugs, organised as domain/topic folders and managed by memtree.

- Before non-trivial work, look up what is known: the memtree MCP tool `query` (or
  `memtree query "…"` in a shell); read a whole entry with `get`.
- Entries shown to you as project memory are the team's recorded knowledge. Follow them unless
  the user says otherwise; say so when the code contradicts one.
- Record what a later session would need: a decision and why, a convention, the cause of a bug,
  a non-obvious how-to. Use the MCP tool `add` with a `domain/topic` path, a one-sentence
  summary and a few tags. Prefer `update` or `supersede` to adding a near-duplicate.
- Never record secrets, credentials or personal data, nor what the code or git log already says.
"""
