"""The coding benchmark's metrics and baselines, and a whole replay on a small data folder."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import coding  # noqa: E402
from coding_systems import BM25, Analyzer, Files, Grep, fuse_recency, mean, precision, score  # noqa: E402


def test_score_counts_after_ignore_but_p3_on_the_raw_top() -> None:
    ranked = [7, 3, 9, 1, 4, 5, 6, 8]
    got = score(ranked, gold=[9, 8], ignore=[7])
    # after dropping 7: [3, 9, 1, 4, 5, 6, 8]: 9 is 2nd, 8 is 7th
    assert got["r@5"] == 0.5
    assert got["r@10"] == 1.0
    assert got["s@5"] == 1.0
    assert got["mrr"] == 0.5
    assert got["p@3"] == pytest.approx(1 / 3)  # 7 (ignored) still takes a raw slot


def test_score_of_a_miss_and_depth_limit() -> None:
    ranked = list(range(100, 160))  # 60 results, the gold is the 55th
    got = score([*ranked[:54], 1, *ranked[54:]], gold=[1])
    assert got == {"r@5": 0.0, "r@10": 0.0, "s@5": 0.0, "mrr": 0.0, "p@3": 0.0}
    with pytest.raises(ValueError):
        score([1, 2], gold=[])


def test_precision_and_mean() -> None:
    assert precision([], [1]) is None
    assert precision([1, 2, 3], [3, 4]) == pytest.approx(1 / 3)
    assert mean([{"a": 1.0, "b": 0.0}, {"a": 0.0, "b": 0.5}]) == {"a": 0.5, "b": 0.25}
    assert mean([]) == {}


def test_analyzer_stems_and_drops_stopwords_and_single_letters() -> None:
    assert Analyzer()("The runner's Caching of x_y in src/mypy/checker.py") == \
        ["runner", "cach", "src", "mypi", "checker", "py"]


def test_bm25_matches_the_okapi_formula() -> None:
    index = BM25(Analyzer())
    docs = ["join eager loading", "lazy loading", "eager eager relationship options", "unrelated"]
    for doc in docs:
        index.add(doc)
    found = index.search("eager", 10)
    assert found == [2, 0]  # two occurrences in a doc of average length beat one

    def expected(tf: int, length: int) -> float:
        idf = math.log(1 + (4 - 2 + 0.5) / (2 + 0.5))
        avg = (3 + 2 + 4 + 1) / 4
        return idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / avg))

    assert expected(2, 4) > expected(1, 3)
    assert index.search("nothing here", 10) == []


def test_fusion_mixes_rank_and_recency() -> None:
    fused = fuse_recency([0, 5, 9], size=10, depth=3)
    # 9 is 3rd by text and newest: 1/63 + 1/61; 0 is first by text only: 1/61
    assert fused[0] == 9
    assert set(fused) == {0, 5, 9, 8, 7}


def test_grep_and_files_rank_by_count_then_newest() -> None:
    grep = Grep()
    for text in ("Eager loading fix", "lazy loader", "eager LOADING again", "nothing"):
        grep.add(text)
    assert grep.search("the eager load", 10) == [2, 0, 1]  # "load" is in "loader" too
    files = Files()
    for touched in (["a.py", "b.py"], ["b.py"], ["c.py"], ["a.py", "b.py", "c.py"]):
        files.add(touched)
    assert files.search(["a.py", "b.py"], 10) == [3, 0, 1]


def _commit(i: int, title: str, files: list[str], day: int, refs: list[int]) -> dict[str, object]:
    sha = f"{i:040x}"
    return {"i": i, "sha": sha, "time": 1_600_000_000 + day * 86_400, "author": "Dev One",
            "refs": refs, "focused": bool(refs), "bot": False,
            "path": f"pkg/core/{title.lower().replace(' ', '-')}-{sha[-7:]}", "title": title,
            "body": "Files: " + ", ".join(files), "files": files, "subject": title}


def test_replay_writes_the_json_shape(tmp_path: Path) -> None:
    data = tmp_path / "owner+repo"
    data.mkdir()
    commits = [_commit(0, "Add eager loader", ["pkg/loader.py"], 0, [10]),
               _commit(1, "Tidy the docs", ["docs/index.rst"], 1, []),
               _commit(2, "Fix eager loader crash", ["pkg/loader.py"], 5, [10])]
    query = {"qid": "next-day:x", "setting": "next-day", "gap_days": 1, "i": 2,
             "sha": commits[2]["sha"], "time": commits[2]["time"], "visible": 2,
             "text": "Fix eager loader crash", "files": ["pkg/loader.py"], "refs": [10],
             "gold": [0], "ignore": [], "kind": "code"}
    (data / "commits.jsonl").write_text("".join(json.dumps(c) + "\n" for c in commits))
    (data / "queries.jsonl").write_text(json.dumps(query) + "\n")
    out = tmp_path / "out.json"
    assert coding.main(["--data", str(data), "--setting", "next-day", "--json", str(out)]) == 0
    found = json.loads(out.read_text())
    assert set(found) == {"next-day"}
    assert set(found["next-day"]) == {"text", "+files", "files-context"}
    # The files as an agent's touched files: memtree only, with both hooks' figures.
    context = found["next-day"]["files-context"]
    assert set(context) == {"memtree"} and context["memtree"]["mrr"] == 1.0
    assert context["memtree"]["file_hook_share"] == 1.0  # the gold entry came from pkg/loader.py
    assert context["memtree"]["file_hook_precision"] == 1.0
    assert context["memtree"]["file_hook_entries"] == 1.0
    assert set(found["next-day"]["+files"]) == {"memtree", "bm25", "bm25+recency", "grep", "files"}
    assert set(found["next-day"]["text"]) == {"memtree", "bm25", "bm25+recency", "grep"}
    for system, cells in found["next-day"]["+files"].items():
        assert {"r@5", "r@10", "s@5", "mrr", "p@3"} <= set(cells), system
    for system, cells in found["next-day"]["text"].items():
        assert cells["mrr"] == 1.0, system  # the gold entry is the only one holding the words
    assert found["next-day"]["text"]["memtree"]["hook_share"] in (0.0, 1.0)
