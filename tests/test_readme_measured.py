"""The README's "Measured" figures come from benchmarks/RESULTS.md: every number in that section
must appear there, and the date of the latest runs must be the same, so neither goes stale."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _measured() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("## Measured\n", 1)[1].split("\n## ", 1)[0]


def test_every_measured_figure_is_in_results() -> None:
    results = (ROOT / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8").replace("**", "")
    section = _measured().split("\n", 2)[2]  # after the two lines naming the source
    figures = re.findall(r"\d[\d,]*(?:\.\d+)?(?:–\d+(?:\.\d+)?)?(?: (?:ms|s)\b)?", section)
    missing = [f for f in figures if f not in results and f not in ("1", "4", "10,000")]
    assert figures and missing == []


def test_latest_runs_date_matches() -> None:
    results = (ROOT / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8")
    latest = re.search(r"Latest runs: (\d{4}-\d\d-\d\d)", results)
    shown = re.search(r"latest\s+runs: (\d{4}-\d\d-\d\d)", _measured())
    assert latest and shown and latest.group(1) == shown.group(1)
