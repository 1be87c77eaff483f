"""The resident process, run for real: the installed `memtree` in subprocesses, a real socket in
a private folder of the test's own, real memories. What it answers must be what the command
answers on its own (output, errors, exit codes, side effects), and everything short of a
resident process that takes the command falls back to running it directly.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents_support import build_tree, payload
from conftest import MEMTREE

pytestmark = pytest.mark.slow


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    """An environment whose resident processes live in a fresh private folder (short: socket
    paths are limited), stopped at the end."""
    runtime = tempfile.mkdtemp(prefix="mr", dir="/tmp")
    os.chmod(runtime, 0o700)
    environment = {**os.environ, "XDG_RUNTIME_DIR": runtime}
    environment.pop("MEMTREE_RESIDENT", None)
    yield environment
    subprocess.run([str(MEMTREE), "resident", "stop"], env=environment, capture_output=True,
                   timeout=30)
    shutil.rmtree(runtime, ignore_errors=True)


def memtree(env: dict[str, str], *args: str, cwd: Path | None = None, input: str = "",
            **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(MEMTREE), *args], cwd=cwd, input=input, capture_output=True,
                          text=True, env={**env, **extra}, timeout=60)


def status(env: dict[str, str]) -> dict[str, object]:
    out = memtree(env, "resident", "--json")
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout))


def wait_for(env: dict[str, str], running: bool) -> dict[str, object]:
    deadline = time.monotonic() + 10
    while True:
        found = status(env)
        if found["running"] is running or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def started(env: dict[str, str], idle: str = "60") -> dict[str, object]:
    out = memtree(env, "resident", "start", "--idle", idle, "--json")
    assert out.returncode == 0, out.stderr
    found = dict(json.loads(out.stdout))
    assert found["running"] is True
    return found


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    build_tree(folder)
    return folder


def test_queries_answered_by_it_are_the_direct_answers(env: dict[str, str], project: Path) -> None:
    before = started(env)
    for args in (["query", "jwt signing"], ["query", "--json", "token signature"],
                 ["query", "secrets", "--explain"], ["query", "nothing-matches-this-word"]):
        served = memtree(env, *args, cwd=project)
        direct = memtree(env, *args, cwd=project, MEMTREE_RESIDENT="off")
        assert served.returncode == direct.returncode == 0, served.stderr
        if "--json" in args:  # timings differ; everything else is the same
            got, want = json.loads(served.stdout), json.loads(direct.stdout)
            got.pop("took_ms"), want.pop("took_ms")
            assert got == want
        else:
            assert served.stdout == direct.stdout
        assert served.stderr == direct.stderr
    assert "Sign access tokens with RS256" in memtree(env, "query", "jwt", cwd=project).stdout
    after = status(env)
    assert after["pid"] == before["pid"] and int(str(after["served"])) == 5  # it answered them


def test_errors_and_exit_codes_are_those_of_the_command(env: dict[str, str], project: Path,
                                                        tmp_path: Path) -> None:
    started(env)
    nowhere = tmp_path / "no-memory-here"
    nowhere.mkdir()
    cases = [(["query", "jwt"], nowhere, 6), (["query", "jwt", "--limit", "0"], project, 2),
             (["query"], project, 2), (["query", "jwt", "--type", "nosuchtype"], project, None)]
    for args, cwd, code in cases:
        served = memtree(env, *args, cwd=cwd)
        direct = memtree(env, *args, cwd=cwd, MEMTREE_RESIDENT="off")
        assert (served.returncode, served.stdout, served.stderr) == \
            (direct.returncode, direct.stdout, direct.stderr)
        if code is not None:
            assert served.returncode == code and served.stderr.startswith("memtree: error: ")
    assert int(str(status(env)["served"])) == len(cases)


def test_its_child_runs_in_the_callers_folder_and_environment(env: dict[str, str], project: Path,
                                                             tmp_path: Path) -> None:
    started(env)
    below = project / "src" / "deep"
    below.mkdir(parents=True)
    assert "Sign access tokens" in memtree(env, "query", "jwt", cwd=below).stdout  # root found above
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    by_env = memtree(env, "query", "jwt", cwd=elsewhere, MEMTREE_ROOT=str(project))
    assert by_env.returncode == 0 and "Sign access tokens" in by_env.stdout
    by_option = memtree(env, "--root", str(project), "query", "jwt", cwd=elsewhere)
    assert by_option.returncode == 0 and "Sign access tokens" in by_option.stdout
    assert int(str(status(env)["served"])) == 3


def test_it_sees_files_written_after_it_warmed_up(env: dict[str, str], project: Path) -> None:
    started(env)
    assert memtree(env, "query", "jwt", cwd=project).returncode == 0  # the next spare warms here
    time.sleep(0.5)
    note = project / ".memory" / "ops" / "deploys" / "blue-green-cutover.md"
    note.parent.mkdir(parents=True)
    note.write_text("---\ntitle: Blue green cutover\n---\nThe zanzibar switch flips traffic.\n")
    found = memtree(env, "query", "zanzibar", cwd=project)
    assert "Blue green cutover" in found.stdout
    rule = project / ".memory" / "auth" / "tokens" / "sign-access-tokens-with-rs256.md"
    rule.write_text(rule.read_text().replace("public key only", "public key only, quokkas"))
    assert "Sign access tokens" in memtree(env, "query", "quokkas", cwd=project).stdout


def test_a_hook_is_answered_by_it_or_starts_it(env: dict[str, str], project: Path) -> None:
    prompt = payload("claude-code", "UserPromptSubmit", project)
    log = project / ".memory" / ".local" / "injections.jsonl"
    first = memtree(env, "hook", "claude-code", "UserPromptSubmit", cwd=project, input=prompt)
    assert first.returncode == 0 and first.stderr == ""
    assert "sign-access-tokens-with-rs256" in first.stdout
    found = wait_for(env, running=True)  # the hook ran directly and left one in the background
    assert found["running"] is True and found["served"] == 0
    lines = len(log.read_text().splitlines())
    other = prompt.replace('"session_id": "', '"session_id": "other-')
    assert other != prompt
    second = memtree(env, "hook", "claude-code", "UserPromptSubmit", cwd=project, input=other)
    assert second.returncode == 0 and second.stderr == ""
    assert second.stdout == first.stdout  # a new session: the same injection, read from stdin
    assert len(log.read_text().splitlines()) == lines + 1  # and logged, as the command does
    assert status(env)["served"] == 1


def test_a_query_uses_one_but_never_starts_one(env: dict[str, str], project: Path) -> None:
    assert memtree(env, "query", "jwt", cwd=project).returncode == 0
    time.sleep(0.5)
    assert status(env)["running"] is False


def test_stop_and_idle_end_it(env: dict[str, str], project: Path) -> None:
    found = started(env)
    socket_file = Path(str(found["socket"]))
    assert stat.S_ISSOCK(socket_file.lstat().st_mode)
    assert stat.S_IMODE(socket_file.parent.lstat().st_mode) == 0o700
    stopped = memtree(env, "resident", "stop")
    assert stopped.returncode == 0 and stopped.stdout == "stopped\n"
    assert status(env)["running"] is False and not socket_file.exists()
    assert memtree(env, "resident", "stop").stdout == "not running\n"
    started(env, idle="1")
    time.sleep(3)
    assert status(env)["running"] is False and not socket_file.exists()


def test_a_killed_one_leaves_nothing_broken(env: dict[str, str], project: Path) -> None:
    found = started(env)
    pid = int(str(found["pid"]))
    os.killpg(os.getpgid(pid), signal.SIGKILL)  # its spare too: its own session, its own group
    time.sleep(0.3)
    assert Path(str(found["socket"])).exists()  # a socket nobody listens on
    answer = memtree(env, "query", "jwt", cwd=project)
    assert answer.returncode == 0 and "Sign access tokens" in answer.stdout  # ran directly
    prompt = payload("claude-code", "UserPromptSubmit", project)
    assert memtree(env, "hook", "claude-code", "UserPromptSubmit", cwd=project,
                   input=prompt).returncode == 0
    again = wait_for(env, running=True)  # the hook started a new one over the stale socket
    assert again["pid"] != pid


def test_a_folder_others_can_enter_is_not_used(env: dict[str, str], project: Path) -> None:
    folder = Path(env["XDG_RUNTIME_DIR"]) / "memtree"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    refused = memtree(env, "resident", "start")
    assert refused.returncode == 7
    assert refused.stderr.startswith(f"memtree: error: {folder}: not a private folder")
    prompt = payload("claude-code", "UserPromptSubmit", project)
    hooked = memtree(env, "hook", "claude-code", "UserPromptSubmit", cwd=project, input=prompt)
    assert hooked.returncode == 0 and "sign-access-tokens" in hooked.stdout  # ran directly
    time.sleep(0.5)
    assert list(folder.iterdir()) == []  # and started nothing there
    assert "Sign access tokens" in memtree(env, "query", "jwt", cwd=project).stdout


def test_switched_off_it_is_neither_used_nor_started(env: dict[str, str], project: Path) -> None:
    off = {"MEMTREE_RESIDENT": "off"}
    refused = memtree(env, "resident", "start", **off)
    assert refused.returncode == 5 and "MEMTREE_RESIDENT=off" in refused.stderr
    started(env)
    prompt = payload("claude-code", "UserPromptSubmit", project)
    assert memtree(env, "hook", "claude-code", "UserPromptSubmit", cwd=project, input=prompt,
                   **off).returncode == 0
    assert memtree(env, "query", "jwt", cwd=project, **off).returncode == 0
    assert status(env)["served"] == 0


def test_commands_at_once_are_each_answered(env: dict[str, str], project: Path) -> None:
    started(env)
    words = ["jwt", "secrets", "vault", "token", "signature", "rs256", "env", "public"]
    procs = [subprocess.Popen([str(MEMTREE), "query", "--json", w], cwd=project, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for w in words]
    for word, proc in zip(words, procs, strict=True):
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert json.loads(out)["query"] == word
    assert status(env)["served"] == len(words)


def test_a_changed_install_is_not_served_by_the_old_process(env: dict[str, str], project: Path,
                                                            tmp_path: Path) -> None:
    """memtree's files change on disk (an upgrade, an edit): the old process refuses the next
    command, which runs directly, and ends."""
    import memtree

    copy = tmp_path / "copy"
    shutil.copytree(Path(memtree.__file__).parent, copy / "memtree",
                    ignore=shutil.ignore_patterns("__pycache__"))
    own = {**env, "PYTHONPATH": str(copy)}
    python = [sys.executable, "-m", "memtree"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*python, *args], cwd=project, capture_output=True, text=True,
                              env=own, timeout=60)

    assert run("resident", "start", "--idle", "60").returncode == 0
    assert "Sign access tokens" in run("query", "jwt").stdout
    assert json.loads(run("resident", "--json").stdout)["served"] == 1
    changed = copy / "memtree" / "retrieval" / "rank.py"
    changed.write_text(changed.read_text() + "\n# changed\n")
    answer = run("query", "jwt")
    assert answer.returncode == 0 and "Sign access tokens" in answer.stdout
    deadline = time.monotonic() + 10
    while json.loads(run("resident", "--json").stdout)["running"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert json.loads(run("resident", "--json").stdout)["running"] is False


def test_ctrl_c_interrupts_the_command_it_runs(env: dict[str, str], project: Path) -> None:
    """The caller interrupted while the command waits on a slow model: the command is
    interrupted too, as it would have been in the caller's own process."""
    from llm_support import ModelServer, Reply, configure

    server = ModelServer()
    try:
        server.replies(Reply("{}", delay=20))
        configure(project / ".memory", "openai", server.url, timeout=30)
        started(env)
        began = time.monotonic()
        proc = subprocess.Popen([str(MEMTREE), "query", "zzqx", "--llm"], cwd=project, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 15
        while not server.requests and time.monotonic() < deadline:  # it is asking the model
            time.sleep(0.05)
        assert server.requests
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)  # the command's end closes the pipes
        assert time.monotonic() - began < 15
        assert proc.returncode == 130
        assert "memtree: error: interrupted" in err and out == ""
        assert status(env)["served"] == 1
    finally:
        server.close()


