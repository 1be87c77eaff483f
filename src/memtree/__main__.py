"""The `memtree` console script: dispatches to the CLI (or a lean path for agent hooks)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["hook"] and not {"--help", "-h"} & set(args):
        # Runs on every agent prompt: skip the CLI (typer, rich) and import only the hook path.
        from .agents.hook import main as hook

        return hook(args[1:])
    if "query" in args[:3]:  # lean path: no typer import for the agents' hottest command
        from .cli import fastquery

        code = fastquery.run(args)
        if code is not None:
            return code
    from .cli.main import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
