"""Notes made by hand in a live vault (as Obsidian writes them: spaces and capitals in the name,
no frontmatter or only properties, other depths) in a real tree and git repository: `doctor`
reports each once, `doctor --fix` adopts the safe ones in one commit (frontmatter with an id, a
slug path, links following, no text lost) and names the exact fix for the others."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
from pathlib import Path

import pytest

from conftest import Run

NOTES = {
    "auth/tokens/Made in Obsidian.md": "# Heading\n\nText with [[sign-tokens]] and [[Quick note]].\n",
    "auth/Quick note.md": "Quick thought: rotate keys monthly.\n",
    "a/b/c/d/deep.md": "Deep down in the vault.\n",
    "auth/tokens/props.md": "---\ntags: [x]\ncssclasses: wide\n---\nProperties only.\n",
    "auth/tokens/Broken One.md": "---\ntitle: [unclosed\n---\nKeep me.\n",
}


@pytest.fixture
def vault(run: Run, tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    assert run("init").returncode == 0
    body = "See [[Made in Obsidian]] and [[auth/tokens/Made in Obsidian#Why|why]]."
    assert run("add", "Sign tokens", "-p", "auth/tokens", "--body", body).returncode == 0
    memory = project / ".memory"
    old = time.time() - 3600
    for rel, text in NOTES.items():
        (memory / rel).parent.mkdir(parents=True, exist_ok=True)
        (memory / rel).write_text(text)
        os.utime(memory / rel, (old, old))
    (memory / "auth/tokens/Fresh note.md").write_text("Still typing\n")  # just saved
    (memory / "Untitled.md").write_text("Made where Obsidian puts new notes.\n")
    (memory / "README.md").write_text("About this memory.\n")
    return memory


def _findings(run: Run, *args: str) -> tuple[int, list[dict[str, object]]]:
    out = run("doctor", "--json", *args)
    return out.returncode, json.loads(out.stdout)["findings"]


def test_doctor_reports_each_note_once_with_its_fix(run: Run, vault: Path) -> None:
    code, found = _findings(run)
    assert code == 10
    notes = {f["path"]: f for f in found if f["check"] == "note"}
    assert set(notes) == {*NOTES, "auth/tokens/Fresh note.md", "Untitled.md"}
    assert notes["auth/tokens/Made in Obsidian.md"]["severity"] == "warning"
    assert "auth/tokens/made-in-obsidian.md" in str(notes["auth/tokens/Made in Obsidian.md"]["fix"])
    broken = notes["auth/tokens/Broken One.md"]
    assert broken["severity"] == "error" and "frontmatter does not parse" in str(broken["message"])
    assert f"fix the frontmatter of {vault / 'auth/tokens/Broken One.md'}" in str(broken["fix"])
    assert "may still be being typed" in str(notes["auth/tokens/Fresh note.md"]["message"])
    invalid = {str(f["path"]).split(":")[0] for f in found if f["check"] == "invalid"}
    assert not invalid & set(notes)  # reported once, as a note


def test_a_note_at_the_top_is_reported_with_a_command_that_works(run: Run, vault: Path) -> None:
    _, found = _findings(run, "--fix")
    top = [f for f in found if f["path"] == "Untitled.md"]
    assert top and top[0]["severity"] == "info" and not top[0]["fixed"]
    assert not [f for f in found if f["path"] == "README.md"]
    assert (vault / "Untitled.md").exists()
    command = str(top[0]["fix"]).split(" (then")[0].replace("DOMAIN/TOPIC", "notes/inbox")
    out = run(*shlex.split(command)[1:])
    assert out.returncode == 0, out.stderr
    assert json.loads(run("show", "Untitled", "--json").stdout)["body"].startswith("Made where Obsidian")


def test_fix_adopts_the_safe_notes(run: Run, vault: Path) -> None:
    before = {rel: (vault / rel).read_bytes() for rel in ("auth/tokens/Broken One.md", "auth/tokens/Fresh note.md")}
    code, found = _findings(run, "--fix")
    assert code == 10  # the broken and the fresh note remain
    fixed = {f["path"]: f["fix"] for f in found if f["check"] == "note" and f["fixed"]}
    assert fixed == {"auth/tokens/Made in Obsidian.md": "adopted as auth/tokens/made-in-obsidian.md",
                     "auth/Quick note.md": "adopted as auth/general/quick-note.md",
                     "a/b/c/d/deep.md": "adopted as a/b/c/deep.md",
                     "auth/tokens/props.md": "adopted as auth/tokens/props.md"}
    for rel in ("auth/tokens/Made in Obsidian.md", "auth/Quick note.md", "a/b/c/d/deep.md"):
        assert not (vault / rel).exists()
    for rel, text in before.items():
        assert (vault / rel).read_bytes() == text  # not safe: untouched

    made = (vault / "auth/tokens/made-in-obsidian.md").read_text()
    assert made.startswith("---\nformat: 1\nid: ") and "\ntitle: Made in Obsidian\n" in made
    assert made.endswith("# Heading\n\nText with [[sign-tokens]] and [[auth/general/quick-note|Quick note]].\n")
    props = (vault / "auth/tokens/props.md").read_text()
    assert "tags: [x]" in props and "cssclasses: wide" in props and props.endswith("Properties only.\n")
    assert (vault / "auth/general/quick-note.md").read_text().endswith("Quick thought: rotate keys monthly.\n")
    assert (vault / "a/b/c/deep.md").read_text().endswith("Deep down in the vault.\n")
    linking = (vault / "auth/tokens/sign-tokens.md").read_text()
    assert ("See [[auth/tokens/made-in-obsidian|Made in Obsidian]] and "
            "[[auth/tokens/made-in-obsidian#Why|why]].") in linking
    assert not [f for f in found if f["check"] == "dangling"]

    shown = json.loads(run("show", "[[Made in Obsidian]]", "--json").stdout)
    assert shown["path"] == "auth/tokens/made-in-obsidian"
    log = subprocess.run(["git", "log", "--format=%s", "--name-only", "-1"], cwd=vault.parent,
                         capture_output=True, text=True, check=True).stdout
    assert log.startswith("adopt 4 note(s) made by hand")
    assert ".memory/auth/tokens/made-in-obsidian.md" in log and ".memory/auth/tokens/sign-tokens.md" in log

    old = time.time() - 3600
    os.utime(vault / "auth/tokens/Fresh note.md", (old, old))  # left alone since
    _, again = _findings(run, "--fix")
    assert "auth/tokens/Fresh note.md" in {f["path"] for f in again if f["fixed"]}
    assert (vault / "auth/tokens/fresh-note.md").read_text().endswith("Still typing\n")


def test_git_warns_only_of_files_memtree_commit_would_take(run: Run, tmp_path: Path) -> None:
    """A note at the top of the root and a README there are left alone by `memtree commit`, so
    `doctor` must not warn 'not committed' with `memtree commit` as the fix (it would fail
    forever); a valid entry written by hand in a new folder is counted, and committed by the fix."""
    project = tmp_path / "project"
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    assert run("init").returncode == 0
    memory = project / ".memory"
    (memory / "Untitled.md").write_text("Made where Obsidian puts new notes.\n")
    (memory / "README.md").write_text("About this memory.\n")
    code, found = _findings(run)
    assert not [f for f in found if f["check"] == "git"], found
    assert code == 0, found
    entry = memory / "ops" / "deploys" / "by-hand.md"
    entry.parent.mkdir(parents=True)
    entry.write_text("---\nid: 0123456789\ntitle: By hand\n---\nWritten in an editor.\n")
    code, found = _findings(run)
    git = [f for f in found if f["check"] == "git"]
    assert code == 10 and len(git) == 1 and "1 memory file(s) not committed" in str(git[0]["message"])
    assert run("commit").returncode == 0
    code, found = _findings(run)
    assert code == 0 and not [f for f in found if f["check"] == "git"], found
