"""The hook path does bounded work whatever the agent sends: a huge prompt is cut, a transcript
is read only when it is a regular file, and only its end."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from agents_support import build_tree, payload
from conftest import Run


def test_a_megabyte_prompt_is_answered_quickly(run: Run, tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_tree(project)
    body = json.loads(payload("claude-code", "UserPromptSubmit", project))
    words = " ".join("sign jwt access tokens" for _ in range(60_000))  # the same question, padded
    body["prompt"] = "How do we sign the JWT access tokens? " + words[:1_000_000]
    started = time.perf_counter()
    out = run("hook", "claude-code", "UserPromptSubmit", input=json.dumps(body))
    took = time.perf_counter() - started
    assert out.returncode == 0 and took < 20, took
    assert "RS256" in out.stdout  # the start of the prompt still finds the entry
    assert not (project / ".memory/.local/hook-errors.log").exists()


def test_a_fifo_as_transcript_never_hangs_the_stop_hook(run: Run, tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_tree(project)
    fifo = tmp_path / "transcript.fifo"
    os.mkfifo(fifo)
    body = json.loads(payload("claude-code", "Stop", project))
    body["transcript_path"] = str(fifo)
    for _ in range(2):
        run("hook", "claude-code", "UserPromptSubmit",
            input=payload("claude-code", "UserPromptSubmit", project))
    started = time.perf_counter()
    out = run("hook", "claude-code", "Stop", input=json.dumps(body))  # run() times out at 60 s
    assert out.returncode == 0 and time.perf_counter() - started < 20
    reminded = json.loads(out.stdout)["hookSpecificOutput"]  # read as empty: the reminder is due
    assert reminded["hookEventName"] == "Stop" and reminded["additionalContext"]


def test_only_the_end_of_a_big_transcript_is_read(tmp_path: Path) -> None:
    from memtree.agents.hook import _tail

    big = tmp_path / "t.jsonl"
    big.write_bytes(b"x" * 5_000_000 + b"THE END")
    text = _tail(str(big), limit=1000)
    assert len(text) == 1000 and text.endswith("THE END")
    assert _tail(str(tmp_path)) == "" and _tail(str(tmp_path / "missing")) == ""
