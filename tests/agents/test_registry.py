"""Every registered agent module meets the contract of agents/base.py (mypy checks the types;
this checks the names and what each reader returns on a real, empty and hostile payload)."""

from __future__ import annotations

import json

import pytest

from memtree.agents import AGENTS, event_key, get

READERS = ("session_of", "project_of", "source_of", "prompt_of", "stop_active")


@pytest.mark.parametrize("name", sorted(AGENTS))
def test_each_agent_provides_the_contract(name: str) -> None:
    agent = AGENTS[name]
    assert agent.NAME == name and get(name) is agent
    assert set(agent.EVENTS.values()) <= {"start", "prompt", "file", "compact", "stop", "end"}
    assert {event_key(e) for e in agent.HOOK_EVENTS} <= set(agent.EVENTS)
    assert agent.EMPTY in ("", "{}")
    for payload in ({}, {"session_id": 3, "prompt": ["x"], "cwd": None}):
        assert agent.session_of(payload) is None or isinstance(agent.session_of(payload), str)
        assert isinstance(agent.source_of(payload), str)
        assert isinstance(agent.prompt_of(payload), str)
        assert isinstance(agent.stop_active(payload), bool)
    for output in (agent.context("SessionStart", "memo"), agent.remind("Stop", "memo")):
        assert output == "" or "memo" in json.dumps(json.loads(output))
    assert agent.targets("memtree")  # install has something to write for every agent
