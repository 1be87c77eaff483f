"""File-aware memory: a file tool call (Claude Code PostToolUse, Gemini CLI AfterTool, Codex
PostToolUse on a shell read or a patch) through the installed `memtree hook` command in a
subprocess, on a real tree: the entries about the file come once per session, within budget,
logged with the files; and the prompt hook ranks with the files the session touched.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents_support import build_tree
from conftest import Run
from memtree import Memory
from memtree.retrieval import touched

ANCHORED = "auth/code/token-signing-lives-in-tokens-py"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The usual tree, a project file and an entry anchored in it."""
    folder = tmp_path / "project"
    memory = build_tree(folder)
    code = folder / "src" / "auth"
    code.mkdir(parents=True)
    (code / "tokens.py").write_text("def sign(payload):\n    return payload\n")
    (folder / "src" / "app.py").write_text("print('app')\n")
    memory.add("Token signing lives in tokens.py", "auth/code",
               "The sign function wraps the private key; never log its argument.",
               anchors=["src/auth/tokens.py#sign"])
    return folder


def call(run: Run, project: Path, agent: str, event: str, tool: str, data: dict[str, object],
         session: str = "s1") -> dict[str, object]:
    body = {"session_id": session, "cwd": str(project), "hook_event_name": event,
            "tool_name": tool, "tool_input": data, "tool_response": "ok"}
    out = run("hook", agent, event, input=json.dumps(body))
    assert out.returncode == 0 and out.stderr == "", out.stderr
    answer = json.loads(out.stdout) if out.stdout.strip() else {}
    assert isinstance(answer, dict)
    return answer


def context_of(answer: dict[str, object]) -> str:
    inner = answer.get("hookSpecificOutput")
    return str(inner.get("additionalContext", "")) if isinstance(inner, dict) else ""


def log(run: Run) -> list[dict[str, object]]:
    return list(json.loads(run("injections", "--json").stdout))


def test_a_read_gives_the_anchored_entry_once(run_process: Run, project: Path) -> None:
    first = call(run_process, project, "claude-code", "PostToolUse", "Read",
                 {"file_path": str(project / "src/auth/tokens.py")})
    text = context_of(first)
    assert first["hookSpecificOutput"] == {"hookEventName": "PostToolUse",  # type: ignore[index]
                                           "additionalContext": text}
    assert text.startswith("<project-memory>") and "never log its argument" in text
    assert f'path="{ANCHORED}.md"' in text and "about src/auth/tokens.py" in text
    # Once per session: an edit of the same file, or reading it again, gives nothing new.
    assert call(run_process, project, "claude-code", "PostToolUse", "Edit",
                {"file_path": str(project / "src/auth/tokens.py"), "old_string": "a",
                 "new_string": "b"}) == {}
    # Another session gets it again.
    again = call(run_process, project, "claude-code", "PostToolUse", "Read",
                 {"file_path": str(project / "src/auth/tokens.py")}, session="s2")
    assert "never log its argument" in context_of(again)
    records = log(run_process)
    assert [r["event"] for r in records] == ["PostToolUse", "PostToolUse"]
    assert records[0]["files"] == ["src/auth/tokens.py"] and records[0]["tool"] == "Read"
    assert [(e["path"], e["tier"]) for e in records[0]["entries"]] == [(ANCHORED, "anchor")]  # type: ignore[union-attr]
    assert int(str(records[0]["tokens"])) <= int(str(records[0]["budget"]))
    human = run_process("injections").stdout
    assert "files: src/auth/tokens.py" in human and f"anchor      1.0  {ANCHORED}" in human


@pytest.mark.parametrize("agent,event,tool,data", [
    ("claude-code", "PostToolUse", "Write", {"file_path": "src/auth/tokens.py", "content": "x"}),
    ("claude-code", "PostToolUse", "MultiEdit", {"file_path": "<project>/src/auth/tokens.py"}),
    ("gemini", "AfterTool", "read_file", {"file_path": "src/auth/tokens.py"}),
    ("gemini", "AfterTool", "replace", {"file_path": "<project>/src/auth/tokens.py"}),
    ("gemini", "AfterTool", "read_many_files", {"include": ["src/app.py", "src/auth/tokens.py"]}),
    ("codex", "PostToolUse", "Bash", {"command": "sed -n '1,40p' src/auth/tokens.py | head -5"}),
    ("codex", "PostToolUse", "Bash", {"command": "cd src && cat auth/tokens.py"}),
    ("codex", "PostToolUse", "apply_patch",
     {"command": "*** Begin Patch\n*** Update File: src/auth/tokens.py\n@@\n-a\n+b\n*** End Patch\n"}),
])
def test_each_agent_file_tool_is_understood(run_process: Run, project: Path, agent: str, event: str,
                                            tool: str, data: dict[str, object]) -> None:
    raw = json.loads(json.dumps(data).replace("<project>", str(project)))
    text = context_of(call(run_process, project, agent, event, tool, raw))
    if tool == "Bash" and data["command"].startswith("cd "):  # type: ignore[union-attr]
        assert text == ""  # the file is named from another folder: not found from the project
        return
    assert "never log its argument" in text, (agent, tool)
    (record,) = log(run_process)
    assert "src/auth/tokens.py" in record["files"]  # type: ignore[operator]


