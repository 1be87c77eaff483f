"""`memtree import bundle` of an OKF bundle written elsewhere (by hand here, as another tool
would): concepts adopted with their fields mapped and unknown ones kept, placed in the layout,
each change named; what cannot be adopted reported precisely; nothing half-written; idempotent."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import Run

SECRET = "DB_PASSWORD=Tr0ub4dor&3xyz"

BUNDLE = {
    "index.md": "# Index\n\n- [Connection pooling](Databases/Connection Pooling.md)\n",
    "log.md": "# Log\n\n- 2025-03-01 created\n",
    "Databases/Connection Pooling.md": (
        "---\ntype: concept\ntitle: Connection pooling\n"
        "description: PgBouncer in transaction mode in front of every database\n"
        "tags: [postgres, pgbouncer]\ntimestamp: 2025-03-01T10:00:00Z\nconfidence: high\n"
        "related:\n  - Databases/replication\n---\n# Connection pooling\n\n"
        "Use transaction pooling; session pooling breaks prepared statements.\n"),
    "databases/postgres/replication/streaming/lag.md": (
        "---\ntitle: Replication lag\ndescription: alert above 30 s\ntags: alerts, postgres\n---\n"
        "Lag above 30 seconds pages the on-call.\n"),
    "top-level.md": "---\ntitle: Glossary\ntype: reference\n---\nTerms we use.\n",
    "notes/untagged.md": "# Deploy freeze\n\nNo deploys on Fridays after 15:00.\n",
    "ops/oncall/odd-fields.md": (
        "---\ntitle: Escalation\ntags: 5\ncreated: yesterday\nowner: sre-team\n---\n"
        "Escalate after 15 minutes.\n"),
    "ops/oncall/broken.md": "---\ntitle: [unclosed\n---\nBody.\n",
    "ops/oncall/leak.md": f"---\ntitle: Database access\n---\nUse {SECRET} for the replica.\n",
}


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    folder = tmp_path / "foreign-kb"
    for rel, text in BUNDLE.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")
    (folder / "images").mkdir()
    (folder / "images" / "diagram.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (folder / "latin1.md").write_bytes("---\ntitle: Caf\xe9\n---\n".encode("latin-1"))
    return folder


@pytest.fixture
def project(run: Run, tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    assert run("init").returncode == 0
    return project


def test_foreign_bundle_is_adopted_and_the_rest_reported(run: Run, project: Path, bundle: Path) -> None:
    out = run("import", "bundle", str(bundle), "--json")
    assert out.returncode == 0, out.stderr
    done = json.loads(out.stdout)
    adopted = {a["from"]: a for a in done["adopted"]}
    assert set(adopted) == {"Databases/Connection Pooling.md", "databases/postgres/replication/streaming/lag.md",
                            "top-level.md", "notes/untagged.md", "ops/oncall/odd-fields.md"}
    assert adopted["Databases/Connection Pooling.md"]["path"] == "databases/general/connection-pooling.md"
    assert adopted["databases/postgres/replication/streaming/lag.md"]["path"] == \
        "databases/postgres/replication/lag.md"
    assert any("deeper than domain/topic/subtopic" in n
               for n in adopted["databases/postgres/replication/streaming/lag.md"]["notes"])
    assert adopted["top-level.md"]["path"] == "imported/okf/top-level.md"
    odd = adopted["ops/oncall/odd-fields.md"]["notes"]
    assert any(n.startswith("field 'tags' kept as 'okf_tags'") for n in odd)
    assert any(n.startswith("field 'created' kept as 'okf_created'") for n in odd)

    reported = {r["path"]: r for r in done["reported"]}
    assert set(reported) == {"ops/oncall/broken.md", "ops/oncall/leak.md", "images/diagram.png", "latin1.md"}
    assert re.search(r"broken\.md:\d+: invalid YAML", reported["ops/oncall/broken.md"]["message"])
    assert "password-assignment" in reported["ops/oncall/leak.md"]["message"]
    assert "not UTF-8" in reported["latin1.md"]["message"]
    assert "not a markdown file" in reported["images/diagram.png"]["message"]

    memory = project / ".memory"
    pooling = (memory / "databases/general/connection-pooling.md").read_text()
    assert "summary: PgBouncer in transaction mode in front of every database" in pooling
    assert "tags: [postgres, pgbouncer]" in pooling and "type: concept" in pooling
    assert "confidence: high" in pooling and "related:" in pooling  # unknown fields kept
    assert "Use transaction pooling; session pooling breaks prepared statements." in pooling
    assert "Tr0ub4dor" not in "".join(p.read_text() for p in memory.rglob("*.md"))
    assert "tags: [alerts, postgres]" in (memory / "databases/postgres/replication/lag.md").read_text()
    untagged = json.loads(run("show", "notes/general/untagged", "--json").stdout)
    assert untagged["title"] == "Deploy freeze"
    odd_text = (memory / "ops/oncall/odd-fields.md").read_text()
    assert "okf_tags: 5" in odd_text and "okf_created: yesterday" in odd_text and "owner: sre-team" in odd_text

    assert run("validate").returncode == 0  # every adopted file is a valid entry
    log = subprocess.run(["git", "log", "--format=%s"], cwd=project, capture_output=True, text=True,
                         check=True).stdout
    assert "import okf bundle foreign-kb" in log
    again = json.loads(run("import", "bundle", str(bundle), "--json").stdout)
    assert again["written"] == []  # the same bundle twice: nothing new, nothing duplicated


def test_people_see_each_adoption_and_each_refusal(run: Run, project: Path, bundle: Path) -> None:
    out = run("import", "bundle", str(bundle))
    assert out.returncode == 0, out.stderr
    assert "adopted Databases/Connection Pooling.md as databases/general/connection-pooling.md" in out.stdout
    assert "  moved from Databases/Connection Pooling.md to databases/general/connection-pooling.md" in out.stdout
    assert "not imported ops/oncall/leak.md: not adopted:" in out.stdout
    assert "imported 5 file(s)" in out.stdout


def test_a_clash_writes_nothing(run: Run, project: Path, tmp_path: Path) -> None:
    assert run("add", "Token rules", "-p", "auth/tokens", "--body", "ours").returncode == 0
    exported = tmp_path / "theirs"
    assert run("export", str(exported)).returncode == 0
    entry = exported / "auth/tokens/token-rules.md"
    entry.write_text(entry.read_text().replace("ours", "theirs"))
    (exported / "auth/tokens/extra.md").write_text("---\ntitle: Extra\n---\nmore\n")
    out = run("import", "bundle", str(exported))
    assert out.returncode == 4 and "auth/tokens/token-rules.md" in out.stderr
    assert not (project / ".memory/auth/tokens/extra.md").exists()
