"""`memtree watch` as a real process over a real tree in a real git repository: hand edits saved
the ways editors save are indexed within a second, a broken file is reported without stopping
the watch, and the edits are committed as "edited by hand" after the quiet period."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
from pathlib import Path

from conftest import MEMTREE

ENTRY = "---\nid: {id}\ntitle: {title}\n---\n{body}\n"


def _lines(stream: object, into: queue.Queue[tuple[float, dict[str, str]]]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.put((time.monotonic(), json.loads(line)))


def _wait(events: queue.Queue[tuple[float, dict[str, str]]], kind: str, path: str,
          timeout: float = 5.0) -> float:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            at, event = events.get(timeout=0.1)
        except queue.Empty:
            continue
        if event["event"] == kind and path in event["path"]:
            return at
    raise AssertionError(f"no {kind} event for {path}")


def test_hand_edits_are_indexed_checked_and_committed(tmp_path: Path) -> None:
    project = tmp_path / "watched"
    project.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run([str(MEMTREE), "init"], cwd=project, check=True, capture_output=True)
    folder = project / ".memory" / "ops" / "db"
    folder.mkdir(parents=True)
    watch = subprocess.Popen([str(MEMTREE), "watch", "--json", "--quiet", "1", "--for", "12"],
                             cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    events: queue.Queue[tuple[float, dict[str, str]]] = queue.Queue()
    threading.Thread(target=_lines, args=(watch.stdout, events), daemon=True).start()
    try:
        time.sleep(1.5)  # the watch is up
        # an editor's atomic save: a temporary file renamed over the entry
        temp = folder / ".pool.md.tmp123"
        temp.write_text(ENTRY.format(id="01HWATCHPOOL00000000000000", title="Pool size", body="20"))
        saved = time.monotonic()
        os.replace(temp, folder / "pool.md")
        assert _wait(events, "indexed", "ops/db/pool.md") - saved < 1.0
        # vim's save: the original renamed to a backup, a new file written, the backup deleted
        (folder / "pool.md").rename(folder / "pool.md~")
        (folder / "pool.md").write_text(ENTRY.format(id="01HWATCHPOOL00000000000000",
                                                     title="Pool size", body="40"))
        (folder / "pool.md~").unlink()
        (folder / "broken.md").write_text("---\ntitle: [unclosed\n---\n")
        assert _wait(events, "invalid", "ops/db/broken.md")
        _wait(events, "committed", "ops/db/pool.md")
    finally:
        watch.wait(timeout=20)
    assert watch.returncode == 0, watch.stderr.read() if watch.stderr else ""
    log = subprocess.run(["git", "log", "--format=%s%n%b", "-1"], cwd=project, capture_output=True,
                         text=True, check=True).stdout
    assert "edited by hand: ops/db/pool" in log and "Memtree-Tool: hand" in log
    shown = subprocess.run(["git", "show", "HEAD:.memory/ops/db/pool.md"], cwd=project,
                           capture_output=True, text=True, check=True).stdout
    assert shown.endswith("40\n")
    query = subprocess.run([str(MEMTREE), "query", "pool", "--json"], cwd=project,
                           capture_output=True, text=True, check=True)
    assert [h["path"] for h in json.loads(query.stdout)["hits"]] == ["ops/db/pool"]


def _drain(events: queue.Queue[tuple[float, dict[str, str]]], seconds: float) -> list[dict[str, str]]:
    out, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            out.append(events.get(timeout=0.1)[1])
        except queue.Empty:
            continue
    return out


def test_each_shell_edit_is_reported_once(tmp_path: Path) -> None:
    project = tmp_path / "watched"
    project.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run([str(MEMTREE), "init"], cwd=project, check=True, capture_output=True)
    folder = project / ".memory" / "ops" / "db"
    folder.mkdir(parents=True)
    entry = folder / "pool.md"
    entry.write_text(ENTRY.format(id="01HWATCHPOOL00000000000000", title="Pool size", body="20"))
    watch = subprocess.Popen([str(MEMTREE), "watch", "--json", "--quiet", "1", "--for", "22"],
                             cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    events: queue.Queue[tuple[float, dict[str, str]]] = queue.Queue()
    threading.Thread(target=_lines, args=(watch.stdout, events), daemon=True).start()
    try:
        time.sleep(1.5)  # the watch is up
        _drain(events, 0.5)
        text = ENTRY.format(id="01HWATCHPOOL00000000000000", title="Pool size", body="30")
        for command in (*[f"echo more >> {entry.name}"] * 4,
                        *[f"printf '%s' '{text}' > {entry.name}"] * 3, f"echo '---' > {entry.name}"):
            subprocess.run(["sh", "-c", command], cwd=folder, check=True)
            seen = [e for e in _drain(events, 1.5) if e["event"] != "committed"]
            assert len(seen) == 1, (command, seen)
            assert seen[0]["path"].startswith("ops/db/pool.md")
            assert seen[0]["event"] == ("invalid" if command.startswith("echo '---'") else "indexed")
    finally:
        watch.wait(timeout=20)
    assert watch.returncode == 0, watch.stderr.read() if watch.stderr else ""