def test_the_caller_imports_almost_nothing(env: dict[str, str], project: Path) -> None:
    """Handing over costs Python's start and three small modules: the query path is not
    imported by the caller (PYTHONPROFILEIMPORTTIME, as `python -X importtime`)."""
    own = [line for line in MEMTREE.read_text().splitlines()  # the console script's (pip before
           if line.startswith("import ")]                      # 25 writes `import re` in it)
    baseline = subprocess.run([sys.executable, "-c", "\n".join(own) or "pass"], text=True,
                              capture_output=True, env={**env, "PYTHONPROFILEIMPORTTIME": "1"},
                              timeout=60)
    started(env)
    out = memtree(env, "query", "jwt", cwd=project, PYTHONPROFILEIMPORTTIME="1")
    assert out.returncode == 0 and "Sign access tokens" in out.stdout

    def names(stderr: str) -> set[str]:
        return {line.rsplit("|", 1)[1].strip() for line in stderr.splitlines()
                if line.startswith("import time:") and "|" in line}

    extra = names(out.stderr) - names(baseline.stderr)
    assert extra <= {"__future__", "memtree", "memtree.__main__", "memtree.resident",
                     "memtree.resident.place", "memtree.resident.client", "_socket"}, extra
    assert "memtree.resident.client" in extra
    assert status(env)["served"] == 1


