"""The prompt hook's choice on a real tree: the entries that lead the ranking, never an entry
reached past a weak hit, and a further entry only within the margin of the first."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Run
from memtree import Memory
from memtree.agents import inject
from memtree.model import Hit
from memtree.retrieval.scopes import query

PROMPT = "why does the release build fail on the runner"


def _tree(root: Path) -> Memory:
    memory = Memory.init(root)
    memory.add("ARM release builds need libffi", "build/release",
               "The ARM runner image lacks libffi-dev; the release workflow installs it first.",
               summary="Install libffi-dev on ARM runners before building.", type="bug")
    memory.add("Release checklist", "build/release",
               "Before a release: bump the version, build the wheels on every runner, tag it.",
               type="convention")
    memory.add("Build cache", "build/cache",
               "The build cache lives in .cache; clear it when a build fails oddly on a runner.",
               type="convention")
    memory.add("Docs build", "docs/build",
               "The docs build fails when a page is missing from the index.", type="convention")
    return memory


def _evidence(hit: Hit) -> float:
    return dict(hit.parts)["evidence"]


def _paths(injected: inject.Injection) -> list[str]:
    return [i["path"] for i in injected.items]


def test_a_further_entry_needs_a_score_within_the_margin_of_the_first(tmp_path: Path) -> None:
    memory = _tree(tmp_path / "project")
    opts = inject.Options()
    first, second, third, *_ = query(memory.ws, PROMPT, limit=6).hits
    # The third holds more of the prompt than the first two, but ranks clearly lower.
    assert _evidence(third) > _evidence(first) >= opts.min_evidence
    assert second.score >= (1 - opts.margin) * first.score > third.score >= opts.min_score
    assert _paths(inject.for_prompt(memory, PROMPT, opts, ())) == [first.path, second.path]
    loose = inject.Options(margin=1.0)  # no margin: the limit decides
    assert _paths(inject.for_prompt(memory, PROMPT, loose, ())) == [first.path, second.path,
                                                                     third.path]
    alone = inject.Options(margin=0.0)
    assert _paths(inject.for_prompt(memory, PROMPT, alone, ())) == [first.path]


def test_nothing_is_reached_past_a_hit_that_fails_the_gate(tmp_path: Path) -> None:
    """A stricter evidence threshold that the leading hits miss gives nothing, not the lower
    hits that would pass it."""
    memory = _tree(tmp_path / "project")
    hits = query(memory.ws, PROMPT, limit=6).hits
    strict = inject.Options(min_evidence=0.35, margin=1.0)
    assert _evidence(hits[0]) < strict.min_evidence
    lower = [h for h in hits[1:] if _evidence(h) >= strict.min_evidence
             and h.score >= strict.min_score]
    assert lower  # a lower hit passes the gate on its own
    assert inject.for_prompt(memory, PROMPT, strict, ()).items == ()


def test_an_entry_given_earlier_keeps_its_place_in_the_ranking(tmp_path: Path) -> None:
    """The session already has the first hit: the next one still has to be within the margin
    of it, so nothing ranked clearly lower takes its place."""
    memory = _tree(tmp_path / "project")
    first, second, *_ = query(memory.ws, PROMPT, limit=6).hits
    given = inject.for_prompt(memory, PROMPT, inject.Options(), {first.id})
    assert _paths(given) == [second.path]
    both = inject.for_prompt(memory, PROMPT, inject.Options(), {first.id, second.id})
    assert both.items == ()


@pytest.mark.parametrize("value", ["1.5", "2"])
def test_an_out_of_range_margin_is_refused(run: Run, tmp_path: Path, value: str) -> None:
    memory = _tree(tmp_path / "project")
    config = memory.root / "config.toml"
    before = config.read_text()
    out = run("config", "set", "agents.margin", value, cwd=tmp_path / "project")
    assert out.returncode == 5
    assert f"[agents] margin = {value} is out of range: it must be between 0 and 1" in out.stderr
    assert config.read_text() == before
