"""Shared helpers for the coding-agent tests: a small known memory tree and hook fixtures."""

from __future__ import annotations

import json
from pathlib import Path

from memtree import Memory

FIXTURES = Path(__file__).parent / "fixtures" / "hooks"
GOLDEN = Path(__file__).parent / "golden" / "hooks"


def build_tree(project: Path) -> Memory:
    """A project memory with a pinned rule, a core decision, ordinary and archived entries."""
    memory = Memory.init(project)
    memory.add("Never commit secrets", "security/rules",
               "Secrets live in the team vault. `.env` files are git-ignored and never committed.",
               summary="Secrets go in the vault, never in git.", type="convention",
               tags=["security", "secrets"], importance=90, pinned=True)
    memory.add("Sign access tokens with RS256", "auth/tokens",
               "Access tokens are JWTs signed with RS256 so services verify them with the public "
               "key only. The private key stays in the auth service.",
               summary="JWT access tokens are signed with RS256.", type="decision",
               tags=["auth", "jwt"], aliases=["jwt signing", "token signature"], maturity="core",
               importance=80)
    memory.add("Refresh tokens rotate on every use", "auth/tokens",
               "Each refresh returns a new refresh token and revokes the old one; reuse of a "
               "revoked token logs the user out everywhere.",
               summary="Refresh tokens are single-use and rotate.", type="decision",
               tags=["auth", "jwt", "refresh", "login"])
    memory.add("Tests run with pytest", "dev/testing",
               "Run `pytest -q` from the repository root; fixtures live in tests/conftest.py.",
               summary="The test suite uses pytest.", type="convention", tags=["pytest", "tests"])
    memory.add("ARM release builds need libffi", "build/release",
               "The ARM runner image lacks libffi-dev; the release workflow installs it first.",
               summary="Install libffi-dev on ARM runners before building.", type="bug",
               tags=["arm", "release", "build", "runners"])
    old = memory.add("Tokens were signed with HS256", "auth/tokens", "Replaced by RS256.",
                     tags=["jwt"])
    memory.remove(old.path)
    return memory


def payload(agent: str, name: str, project: Path) -> str:
    text = (FIXTURES / agent / f"{name}.json").read_text()
    transcript = FIXTURES / agent / "transcript.jsonl"
    text = text.replace("__PROJECT__", str(project)).replace("__TRANSCRIPT__", str(transcript))
    json.loads(text)  # fixtures must stay valid JSON
    return text


def stable(text: str, project: Path) -> str:
    """Hook output with the volatile parts (the temporary project folder) replaced."""
    return text.replace(str(project), "<project>")
