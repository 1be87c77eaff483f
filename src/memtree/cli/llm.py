"""LLM commands: `llm status` (what model would be used and why), `curate`, `ingest`."""

from __future__ import annotations

from typing import Any

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
