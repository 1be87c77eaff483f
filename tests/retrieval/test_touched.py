"""Which entries are about a project file (retrieval/touched.py over the index's `touches`
table and its full text), kept in step with the files as entries are anchored, edited, moved
and removed; and a prompt asked with the files a session touched."""

from __future__ import annotations

from pathlib import Path

from memtree import Memory
from memtree.index.db import open_index
from memtree.retrieval import touched


def _about(memory: Memory, *files: str) -> dict[str, dict[str, str]]:
    idx = open_index(memory.root)
    idx.sync()
    return touched.about(idx, list(files))


def test_anchors_provenance_and_names_follow_the_entries(tmp_path: Path) -> None:
    project = tmp_path / "project"
    memory = Memory.init(project)
    (project / "src").mkdir()
    (project / "src" / "tokens.py").write_text("def sign():\n    pass\n")
    anchored = memory.add("Signing", "auth/code", "How signing works.")
    memory.lifecycle.anchor(anchored.path, "src/tokens.py#sign")
    source = memory.add("From tokens", "auth/notes", "Imported.", files=["./src/tokens.py"])
    named = memory.add("Mentions", "auth/notes", "Edit src/tokens.py with care.")
    short = memory.add("Short name", "auth/notes", "The tokens.py module signs.")
    memory.add("Elsewhere", "auth/notes", "Nothing about that file; src/tokens.pyc is another.")
    found = _about(memory, "src/tokens.py")
    assert found == {anchored.path: {"src/tokens.py": "anchor"},
                     source.path: {"src/tokens.py": "source"},
                     named.path: {"src/tokens.py": "names"},
                     short.path: {"src/tokens.py": "names"}}
    assert touched.counts(found) == {"src/tokens.py": 4}
    # An anchored entry that also names the file keeps its strongest reason.
    memory.update(anchored.path, body="How signing works in src/tokens.py.")
    assert _about(memory, "src/tokens.py")[anchored.path] == {"src/tokens.py": "anchor"}
    moved = memory.move(source.path, "auth/imported")
    memory.remove(named.path, hard=True)
    after = _about(memory, "src/tokens.py")
    assert source.path not in after and after[moved.path] == {"src/tokens.py": "source"}
    assert named.path not in after
    memory.reindex()  # a rebuild gives the same rows
    assert _about(memory, "src/tokens.py") == after
    assert _about(memory, "src/other.py") == {}


def test_a_prompt_is_asked_with_the_last_distinct_files(tmp_path: Path) -> None:
    memory = Memory.init(tmp_path / "project")
    text = "Retries back off exponentially and stop after five"
    # The newer of two equal entries may rank first: the one the prompt alone should find is
    # written last (in the same second or the next), so the file has to lift the other.
    memory.add("Retry policy", "integrations/webhooks", text + " (src/integrations/hooks.py).")
    memory.add("Retry policy", "billing/invoices", text + ".")
    prompt = "what is our retry policy"
    assert memory.query(prompt, limit=2).hits[0].path == "billing/invoices/retry-policy"
    touched_files = ["src/integrations/hooks.py"] + [f"src/x{n}.py" for n in range(touched.MAX_FILES)]
    # Only the last MAX_FILES distinct files count: the first one is too old here.
    assert touched.search(memory.ws, prompt, touched_files, limit=2).hits[0].path == \
        "billing/invoices/retry-policy"
    recent = [*touched_files[1:], "src/integrations/hooks.py", "src/x3.py"]
    assert touched.search(memory.ws, prompt, recent, limit=2).hits[0].path == \
        "integrations/webhooks/retry-policy"
    alone = touched.search(memory.ws, prompt, [], limit=2)
    assert [h.path for h in alone.hits] == [h.path for h in memory.query(prompt, limit=2).hits]
    assert alone.query == prompt
