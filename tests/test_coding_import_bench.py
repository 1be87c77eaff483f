"""The coding benchmark over a memory built by `memtree import git`: the repository made from the
records (messages, authors, dates, touched files), the episode scoring, and a whole replay."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import coding_import  # noqa: E402

pytestmark = pytest.mark.git
DAY = 86_400


def record(i: int, subject: str, files: list[str], day: int, body: str = "",
           author: str = "Dev One") -> dict[str, Any]:
    text = "\n\n".join(p for p in (body, "Files: " + ", ".join(files) if files else "") if p)
    return {"i": i, "sha": f"{i + 1:040x}", "time": 1_600_000_000 + day * DAY, "author": author,
            "refs": [], "focused": False, "bot": False, "path": f"pkg/core/c-{i}", "title": subject,
            "body": text, "files": files, "subject": subject}


def test_the_repository_holds_the_records(tmp_path: Path) -> None:
    records = [record(0, "Add eager loader (#10)", ["pkg/loader.py", "odd name \"q\".py"], 0, author="Ann <x>"),
               record(1, "Tidy the docs", ["docs/index.rst"], 1, body="Why: the index was stale.\nFiles: is a word here"),
               record(2, "Release notes", [], 2)]
    shas = coding_import.build(records, tmp_path / "project")
    log = subprocess.run(["git", "log", "--reverse", "--format=%H|%an|%at|%s|%b", "--name-only"],
                         cwd=tmp_path / "project", capture_output=True, text=True, check=True).stdout
    assert f"{shas[0]}|Ann x|1600000000|Add eager loader (#10)|" in log
    assert '\n"odd name \\"q\\".py"\npkg/loader.py\n' in log  # git quotes the name it stored
    assert f"{shas[1]}|Dev One|{1_600_000_000 + DAY}|Tidy the docs|Why: the index was stale.\nFiles: is a word here\n" in log
    assert "Files: docs/index.rst" not in log  # the data's own paragraph is not part of the message
    assert f"{shas[2]}|Dev One|{1_600_000_000 + 2 * DAY}|Release notes|" in log


def test_an_episode_is_a_hit_when_it_contains_a_gold_commit() -> None:
    ranked = [frozenset({7}), frozenset({1, 9}), frozenset({4}), frozenset({2, 3}), frozenset()]
    got = coding_import.score(ranked, gold=[2, 9, 40], ignore=[7])
    # after dropping the all-ignored {7}: {1, 9} first, {2, 3} third
    assert got["r@5"] == pytest.approx(2 / 3) and got["s@5"] == 1.0 and got["mrr"] == 1.0
    assert got["p@3"] == pytest.approx(1 / 3)  # {7} still takes a raw slot
    miss = coding_import.score([frozenset({5})] * 3, gold=[1], ignore=[])
    assert miss == {"r@5": 0.0, "r@10": 0.0, "s@5": 0.0, "mrr": 0.0, "p@3": 0.0}


def test_replay_imports_only_the_visible_history(tmp_path: Path) -> None:
    data = tmp_path / "owner+repo"
    data.mkdir()
    records = [record(0, "Add eager loader (#10)", ["pkg/loader.py"], 0),
               record(1, "Tidy the docs", ["docs/index.rst"], 1),
               record(2, "Speed up the eager loader (#10)", ["pkg/loader.py"], 2),
               record(3, "Fix eager loader crash on empty rows (#10)", ["pkg/loader.py"], 5),
               record(4, "Later eager loader work (#10)", ["pkg/loader.py"], 9)]
    query = {"qid": "next-day:x", "setting": "next-day", "gap_days": 1, "i": 3,
             "sha": records[3]["sha"], "time": records[3]["time"], "visible": 3,
             "text": "Fix eager loader crash on empty rows", "files": ["pkg/loader.py"],
             "refs": [10], "gold": [0, 2], "ignore": [], "kind": "code"}
    (data / "commits.jsonl").write_text("".join(json.dumps(c) + "\n" for c in records))
    (data / "queries.jsonl").write_text(json.dumps(query) + "\n")
    out = tmp_path / "out.json"
    assert coding_import.main(["--data", str(data), "--setting", "next-day", "--json", str(out)]) == 0
    found = json.loads(out.read_text())["owner+repo"]
    # one episode (#10) holding commits 0 and 2, the docs commit in its own: both gold in the first
    assert found["facts"]["episodes_at_end"] == 2 and found["facts"]["commits_per_episode_mean"] == 1.5
    assert found["next-day"]["text"]["r@5"] == 1.0 and found["next-day"]["text"]["mrr"] == 1.0
    assert found["next-day"]["text"]["queries"] == 1
