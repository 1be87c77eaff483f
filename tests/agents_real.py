"""Running the real coding agents in the tests: pinned npm packages installed once into a cache
folder, a project set up with `memtree install`, and each agent's command line pointed at the
loopback model server (tests/model_server.py).

The cache is `$MEMTREE_AGENT_CACHE`, else `~/.cache/memtree-agents` (read when this module is
imported, before the tests give each test its own HOME). An agent whose package cannot be
installed (no npm, no registry) is skipped with the reason; any other failure fails the test.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agents_support import build_tree
from conftest import MEMTREE
from memtree import Memory

CACHE = Path(os.environ.get("MEMTREE_AGENT_CACHE") or Path.home() / ".cache" / "memtree-agents")
TIMEOUT = 120  # seconds for one agent run


@dataclass(frozen=True)
class Package:
    name: str  # npm package
    version: str  # pinned: the version the integration was verified against
    bin: str  # its command

    @property
    def folder(self) -> Path:
        return CACHE / f"{self.name.rsplit('/', 1)[-1]}-{self.version}"


CLAUDE = Package("@anthropic-ai/claude-code", "2.1.332", "claude")
GEMINI = Package("@google/gemini-cli", "0.61.0", "gemini")
CODEX = Package("@openai/codex", "0.171.0", "codex")
OFFLINE = ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ETIMEDOUT", "ENETUNREACH", "ECONNRESET")


def agent_program(package: Package) -> Path:
    """The agent's command, installing the pinned package on first use (skip if npm can't)."""
    program = package.folder / "node_modules" / ".bin" / package.bin
    if program.exists():
        return program
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(f"{package.name}: npm is not installed, so the agent cannot be installed")
    package.folder.mkdir(parents=True, exist_ok=True)
    with open(package.folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one install at a time, across test processes
        if not program.exists():
            _npm_install(npm, package)
    return program


def _npm_install(npm: str, package: Package) -> None:
    done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix",
                           str(package.folder), f"{package.name}@{package.version}"],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        if any(code in done.stderr for code in OFFLINE):
            pytest.skip(f"{package.name}: the npm registry cannot be reached: "
                        f"{done.stderr.strip().splitlines()[-1]}")
        raise AssertionError(f"npm install {package.name}@{package.version} failed:\n{done.stderr}")


@dataclass
class Project:
    """A git project with a memory tree and an agent integration installed."""

    root: Path
    home: Path
    installed: str = ""  # what `memtree install` printed

    @property
    def memory(self) -> Memory:
        return Memory(self.root / ".memory")

    def injections(self) -> list[dict[str, Any]]:
        log = self.root / ".memory" / ".local" / "injections.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def hook_errors(self) -> str:
        log = self.root / ".memory" / ".local" / "hook-errors.log"
        return log.read_text() if log.exists() else ""

    def titles(self, paths: list[str]) -> list[str]:
        memory = self.memory
        return [memory.get(p).title for p in paths]


def make_project(tmp_path: Path, agent: str, env: dict[str, str] | None = None) -> Project:
    """`memtree init` (with known entries) and `memtree install AGENT` in a fresh git project
    (`env`: more environment for install; the agent's home is tmp_path/agent-home)."""
    root = tmp_path / "project"
    home = tmp_path / "agent-home"
    home.mkdir(exist_ok=True)
    root.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    build_tree(root)
    # Each scripted prompt carries a `call:TOOL {json}` line for the model server; its words
    # match no entry and dilute the prompt's evidence, so these tests ask for less of it.
    config = root / ".memory" / "config.toml"
    config.write_text(config.read_text() + "\n[agents]\nmin_evidence = 0.2\n")
    done = subprocess.run([str(MEMTREE), "install", agent], cwd=root, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "HOME": str(home), **(env or {})})
    assert done.returncode == 0, done.stderr
    return Project(root, home, done.stdout + done.stderr)


def base_env(project: Project) -> dict[str, str]:
    """A small, explicit environment: the agent's own HOME, git identity, memtree on PATH."""
    keep = ("LANG", "TERM", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep or k.startswith(("GIT_", "MEMTREE_"))}
    env.pop("MEMTREE_ROOT", None)
    path = os.pathsep.join([str(MEMTREE.parent), "/usr/local/bin", "/usr/bin", "/bin"])
    return {**env, "HOME": str(project.home), "PATH": path, "NO_COLOR": "1"}


def run_agent(argv: list[str], project: Project, env: dict[str, str],
              cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, cwd=cwd or project.root, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"{argv[0]} exited {done.returncode}:\n{done.stdout[-3000:]}\n" \
                                 f"{done.stderr[-3000:]}"
    assert "Unrecognized tool name" not in done.stdout + done.stderr, done.stderr[-3000:]
    return done
