"""The file hook's choice (agents/files_context.py `for_files`, retrieval/touched.py `given`) on
a real tree shaped like a commit history, one entry a day: anchored entries always count; of the
entries from (provenance) or naming a file, only its newest, and only while it is recent by the
ranking's measure (at most `rank.RECENCY_K` entries a day or more newer)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from memtree import Memory
from memtree.agents import files_context, inject
from memtree.entries.codec import from_mapping, render
from memtree.entries.layout import file_for
from memtree.retrieval import rank, touched

START = dt.datetime(2024, 1, 1, 9, tzinfo=dt.UTC)


def write(memory: Memory, day: int, name: str, files: list[str], anchor: str | None = None) -> str:
    """An episode written `day` days after START, from `files` (and anchored in `anchor`)."""
    stamp = (START + dt.timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")
    meta: dict[str, object] = {"id": f"e{day:05d}", "title": f"Change {name}", "type": "episode",
                               "created": stamp, "updated": stamp,
                               "source": {"by": "person:dev", "files": files}}
    if anchor:
        meta["anchors"] = [{"path": anchor}]
    path = f"dev/history/{name}"
    target = file_for(memory.root, path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(from_mapping(meta, f"Work on {name}.", path)), encoding="utf-8")
    return path


def given(memory: Memory, file: str) -> list[tuple[str, str]]:
    shot = files_context.for_files(memory, [file], inject.options(memory.ws.settings), set())
    return [(str(i["path"]), str(i["tier"])) for i in shot.items]


def history(tmp_path: Path) -> tuple[Memory, dict[str, str]]:
    """Old work on `old.py` (one entry) and `kept.py` (anchored); three entries from `pair.py`,
    eight from `busy.py`; then RECENCY_K + 10 days of work on other files."""
    memory = Memory.init(tmp_path / "project", as_root=True, autocommit=False)
    named = {"old": write(memory, 0, "old-work", ["src/old.py"]),
             "kept": write(memory, 1, "kept-note", ["src/other.py"], anchor="src/kept.py")}
    late = rank.RECENCY_K + 10
    for n in range(3):
        named[f"pair{n}"] = write(memory, late - 5 + n, f"pair-{n}", ["src/pair.py"])
    for n in range(8):
        named[f"busy{n}"] = write(memory, late - 20 + n, f"busy-{n}", ["src/busy.py"])
    for day in range(2, late + 1):
        write(memory, day, f"filler-{day}", [f"src/filler_{day}.py"])
    return memory, named


def test_only_the_newest_recent_entry_from_a_file_counts(tmp_path: Path) -> None:
    memory, named = history(tmp_path)
    # Of three entries from a file, the newest alone (the others are older work on it).
    assert given(memory, "src/pair.py") == [(named["pair2"], "source")]
    # More than 3 entries from a file no longer silence it: its newest comes.
    assert 8 <= touched.SPECIFIC
    assert given(memory, "src/busy.py") == [(named["busy7"], "source")]
    # An entry from the file with more than RECENCY_K entries a day newer is old work: nothing.
    assert given(memory, "src/old.py") == []


def test_anchored_entries_always_count_however_old(tmp_path: Path) -> None:
    memory, named = history(tmp_path)
    assert given(memory, "src/kept.py") == [(named["kept"], "anchor")]
    # Anchors come beside the newest entry from the file, first.
    fresh = write(memory, rank.RECENCY_K + 11, "fresh-on-kept", ["src/kept.py"])
    assert given(memory, "src/kept.py") == [(named["kept"], "anchor"), (fresh, "source")]


def test_a_small_memory_is_all_recent(tmp_path: Path) -> None:
    memory = Memory.init(tmp_path / "project", as_root=True, autocommit=False)
    first = write(memory, 0, "first", ["src/app.py"])
    assert given(memory, "src/app.py") == [(first, "source")]
    second = write(memory, 400, "second", ["src/app.py"])
    assert given(memory, "src/app.py") == [(second, "source")]
