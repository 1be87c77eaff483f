"""Property tests with generated input: the frontmatter parser, path and name handling, the query
parser and search, and every agent's hook payload readers. Any input gives a result or a clear
MemtreeError: never another exception, a hang or a file outside the memory root.

A fixed budget (FUZZ settings: examples per property, a per-example deadline, derandomized so CI
runs the same cases) keeps the whole file well under a minute.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from agents_support import build_tree
from memtree import Memory, secretscan
from memtree.agents import AGENTS, get, hook
from memtree.cli import fastquery
from memtree.entries import codec, layout as tree
from memtree.errors import MemtreeError
from memtree.index import tokens
from memtree.retrieval import tiers as retrieve

pytestmark = pytest.mark.slow

FUZZ = settings(max_examples=150, deadline=2000, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SLOW = settings(FUZZ, max_examples=40)

NAMEISH = st.text(alphabet=st.sampled_from("abcXYZ09-_ ./\\:*?[]!~é\x00\n\t"), max_size=24)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
FIELDS = ("id", "title", "summary", "type", "tags", "aliases", "relations", "importance",
          "maturity", "status", "pinned", "created", "updated", "source", "format", "anchors")


def outcome(call: Any, *args: Any) -> Any:
    """The call's result, or None when it raised a MemtreeError; anything else fails the test."""
    try:
        return call(*args)
    except MemtreeError as exc:
        assert str(exc) and "\n" not in exc.message.strip(), exc.message
        return None


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz") / "project"
    build_tree(folder)
    return folder


def _outside(project: Path) -> set[str]:
    return {str(p) for p in project.parent.rglob("*") if ".memory" not in p.parts}


# ------------------------------------------------------------------ frontmatter


@FUZZ
@given(st.text(max_size=400))
def test_any_text_parses_or_is_refused(text: str) -> None:
    outcome(codec.parse, text, "a/b/c")
    outcome(codec.body_of, text, "a/b/c")


@FUZZ
@given(st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=8), st.text(max_size=80))
def test_generated_frontmatter_parses_or_is_refused(meta: dict[str, Any], body: str) -> None:
    lines = [f"{k}: {json.dumps(v)}" for k, v in meta.items()]
    item = outcome(codec.parse, "---\n" + "\n".join(lines) + "\n---\n" + body, "a/b/c")
    if item is not None:  # what parses renders, and the rendering parses back the same
        again = codec.parse(codec.render(item), "a/b/c")
        assert codec.render(again) == codec.render(item)


# ------------------------------------------------------------------ paths and names


@FUZZ
@given(NAMEISH)
def test_names_normalise_or_are_refused(name: str) -> None:
    clean = outcome(tree.normalize_name, name)
    assert clean is None or tree.NAME_RE.match(clean)
    assert tree.NAME_RE.match(tree.slugify(name)) or tree.slugify(name) == "entry"


@FUZZ
@given(st.lists(NAMEISH, max_size=5).map("/".join))
def test_memory_paths_stay_inside_the_root(tmp_path_factory: pytest.TempPathFactory, rel: str) -> None:
    root = Path("/srv/memory/.memory")
    file = outcome(tree.file_for, root, rel)
    if file is not None:
        assert os.path.normpath(file).startswith(str(root) + "/")
    outcome(tree.location, rel)


@SLOW
@given(title=st.text(max_size=40), where=st.lists(NAMEISH, min_size=1, max_size=4).map("/".join),
       body=st.text(max_size=200), slug=st.none() | NAMEISH)
def test_adding_anything_writes_inside_the_root_or_is_refused(
        project: Path, title: str, where: str, body: str, slug: str | None) -> None:
    before = _outside(project)
    memory = Memory.open(project / ".memory")
    item = outcome(lambda: memory.add(title, where, body, slug=slug, force=True))
    if item is not None:
        file = tree.file_for(memory.root, item.path)
        assert file.is_file() and memory.root.resolve() in file.resolve().parents
    assert _outside(project) == before


# ------------------------------------------------------------------ queries


@FUZZ
@given(st.text(max_size=60))
def test_query_text_tokenises_and_globs_compile(text: str) -> None:
    tokens.query_groups(text)
    tokens.query_terms(text)
    outcome(retrieve.glob_regex, text)
    secretscan.mask(text, ())


@FUZZ
@given(st.lists(st.sampled_from(["query", "--root", "--limit", "-n", "--json", "--all", "--domain",
                                 "--limit=0", "x", "", "-", "--", "--type=fact"]) | st.text(max_size=8),
                max_size=6))
def test_query_argv_parses_or_defers(args: list[str]) -> None:
    opts = fastquery.parse(args)
    assert opts is None or isinstance(opts["text"], str) and opts["limit"] >= 1


@SLOW
@given(st.text(max_size=60) | st.sampled_from(['"', "NEAR(", "a OR", "*", "auth/**", "[z-a]",
                                              "id:", "^", "a AND NOT", "col:x", "-"]))
def test_any_query_answers_or_is_refused(project: Path, text: str) -> None:
    before = _outside(project)
    result = outcome(retrieve.search, project / ".memory", text, 5)
    assert result is None or all(h.path for h in result.hits)
    assert _outside(project) == before


# ------------------------------------------------------------------ hook payloads


@FUZZ
@given(st.sampled_from(sorted(AGENTS)), st.dictionaries(st.sampled_from(
    ["session_id", "conversation_id", "cwd", "workspace_roots", "prompt", "source",
     "stop_hook_active", "loop_count", "status", "transcript_path", "hook_event_name"]), JSON))
def test_payload_readers_return_their_types(name: str, payload: dict[str, Any]) -> None:
    agent = get(name)
    session = outcome(agent.session_of, payload)
    project = outcome(agent.project_of, payload)
    assert session is None or isinstance(session, str)
    assert project is None or isinstance(project, str)
    assert isinstance(outcome(agent.prompt_of, payload) or "", str)
    assert isinstance(outcome(agent.source_of, payload) or "", str)
    assert outcome(agent.stop_active, payload) in (None, True, False)


@SLOW
@given(st.sampled_from(sorted(AGENTS)), JSON | st.text(max_size=40), st.text(max_size=60))
def test_the_hook_never_fails_the_agent(project: Path, name: str, extra: Any, prompt: str) -> None:
    agent = get(name)
    before = _outside(project)
    for event in sorted(agent.EVENTS):
        body = {"session_id": "fuzz", "cwd": str(project), "prompt": prompt, "extra": extra,
                "workspace_roots": [str(project)], "hook_event_name": event}
        for raw in (json.dumps(body), json.dumps(extra), prompt):
            out = io.StringIO()
            assert hook.main([name, event], stdin=io.StringIO(raw), stdout=out) == 0
    assert _outside(project) == before
