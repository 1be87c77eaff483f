"""The lean path for `memtree query`: parse its arguments without typer and answer with the index.

Output and exit codes are those of the typer command; anything this parser is unsure of (help,
an unknown option, a bad value) returns None so the full CLI handles it. No other command here.
Standard modules it never uses are deferred (`memtree.startup`).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any

VALUED = {"--limit": "limit", "-n": "limit", "--domain": "domain", "--type": "type",
          "--tag": "tag"}
FLAGS = {"--all": "all", "--explain": "explain", "--json": "json"}
LLM_FLAGS = {"--llm": True, "--no-llm": False}


def parse(args: list[str]) -> dict[str, Any] | None:
    """`[--root DIR] query TEXT [options]` as a dict, or None when typer should decide."""
    opts: dict[str, Any] = {"root": None, "limit": 10, "all": False, "explain": False,
                            "json": False, "domain": None, "type": None, "tag": None, "llm": None}
    rest = list(args)
    while rest and rest[0] != "query":
        head = rest.pop(0)
        if head == "--root" and rest:
            opts["root"] = rest.pop(0)
        elif head.startswith("--root="):
            opts["root"] = head.split("=", 1)[1]
        else:
            return None
    if not rest:
        return None
    text: list[str] = []
    items = iter(rest[1:])
    for item in items:
        name, eq, inline = item.partition("=") if item.startswith("--") else (item, "", "")
        if name in VALUED:
            value = inline if eq else next(items, None)
            if value is None:
                return None
            opts[VALUED[name]] = value
        elif item in FLAGS:
            opts[FLAGS[item]] = True
        elif item in LLM_FLAGS:
            opts["llm"] = LLM_FLAGS[item]
        elif item.startswith("-") and item != "-":
            return None
        else:
            text.append(item)
    if len(text) != 1 or not str(opts["limit"]).isdigit() or int(opts["limit"]) < 1:
        return None
    opts["text"], opts["limit"] = text[0], int(opts["limit"])
    return opts


def run(args: list[str]) -> int | None:
    """Answer the query; None when the arguments need the full CLI."""
    opts = parse(args)
    if opts is None:
        return None
    from ..startup import lean

    lean()
    from ..errors import ExitCode, MemtreeError
    from . import output as render

    try:
        code = _answer(opts)
        sys.stdout.flush()
        return code
    except MemtreeError as exc:
        render.error(exc.message, exc.hint)
        return int(exc.code)
    except KeyboardInterrupt:
        render.error("interrupted")
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        render.closed_pipe()
        return 0
    except Exception as exc:  # noqa: BLE001 - the same last resort as the CLI boundary
        from ..errors import from_os_error

        mapped = from_os_error(exc)
        if mapped is not None:
            render.error(mapped.message, mapped.hint)
            return int(mapped.code)
        render.error(f"internal error: {type(exc).__name__}: {exc}")
        return int(ExitCode.ERROR)


def _answer(opts: dict[str, Any]) -> int:
    from .. import config
    from ..lifecycle.scores import params_of
    from ..retrieval import scopes, tiers as retrieve
    from . import output as render

    root = config.find_root(opts["root"])
    settings = config.load_settings(root)  # a broken config.toml fails here as in the full CLI
    chosen = retrieve.Filters(opts["all"], opts["domain"], opts["type"], opts["tag"])
    found = scopes.search(root, opts["text"], limit=opts["limit"], filters=chosen,
                            params=params_of(settings))
    if found.escalate and opts["llm"] is not False and (opts["llm"] or settings.get("llm.provider")):
        from ..retrieval import escalate  # only when a model may be asked: the lean path stays lean

        ws = config.Workspace.at(root, settings)
        if escalate.wanted(ws, opts["llm"]):
            render.notes_to_stderr()
            found = escalate.escalate(ws, found, opts["limit"], chosen)
    if opts["json"]:
        render.print_json(found)
    elif render.plain():  # a pipe or a file: the same lines without importing rich
        from . import plainview

        plainview.result(found, opts["explain"])
    else:
        from . import views

        views.result(found, opts["explain"])
    sys.stdout.flush()
    render.unreadable(found.problems)
    return 0

