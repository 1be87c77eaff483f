"""`memtree import` on real files of several shapes: the example project's rules files (nested
headings, do/don't groups, a memtree marked block), a Cursor `.mdc` with frontmatter, decision
records in the Nygard and MADR templates (two superseded), re-runs and edited entries."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import Run
from memtree import Memory
from memtree.entries import store
from memtree.imports.apply import fingerprint, imported_meta
from memtree.imports.service import import_files

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "project"


@pytest.fixture
def shop(tmp_path: Path) -> Memory:
    """A copy of the example project in its own git repository, with an empty memory."""
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, dirs_exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=project, check=True)
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run(["git", "commit", "-qm", "Start the shop (#1)"], cwd=project, check=True)
    return Memory.init(project)


def entries(memory: Memory) -> dict[str, object]:
    found, problems = store.load_all(memory.root)
    assert problems == []
    return {e.path: e for e in found}


def test_rules_files_split_by_headings_and_bullet_groups(shop: Memory) -> None:
    report = import_files(shop.ws)
    found = entries(shop)
    titles = {e.title: e for e in found.values()}  # type: ignore[attr-defined]
    assert {"Commands", "Code style / Python: Do", "Code style / Python: Don't",
            "Code style / Naming", "Testing"} <= set(titles)
    dont = titles["Code style / Python: Don't"]
    assert dont.type == "convention" and "do-dont" in dont.tags
    assert "floats for amounts" in dont.body and "Type every public" not in dont.body
    commands = titles["Commands"]
    assert commands.type == "how-to" and "pytest -q" in commands.body
    meta = imported_meta(commands)
    lines = (EXAMPLE / "CLAUDE.md").read_text().splitlines()
    first, last = map(int, meta["lines"].split("-"))
    assert lines[first - 1] == "## Commands" and "ruff check" in lines[last - 1]
    assert commands.source.files == ("CLAUDE.md",)
    assert not any("memtree install" in e.body for e in found.values())  # type: ignore[attr-defined]
    assert report.found["claude-md"] == 1 and report.found["adr"] == 6


def test_code_named_in_a_section_is_anchored(shop: Memory) -> None:
    import_files(shop.ws)
    python = shop.get("Code style / Python: Do")
    assert [a.path for a in python.anchors] == ["src/shop/billing/invoices.py"]
    assert python.anchors[0].hash and python.anchors[0].commit
    findings = shop.lifecycle.check()
    assert findings and all(f.state == "ok" for f in findings)
    invoices = shop.root.parent / "src/shop/billing/invoices.py"
    invoices.write_text(invoices.read_text() + "\nVAT = 20\n")
    changed = {f.entry for f in shop.lifecycle.check() if f.state == "changed"}
    assert python.path in changed


def test_cursor_rule_keeps_its_frontmatter(shop: Memory) -> None:
    import_files(shop.ws)
    rule = shop.get("project/cursor-rules/testing/testing-rules")
    assert rule.summary == "How tests are written in this repository"
    meta = imported_meta(rule)
    assert meta["globs"] == "tests/**/*.py" and meta["kind"] == "cursor-rules"
    assert meta["lines"].startswith("6-")  # counted in the file, after the frontmatter
    assert "alwaysApply" not in rule.body


def test_decision_records_carry_status_and_supersession(shop: Memory) -> None:
    import_files(shop.ws)
    old = shop.get("decisions/adr/0001-store-amounts-as-floats")
    new = shop.get("decisions/adr/0003-store-amounts-in-integer-cents")
    assert old.type == "decision" and old.status.value == "superseded"
    assert [c.path for c in shop.lifecycle.chain(old.path)][-1] == new.path
    assert "superseded" in old.tags and "accepted" in new.tags
    madr = shop.get("decisions/decisions/0001-use-sqlite-for-tests")
    assert madr.title == "ADR 1: Use SQLite for tests" and "accepted" in madr.tags
    assert madr.summary.startswith('Chosen option: "SQLite')
    queue = shop.get("decisions/decisions/0002-queue-emails")
    assert queue.status.value == "superseded"
    assert "ADR-0002" in queue.aliases


def test_rerun_changes_nothing_and_never_duplicates(shop: Memory) -> None:
    import_files(shop.ws)
    before = {p: (shop.root / f"{p}.md").read_bytes() for p in entries(shop)}
    again = import_files(shop.ws)
    assert set(again.counts()) == {"unchanged"}
    after = {p: (shop.root / f"{p}.md").read_bytes() for p in entries(shop)}
    assert after == before


def test_changed_source_updates_and_edited_entries_are_left_alone(shop: Memory) -> None:
    import_files(shop.ws)
    project = shop.root.parent
    claude = project / "CLAUDE.md"
    claude.write_text(claude.read_text().replace("pytest -q", "pytest -q -x")
                      .replace("integer cents (see", "whole cents (see"))
    shop.update("Code style / Python: Do", body="Our own wording now.")
    report = import_files(shop.ws)
    actions = {o.path: o.action for o in report.outcomes}
    assert actions["project/claude-md/commands"] == "update"
    assert actions["project/claude-md/code-style-python-do"] == "edited"
    assert "pytest -q -x" in shop.get("Commands").body
    assert shop.get("Code style / Python: Do").body.strip() == "Our own wording now."
    mine = shop.get("Commands")
    assert imported_meta(mine)["written"] == fingerprint(mine)


def test_a_removed_section_is_reported_gone_not_deleted(shop: Memory) -> None:
    import_files(shop.ws)
    agents = shop.root.parent / "AGENTS.md"
    agents.write_text(agents.read_text().split("## Security")[0])
    report = import_files(shop.ws)
    gone = [o for o in report.outcomes if o.action == "gone"]
    assert [o.path for o in gone] == ["project/agents-md/security"]
    assert shop.get("project/agents-md/security")


def test_cli_dry_run_lists_and_writes_nothing(shop: Memory, run: Run) -> None:
    done = run("import", "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["dry_run"] is True and data["counts"]["add"] == 20
    assert data["counts"]["supersede"] == 2
    assert entries(shop) == {}
    shown = run("import")
    assert shown.returncode == 0 and "imported: 20 add, 2 supersede" in shown.stdout
    assert len(entries(shop)) == 20
    assert run("validate").returncode == 0


def test_init_offers_and_imports(tmp_path: Path, run: Run) -> None:
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, dirs_exist_ok=True)
    told = run("init", "--json")
    data = json.loads(told.stdout)
    assert data["found"]["adr"] == 6 and data["found"]["cursor-rules"] == 1
    assert data["imported"] == {} and not any((project / ".memory").glob("*/*/*.md"))
    shutil.rmtree(project / ".memory")
    done = run("init", "--import")
    assert done.returncode == 0, done.stderr
    assert "imported (files): 20 add, 2 supersede" in done.stdout


def test_an_unreadable_file_is_skipped_with_a_note(shop: Memory, run: Run) -> None:
    (shop.root.parent / "GEMINI.md").write_bytes(b"# Rules\n\n- caf\xe9 latin-1\n")
    done = run("import")
    assert done.returncode == 0, done.stderr
    assert "GEMINI.md: skipped: not readable UTF-8" in done.stderr
    assert "imported: 20 add, 2 supersede" in done.stdout


def test_imported_entries_pass_validate_and_doctor(shop: Memory, run: Run) -> None:
    """`imported` is memtree's own documented field: no `unknown field` warning for it, so
    `doctor` and `validate --strict` stay clean right after an import; a typo still warns."""
    assert run("import").returncode == 0
    assert run("import", "git").returncode == 0
    strict = run("validate", "--strict")
    assert "unknown field 'imported'" not in strict.stdout + strict.stderr, strict.stdout
    assert strict.returncode == 0, strict.stdout
    doctor = json.loads(run("doctor", "--json").stdout)
    assert not [f for f in doctor["findings"] if f["check"] == "invalid"], doctor["findings"]
    one = next(iter(entries(shop).values()))
    path = shop.root / f"{one.path}.md"  # type: ignore[attr-defined]
    path.write_text(path.read_text().replace("imported:", "importd:", 1))
    out = run("validate", "--strict")
    assert out.returncode == 10 and "unknown field 'importd' (did you mean 'imported'?)" in out.stdout
