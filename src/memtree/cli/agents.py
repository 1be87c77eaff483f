"""Commands for coding agents: mcp, install, uninstall, hook, injections, review.

Each parses its arguments, makes one call and renders the answer.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import common
from .app import app
from .common import JsonOpt

if TYPE_CHECKING:
    from ..agents.review import AgentWork

AgentArg = Annotated[str, typer.Argument(help="claude-code, cursor, codex or gemini.")]
UserOpt = Annotated[bool, typer.Option("--user", help="The user's own agent settings (every folder) instead of the project's (claude-code, gemini).")]
ProjectOpt = Annotated[
    Path | None, typer.Option("--project", help="Project folder (default: the one holding .memory/, else here).")
]


@app.command()
def mcp(
    agent: Annotated[str, typer.Option("--agent", help="Agent name recorded as the writer (agent:NAME).")] = "mcp",
    session: Annotated[str | None, typer.Option("--session", help="Session id recorded with writes.")] = None,
) -> None:
    """Serve the Model Context Protocol over stdio (tools: query, get, list, tree, add, update, link, supersede, archive)."""
    from ..agents.mcp_start import HINT, serve
    from ..errors import ExitCode, UsageError

    for flag, value in (("--agent", agent), ("--session", session)):
        if value is not None and (not value.strip() or not value.isprintable()):
            raise UsageError(f"{flag} {value!r}: give a name on one line, without control "
                             "characters (it is recorded with every write)")
    if sys.stdin.isatty():  # typed by hand: say what this is instead of waiting in silence
        print(HINT, file=sys.stderr)
    try:
        serve(common.STATE.root, agent, session)
    except KeyboardInterrupt:
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None


@app.command()
def install(
    agent: AgentArg,
    project: ProjectOpt = None,
    command: Annotated[str | None, typer.Option("--command", help="How the agent should run memtree (default: a launcher that finds memtree on PATH or where install recorded it).")] = None,
    user: UserOpt = False,
    json: JsonOpt = False,
) -> None:
    """Set up an agent: hooks, MCP registration and a rules block (only memtree's own parts)."""
    from ..agents.setup import install as run

    common.out(run(agent, _project(project) if not user else Path("."), command, user), json, _report)


@app.command()
def uninstall(agent: AgentArg, project: ProjectOpt = None, user: UserOpt = False,
              json: JsonOpt = False) -> None:
    """Remove what `memtree install` added, leaving the rest of each file as it was."""
    from ..agents.setup import uninstall as run

    common.out(run(agent, _project(project) if not user else Path("."), user), json, _report)


@app.command(context_settings={"ignore_unknown_options": True})
def hook(
    agent: AgentArg,
    event: Annotated[str, typer.Argument(help="The agent's hook event, e.g. SessionStart or UserPromptSubmit.")],
) -> None:
    """Run an agent hook: payload JSON on stdin, the agent's answer on stdout; never fails."""
    from ..agents.hook import main

    main([agent, event], root_option=common.STATE.root)


@app.command()
def injections(
    session: Annotated[str | None, typer.Option("--session", help="Only this agent session.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", "-n", callback=common.bounded(1), help="Only the last N.")] = None,
    json: JsonOpt = False,
) -> None:
    """Show what the agent hooks injected (or would have, in observe mode)."""
    found = _work().injections(session=session, limit=limit)
    common.out(found, json, _injections)


review = typer.Typer(help="Review agent writes held as proposals ([agents] review = true).",
                     invoke_without_command=True, no_args_is_help=False)
app.add_typer(review, name="review")


@review.callback()
def review_list(ctx: typer.Context, json: JsonOpt = False) -> None:
    """List open proposals (subcommands: show, approve, reject)."""
    if ctx.invoked_subcommand is None:
        common.out(_work().pending(), json, _proposals)


@review.command("show")
def review_show(pid: Annotated[str, typer.Argument(metavar="ID", help="Proposal id.")], json: JsonOpt = False) -> None:
    """Show a proposal and the diff it would make."""
    common.out(_work().show(pid), json, _proposal)


@review.command("approve")
def review_approve(pid: Annotated[str, typer.Argument(metavar="ID", help="Proposal id.")],
                   note: Annotated[str | None, typer.Option("--note", help="Kept with the decision.")] = None,
                   json: JsonOpt = False) -> None:
    """Apply a proposal with the proposing agent's provenance."""
    done = _work().approve(pid, note)
    common.out(done, json, lambda d: print(f"approved {pid}: {d['proposal']['summary']}"))


@review.command("reject")
def review_reject(pid: Annotated[str, typer.Argument(metavar="ID", help="Proposal id.")],
                  note: Annotated[str | None, typer.Option("--note", help="Why (kept with the decision).")] = None,
                  json: JsonOpt = False) -> None:
    """Close a proposal without applying it."""
    done = _work().reject(pid, note)
    common.out(done, json, lambda d: print(f"rejected {pid}: {d['proposal']['summary']}"))


def _project(project: Path | None) -> Path:
    if project is not None:
        return project
    from ..config import find_root
    from ..errors import NoRoot

    try:
        return find_root(common.STATE.root).parent
    except NoRoot:
        return Path.cwd()


def _report(data: dict[str, Any]) -> None:
    for change in data["files"]:
        print(f"{change['action']:>9}  {change['path']}")
    for line in data.get("notes", []):
        print(f"note: {line}", file=sys.stderr)


def _injections(records: list[dict[str, Any]]) -> None:
    for r in records:
        mark = " (observe)" if r.get("observe") else ""
        print(f"{r.get('time')}  {r.get('agent')}  {r.get('session')}  {r.get('event')}{mark}  "
              f"{r.get('tokens')} tokens")
        files = r.get("files") or r.get("context_files") or []  # a file tool call, or context
        if files:
            label = "files" if r.get("files") else "with files"
            print(f"    {label}: {', '.join(map(str, files))}")
        for e in r.get("entries", []):
            print(f"    {e.get('tier'):<8} {e.get('score'):>6}  {e.get('path')}")
    if not records:
        print("no injections logged", file=sys.stderr)


def _proposals(found: list[dict[str, Any]]) -> None:
    for p in found:
        print(f"{p['id']}  {p['created']}  {p['actor']}  {p['summary']}")
    if not found:
        print("no open proposals", file=sys.stderr)


def _proposal(p: dict[str, Any]) -> None:
    print(f"proposal {p['id']} by {p['actor']} (session {p.get('session')}) at {p['created']}")
    print(p["summary"])
    if p.get("error"):
        print(p["error"])
    from ..secretscan import mask

    sys.stdout.write(mask(p.get("diff", "")))


def _work() -> AgentWork:
    """Agent-facing work on the memory: injections, proposals (review mode)."""
    from ..agents.review import AgentWork

    return AgentWork(common.memory())
