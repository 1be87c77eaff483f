"""The `memtree` console script: dispatches to the CLI (or a lean path for agent hooks)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None, resident: bool = True) -> int:
    """Run `memtree ARGS`. A query or hook goes to the resident process when one answers
    (`resident=False` inside it); a hook starts one in the background when none does."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not resident or not _lean(args):
        return _run(args)
    from .resident import client

    code = client.forward(args)
    if code is not None:
        if argv is None:  # the console script: nothing here to clean up, so skip the interpreter's
            client.leave(code)  # shutdown (~4 ms of a ~25 ms process)
        return code
    code = _run(args)
    if args[:1] == ["hook"]:  # an agent session: its next prompts are answered by it
        client.start()
    return code


def _lean(args: list[str]) -> bool:
    """The commands agents run on every prompt: a hook, a query."""
    return args[:1] == ["hook"] or "query" in args[:3]


def _run(args: list[str]) -> int:
    if args[:1] == ["hook"] and not {"--help", "-h"} & set(args):
        # Runs on every agent prompt: skip the CLI (typer, rich) and import only the hook path.
        from . import startup

        startup.lean()
        from .agents.hook import main as hook

        return hook(args[1:])
    if args[:1] == ["mcp"]:
        lean = _mcp_options(args[1:])
        if lean is not None:  # agents wait for this server: answer the handshake without typer
            from .agents.mcp_start import HINT, serve

            if sys.stdin.isatty():  # typed by hand: say what this is instead of waiting
                print(HINT, file=sys.stderr)
            try:
                serve(None, *lean)
            except KeyboardInterrupt:  # Ctrl-C in a terminal: INTERRUPTED, no traceback
                return 130
            return 0
    if "query" in args[:3]:  # lean path: no typer import for the agents' hottest command
        from .cli import fastquery

        code = fastquery.run(args)
        if code is not None:
            return code
    from .cli.main import run

    return run(args)


def _mcp_options(args: list[str]) -> tuple[str, str | None] | None:
    """`--agent NAME` and `--session ID` (the only options agents pass); None for anything else."""
    found: dict[str, str] = {}
    pairs = iter(args)
    for flag in pairs:
        name, _, value = flag.partition("=")
        if name not in ("--agent", "--session") or name in found:
            return None
        found[name] = value or next(pairs, "")
        if not found[name] or not found[name].isprintable():
            return None  # the CLI refuses it, with the usual one-line error
    return found.get("--agent", "mcp"), found.get("--session")


if __name__ == "__main__":
    sys.exit(main())
