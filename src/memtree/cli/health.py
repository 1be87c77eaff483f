"""Commands for living with the files: doctor, watch, graph, export, open. Each parses, makes one
call and renders."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..errors import ProblemsFound
from . import common, views
from .app import app
from .common import JsonOpt


@app.command()
def doctor(
    fix: Annotated[bool, typer.Option("--fix", help="Make the safe repairs first (ids, index, summaries, temporary files).")] = False,
    json: JsonOpt = False,
) -> None:
    """Everything wrong with the memory in one report; exits 10 while problems remain."""
    from ..health.doctor import diagnose

    with views.progress("checking") as step:
        report = diagnose(common.memory().ws, fix=fix, progress=step)
    common.out(report, json, _print)
    if report.remaining:
        raise ProblemsFound(f"{len(report.remaining)} problem(s) remain in {report.root}",
                            hint=None if fix else "`memtree doctor --fix` repairs the safe ones")


def _print(report: Any) -> None:
    from .output import console, escape

    out = console()
    colours = {"error": "red", "warning": "yellow", "info": "dim"}
    for item in report.findings:
        colour = colours.get(item.severity, "")
        state = "fixed " if item.fixed else ""
        fix = f"  [dim]→ {escape(item.fix)}[/dim]" if item.fix and not item.fixed else ""
        out.print(f"[{colour}]{state}{item.severity}[/{colour}] {item.check}: "
                  f"{escape(item.path)}: {escape(item.message)}{fix}")
    if not report.remaining:
        out.print(f"ok: nothing wrong in {escape(report.root)}")


@app.command()
def watch(
    quiet: Annotated[float, typer.Option("--quiet", help="Seconds without edits before they are committed.")] = 3.0,
    seconds: Annotated[float | None, typer.Option("--for", help="Stop after this many seconds (default: until Ctrl-C).")] = None,
    json: JsonOpt = False,
) -> None:
    """Index, check and commit hand edits as they are saved, until Ctrl-C."""
    from ..health.watcher import Watcher

    watcher = Watcher(common.memory().ws, _event_printer(json), quiet=quiet)
    if not json:
        from .output import note

        note(f"watching {watcher.ws.root}" + ("" if watcher.live else " (by polling: no file events)"))
    try:
        watcher.run(seconds)
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a watch ends
    finally:
        watcher.close()


def _event_printer(as_json: bool) -> Any:
    import json as jsonlib
    import sys

    def show(event: dict[str, Any]) -> None:
        if as_json:
            sys.stdout.write(jsonlib.dumps(event, ensure_ascii=False) + "\n")
        else:
            tail = f": {event['message']}" if event["message"] and event["event"] != "committed" else ""
            sys.stdout.write(f"{event['event']} {event['path']}{tail}\n")
        sys.stdout.flush()

    return show


@app.command()
def graph(
    format: Annotated[str, typer.Option("--format", callback=common.choice(("mermaid", "dot", "html")), help="mermaid, dot or html.")] = "mermaid",
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """The relation graph: Mermaid, Graphviz DOT, or one self-contained HTML page to explore."""
    from ..export.graph import render

    if output is not None:
        _check_output(output)
    memory = common.memory()
    with views.progress("drawing"):
        entries, _ = memory.load(archived=False)
        text = render(entries, format, memory.root)
    if output is None:
        import sys

        sys.stdout.write(text)
        return
    from pathlib import Path

    Path(output).write_text(text, encoding="utf-8")
    from .output import note

    note(f"wrote {output}")


def _check_output(output: str) -> None:
    """`-o FILE` names a file in an existing folder (checked before the graph is drawn)."""
    from pathlib import Path

    from ..errors import UsageError

    if Path(output).is_dir():
        raise UsageError(f"{output}: a folder; name the file to write (e.g. {output}/graph.html)")
    if not Path(output).resolve().parent.is_dir():
        raise UsageError(f"{output}: the folder {Path(output).parent} does not exist")


@app.command()
def export(
    out: Annotated[str, typer.Argument(help="Folder to write the export into.", metavar="OUT")],
    format: Annotated[str, typer.Option("--format", callback=common.choice(("okf", "json", "obsidian")), help="okf, json or obsidian.")] = "okf",
    json: JsonOpt = False,
) -> None:
    """Export the tree as an OKF bundle, one JSON file, or an Obsidian vault."""
    from pathlib import Path

    from ..export.bundle import dump

    with views.progress("exporting") as step:
        done = dump(common.memory().ws, Path(out), format, progress=step)
    common.out(done, json, lambda d: print(f"exported {len(d.written)} file(s) to {d.folder}"))


@app.command("open")
def open_(
    ref: Annotated[str, typer.Argument(help="Entry: path, file, id, slug, title or [[wikilink]].", metavar="ENTRY")],
    print_only: Annotated[bool, typer.Option("--print", help="Print the entry file's path; open nothing.")] = False,
) -> None:
    """Open an entry's file in $VISUAL or $EDITOR (else the system's opener), or print its path."""
    from .editor import check_saved, open_file, resolve_any

    memory = _memory_of_file(ref) or common.memory()
    rel = resolve_any(memory, ref)
    from ..entries import layout

    file = layout.file_for(memory.root, rel)
    if print_only:
        print(file)
        return
    if open_file(file):  # an editor that waited: the file must still parse
        check_saved(memory, rel)


def _memory_of_file(ref: str) -> Any:
    """An entry file typed by path opens in its own memory, from any folder (without --root)."""
    from pathlib import Path

    from .. import config

    typed = Path(ref).expanduser()
    if common.STATE.root is not None or config.env(config.ENV_ROOT) or not typed.is_file():
        return None
    from ..errors import NoRoot
    from ..memory import Memory

    try:
        return Memory.open(str(config.find_root(cwd=typed.resolve().parent)))
    except NoRoot:
        return None
