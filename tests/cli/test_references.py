"""Entries named every way a person types them, "did you mean" on a miss, code anchors from the
current folder, one rule for `mv` destinations, and slugs that keep any script's titles apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Run
from memtree.entries.layout import slugify


@pytest.fixture
def project(run: Run, tmp_path: Path) -> Path:
    run("init")
    run("add", "JWT signing", "-p", "auth/tokens")
    return tmp_path / "project"


@pytest.mark.parametrize(("ref", "where"), [
    ("auth/tokens/jwt-signing", "."),
    ("auth/tokens/jwt-signing.md", "."),
    (".memory/auth/tokens/jwt-signing.md", "."),
    (".memory/auth/tokens/jwt-signing", "."),
    ("tokens/jwt-signing.md", ".memory/auth"),
    ("jwt-signing.md", ".memory/auth/tokens"),
    ("../tokens/jwt-signing.md", ".memory/auth/tokens"),
    ("[[jwt-signing]]", "."),
    ("[[auth/tokens/jwt-signing|the signing note]]", "."),
    ("jwt-signing", "."),
    ("JWT Signing", "."),
])
def test_every_form_resolves(run: Run, project: Path, ref: str, where: str) -> None:
    out = run("show", ref, "--json", cwd=project / where)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["path"] == "auth/tokens/jwt-signing"


def test_absolute_path_and_id(run: Run, project: Path) -> None:
    file = project / ".memory" / "auth" / "tokens" / "jwt-signing.md"
    made = json.loads(run("show", str(file), "--json").stdout)
    assert run("show", made["id"], "--json", cwd=project.parent).returncode == 6  # no root there
    assert json.loads(run("show", made["id"], "--json").stdout)["path"] == made["path"]


def test_a_file_outside_the_root_is_not_an_entry(run: Run, project: Path) -> None:
    (project / "notes.md").write_text("# not memory\n")
    out = run("show", "notes.md")
    assert out.returncode == 3


def test_miss_suggests_the_closest(run: Run, project: Path) -> None:
    out = run("show", "jwt-signin")
    assert out.returncode == 3
    assert "did you mean auth/tokens/jwt-signing?" in out.stderr


def test_anchor_path_from_the_current_folder(run: Run, project: Path) -> None:
    code = project / "src" / "auth"
    code.mkdir(parents=True)
    (code / "sign.py").write_text("def sign():\n    return 1\n")
    out = run("anchor", "jwt-signing", "sign.py#sign", cwd=code)
    assert out.returncode == 0, out.stderr
    anchors = json.loads(run("show", "jwt-signing", "--json").stdout)["anchors"]
    assert [a["path"] for a in anchors] == ["src/auth/sign.py"]


def test_mv_destination_rule(run: Run, project: Path) -> None:
    ident = json.loads(run("show", "jwt-signing", "--json").stdout)["id"]

    def moved(dest: str) -> str:
        out = run("mv", ident, dest, "--json")
        assert out.returncode == 0, out.stderr
        return str(json.loads(out.stdout)["path"])

    assert moved("auth/keys") == "auth/keys/jwt-signing"  # two parts: a folder
    assert moved("auth/keys/jwt-signing-v2") == "auth/keys/jwt-signing-v2"  # new: a rename
    run("add", "Rotation", "-p", "auth/keys/rotation")
    assert moved("auth/keys/rotation") == "auth/keys/rotation/jwt-signing-v2"  # existing folder
    assert moved("auth/keys/fresh/") == "auth/keys/fresh/jwt-signing-v2"  # trailing '/': folder
    assert moved("auth/keys/sign.md") == "auth/keys/sign"  # '.md': the entry path
    assert moved("auth/keys/rotation/jwt") == "auth/keys/rotation/jwt"  # four parts: entry


@pytest.mark.parametrize(("title", "slug"), [
    ("Проверка токенов", "proverka-tokenov"),
    ("Λογαριασμός χρήστη", "logariasmos-christi"),
    ("Crème brûlée über straße", "creme-brulee-uber-strasse"),
    ("トークンの検証", "トークンの検証"),
    ("מפתח סודי", "מפתח-סודי"),
    ("!!!", "entry"),
])
def test_slugs_keep_any_script(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_titles_in_one_script_stay_apart_and_the_hint_keeps_both(run: Run, project: Path) -> None:
    first = run("add", "トークンの検証", "-p", "auth/tokens", "--json")
    second = run("add", "セッションの検証", "-p", "auth/tokens", "--json")
    assert json.loads(first.stdout)["path"] != json.loads(second.stdout)["path"]
    again = run("add", "トークンの検証", "-p", "auth/tokens")
    assert again.returncode == 4
    assert "--slug トークンの検証-2" in again.stderr and "--force would replace" in again.stderr
    follow = run("add", "トークンの検証", "-p", "auth/tokens", "--slug", "トークンの検証-2")
    assert follow.returncode == 0, follow.stderr
    assert run("validate").returncode == 0
