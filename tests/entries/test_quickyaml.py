"""The YAML subset reader: whatever it accepts equals PyYAML's safe_load, type for type."""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from memtree.entries import codec, quickyaml
from memtree.model import Entry, Relation, Source

ROOT = Path(__file__).resolve().parents[2]


def same(a: Any, b: Any) -> bool:
    """Equal values of equal types all the way down (so True is not 1, nor a date a datetime)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dt.datetime):
        return a == b and a.tzinfo == b.tzinfo
    return bool(a == b)


def check(text: str) -> bool:
    """Assert the reader agrees with PyYAML or declines; True when it accepted."""
    quick = quickyaml.load(text)
    if quick is None:
        return False
    try:
        full = yaml.load(text, Loader=codec._loader())  # the loader memtree reads with
    except yaml.YAMLError:
        pytest.fail(f"accepted what PyYAML rejects: {text!r}")
    assert same(quick, full or {}), (text, quick, full)
    return True


def frontmatter_of(text: str) -> str:
    parts = codec.split_fences(text)
    assert len(parts) == 3
    return parts[1]


def test_every_example_entry_and_template_is_read_without_pyyaml() -> None:
    files = [*(ROOT / ".memory-example").rglob("*.md"), *(ROOT / "templates").rglob("*.md")]
    assert len(files) > 70
    for file in files:
        assert check(frontmatter_of(file.read_text(encoding="utf-8"))), file


EDGES = [
    "a: yes", "a: No", "a: on", "a: OFF", "a: y", "a: n", "a: ~", "a: null", "a: Null", "a:",
    "a: true", "a: True", "a: false", "a: 0", "a: 12", "a: -3", "a: +3", "a: 007", "a: 0o7",
    "a: 0x1F", "a: 0b101", "a: 1_000", "a: 1.5", "a: 1e3", "a: 1.0e+3", "a: .5", "a: .inf",
    "a: .NaN", "a: 190:20:30", "a: 1:2", "a: 2025-09-12", "a: 2025-09-12T08:45:00Z",
    "a: 2025-09-12 08:45:00", "a: 2025-9-12T8:45:00Z", "a: 2025-09-12T08:45:00.5Z",
    "a: 2025-09-12T08:45:00+02:00", "a: 9pr41c4vwp", "a: 3d", "a: e2d7a40", "a: 1e10000",
    "a: x # comment", "a: x#y", "a: 'it''s'", "a: ''", 'a: ""', 'a: "say \\"hi\\""',
    'a: "tab\\there"', 'a: "\\u00e9t\\u00e9"', 'a: "\\ud83d"', 'a: "\\x41"', 'a: "a\\/b"',
    "a: [x, y]", "a: [x,y]", "a: []", "a: [x, ]", "a: [ x , y ]", "a: [x, [y, z]]",
    "a: [a:b, c]", "a: [a: b]", "a: {}", "a: {k: v}", "a: {k: [1, 2], j: {x: y}}",
    "a: {k: v, k: w}", "a: {k:v}", 'a: ["x, y", "z]"]', "a: [x] trailing", "a: x: y",
    "a: x\nb: y", "a: x\na: y", "a: x\n  continued", "a:\n  - {type: t, target: x}",
    "a:\n  - x\n  - 2", "a:\n- x", "a:\n  b: c", "a: |\n  text", "a: >\n  text", "a: &x v",
    "a: *x", "a: !!str 1", "a: %x", "a: @x", "a: `x", "a: -x", "a: - x", "a: ?x", "a: :x",
    "a: x:", "a: x\t", "a: é ü 中文", "a: ok\u0085", "a: \ufeffx", "a: <<", "a: =",
    "a: x [y] {z}", "a: x, y", "a: x | y", "a: x > y", "a: x ~", "a: Yes", "a: NULL", "a: x\\y",
    "a: x`y", "a: x' y", 'a: x" y', "a: x%y", "a: x @y", "a: x & *y", "a: x -", "a: x!", "a: On",
    "a:\n  - x [y]\n  - Off", "a: x ?", "a: x=y", "a: x ^ $ |",
    "1: x", "a b: x", "-a: x", "a-b: x", "a_b: x", "A: x", "a: x   ", "", "\n\n", "# c\na: x",
]


@pytest.mark.parametrize("text", EDGES)
def test_edge_cases_agree_or_decline(text: str) -> None:
    check(text)


ALPHABET = list("abcxyz019 -_:,#'\"[]{}!&*?|>%@`.~+=\\/é\t") + [" #", ": ", "yes", "null", "0x"]


def random_text(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12)))


def rendered(words: list[str], n: int) -> str:
    item = Entry(
        id=codec.new_id(), title=words[0].strip() or "t", path="a/b/c", summary=words[1],
        tags=tuple(w for w in words[2:4] if w.strip()),
        aliases=(words[4],) if words[4].strip() else (),
        relations=(Relation("relates_to", "a/b/" + (words[5].strip() or "x")),),
        source=Source(f"person:{words[5]}", session=words[3] or None, files=(words[2],)),
        created="2026-01-01T00:00:00Z", updated="2026-02-01T00:00:00Z",
        extra=(("note", words[1]), ("count", n), ("flag", n % 2 == 0)))
    return frontmatter_of(codec.render(item))


def test_rendered_entries_with_hostile_text_agree_or_decline() -> None:
    rng = random.Random(5)
    for n in range(600):
        check(rendered([random_text(rng) for _ in range(6)], n))
        check(rendered([random_text(rng) for _ in range(6)], n).replace("count: ", "ratio: 0."))


PROSE = ("Use pgbouncer in transaction mode: the pool is small. Tokens (JWT) are signed with RS256; "
         "see src/auth/jwt.py, `auth.jwt.sign` and #42. It's \"fine\" — 100% of calls, 3 retries, "
         "v2.1 beta! Ask @maya? Ünïcode, 中文, emoji 🚀 & more [draft] {x}").split()


def test_ordinary_entries_are_read_without_pyyaml() -> None:
    rng = random.Random(7)
    accepted = sum(check(rendered([" ".join(rng.sample(PROSE, rng.randint(1, 8)))
                                   for _ in range(6)], n)) for n in range(400))
    assert accepted >= 0.9 * 400  # most of what memtree writes skips the full parser


def test_random_lines_agree_or_decline() -> None:
    rng = random.Random(11)
    for _ in range(3000):
        check(f"k: {random_text(rng)}")
        check(f"k: [{random_text(rng)}, {random_text(rng)}]")
        check(f"k: {{a: {random_text(rng)}, b: [{random_text(rng)}]}}")


def test_parsing_a_plain_entry_imports_no_yaml() -> None:
    code = ("import sys; from memtree.entries import codec as entry; "
            f"entry.parse(open({str(next((ROOT / '.memory-example').rglob('*/*/*.md')))!r}).read()); "
            "print(sorted(m for m in ('yaml', 'frontmatter') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
