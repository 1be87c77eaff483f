"""LLM commands: `llm status` (what model would be used and why), `curate`, `ingest`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from . import common
from .app import app
from .common import JsonOpt

llm = typer.Typer(help="The optional model: which one is used and why ([llm] in config.toml).",
                  no_args_is_help=True)
app.add_typer(llm, name="llm")


@llm.command("status")
def status(json: JsonOpt = False) -> None:
    """Say which model would be used and why: the configured provider, a detected agent CLI, or none."""
    from ..llm.client import status as llm_status

    common.out(llm_status(common.memory().ws), json, _status_view)


def _status_view(data: dict[str, Any]) -> None:
    print(f"provider: {data['provider'] or 'none'}")
    print(f"why: {data['why']}")
    found = data["detected"]
    print("agent CLIs on PATH: " + (", ".join(f"{k} ({v})" for k, v in found.items()) or "none"))
    print(f"tokens spent today: {data['spent_today']} of {data['daily_tokens']}")


@app.command()
def curate(
    text: Annotated[str | None, typer.Argument(help="Text to curate (or use --file).", show_default=False)] = None,
    file: Annotated[str | None, typer.Option("--file", "-f", help="A text file or a Claude Code / Codex / Gemini transcript.")] = None,
    queued: Annotated[bool, typer.Option("--queued", help="Curate the transcripts the session-end hook queued.")] = False,
    apply: Annotated[bool, typer.Option("--apply", help="Apply the checked operations now instead of queueing them for `memtree review`.")] = False,
    json: JsonOpt = False,
) -> None:
    """Propose operations on the tree (add, update, supersede, link, nothing) from text, a file or a session transcript, using the configured model; checked, then queued for review or applied."""
    from ..agents import curate as curating

    memory = common.memory(tool="curate")
    if queued:
        common.out(curating.curate_queued(memory, apply), json, _all_curated)
        return
    body, source, _ = curating.read_source(text, file)
    common.out(curating.curate(memory, body, source, apply), json, _curated)


def _all_curated(results: list[dict[str, Any]]) -> None:
    for data in results:
        _curated(data)
    if not results:
        print("nothing queued: no transcript waits for curation")


def _curated(data: dict[str, Any]) -> None:
    for op in data.get("operations", []):
        where = f" ({op['proposal']})" if op.get("proposal") else ""
        print(f"{op['status']}{where}: {op['summary']}  — {op['reason']}")
    for item in data.get("refused", []):
        print(f"refused: {item['why']}")
    print(data["message"])


@app.command()
def ingest(
    transcript: Annotated[str, typer.Argument(help="A Claude Code, Codex or Gemini session transcript (JSONL).")],
    json: JsonOpt = False,
) -> None:
    """Turn a session transcript into an episode entry, with no model (deterministic)."""
    from ..agents import curate as curating

    common.out(curating.ingest(common.memory(tool="ingest"), transcript), json, lambda r: print(r["message"]))
