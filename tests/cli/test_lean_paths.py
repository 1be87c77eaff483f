"""The two hottest process paths stay lean: `memtree query --json` and `memtree hook …` import
none of the modules they do not use, and the shortcuts that keep them lean give the same results
as the code they stand in for (tomllib, frozen dataclasses, python-frontmatter's split).

Imports are observed in the installed command run in a subprocess (PYTHONPROFILEIMPORTTIME, as
`python -X importtime`). No timings here: speed is measured in benchmarks/.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib.util
import json
import os
import pickle
import random
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from agents_support import build_tree, payload
from conftest import MEMTREE
from memtree import config
from memtree.entries import codec, store
from memtree.errors import InvalidEntry
from memtree.record import Record, record

pytestmark = pytest.mark.slow

# Never on either path: writers' stdlib modules, typing (and tomllib, which imports it), the
# YAML codec, the CLI's libraries, git, the MCP SDK.
HEAVY = {"tempfile", "shutil", "random", "secrets", "getpass", "subprocess", "traceback", "typing",
         "tomllib", "yaml", "frontmatter", "typer", "click", "rich", "git", "mcp", "pydantic",
         "memtree.cli.app", "memtree.cli.main", "memtree.cli.common", "memtree.history",
         "memtree.agents.install", "memtree.cli.views"}
QUERY_HEAVY = HEAVY | {"memtree.memory", "memtree.entries.store", "memtree.entries.codec", "memtree.agents",
                       "hashlib", "inspect", "ast", "dis", "tokenize", "ipaddress", "ntpath"}
HOOK_HEAVY = HEAVY | {"inspect", "ast", "dis", "tokenize", "ipaddress", "ntpath"} | (
    {"hashlib"} if importlib.util.find_spec("_sha256") else set())


def imported(args: list[str], cwd: Path, stdin: str = "",
             env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run the installed command; its result and every module it imported."""
    full = {**os.environ, **(env or {}), "PYTHONPROFILEIMPORTTIME": "1"}
    out = subprocess.run([str(MEMTREE), *args], cwd=cwd, input=stdin, capture_output=True,
                         text=True, env=full, timeout=60)
    names = {line.rsplit("|", 1)[1].strip() for line in out.stderr.splitlines()
             if line.startswith("import time:") and "[us]" not in line}
    assert names, out.stderr
    return out, names


def unwanted(names: set[str], heavy: set[str]) -> set[str]:
    """Imported names that are heavy, or inside a heavy package."""
    def inside(name: str) -> bool:
        parts = name.split(".")
        return any(".".join(parts[:n]) in heavy for n in range(1, len(parts) + 1))
    return {n for n in names if inside(n)}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    build_tree(folder)
    warm = subprocess.run([str(MEMTREE), "reindex"], cwd=folder, capture_output=True, text=True,
                          timeout=60)
    assert warm.returncode == 0, warm.stderr  # the index is fresh: nothing left to parse
    return folder


def test_query_path_imports_only_what_it_uses(project: Path) -> None:
    for text in ("how are jwt access tokens signed", "auth/tokens/*", "sign access tokens"):
        out, names = imported(["query", text, "--json"], project)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["hits"], text
        assert not unwanted(names, QUERY_HEAVY), text
        assert "memtree.retrieval.tiers" in names


@pytest.mark.parametrize("extra", [[], ["--explain"], ["--limit", "2", "--all"]])
def test_piped_query_text_is_written_without_rich(project: Path, extra: list[str]) -> None:
    """Output to a pipe (not a terminal) is plain lines: neither rich nor the rich views load."""
    for text in ("how are jwt access tokens signed", "auth/tokens/*", "no such words anywhere"):
        out, names = imported(["query", text, *extra], project)
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith(("1. ", "nothing found for")), out.stdout
        assert not unwanted(names, QUERY_HEAVY), text
        assert "memtree.cli.plainview" in names


