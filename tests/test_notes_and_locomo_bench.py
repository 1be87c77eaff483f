"""The notes benchmark (manual pages as reference notes) and the dated LoCoMo build, on tiny inputs."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import locomo  # noqa: E402
import notes  # noqa: E402

PAGES = {
    "cp": ("copy files and directories",
           "Copy SOURCE to DEST, or multiple SOURCE(s) to DIRECTORY, keeping modes when asked."),
    "mv": ("move (rename) files",
           "Rename SOURCE to DEST, or move SOURCE(s) to DIRECTORY; across file systems it copies."),
    "gzip": ("compress or expand files",
             "Gzip reduces the size of the named files using Lempel-Ziv coding (LZ77)."),
}


def _man(folder: Path) -> Path:
    folder.mkdir()
    for name, (summary, body) in PAGES.items():
        text = (f'.TH {name.upper()} 1\n.SH NAME\n{name} \\- {summary}\n.SH SYNOPSIS\n.B {name}\n'
                f'[\\fIOPTION\\fR]...\n.SH DESCRIPTION\n.\\" a comment\n{body}\n.PP\n'
                f'.B {name}\nis part of the \\fBtools\\fP and works \\- quietly \\- on any file.\n')
        (folder / f"{name}.1.gz").write_bytes(gzip.compress(text.encode()))
    (folder / "gunzip.1.gz").write_bytes(gzip.compress(b".so man1/gzip.1\n"))  # a redirect
    return folder


def test_a_page_becomes_a_note_without_its_summary(tmp_path: Path) -> None:
    found = notes.corpus(_man(tmp_path / "man1"), 1)
    assert [n["command"] for n in found] == ["cp", "gzip", "mv"]  # the redirect is skipped
    cp = found[0]
    assert cp["summary"] == "copy files and directories"
    assert cp["body"].startswith("Copy SOURCE to DEST")
    assert "works - quietly - on any file" in cp["body"] and "\\f" not in cp["body"]
    assert "a comment" not in cp["body"] and "copy files and directories" not in cp["body"]


def test_notes_run_scores_memtree_beside_bm25(tmp_path: Path) -> None:
    out = tmp_path / "notes.json"
    assert notes.main(["--man", str(_man(tmp_path / "man1")), "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert (report["notes"], report["questions"]) == (3, 3)
    for system in ("memtree", "bm25"):
        assert set(report[system]) == {"r@5", "r@10", "s@5", "mrr", "p@3"}
        assert report[system]["r@5"] == 1.0  # three notes: every gold is in the first five
    assert 0.0 <= report["hook_share"] <= 1.0


def test_locomo_turns_are_dated_when_said(tmp_path: Path) -> None:
    sample = {"sample_id": "t", "qa": [], "conversation": {
        "speaker_a": "Ann", "speaker_b": "Bo",
        "session_1": [{"speaker": "Ann", "dia_id": "D1:1", "text": "We went camping by the lake."},
                      {"speaker": "Bo", "dia_id": "D1:2", "text": "Lovely, which lake?"}],
        "session_1_date_time": "1:56 pm on 8 May, 2023",
        "session_2": [{"speaker": "Ann", "dia_id": "D2:1", "text": "Camping again, in the hills."}],
        "session_2_date_time": "10:00 am on 3 July, 2023",
        "session_3_date_time": "9:00 am on 1 August, 2023"}}  # a date without a session
    memory, paths, now = locomo.build_dated(sample, tmp_path / "memory")
    assert now == dt.datetime(2023, 7, 4, 10, 0, tzinfo=dt.UTC)  # a day after the last turn
    created = {turn: memory.get(path).created for path, turn in paths.items()}
    assert created == {"D1:1": "2023-05-08T13:56:00Z", "D1:2": "2023-05-08T13:56:01Z",
                       "D2:1": "2023-07-03T10:00:00Z"}
    asked = locomo.ranked_turns(memory, "Where did Ann go camping in July 2023?", paths, now)
    assert asked[0] == "D2:1"
    assert locomo.ranked_turns(memory, "Where did Ann go camping in May 2023?", paths, now)[0] == "D1:1"


def test_locomo_reports_what_the_prompt_hook_injects(tmp_path: Path) -> None:
    sample = {"sample_id": "t", "conversation": {
        "speaker_a": "Ann", "speaker_b": "Bo",
        "session_1": [{"speaker": "Ann", "dia_id": "D1:1", "text": "We went camping by the lake."},
                      {"speaker": "Bo", "dia_id": "D1:2", "text": "Lovely, which lake?"},
                      {"speaker": "Ann", "dia_id": "D1:3", "text": "My sister adopted a puppy."}],
        "session_1_date_time": "1:56 pm on 8 May, 2023"},
        "qa": [{"question": "Where did Ann go camping?", "evidence": ["D1:1"], "category": 4},
               {"question": "What did the sister of Ann adopt?", "evidence": ["D1:3"],
                "category": 1},
               {"question": "Which zebra sang opera?", "evidence": ["D1:2"], "category": 5}]}
    data = tmp_path / "locomo.json"
    data.write_text(json.dumps([sample]))
    out = tmp_path / "out.json"
    assert locomo.main(["--data", str(data), "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["questions"] == 2  # category 5 is not scored, nor asked of the hook
    assert (report["hook_precision"], report["hook_share"], report["hook_hit"]) == (1.0, 1.0, 1.0)