def test_the_process_has_imported_what_its_commands_import(project: Path) -> None:
    """PRELOAD covers the query and hook paths: a command imports nothing more in its child
    (each import there would be paid on every command)."""
    script = """
import io, sys, contextlib
from memtree.resident import server
server.preload()
before = set(sys.modules)
from memtree.__main__ import main
out = io.StringIO()
payloads = {"UserPromptSubmit": '{"session_id": "s", "prompt": "how do we sign jwt tokens"}',
            "PostToolUse": '{"session_id": "s", "tool_name": "Read", "tool_input": {"file_path": "src/a.py"}}',
            "SessionStart": '{"session_id": "t", "source": "startup"}'}
with contextlib.redirect_stdout(out):
    main(["query", "jwt"], resident=False)
    main(["query", "--json", "--explain", "jwt"], resident=False)
    for event, body in payloads.items():
        sys.stdin = io.StringIO(body)
        main(["hook", "claude-code", event], resident=False)
print(sorted(set(sys.modules) - before))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=project, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "MEMTREE_RESIDENT": "off"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def shell(env: dict[str, str], line: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """`line` run by bash (for closed streams and umasks), `memtree` being the installed one."""
    return subprocess.run(["bash", "-c", line.replace("memtree ", f"{MEMTREE} ")], cwd=cwd,
                          capture_output=True, text=True, env={**env, **extra}, timeout=30)


def test_closed_streams_and_encodings_are_the_callers(env: dict[str, str], project: Path) -> None:
    """A closed standard stream is not replaced by the socket (the command runs on its own),
    and the caller's PYTHONIOENCODING is the child's."""
    started(env)
    prompt = payload("claude-code", "UserPromptSubmit", project).replace("'", "")
    lines = ["memtree hook claude-code UserPromptSubmit <&-",
             f"echo '{prompt}' | memtree hook claude-code UserPromptSubmit >&-",
             "memtree query jwt >&-", "memtree query jwt 2>&-", "memtree query --bogus 2>&-",
             "memtree query 'café ünïcode'", "memtree query jwt <&-"]
    for line in lines:
        for encoding in ("", "ascii"):
            served = shell(env, line, project, PYTHONIOENCODING=encoding)
            alone = shell(env, line, project, PYTHONIOENCODING=encoding, MEMTREE_RESIDENT="off")
            assert (served.returncode, served.stdout, served.stderr) == \
                (alone.returncode, alone.stdout, alone.stderr), (line, encoding)
            assert "Traceback" not in served.stderr
    assert shell(env, "memtree query 'café'", project, PYTHONIOENCODING="ascii").returncode == 1
    assert status(env)["served"] == 3  # the three with every stream open


def test_the_command_makes_the_index_with_the_callers_umask(env: dict[str, str],
                                                           project: Path) -> None:
    """The spare only reads an index that exists: a deleted one is made again by the command
    itself, with the caller's umask, as on its own."""
    index = project / ".memory" / ".index"
    modes = {}
    for switch in ("on", "off"):
        started(env) if switch == "on" else None
        assert shell(env, "memtree query jwt", project, MEMTREE_RESIDENT=switch).returncode == 0
        shutil.rmtree(index)
        done = shell(env, "umask 077; memtree query jwt", project, MEMTREE_RESIDENT=switch)
        assert done.returncode == 0 and "Sign access tokens" in done.stdout
        assert (index / "memtree.db").is_file()  # made by the command, not later
        modes[switch] = (stat.S_IMODE(index.stat().st_mode),
                         stat.S_IMODE((index / "memtree.db").stat().st_mode))
        shutil.rmtree(index)
        assert shell(env, "umask 077; memtree query --limit 0 jwt", project,
                     MEMTREE_RESIDENT=switch).returncode == 2
        time.sleep(0.5)
        assert not index.exists()  # a usage error makes no index, and no warm-up does either
    assert modes["on"] == modes["off"] == (0o700, 0o600)


