"""Agent hooks fed recorded payloads through the installed `memtree hook` command.

Each agent's events run in the order of a real session; the outputs are compared with golden
files (MEMTREE_UPDATE_GOLDEN=1 rewrites them). Then the promises: no repeats within a session,
pinned rules after compaction, the log, observe mode, and never failing the agent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from agents_support import GOLDEN, build_tree, payload, stable
from conftest import Run
from memtree.agents import gemini

SESSIONS = {
    "claude-code": ["SessionStart", "UserPromptSubmit", "UserPromptSubmit", "PreCompact",
                    "SessionStart.compact", "Stop", "Stop.active", "SessionEnd"],
    "codex": ["SessionStart", "UserPromptSubmit", "UserPromptSubmit", "PreCompact",
              "UserPromptSubmit", "Stop", "Stop"],
    "gemini": ["SessionStart", "BeforeAgent", "BeforeAgent", "PreCompress", "BeforeAgent",
               "AfterAgent", "AfterAgent", "SessionEnd"],
    "cursor": ["sessionStart", "preCompact", "sessionStart", "stop", "stop", "stop", "sessionEnd"],
}


def _hook(run: Run, agent: str, name: str, project: Path) -> str:
    event = name.split(".")[0]
    out = run("hook", agent, event, input=payload(agent, name, project))
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    if out.stdout.strip():
        json.loads(out.stdout)  # every agent gets JSON it can parse
    return out.stdout


@pytest.mark.parametrize("agent", sorted(SESSIONS))
def test_recorded_session_matches_golden(run: Run, tmp_path: Path, agent: str) -> None:
    project = tmp_path / "project"
    build_tree(project)
    parts = []
    for name in SESSIONS[agent]:
        parts.append(f"### {name}\n{stable(_hook(run, agent, name, project), project)}")
    got = "\n".join(parts)
    golden = GOLDEN / f"{agent}.txt"
    if os.environ.get("MEMTREE_UPDATE_GOLDEN"):
        golden.write_text(got)
    assert got == golden.read_text()


def test_prompt_injects_relevant_entries_once_per_session(run: Run, tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_tree(project)
    first = json.loads(_hook(run, "claude-code", "UserPromptSubmit", project))
    text = first["hookSpecificOutput"]["additionalContext"]
    assert "auth/tokens/sign-access-tokens-with-rs256.md" in text
    assert "Tests run with pytest" not in text
    assert _hook(run, "claude-code", "UserPromptSubmit", project) == ""
    log = run("injections", "--json")
    records = json.loads(log.stdout)
    assert len(records) == 1
    record = records[0]
    assert record["agent"] == "claude-code" and record["event"] == "UserPromptSubmit"
    assert record["prompt"].startswith("sha256:") and "JWT" not in json.dumps(record)
    assert {e["path"] for e in record["entries"]} <= {
        "auth/tokens/sign-access-tokens-with-rs256", "auth/tokens/refresh-tokens-rotate-on-every-use"}
    assert all(e["tier"] and e["tokens"] > 0 for e in record["entries"])
    assert record["tokens"] <= record["budget"]
    usage = (project / ".memory" / ".local" / "usage.jsonl").read_text().splitlines()
    assert sorted(json.loads(u)["id"] for u in usage) == sorted(e["id"] for e in record["entries"])


def test_pinned_rules_return_after_compaction(run: Run, tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_tree(project)
    start = _hook(run, "claude-code", "SessionStart", project)
    assert "Never commit secrets" in start and "Secrets live in the team vault" in start
    _hook(run, "claude-code", "PreCompact", project)
    again = json.loads(_hook(run, "claude-code", "SessionStart.compact", project))
    assert "Secrets live in the team vault" in again["hookSpecificOutput"]["additionalContext"]
    # Codex has no session start after compaction: the next prompt carries the pinned rules.
    _hook(run, "codex", "UserPromptSubmit", project)
    _hook(run, "codex", "PreCompact", project)
    after = json.loads(_hook(run, "codex", "UserPromptSubmit", project))
    assert "Secrets live in the team vault" in after["hookSpecificOutput"]["additionalContext"]


def test_budget_bounds_what_is_injected(run: Run, tmp_path: Path) -> None:
    project = tmp_path / "project"
    memory = build_tree(project)
    (memory.root / "config.toml").write_text("format = 1\n[agents]\nbudget = 40\n")
    out = _hook(run, "claude-code", "UserPromptSubmit", project)
    record = json.loads(run("injections", "--json").stdout)[-1] if out else None
    assert record is None or record["tokens"] <= 40 + 20  # the one-line header is outside the budget


def test_observe_mode_logs_without_injecting(run: Run, tmp_path: Path) -> None:
    project = tmp_path / "project"
    memory = build_tree(project)
    (memory.root / "config.toml").write_text("format = 1\n[agents]\nobserve = true\n")
    assert _hook(run, "claude-code", "SessionStart", project) == ""
    assert _hook(run, "claude-code", "UserPromptSubmit", project) == ""
    records = json.loads(run("injections", "--json").stdout)
    assert [r["observe"] for r in records] == [True, True]
    assert records[1]["entries"]
    assert not (project / ".memory" / ".local" / "usage.jsonl").exists()
    session = records[0]["session"]
    assert len(json.loads(run("injections", "--session", session, "--json").stdout)) == 2
    assert json.loads(run("injections", "--session", "other", "--json").stdout) == []


def test_stop_reminds_once_and_not_after_memory_was_written(run: Run, tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_tree(project)
    for _ in range(2):
        _hook(run, "claude-code", "UserPromptSubmit", project)
    transcript = tmp_path / "t.jsonl"
    transcript.write_text('{"type":"tool_use","name":"mcp__memtree__add","input":{}}\n')
    body = json.loads(payload("claude-code", "Stop", project))
    body["transcript_path"] = str(transcript)
    quiet = run("hook", "claude-code", "Stop", input=json.dumps(body))
    assert quiet.returncode == 0 and quiet.stdout == ""
    reminded = json.loads(_hook(run, "claude-code", "Stop", project))["hookSpecificOutput"]
    assert reminded["hookEventName"] == "Stop" and "record" in reminded["additionalContext"]
    assert _hook(run, "claude-code", "Stop", project) == ""


@pytest.mark.parametrize("stdin", ["", "not json", "[1, 2]", '{"session_id": 5, "cwd": 7}',
                                   '{"cwd": "/nonexistent/place", "prompt": "jwt tokens here"}'])
@pytest.mark.parametrize("agent,event", [("claude-code", "UserPromptSubmit"), ("gemini", "BeforeAgent"),
                                         ("cursor", "sessionStart"), ("codex", "Stop")])
def test_bad_payload_never_fails_the_agent(run: Run, tmp_path: Path, stdin: str, agent: str,
                                          event: str) -> None:
    build_tree(tmp_path / "project")
    out = run("hook", agent, event, input=stdin)
    assert out.returncode == 0
    assert out.stderr == ""
    if stdin.startswith("{"):  # an object with odd fields: any answer must still be valid JSON
        assert out.stdout.strip() == "" or isinstance(json.loads(out.stdout), dict)
    else:
        assert out.stdout.strip() in ("", "{}")


def test_missing_tree_and_unknown_names_never_fail(run: Run, tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    bare.mkdir()
    body = json.dumps({"session_id": "s", "cwd": str(bare), "prompt": "how do tokens work"})
    for args in (["claude-code", "UserPromptSubmit"], ["nope", "Stop"], ["claude-code", "Unknown"],
                 ["claude-code"]):
        out = run("hook", *args, input=body, cwd=bare)
        assert out.returncode == 0 and out.stdout.strip() in ("", "{}"), args
    log = (Path(os.environ["HOME"]) / ".local" / "state" / "memtree" / "hook-errors.log").read_text()
    assert "agent 'nope'" in log  # a broken hook command is reported;
    assert "no .memory/ found" not in log  # a folder that is not a memtree project is not an error


def test_errors_inside_a_tree_are_logged_there(run: Run, tmp_path: Path) -> None:
    project = tmp_path / "project"
    memory = build_tree(project)
    (memory.root / "config.toml").write_text("format = 1\n[agents]\nbudget = 'lots'\n")
    out = run("hook", "claude-code", "UserPromptSubmit",
              input=payload("claude-code", "UserPromptSubmit", project))
    assert out.returncode == 0 and out.stdout == ""
    logged = (memory.root / ".local" / "hook-errors.log").read_text()
    assert "[agents] budget must be a non-negative int" in logged


def test_an_out_of_range_setting_is_logged_and_refused(run: Run, tmp_path: Path) -> None:
    project = tmp_path / "project"
    memory = build_tree(project)
    (memory.root / "config.toml").write_text("format = 1\n[agents]\nmin_score = 5\n")
    out = run("hook", "claude-code", "UserPromptSubmit",
              input=payload("claude-code", "UserPromptSubmit", project))
    assert out.returncode == 0 and out.stdout == ""
    logged = (memory.root / ".local" / "hook-errors.log").read_text()
    assert "[agents] min_score = 5 is out of range: it must be between 0 and 1" in logged


def test_hook_path_imports_no_cli_or_heavy_library(tmp_path: Path) -> None:
    import subprocess
    import sys

    project = tmp_path / "project"
    build_tree(project)
    probe = (
        "import io, sys\n"
        "sys.stdin = io.StringIO(sys.argv[1])\n"
        "from memtree.__main__ import main\n"
        "main(['hook', 'claude-code', 'UserPromptSubmit'])\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'typer', 'click', 'rich', 'git', 'mcp', 'pydantic'})\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, payload("claude-code", "UserPromptSubmit", project)],
                         capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in out.stderr, out.stderr
    assert "RS256" in out.stdout


def test_root_option_and_project_dir_env_find_the_tree(run: Run, tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_tree(project)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    body = json.dumps({"session_id": "r1", "prompt": "how are jwt access tokens signed"})
    via_option = run("--root", str(project), "hook", "claude-code", "UserPromptSubmit", input=body,
                     cwd=elsewhere)
    assert "RS256" in via_option.stdout
    body = json.dumps({"session_id": "r2", "prompt": "how are jwt access tokens signed"})
    via_env = run("hook", "claude-code", "UserPromptSubmit", input=body, cwd=elsewhere,
                  env={"CLAUDE_PROJECT_DIR": str(project)})
    assert "RS256" in via_env.stdout


def test_map_names_the_biggest_topics_of_each_domain() -> None:
    from memtree.agents.inject import tree_lines
    from memtree.model import Entry

    entries = [Entry(id=f"i{n}", title="t", path=f"big/t{n % 10}/e{n}") for n in range(55)]
    entries += [Entry(id="s1", title="t", path="small/one/e")]
    lines = tree_lines(entries)
    assert lines[0].startswith("- big (55): t0 (6), t1 (6), t2 (6), t3 (6), t4 (6), t5 (5)")
    assert lines[0].endswith("and 2 more topics")
    assert lines[1] == "- small (1): one (1)"


def test_gemini_pinned_rules_come_back_after_a_compression_seen_in_its_chat_file(
        run: Run, tmp_path: Path) -> None:
    """Gemini fires PreCompress before every model call, compressing or not (even `/compress`
    may keep the history): only a compression in its chat file makes the pinned rules due."""
    project = tmp_path / "project"
    build_tree(project)
    chat = tmp_path / "session.jsonl"
    chat.write_text('{"sessionId": "g1"}\n')

    def hook(event: str, **extra: str) -> str:
        body = {"session_id": "g1", "cwd": str(project), "hook_event_name": event,
                "transcript_path": str(chat), **extra}
        out = run("hook", "gemini", event, input=json.dumps(body))
        assert out.returncode == 0 and out.stderr == ""
        return out.stdout

    def compressed(summary: str, kept: str) -> None:
        messages = [{"id": "ctx", "type": "user", "content": [{"text": "<session_context>"}]},
                    {"id": summary, "type": "user", "content": [{"text": "the summary"}]},
                    {"id": "ack", "type": "gemini", "content": [{"text": gemini.SUMMARY_ACK}]},
                    {"id": "k", "type": "user", "content": [{"text": kept}]}]
        with chat.open("a") as out:
            out.write(json.dumps({"$set": {"messages": messages}}) + "\n")

    pinned = "Secrets live in the team vault"
    assert pinned in hook("SessionStart", source="startup")
    hook("PreCompress", trigger="auto")
    hook("PreCompress", trigger="manual")
    assert pinned not in hook("BeforeAgent", prompt="how are jwt tokens signed")
    compressed("s1", kept="memtree: pinned project rules: (a kept turn)")
    assert pinned not in hook("BeforeAgent", prompt="what about refresh tokens")
    compressed("s2", kept="a turn without memtree")
    assert pinned in hook("BeforeAgent", prompt="what about refresh tokens")
    assert pinned not in hook("BeforeAgent", prompt="and the release build for arm")


def test_prompt_entries_need_absolute_evidence(tmp_path: Path) -> None:
    """The hook injects what holds most of the prompt's information, and nothing when no entry
    does, however the hits rank among themselves."""
    from memtree.agents import inject

    memory = build_tree(tmp_path / "project")
    opts = inject.Options()
    weak = inject.for_prompt(memory, "please add a new page for the release notes", opts, ())
    assert weak.items == ()  # "release" alone is a small part of what is asked
    strong = inject.for_prompt(memory, "the ARM release build fails: libffi missing", opts, ())
    assert [i["path"] for i in strong.items] == ["build/release/arm-release-builds-need-libffi"]
    everything = inject.for_prompt(memory, "please add a new page for the release notes",
                                   inject.Options(min_evidence=0.0), ())
    assert everything.items  # the same prompt without the threshold gets the weak match


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_an_answer_that_cannot_be_written_does_not_fail_the_agent(tmp_path: Path) -> None:
    """A full disk or a closed stdout: the hook still exits 0, with nothing on stderr."""
    import subprocess

    from conftest import MEMTREE

    project = tmp_path / "project"
    build_tree(project)
    for n, redirect in enumerate((">/dev/full", ">&-")):
        prompt = payload("claude-code", "UserPromptSubmit", project).replace('"session_id": "',
                                                                            f'"session_id": "{n}')
        done = subprocess.run(["bash", "-c", f"{MEMTREE} hook claude-code UserPromptSubmit {redirect}"],
                              input=prompt, cwd=project, capture_output=True, text=True, timeout=60)
        assert (done.returncode, done.stderr) == (0, ""), redirect