@pytest.mark.parametrize("agent,event,tool,data", [
    ("claude-code", "PostToolUse", "Grep", {"pattern": "sign", "path": "src/auth/tokens.py"}),
    ("claude-code", "PostToolUse", "Read", {"file_path": "/etc/hostname"}),  # outside the project
    ("claude-code", "PostToolUse", "Read", {"file_path": ".memory/auth/code/x.md"}),  # memory itself
    ("codex", "PostToolUse", "Bash", {"command": "ls src/auth && rm -rf build"}),  # no reader
    ("codex", "PostToolUse", "Bash", {"command": "cat 'unterminated"}),
    ("gemini", "AfterTool", "read_many_files", {"include": ["src/**/*.py"]}),  # a pattern
    ("gemini", "AfterTool", "read_file", {"file_path": 7}),
    ("claude-code", "PostToolUse", "Read", {"file_path": "src/no-such-file.py"}),
])
def test_other_calls_give_nothing_and_log_nothing(run_process: Run, project: Path, agent: str,
                                                  event: str, tool: str,
                                                  data: dict[str, object]) -> None:
    answer = call(run_process, project, agent, event, tool, data)
    assert context_of(answer) == ""
    assert log(run_process) == []
    assert not (project / ".memory" / ".local" / "hook-errors.log").exists()


def test_limit_and_budget_hold_and_the_rest_comes_on_the_next_call(run_process: Run,
                                                                   project: Path) -> None:
    memory = Memory(project / ".memory")
    for n in range(5):
        memory.add(f"Invoice rule {n}", "billing/invoices", f"Rule {n} about invoice numbers. " * 5,
                   anchors=["src/app.py"])
    first = log_after(run_process, project)
    assert len(first["entries"]) == 3 and len(first["omitted"]) == 2  # type: ignore[arg-type]
    second = log_after(run_process, project)
    given = {e["path"] for e in first["entries"]} | {e["path"] for e in second["entries"]}  # type: ignore[union-attr]
    assert len(given) == 5 and not second["omitted"]
    assert call(run_process, project, "claude-code", "PostToolUse", "Read",
                {"file_path": "src/app.py"}) == {}
    (memory.root / "config.toml").write_text("format = 1\n[agents]\nbudget = 60\n")
    small = log_after(run_process, project, session="tight")
    assert 0 < int(str(small["tokens"])) <= 60 + 20  # the header line is outside the budget
    assert len(small["entries"]) == 1  # type: ignore[arg-type]


def log_after(run: Run, project: Path, session: str = "s1") -> dict[str, object]:
    before = len(log(run))
    call(run, project, "claude-code", "PostToolUse", "Read", {"file_path": "src/app.py"}, session)
    records = log(run)
    assert len(records) == before + 1
    return records[-1]


def test_provenance_and_naming_count_only_for_files_few_entries_are_about(
        run_process: Run, project: Path) -> None:
    memory = Memory(project / ".memory")
    memory.add("Why tokens sign", "dev/auth", "Imported with the signing change.",
               files=["src/auth/tokens.py"])
    memory.add("Startup banner", "dev/app", "The banner comes from src/app.py at import time.")
    memory.add("Unrelated", "dev/other", "Nothing about any file here.")
    text = context_of(call(run_process, project, "claude-code", "PostToolUse", "Read",
                           {"file_path": "src/auth/tokens.py"}))
    assert "never log its argument" in text and "Imported with the signing change." in text
    text = context_of(call(run_process, project, "claude-code", "PostToolUse", "Read",
                           {"file_path": "src/app.py"}))
    assert "The banner comes from src/app.py" in text  # named in its text
    assert "Nothing about any file" not in text
    kinds = [{e["path"]: e["tier"] for e in r["entries"]} for r in log(run_process)]  # type: ignore[union-attr]
    assert kinds == [{ANCHORED: "anchor", "dev/auth/why-tokens-sign": "source"},
                     {"dev/app/startup-banner": "names"}]
    # A file that more than SPECIFIC entries name tells nothing about any of them.
    for n in range(touched.SPECIFIC):
        memory.add(f"Note {n} on the app", "dev/notes", f"See src/app.py, note {n}.")
    quiet = call(run_process, project, "claude-code", "PostToolUse", "Read",
                 {"file_path": "src/app.py"}, session="busy")
    assert context_of(quiet) == ""


