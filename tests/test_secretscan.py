"""Secrets never travel: refused (or masked) on every write path, masked on every read path,
reported by validate in files and in history. The corpus is generated fakes
(tests/fixtures/secrets/make_corpus.py), never real credentials.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession

from agents_support import build_tree, payload
from conftest import Run
from mcp_support import data, session
from memtree import Memory, secretscan
from memtree.errors import ExitCode, SecretFound

CORPUS = json.loads((Path(__file__).parent / "fixtures" / "secrets" / "corpus.json").read_text())
EXAMPLE = Path(__file__).parents[1] / ".memory-example"




def test_the_corpus_is_broad_and_every_fake_is_found() -> None:
    assert len(CORPUS) >= 30 and len({c["kind"] for c in CORPUS}) >= 10
    for case in CORPUS:
        kinds = {f.kind for f in secretscan.scan(case["text"], ())}
        assert case["kind"] in kinds, case["text"]
        assert case["secret"] not in secretscan.mask(case["text"], ())


def test_no_false_positive_on_the_example_memory_or_the_code() -> None:
    files = [*EXAMPLE.rglob("*.md"), *Path(secretscan.__file__).parent.rglob("*.py")]
    assert len(files) > 100
    found = [(str(f), x.kind) for f in files
             if f.name != "secretscan.py" for x in secretscan.scan(f.read_text(), ())]
    assert found == []


@pytest.mark.parametrize("text", ["token = get_token()", "password: ${DB_PASSWORD}",
                                  "api_key = os.environ['API_KEY']", "secret_key = settings.SECRET",
                                  "postgres://user:password@localhost/db", "AKIAIOSFODNN7EXAMPLE",
                                  "the key is in the vault", "password = <your-password-here>",
                                  "key = self.key", "hashed = hash(password.encode())",
                                  "token = cache_token(session)", "secret: SECRET_NAME"])
def test_names_of_secrets_are_not_secrets(text: str) -> None:
    assert secretscan.scan(text, ()) == []


@pytest.mark.parametrize("text", ['password = "Xk29fjQ8aLm3"', "secret: s3cr3tV4lue99",
                                  "DB_PASSWORD=Tr0ub4dor&3xyz", "'client_secret': 'q8Zr2LmK0pWx'"])
def test_literal_values_assigned_to_secret_names_are_found(text: str) -> None:
    assert [f.kind for f in secretscan.scan(text, ())] == ["password-assignment"]


@pytest.mark.parametrize("case", CORPUS[:14], ids=lambda c: c["kind"])
def test_every_write_field_refuses_a_secret(memory: Memory, case: dict[str, str]) -> None:
    with pytest.raises(SecretFound, match=f"field 'body'.*{case['kind']}"):
        memory.add("Deploy notes", "ops/deploy", case["text"])
    if case["kind"] != "private-key":  # a one-line field holds the line with the secret
        line = next(t for t in case["text"].splitlines() if case["secret"] in t)
        with pytest.raises(SecretFound, match="field 'summary'"):
            memory.add("Deploy notes", "ops/deploy", "ok", summary=line)
        with pytest.raises(SecretFound, match="field 'title'"):
            memory.add(line, "ops/deploy", "ok")
    item = memory.add("Deploy notes", "ops/deploy", "clean")
    with pytest.raises(SecretFound):
        memory.update(item.path, body=case["text"])
    assert case["secret"] not in (memory.root / f"{item.path}.md").read_text()


def test_cli_refuses_with_exit_5_naming_field_and_kind(run: Run, tmp_path: Path) -> None:
    build_tree(tmp_path / "project")
    case = next(c for c in CORPUS if c["kind"] == "aws-access-key-id")
    out = run("add", "Deploy user", "-p", "ops/deploy", "--body", case["text"])
    assert out.returncode == ExitCode.INVALID
    assert "field 'body'" in out.stderr and "aws-access-key-id" in out.stderr
    masked = run("add", "Deploy user", "-p", "ops/deploy", "--body", case["text"],
                 env={"MEMTREE_SECRETS": "mask"})
    assert masked.returncode == 0, masked.stderr
    text = (tmp_path / "project/.memory/ops/deploy/deploy-user.md").read_text()
    assert case["secret"] not in text and "[secret masked: aws-access-key-id]" in text


def test_allow_list_lets_a_listed_value_through_and_out(tmp_path: Path) -> None:
    memory = build_tree(tmp_path / "project")
    case = next(c for c in CORPUS if c["kind"] == "stripe-key")
    config = memory.root / "config.toml"
    config.write_text(config.read_text() + f'\n[secrets]\nallow = ["{case["secret"]}"]\n')
    memory = Memory.open(memory.root)
    item = memory.add("Stripe test key", "billing/keys", case["text"])
    assert case["secret"] in memory.get(item.path).body
    assert case["secret"] in secretscan.mask(case["text"])
    secretscan.ALLOWED = ()


def test_a_bad_mode_is_named(memory: Memory) -> None:
    config = memory.root / "config.toml"
    config.write_text(config.read_text() + '\n[secrets]\non_write = "shout"\n')
    with pytest.raises(Exception, match="secrets.on_write 'shout'"):
        Memory.open(memory.root).add("x", "a/b", "y")


def _hand_written(project: Path) -> Memory:
    """Every corpus secret written into entry files by hand (no memtree write path)."""
    memory = build_tree(project)
    for n, case in enumerate(CORPUS):
        folder = memory.root / "ops" / "leaks"
        folder.mkdir(parents=True, exist_ok=True)
        pinned = "true" if n % 10 == 0 else "false"
        (folder / f"leak-{n:02d}.md").write_text(
            f"---\nid: leak{n:06d}\ntitle: Deploy credentials {n}\nsummary: how the deploy job "
            f"logs in\npinned: {pinned}\ntags: [deploy, credentials]\n---\n{case['text']}\n")
    return memory


def _leaks(text: str) -> list[str]:
    return [c["kind"] for c in CORPUS if c["secret"] in text
            or c["secret"].replace("\n", "\\n") in text]


@pytest.mark.slow
def test_no_read_path_returns_a_secret_written_by_hand(run: Run, tmp_path: Path) -> None:
    project = tmp_path / "project"
    memory = _hand_written(project)
    outputs: dict[str, str] = {}
    outputs["query"] = run("query", "deploy credentials logs in", "--json", "--limit", "50").stdout
    outputs["context"] = run("context", "deploy credentials", "--json", "--budget", "20000",
                             "--limit", "50").stdout
    outputs["context-text"] = run("context", "deploy credentials", "--budget", "20000").stdout
    for n in range(len(CORPUS)):  # each case through one of the show forms (the benchmark: all)
        form = [(), ("--raw",), ("--json",)][n % 3]
        outputs[f"show {form} {n}"] = run("show", f"ops/leaks/leak-{n:02d}", *form).stdout
    outputs["start"] = run("hook", "claude-code", "SessionStart",
                           input=payload("claude-code", "SessionStart", project)).stdout
    for n in range(0, len(CORPUS), 2):
        body = json.dumps({"session_id": f"s{n}", "cwd": str(project),
                           "hook_event_name": "UserPromptSubmit",
                           "prompt": f"how does the deploy job log in, credentials {n}"})
        outputs[f"prompt {n}"] = run("hook", "claude-code", "UserPromptSubmit", input=body).stdout
    outputs.update(_mcp_reads(project))
    assert "[secret masked:" in outputs["context"]
    assert any("[secret masked:" in outputs[f"prompt {n}"] for n in range(0, len(CORPUS), 2))
    leaked = {name: _leaks(text) for name, text in outputs.items() if _leaks(text)}
    assert leaked == {}
    assert all(c["secret"] in (memory.root / "ops/leaks").joinpath(f"leak-{n:02d}.md").read_text()
               for n, c in enumerate(CORPUS))  # reads never rewrite the files


def _mcp_reads(project: Path) -> dict[str, str]:
    async def body(s: ClientSession) -> dict[str, str]:
        out: dict[str, str] = {}
        for n in range(0, len(CORPUS), 5):
            found = data(await s.call_tool("query", {"text": f"deploy credentials {n}",
                                                      "limit": 5, "budget": 4000}))
            hits = data(await s.call_tool("query", {"text": f"deploy credentials {n}",
                                                     "limit": 50, "budget": 0}))
            out[f"mcp query {n}"] = json.dumps([found, hits])
        for n in range(len(CORPUS)):
            got = data(await s.call_tool("get", {"ref": f"ops/leaks/leak-{n:02d}"}))
            out[f"mcp get {n}"] = json.dumps(got)
            read = await s.read_resource(f"memtree://entry/ops/leaks/leak-{n:02d}")
            out[f"mcp resource {n}"] = "".join(getattr(c, "text", "") for c in read.contents)
        return out

    result: dict[str, str] = session(project, body)
    return result


def test_mcp_add_refuses_a_secret(tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_tree(project)
    case = next(c for c in CORPUS if c["kind"] == "openai-key")

    async def body(s: ClientSession) -> Any:
        return await s.call_tool("add", {"title": "Eval key", "path": "ml/evals",
                                         "body": case["text"]})

    result = session(project, body)
    assert result.is_error and "openai-key" in str(result.content)
    assert not (project / ".memory/ml/evals").exists()


@pytest.mark.git
def test_validate_reports_secrets_in_files_and_history(run: Run, tmp_path: Path) -> None:
    project = tmp_path / "project"
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    memory = build_tree(project)
    case = next(c for c in CORPUS if c["kind"] == "github-token")
    leak = memory.root / "ops" / "ci" / "bot.md"
    leak.parent.mkdir(parents=True)
    leak.write_text(f"---\nid: bot0000001\ntitle: Release bot\n---\n{case['text']}\n")
    out = run("validate", "--json")
    assert out.returncode == ExitCode.PROBLEMS
    problems = json.loads(out.stdout)
    assert any(p["path"] == "ops/ci/bot.md" and "github-token" in p["message"] for p in problems)
    assert case["secret"] not in out.stdout
    diff = run("diff")
    assert "ops/ci/bot.md" in diff.stdout and "[secret masked: github-token]" in diff.stdout
    assert case["secret"] not in diff.stdout
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run(["git", "commit", "-qm", "bot"], cwd=project, check=True)
    leak.write_text("---\nid: bot0000001\ntitle: Release bot\n---\nThe token is in the vault.\n")
    assert run("validate").returncode == 0
    history = run("validate", "--history", "--json")
    assert history.returncode == ExitCode.PROBLEMS
    assert any("github-token" in p["message"] and "rotate" in p["message"]
               for p in json.loads(history.stdout))


def test_the_prefilter_lets_through_every_text_a_pattern_matches() -> None:
    """scan() looks no further when the prefilter finds nothing: it must pass every text in which
    any pattern matches (generated from the patterns' own pieces), and stop ordinary words."""
    import random
    import re

    rng = random.Random(20261128)
    pieces = ["password", "passwd", "pwd", "secret", "key", "token", "api_", "client_", "Key",
              "TOKEN", "'", '"', " ", "  ", "\t", "=", ":", "=>", ":=", "word", "Xk29fjQ8aLm3q",
              "s3cr3tV4lue99", "_", ".", "-", "\n", "aws", "AKIA", "ABCDEFGHIJKLMNOP", "sk-",
              "://u:", "@h", "eyJ", "x" * 12]
    compiled = [re.compile(p) for _, p in secretscan.PATTERNS]
    matched = 0
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        if any(p.search(text) for p in compiled):
            matched += 1
            assert re.search(secretscan.PREFILTER, text), repr(text)
    assert matched > 300  # the comparison really ran on texts holding secrets
    for text in ("keyword match on a name (level 0.75)", "tokens are signed", "secret sauce"):
        assert re.search(secretscan.PREFILTER, text) is None
