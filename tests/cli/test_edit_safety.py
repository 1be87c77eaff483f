"""`memtree edit` never overwrites newer content with a kept copy, and repairs broken entries."""

from __future__ import annotations

from pathlib import Path

from conftest import Run


def _editor(tmp_path: Path, name: str, script: str) -> dict[str, str]:
    file = tmp_path / f"{name}.sh"
    file.write_text("#!/bin/sh\n" + script + "\n")
    file.chmod(0o755)
    return {"EDITOR": str(file)}


def _setup(run: Run, tmp_path: Path) -> Path:
    assert run("init").returncode == 0
    assert run("add", "Alpha", "-p", "x/one", "--body", "old body").returncode == 0
    return tmp_path / "project/.memory/x/one/alpha.md"


def test_a_kept_copy_never_undoes_later_changes(run: Run, tmp_path: Path) -> None:
    file = _setup(run, tmp_path)
    breaker = _editor(tmp_path, "break", "sed -i 's/^maturity: draft/maturity: drafty/' \"$1\"")
    assert run("edit", "alpha", env=breaker).returncode == 5  # the copy is kept
    assert run("edit", "alpha", "--summary", "Newer summary").returncode == 0
    with file.open("a") as handle:
        handle.write("a line added by hand\n")
    saver = _editor(tmp_path, "save", "sed -i 's/old body/edited body/' \"$1\"")
    out = run("edit", "alpha", env=saver)
    assert out.returncode == 0, out.stderr
    text = file.read_text()
    assert "Newer summary" in text and "a line added by hand" in text and "edited body" in text
    assert "maturity: draft\n" in text
    assert "the entry changed since you kept" in out.stderr
    edits = tmp_path / "project/.memory/.local/edits"
    aside = [p for p in edits.glob("x__one__alpha.*.md")]
    assert len(aside) == 1 and "maturity: drafty" in aside[0].read_text()  # both are kept


def test_the_kept_copy_is_offered_while_the_entry_is_unchanged(run: Run, tmp_path: Path) -> None:
    file = _setup(run, tmp_path)
    first = _editor(tmp_path, "first", "sed -i -e 's/old body/kept work/' "
                                       "-e 's/^maturity: draft/maturity: drafty/' \"$1\"")
    assert run("edit", "alpha", env=first).returncode == 5
    fix = _editor(tmp_path, "fix", "sed -i 's/^maturity: drafty/maturity: core/' \"$1\"")
    out = run("edit", "alpha", env=fix)
    assert out.returncode == 0, out.stderr
    assert "opening the text you kept" in out.stderr
    assert "kept work" in file.read_text() and "maturity: core" in file.read_text()
    assert list((tmp_path / "project/.memory/.local/edits").iterdir()) == []


def test_a_change_made_while_the_editor_is_open_is_not_overwritten(run: Run, tmp_path: Path) -> None:
    file = _setup(run, tmp_path)
    racer = _editor(tmp_path, "race", f"echo 'written meanwhile' >> '{file}'\n"
                                      "sed -i 's/old body/mine/' \"$1\"")
    out = run("edit", "alpha", env=racer)
    assert out.returncode == 4 and "changed since this edit began" in out.stderr
    assert "your text is kept in" in out.stderr
    assert "written meanwhile" in file.read_text() and "mine" not in file.read_text()


def test_edit_repairs_a_broken_entry(run: Run, tmp_path: Path) -> None:
    file = _setup(run, tmp_path)
    file.write_text(file.read_text().replace("maturity: draft", "maturity: drafty"))
    assert run("show", "alpha").returncode == 5
    fix = _editor(tmp_path, "fix", "sed -i 's/^maturity: drafty/maturity: validated/' \"$1\"")
    out = run("edit", "alpha", env=fix)
    assert out.returncode == 0, out.stderr
    assert "validated" in run("show", "alpha").stdout
    still = _editor(tmp_path, "still", "sed -i 's/^title: Alpha/title: [Alpha/' \"$1\"")
    assert run("edit", "x/one/alpha", env=still).returncode == 5