def test_a_command_outliving_its_resident_process_does_not_block_the_next(
        env: dict[str, str], project: Path) -> None:
    started(env)
    slow = subprocess.Popen(["bash", "-c", f"(sleep 4; echo '{{}}') | {MEMTREE} hook claude-code "
                             "UserPromptSubmit"], cwd=project, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1)  # its child waits for the payload
    assert memtree(env, "resident", "stop").returncode == 0
    again = memtree(env, "resident", "start", "--json")
    assert again.returncode == 0, again.stderr
    slow.communicate(timeout=30)
    assert slow.returncode == 0


def test_a_removed_socket_ends_it(env: dict[str, str]) -> None:
    found = started(env)
    Path(str(found["socket"])).unlink()
    deadline = time.monotonic() + 15
    while _alive(int(str(found["pid"]))) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(int(str(found["pid"])))
    assert memtree(env, "resident", "start").returncode == 0  # and a new one starts


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_control_works_switched_off_and_idle_is_bounded(env: dict[str, str]) -> None:
    started(env)
    seen = memtree(env, "resident", "--json", MEMTREE_RESIDENT="off")
    assert seen.returncode == 0 and json.loads(seen.stdout)["running"] is True
    assert memtree(env, "resident", "stop", MEMTREE_RESIDENT="off").stdout == "stopped\n"
    for bad in ("inf", "nan", "0", "-1", "604801"):
        refused = memtree(env, "resident", "start", "--idle", bad)
        assert refused.returncode == 2 and refused.stderr.startswith("memtree: error: "), bad
    assert status(env)["running"] is False


@pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="finds the child by /proc")
def test_a_child_killed_mid_command_fails_that_command_only(env: dict[str, str],
                                                           project: Path) -> None:
    from llm_support import ModelServer, Reply, configure

    server = ModelServer()
    try:
        server.replies(Reply("{}", delay=20))
        configure(project / ".memory", "openai", server.url, timeout=30)
        found = started(env)
        proc = subprocess.Popen([str(MEMTREE), "query", "zzqx", "--llm"], cwd=project, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 15
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        children = [int(p) for p in Path(f"/proc/{found['pid']}/task/{found['pid']}/children")
                    .read_text().split()]
        (child,) = [c for c in children if os.readlink(f"/proc/{c}/cwd") == str(project)]
        began = time.monotonic()
        os.kill(child, signal.SIGKILL)
        out, err = proc.communicate(timeout=15)
        assert time.monotonic() - began < 5
        assert proc.returncode == 1 and out == ""
        assert err == "memtree: error: the resident process ended before answering " \
                      "(`memtree resident stop` ends it)\n"
        assert memtree(env, "query", "jwt", cwd=project).returncode == 0  # the next is served
        assert status(env)["pid"] == found["pid"]
    finally:
        server.close()


def test_a_caller_that_gives_up_before_confirming_leaves_the_command_unrun(
        env: dict[str, str], project: Path) -> None:
    """The child runs a command only after the caller says it waits for it ("G"): a caller that
    timed out and runs the command itself never sees it run twice."""

    found = started(env)
    log = project / ".memory" / ".local" / "injections.jsonl"
    before = log.read_text() if log.exists() else ""
    prompt = payload("claude-code", "UserPromptSubmit", project)
    script = f"""
import os, socket, sys
from memtree.resident import client
os.chdir({str(project)!r})
r, w = os.pipe()
os.write(w, {prompt.encode()!r}); os.close(w)
out_r, out_w = os.pipe()
os.dup2(r, 0); os.dup2(out_w, 1)
data = client.request(b"run", ["hook", "claude-code", "UserPromptSubmit"])
s = socket.socket(socket.AF_UNIX)
s.connect({str(found["socket"])!r})
s.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, b"".join(
    fd.to_bytes(4, sys.byteorder) for fd in (0, 1, 2)))])
head = s.recv(32)
import time; time.sleep(1.5)  # no "G": the caller is still deciding, or gave up
log = {str(log)!r}
print(head[:1].decode(), os.path.exists(log) and open(log).read() != {before!r}, file=sys.stderr)
s.close()
"""
    python = MEMTREE.read_text().splitlines()[0][2:].strip()  # the install's, as in its identity
    done = subprocess.run([python, "-c", script], capture_output=True, text=True, env=env,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "A False"  # taken, and nothing run while no "G" came
    time.sleep(1)
    assert (log.read_text() if log.exists() else "") == before  # and nothing injected
    assert memtree(env, "query", "jwt", cwd=project).returncode == 0


def test_each_caller_gets_its_own_encodings(env: dict[str, str], project: Path) -> None:
    """The resident process's own locale does not decide a caller's: its streams are set up
    with the encodings the caller's Python chose."""
    note = project / ".memory" / "intl" / "misc" / "cafe.md"
    note.parent.mkdir(parents=True)
    note.write_text("---\ntitle: Café naïve entry — ünïcode\n---\nThe cafe zanzibar note.\n",
                    encoding="utf-8")
    ascii_only = {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    for server_env, caller_env in (({}, {}), (ascii_only, {}), ({}, ascii_only)):
        memtree(env, "resident", "stop")
        assert memtree({**env, **server_env}, "resident", "start").returncode == 0
        for args in (["query", "zanzibar"], ["query", "--json", "zanzibar"], ["query", "café"]):
            served = memtree(env, *args, cwd=project, **caller_env)
            alone = memtree(env, *args, cwd=project, MEMTREE_RESIDENT="off", **caller_env)
            if "--json" in args and served.returncode == 0:
                got, want = json.loads(served.stdout), json.loads(alone.stdout)
                got.pop("took_ms"), want.pop("took_ms")
                assert got == want
            else:
                assert (served.returncode, served.stdout, served.stderr) == \
                    (alone.returncode, alone.stdout, alone.stderr), (server_env, caller_env, args)
        assert status(env)["served"] == (0 if caller_env else 3)  # ASCII callers run alone


def test_a_killed_caller_ends_its_command_quietly(env: dict[str, str], project: Path) -> None:
    """A hook whose caller is killed (an agent's timeout) ends as a killed process does: no
    error logged, nothing left running."""
    started(env)
    errors = project / ".memory" / ".local" / "hook-errors.log"
    caller = subprocess.Popen([str(MEMTREE), "hook", "claude-code", "UserPromptSubmit"],
                              cwd=project, env=env, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.5)  # its child waits for the payload, which never comes
    assert status(env)["served"] == 1
    caller.terminate()
    caller.wait(timeout=10)
    assert caller.stdin is not None
    caller.stdin.close()
    time.sleep(1)
    assert not errors.exists() or errors.read_text() == ""
    children = Path(f"/proc/{status(env)['pid']}/task/{status(env)['pid']}/children")
    if children.exists():  # the spare alone: the command's child has ended
        assert len(children.read_text().split()) == 1
