"""Query results without a terminal are written without rich (plainview.py): the lines must be
those rich prints to a pipe, for every field that can hold odd text (markup-like brackets,
control characters, secrets, scopes, flags, the explain lines and the escalation gate)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from conftest import Run
from memtree import Memory
from memtree.cli import plainview, views
from memtree.model import Hit, Result, Tier

ODD = ["plain words", "[bold]not markup[/bold]", "a [link] b", "tab\there", "bell\x07 and cr\r",
       "token = 'sk-proj-" + "A1b2C3d4" * 5 + "'", "é ü ß 漢字", "trailing space ", "\\[escaped]",
       "line one\nline two"]


def _hit(n: int, text: str, tier: Tier = Tier.FULLTEXT, **extra: object) -> Hit:
    fields: dict[str, object] = {"summary": text, "parts": (("bm25", 3.25 / n), ("coverage", 0.5))}
    fields.update(extra)
    return Hit(f"d/t/e{n}", f"id{n}", text, tier, 0.5 / n, f"matched {text}",
               **fields)  # type: ignore[arg-type]


RESULTS = [
    Result("nothing here", ()),
    Result("odd", tuple(_hit(n, t) for n, t in enumerate(ODD, 1)), 0.73, False, "top hit [x]"),
    Result("gate", (_hit(1, "one", flags=("superseded by d/t/e9", "archived"), scope="personal"),
                    _hit(2, "two", summary="")), 0.2, True, "low confidence"),
    Result("llm", (_hit(1, "asked a model", tier=Tier.LLM),), 0.9, False, "escalated"),
]


def _captured(show: object, res: Result, explain: bool) -> str:
    buffer = io.StringIO()  # not a terminal: rich writes plain text
    old, sys.stdout = sys.stdout, buffer
    try:
        show(res, explain)  # type: ignore[operator]
    finally:
        sys.stdout = old
    return buffer.getvalue()


@pytest.mark.parametrize("res", RESULTS, ids=lambda r: r.query)
@pytest.mark.parametrize("explain", [False, True])
def test_plain_lines_are_what_rich_prints_to_a_pipe(res: Result, explain: bool) -> None:
    plain = _captured(plainview.result, res, explain)
    assert plain == _captured(views.rich_result, res, explain)
    assert "sk-proj-" not in plain  # masked as everywhere


def test_the_view_without_a_terminal_takes_the_plain_path(memory: Memory) -> None:
    res = RESULTS[1]
    assert _captured(views.result, res, True) == _captured(plainview.result, res, True)


def test_piped_query_output_is_the_full_clis(run: Run, tmp_path: Path) -> None:
    Memory.init(tmp_path / "project").add("Sign JWT access tokens with RS256", "auth/tokens",
                                          "Tokens are signed.", summary="RS256 keys [rotated] monthly")
    lean = run("query", "jwt tokens", "--explain")  # the lean path (fastquery.py)
    full = run("--plain", "query", "jwt tokens", "--explain")  # typer's path
    assert lean.returncode == full.returncode == 0
    assert "1. Sign JWT access tokens with RS256  auth/tokens/" in lean.stdout
    assert "   RS256 keys [rotated] monthly\n" in lean.stdout
    assert lean.stdout == full.stdout