def test_observe_mode_and_hidden_entries(run_process: Run, project: Path) -> None:
    memory = Memory(project / ".memory")
    memory.remove(ANCHORED)  # archived
    assert call(run_process, project, "claude-code", "PostToolUse", "Read",
                {"file_path": "src/auth/tokens.py"}) == {}
    memory.add("Current signing notes", "auth/code", "Rotate the key yearly.",
               anchors=["src/auth/tokens.py"])
    (memory.root / "config.toml").write_text("format = 1\n[agents]\nobserve = true\n")
    assert call(run_process, project, "claude-code", "PostToolUse", "Read",
                {"file_path": "src/auth/tokens.py"}) == {}
    (record,) = log(run_process)
    assert record["observe"] is True
    assert [e["path"] for e in record["entries"]] == ["auth/code/current-signing-notes"]  # type: ignore[union-attr]


def test_the_prompt_hook_ranks_with_the_files_the_session_touched(run_process: Run,
                                                                  project: Path) -> None:
    memory = Memory(project / ".memory")
    text = "Retries back off exponentially and stop after five"
    # The one naming the file first: should a second pass between the two, recency favours the
    # other one, as a tie on the path does.
    memory.add("Retry policy", "integrations/webhooks", text + " (src/integrations/webhooks.py).",
               type="decision")
    memory.add("Retry policy", "billing/invoices", text + ".", type="decision")
    code = project / "src" / "integrations"
    code.mkdir()
    (code / "webhooks.py").write_text("RETRIES = 5\n")
    prompt = "what is our retry policy"
    # Alike on their text: the first by path (or the newer). With the file the session read: the
    # one naming it.
    assert memory.query(prompt, limit=2).hits[0].path == "billing/invoices/retry-policy"
    found = touched.search(memory.ws, prompt, ["src/app.py", "src/integrations/webhooks.py"], limit=2)
    assert found.hits[0].path == "integrations/webhooks/retry-policy"

    def ask(session: str) -> dict[str, object]:
        body = {"session_id": session, "cwd": str(project), "prompt": prompt}
        out = run_process("hook", "claude-code", "UserPromptSubmit", input=json.dumps(body))
        assert out.returncode == 0, out.stderr
        return log(run_process)[-1]

    plain = ask("plain")
    assert plain["entries"][0]["path"] == "billing/invoices/retry-policy"  # type: ignore[index]
    assert "context_files" not in plain
    # Reading src/app.py gives nothing (no entry is about it); the prompt after it is asked with
    # the files the session read, and the log says so.
    for name in ("src/app.py", "src/integrations/webhooks.py"):
        call(run_process, project, "claude-code", "PostToolUse", "Read", {"file_path": name},
             session="coding")
    records = log(run_process)
    assert records[-1]["files"] == ["src/integrations/webhooks.py"]
    named = [e["path"] for e in records[-1]["entries"]]  # type: ignore[union-attr]
    assert named == ["integrations/webhooks/retry-policy"]  # named in its text
    # The prompt gets nothing: the entry the file hook gave is not given again, and asked with
    # the files, the billing entry scores too low to pass.
    before = len(log(run_process))
    body = {"session_id": "coding", "cwd": str(project), "prompt": prompt}
    out = run_process("hook", "claude-code", "UserPromptSubmit", input=json.dumps(body))
    assert out.returncode == 0 and out.stdout == "" and len(log(run_process)) == before
    # A session that read only src/app.py (no entry is about it) is answered, and the record
    # names the files the prompt was asked with.
    call(run_process, project, "claude-code", "PostToolUse", "Read", {"file_path": "src/app.py"},
         session="app")
    seen = ask("app")
    assert seen["event"] == "UserPromptSubmit" and seen["context_files"] == ["src/app.py"]
    assert seen["entries"]
