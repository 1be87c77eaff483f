"""An example for each command's `--help`, attached as its epilog when the CLI is built.

Kept apart from the commands so each stays short; `tests/cli/test_ecosystem.py` checks every
visible command has one.
"""

from __future__ import annotations

from typing import Any

EXAMPLES: dict[str, tuple[str, ...]] = {
    "init": ("memtree init", "memtree init --mode standalone"),
    "add": ('memtree add "Sign tokens with RS256" --path auth/tokens --body "We use RS256 keys."',
            'echo "body text" | memtree add "Pool size" --path ops/db --tag postgres'),
    "show": ("memtree show auth/tokens/sign-tokens-with-rs256", "memtree show .memory/auth/tokens/jwt.md"),
    "edit": ("memtree edit jwt", "memtree edit jwt --importance 80 --reason 'used daily'"),
    "list": ("memtree list --domain auth", "memtree list --status all | cut -f1"),
    "tree": ("memtree tree",),
    "mv": ("memtree mv jwt auth/keys", "memtree mv jwt auth/keys/jwt-signing.md"),
    "rm": ("memtree rm old-note", "memtree rm old-note --hard"),
    "link": ("memtree link jwt auth/keys/rotation --type depends_on",),
    "unlink": ("memtree unlink jwt auth/keys/rotation",),
    "validate": ("memtree validate", "memtree validate --fix --strict", "memtree validate --history"),
    "approve": ("memtree approve auth/tokens/jwt", "memtree approve jwt rotation --json"),
    "templates": ("memtree templates",),
    "query": ('memtree query "token expiry"', "memtree query 'auth/*' --json"),
    "context": ('memtree context "how do we sign tokens" --budget 400',),
    "reindex": ("memtree reindex",),
    "log": ("memtree log -n 5", "memtree log jwt --json | head"),
    "diff": ("memtree diff", "memtree diff HEAD~3"),
    "why": ("memtree why jwt",),
    "restore": ("memtree restore jwt --at HEAD~2",),
    "undo": ("memtree undo", "memtree undo -n 3"),
    "commit": ("memtree commit --reason 'hand edits'",),
    "sync": ("memtree sync", "memtree sync --remote upstream"),
    "pin": ("memtree pin auth/tokens/jwt",),
    "unpin": ("memtree unpin auth/tokens/jwt",),
    "feedback": ("memtree feedback jwt useful", "memtree feedback jwt wrong --note 'outdated key size'"),
    "stats": ("memtree stats --json",),
    "lifecycle": ("memtree lifecycle", "memtree lifecycle --apply"),
    "supersede": ("memtree supersede auth/tokens/hs256 auth/tokens/rs256",),
    "chain": ("memtree chain auth/tokens/rs256",),
    "conflicts": ("memtree conflicts",),
    "consolidate": ("memtree consolidate",),
    "anchor": ("memtree anchor jwt src/auth/tokens.py#sign", "memtree anchor jwt ../lib/keys.py:10-40"),
    "check": ("memtree check",),
    "summaries": ("memtree summaries",),
    "mcp": ("memtree mcp",),
    "install": ("memtree install claude-code",),
    "uninstall": ("memtree uninstall claude-code",),
    "hook": ("echo '{\"prompt\": \"tokens\"}' | memtree hook claude-code UserPromptSubmit",),
    "injections": ("memtree injections -n 5",),
    "review": ("memtree review", "memtree review approve 3"),
    "doctor": ("memtree doctor", "memtree doctor --fix --json"),
    "watch": ("memtree watch",),
    "graph": ("memtree graph --format mermaid", "memtree graph --format html > graph.html"),
    "export": ("memtree export --format obsidian vault/", "memtree export --format json dump/"),
    "import": ("memtree import --dry-run", "memtree import git", "memtree import bundle dump/"),
    "config": ("memtree config", "memtree config get agents.limit",
               "memtree config set agents.limit 5"),
    "open": ("memtree open jwt", "memtree open .memory/auth/tokens/jwt.md --print"),
    "llm": ("memtree llm status",),
    "curate": ("memtree curate --file session.jsonl", "memtree curate 'we moved jobs to Redis' --apply"),
    "ingest": ("memtree ingest session.jsonl",),
    "resident": ("memtree resident", "memtree resident start", "memtree resident stop --json"),
}


def epilog(name: str) -> str | None:
    """The epilog text for a command: its examples, kept as typed (`\\b` stops click rewrapping)."""
    lines = EXAMPLES.get(name)
    if not lines:
        return None
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def attach(app: Any) -> None:
    """Give every registered command and group of the typer app its examples."""
    for info in app.registered_commands:
        name = info.name or info.callback.__name__.rstrip("_").replace("_", "-")
        info.epilog = info.epilog or epilog(name)
    for group in app.registered_groups:
        group.epilog = group.epilog or epilog(group.name or "")
