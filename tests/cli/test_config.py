"""`memtree config`: effective settings with their sources (default, user file, project file,
environment), one key read, one key set (checked, written atomically, committed), clear errors
naming the bad key or value with nothing written; the settings set are the ones memtree reads."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import Run


@pytest.fixture
def project(run: Run, tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    assert run("init").returncode == 0
    return project


def _values(run: Run, **env: str) -> dict[str, dict[str, object]]:
    out = run("config", "--json", env=env)
    assert out.returncode == 0, out.stderr
    return {v["key"]: v for v in json.loads(out.stdout)}


def _user_file(tmp_path: Path) -> Path:
    return tmp_path / "xdg" / "memtree" / "config.toml"


def test_show_names_each_source(run: Run, project: Path, tmp_path: Path) -> None:
    user = _user_file(tmp_path)
    user.parent.mkdir(parents=True)
    user.write_text('[llm]\nprovider = "anthropic"\ntimeout = 20\n[agents]\nlimit = 9\n'
                    '[history]\nautocommit = false\n')
    config = project / ".memory" / "config.toml"
    config.write_text(config.read_text() + "\n[agents]\nlimit = 4\n")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "MEMTREE_SECRETS": "mask"}
    values = _values(run, **env)
    assert values["agents.budget"]["source"] == "default"
    assert values["agents.limit"] == {"key": "agents.limit", "value": 4, "source": "project",
                                      "default": 3, "where": str(config)}
    assert values["llm.provider"]["value"] == "anthropic" and values["llm.provider"]["source"] == "user"
    assert values["history.autocommit"]["source"] == "project"  # [history] of the user file is not used
    assert values["secrets.on_write"]["source"] == "environment"
    # the user's file is read by memtree itself, under the project's
    status = json.loads(run("llm", "status", "--json", env=env).stdout)["settings"]
    assert status["provider"] == "anthropic" and status["timeout"] == 20
    assert run("config", "get", "agents.limit", env=env).stdout == "4\n"
    table = run("config", env=env).stdout.splitlines()
    assert "agents.limit\t4\tproject" in table and "llm.provider\tanthropic\tuser" in table


def test_set_checks_writes_and_commits(run: Run, project: Path) -> None:
    config = project / ".memory" / "config.toml"
    out = run("config", "set", "agents.limit", "6")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("agents.limit = 6 (")
    assert run("config", "set", "agents.observe", "true").returncode == 0
    assert run("config", "set", "secrets.allow", "AKIAEXAMPLE, sk-test").returncode == 0
    text = config.read_text()
    assert "[agents]\nlimit = 6\nobserve = true\n" in text
    assert 'allow = ["AKIAEXAMPLE", "sk-test"]' in text
    assert text.startswith("# memtree configuration")  # the comment kept
    from memtree.agents.inject import options
    from memtree.config import load_settings

    read = options(load_settings(project / ".memory"))
    assert read.limit == 6 and read.observe is True
    log = subprocess.run(["git", "log", "--format=%s"], cwd=project, capture_output=True,
                         text=True, check=True).stdout
    assert "config agents.limit = 6" in log
    assert json.loads(run("config", "get", "secrets.allow", "--json").stdout)["value"] == [
        "AKIAEXAMPLE", "sk-test"]


@pytest.mark.parametrize(("args", "code", "needle"), [
    (("get", "agents.limt"), 2, "did you mean agents.limit"),
    (("set", "agents.limt", "3"), 2, "'agents.limt': no such setting"),
    (("set", "agents.limit", "many"), 5, "agents.limit: 'many' is not an integer"),
    (("set", "lifecycle.decay_per_day", "2"), 5, "decay_per_day: must be in (0, 1]"),
    (("set", "secrets.on_write", "maybe"), 5, "secrets.on_write 'maybe'"),
    (("set", "agents.observe", "yes"), 5, "'yes' is not true or false"),
    (("set", "history.mode", "standalone"), 2, "memtree init --mode"),
    (("set", "llm.provider", "opneai"), 5, "llm.provider 'opneai': use one of anthropic, "),
    (("set", "llm.timeout", "inf"), 5, "llm.timeout: 'inf' is not a finite number"),
    (("set", "lifecycle.decay_per_day", "nan"), 5, "'nan' is not a finite number"),
])
def test_bad_key_or_value_is_named_and_nothing_written(run: Run, project: Path,
                                                       args: tuple[str, ...], code: int,
                                                       needle: str) -> None:
    config = project / ".memory" / "config.toml"
    before = config.read_bytes()
    out = run("config", *args)
    assert out.returncode == code, out.stderr
    assert needle in out.stderr and out.stderr.startswith("memtree: error: ")
    assert config.read_bytes() == before
    assert not list(config.parent.glob(".*.tmp"))


def test_set_user_writes_the_user_file(run: Run, project: Path, tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    config = project / ".memory" / "config.toml"
    before = config.read_bytes()
    assert run("config", "set", "llm.provider", "openai", "--user", env=env).returncode == 0
    assert _user_file(tmp_path).read_text() == '[llm]\nprovider = "openai"\n'
    assert config.read_bytes() == before
    assert _values(run, **env)["llm.provider"]["source"] == "user"


def test_a_known_provider_and_none_are_accepted(run: Run, project: Path) -> None:
    assert run("config", "set", "llm.provider", "openai").returncode == 0
    assert run("config", "get", "llm.provider").stdout.strip() == "openai"
    assert run("config", "set", "llm.provider", "").returncode == 0