def test_a_deferred_module_loads_at_its_first_use_and_replaces_its_stand_in() -> None:
    code = ("import sys; from memtree.startup import defer; defer('inspect'); "
            "import inspect; assert 'ast' not in sys.modules; "
            "from dataclasses import dataclass; "
            "Point = dataclass(type('Point', (), {'__annotations__': {'x': int}})); "
            "assert Point.__doc__ == 'Point(x: int)', Point.__doc__; "
            "assert sys.modules['inspect'] is not inspect and 'ast' in sys.modules; "
            "assert inspect.isfunction(defer)")
    out = subprocess.run([str(MEMTREE.with_name("python")), "-c", code], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("event", ["SessionStart", "UserPromptSubmit", "PreCompact", "Stop",
                                   "SessionEnd", "PostToolUse"])
def test_hook_path_imports_only_what_it_uses(project: Path, event: str) -> None:
    out, names = imported(["hook", "claude-code", event], project,
                          stdin=payload("claude-code", event, project))
    assert out.returncode == 0
    assert "memtree.agents.hook" in names
    assert not unwanted(names, HOOK_HEAVY), event
    if event == "UserPromptSubmit":  # an entry body was injected: read without YAML
        assert "RS256" in out.stdout
    if event == "SessionStart":  # with the pinned rule in full
        assert "team vault" in out.stdout
    if event == "PostToolUse":  # the entry naming the file read
        assert "pytest -q" in out.stdout
    assert not (project / ".memory" / ".local" / "hook-errors.log").exists()


def test_a_broken_config_still_fails_the_query_as_before(project: Path) -> None:
    (project / ".memory" / "config.toml").write_text("format = 1\n[agents\n")
    out, names = imported(["query", "tokens", "--json"], project)
    assert out.returncode == 5
    assert "config.toml: invalid TOML: Expected ']' at the end of a table declaration" in out.stderr
    assert "tomllib" in names  # anything not flat goes to tomllib, which says what is wrong


# ---------------------------------------------------------------- flat TOML = tomllib

FLAT = [
    "", "\n", "format = 1\n", "# memtree configuration\nformat = 1\n\n[history]\nmode = \"standalone\"\n"
    "autocommit = false\n", "[agents]\nbudget = 600\nmin_score = 0.25\nobserve = true\n",
    "a = 'single'  # comment\r\n[b]\r\nc = -0\r\n", "key\t=\t\"tab\there\"\n", "x = \"é ü\"",
    "  indented = 1\n[ spaced ]\n", "1 = 2\ntrue = false\n", "a=1#c\n[t]#c\n", "a = -12.50\n",
    "a = 'back\\slash'\n", "a = \"#\" # \"\n", "a = 0.0\n", "[t] # [u]\n", "a = true#\n",
]
NOT_FLAT = [
    "a = 01\n", "a = +1\n", "a = 1e3\n", "a = 1_000\n", "a = 1.\n", "a = .5\n", "a = [1, 2]\n",
    "a = {b = 1}\n", "a = 2026-01-01\n", "a = \"esc\\\"aped\"\n", "a = \"\"\"multi\"\"\"\n",
    "a.b = 1\n", "\"q\" = 1\n", "[a.b]\n", "[[a]]\n", "a = 1\na = 2\n", "[t]\n[t]\n", "t = 1\n[t]\n",
    "a = True\n", "a = 1 2\n", "a = \"open\n", "a = 1\rb = 2\n", "a = 1\r", "\ufeffa = 1\n",
    "a = \"\x01\"\n", "# \x7f\n", "a = nan\n", "[]\n", "a = \"x\" y\n",
    "[a b]\n", "[a]x\n", "[a\n", "a]\n", "= 1\n", "a =\n", "a = -\n", "a = --1\n", "a = 1.2.3\n",
    "a = 'x\n", "a = \"\t\x0b\"\n", "a = truex\n", "a 1\n", "a = '' ''\n", "a = 00.5\n",
]


@pytest.mark.parametrize("text", FLAT)
def test_flat_toml_reads_as_tomllib(text: str) -> None:
    got = config.flat_toml(text)
    assert got is not None
    assert _typed(got) == _typed(tomllib.loads(text))


@pytest.mark.parametrize("text", NOT_FLAT)
def test_anything_else_is_left_to_tomllib(text: str) -> None:
    assert config.flat_toml(text) is None


def test_flat_toml_agrees_with_tomllib_on_generated_files() -> None:
    rng = random.Random(20261125)
    keys = ["a", "b", "format", "x-y", "k_1", "1", "true", "", "a.b", '"q"', "é"]
    values = ["1", "-1", "+1", "0", "-0", "01", "1.5", "-0.0", "1.", ".5", "1e3", "1_0", "true",
              "false", "True", '"s"', '""', '"a b"', '"a\\"b"', "'lit'", "''", "'a\"b'", '"é"',
              '"\t"', '"a\x01"', '"""x"""', "[1]", "{a = 1}", "2026-01-01", "nan", '"x" y', '"#"']
    spaces = ["", " ", "\t", "\u00a0", "\x0c"]
    comments = ["", "# c", "#", "#\x01", "# \t x", "#\x7f"]

    def line() -> str:
        pad, note = rng.choice(spaces), rng.choice(comments)
        roll = rng.random()
        if roll < 0.15:
            return pad + note
        if roll < 0.3:
            return f"{pad}[{pad}{rng.choice(keys + ['history', 'a'])}{pad}]{pad}{note}"
        return f"{pad}{rng.choice(keys)}{pad}={pad}{rng.choice(values)}{pad}{note}"

    fast = 0
    for _ in range(20_000):
        newline = rng.choice(["\n", "\n", "\r\n", "\r"])
        text = newline.join(line() for _ in range(rng.randint(0, 5))) + rng.choice(["", newline])
        got = config.flat_toml(text)
        if got is not None:
            fast += 1
            assert _typed(got) == _typed(tomllib.loads(text)), repr(text)
    assert fast > 1000  # the comparison really ran on the fast path


def _typed(data: dict[str, object]) -> dict[str, object]:
    """Values with their types, so that 1, 1.0 and True differ."""
    return {k: _typed(v) if isinstance(v, dict) else (type(v), v) for k, v in data.items()}


# ---------------------------------------------------------------- records = frozen dataclasses


@dataclass(frozen=True)
class Inner:
    name: str = ""


@dataclass(frozen=True)
class AsDataclass:
    """The same fields twice: as a frozen dataclass here and as a record below."""

    id: str
    score: float
    tags: tuple[str, ...] = ()
    inner: Inner = field(default_factory=Inner)
    extra: tuple[tuple[str, object], ...] = ()


@record
class AsRecord(Record):
    """The same fields twice: as a frozen dataclass above and as a record here."""

    id: str
    score: float
    tags: tuple[str, ...] = ()
    inner: Inner = field(default_factory=Inner)
    extra: tuple[tuple[str, object], ...] = ()


CALLS: list[tuple[tuple[object, ...], dict[str, object]]] = [
    (("a", 1.0), {}), (("a",), {"score": 2.5, "tags": ("x",)}), ((), {"score": 0.0, "id": "z"}),
    (("a", float("nan"), ("t",), Inner("n"), (("k", [1]),)), {}),
    ((), {"id": "b", "score": 1, "extra": (("k", {"v": 1}),), "inner": Inner("i")}),
]
BAD_CALLS: list[tuple[tuple[object, ...], dict[str, object]]] = [
    ((), {}), (("a",), {}), (("a", 1.0, (), Inner(), (), "too many"), {}),
    (("a", 1.0), {"id": "twice"}), (("a", 1.0), {"nope": 1}), ((), {"score": 1.0}),
]


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_a_record_behaves_as_a_frozen_dataclass(args: tuple[object, ...],
                                                 kwargs: dict[str, object]) -> None:
    made_d, made_r = AsDataclass(*args, **kwargs), AsRecord(*args, **kwargs)  # type: ignore[arg-type]
    assert repr(made_r) == repr(made_d).replace("AsDataclass", "AsRecord")
    assert list(vars(made_r).items()) == list(vars(made_d).items())
    assert dataclasses.asdict(made_r) == dataclasses.asdict(made_d)
    assert dataclasses.astuple(made_r) == dataclasses.astuple(made_d)
    assert [f.name for f in dataclasses.fields(made_r)] == [f.name for f in dataclasses.fields(made_d)]
    assert AsRecord.__match_args__ == AsDataclass.__match_args__
    for twin in (copy.deepcopy, lambda x: pickle.loads(pickle.dumps(x))):
        assert (made_r == twin(made_r)) == (made_d == twin(made_d))  # nan: == as tuples compare
    assert made_r == made_r and made_r != made_d and made_r != "a"
    try:
        want = hash(made_d)
    except TypeError:  # a list among the values
        with pytest.raises(TypeError):
            hash(made_r)
    else:
        assert hash(made_r) == want
    other_r, other_d = dataclasses.replace(made_r, id="other"), dataclasses.replace(made_d, id="other")
    assert repr(other_r) == repr(other_d).replace("AsDataclass", "AsRecord")
    assert other_r != made_r
    with pytest.raises(dataclasses.FrozenInstanceError):
        made_r.id = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del made_r.id  # type: ignore[misc]


@pytest.mark.parametrize(("args", "kwargs"), BAD_CALLS)
def test_a_record_refuses_the_calls_a_dataclass_refuses(args: tuple[object, ...],
                                                        kwargs: dict[str, object]) -> None:
    with pytest.raises(TypeError):
        AsDataclass(*args, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        AsRecord(*args, **kwargs)  # type: ignore[arg-type]


def test_a_record_takes_plain_fields_only() -> None:
    with pytest.raises(TypeError, match="plain fields only"):
        @record
        class Odd(Record):
            """A field without __init__ argument."""

            hidden: int = field(default=0, init=False)


# ---------------------------------------------------------------- bodies without YAML

TEXTS = [
    "---\ntitle: A\n---\nBody\n", "---\ntitle: A\n---\n\n\nBody after blank lines\n",
    "---\ntitle: A\n---   \nBody after a fence with spaces\n", "-----\ntitle: A\n-----\nLong fences\n",
    "---\r\ntitle: A\r\n---\r\nWindows lines\r\n", "---\ntitle: A\n---\n", "---\ntitle: A\n---",
    "---\ntitle: A\n---\nA rule\n---\nafter it\n", "---\ntitle: 'B'\nsummary: x\n---\n\n- list\n",
]


@pytest.mark.parametrize("text", TEXTS)
def test_a_body_read_without_yaml_is_the_parsed_body(text: str) -> None:
    assert codec.body_of(text, "d/t/e") == codec.parse(text, "d/t/e").body


@pytest.mark.parametrize("text", ["", "no frontmatter\n", "---\ntitle: A\nnever closed\n", "---\x00"])
def test_a_body_read_without_yaml_refuses_what_parse_refuses(text: str) -> None:
    with pytest.raises(InvalidEntry) as parsed:
        codec.parse(text, "d/t/e")
    with pytest.raises(InvalidEntry) as read:
        codec.body_of(text, "d/t/e")
    assert read.value.message == parsed.value.message


def test_written_files_follow_the_umask_keep_their_mode_and_leave_no_temporary_file(
        tmp_path: Path) -> None:
    target = tmp_path / "folder" / "file.json"
    umask = os.umask(0o027)
    try:
        store.atomic_write(target, "{}\n")
    finally:
        os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o640  # a new file: 0666 less the umask
    target.chmod(0o604)
    store.atomic_write(target, "{\"a\": 1}\n")
    assert target.read_text() == "{\"a\": 1}\n"
    assert target.stat().st_mode & 0o777 == 0o604  # a rewritten file keeps its mode
    assert [p.name for p in target.parent.iterdir()] == ["file.json"]


def test_session_digests_are_hashlib_sha256() -> None:
    import hashlib

    from memtree.agents import journal

    for text in ("", "how do tokens work", "é" * 500):
        assert journal.digest(text) == "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]
