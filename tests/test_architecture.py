"""The shape of the package is checked: no import circles at module level, each layer imports
only from its own layer or below, and each third-party library stays inside its one module."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "memtree"

# Layers, lowest first: a module may import from its own layer or any lower one. The longest
# matching prefix decides a module's layer. Type-only imports count too: a helper that takes the
# whole Memory to reach a root is an upward dependency even when it is only annotated.
LAYERS: dict[str, int] = {
    "memtree.model": 1, "memtree.record": 1, "memtree.errors": 1, "memtree.config": 1,
    "memtree.secretscan": 1, "memtree.framing": 1,  # pure text rules
    "memtree.entries": 2, "memtree.lifecycle": 2, "memtree.llm": 2,  # pure lifecycle and per-file lifecycle state
    "memtree.index": 3,
    "memtree.retrieval": 4, "memtree.history": 4,
    "memtree.lifecycle.service": 5, "memtree.health": 5, "memtree.imports": 5, "memtree.export": 5,
    "memtree.memory": 6,
    "memtree.agents": 7, "memtree.cli": 7, "memtree": 7, "memtree.__main__": 7,
    "memtree.resident": 7,  # runs the CLI's lean paths in a resident process
}

# Which of our modules may import each third-party library (one module per library).
OWNERS = {
    "frontmatter": {"entries/codec.py"},
    "yaml": {"entries/codec.py"},
    "git": {"history/git.py"},
    "sqlite3": {"index/db.py"},
    "watchdog": {"index/watch.py"},
    "mcp": {"agents/mcp_server.py"},
    "typer": {"cli/"},
    "rich": {"cli/"},
}


def _name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _is_type_checking(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(module: str, module_level: bool, path: Path | None = None) -> tuple[set[str], set[str]]:
    """(memtree modules, third-party top-level names) imported by `module` (read from `path`,
    by default its file). `module_level`: only statements run at import time (not in functions,
    not under TYPE_CHECKING)."""
    path = path or MODULES[module]
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    ours: set[str] = set()
    theirs: set[str] = set()

    def visit(body: list[ast.stmt], top: bool) -> None:
        for node in body:
            if _is_type_checking(node) and module_level:
                continue
            if isinstance(node, ast.Import) and (top or not module_level):
                for alias in node.names:
                    (ours if alias.name.startswith("memtree") else theirs).add(alias.name.split(".")[0]
                                                                               if not alias.name.startswith("memtree")
                                                                               else alias.name)
            elif isinstance(node, ast.ImportFrom) and (top or not module_level):
                if node.level:
                    base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                if not base.startswith("memtree"):
                    theirs.add(base.split(".")[0])
                    continue
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    ours.add(sub if sub in MODULES else base)
            inner_top = top and not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            for field in ("body", "orelse", "finalbody", "handlers"):
                inner = getattr(node, field, None)
                if isinstance(inner, list):
                    visit(inner, inner_top)

    visit(ast.parse(path.read_text()).body, True)
    return {m for m in ours if m in MODULES and m != module}, theirs


def _layer(module: str) -> int:
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return LAYERS[best]


def test_every_module_has_a_layer() -> None:
    assert all(_layer(m) for m in MODULES)


def test_layers_import_only_downward() -> None:
    upward = [f"{m} ({_layer(m)}) imports {t} ({_layer(t)})"
              for m in MODULES for t in sorted(_imports(m, module_level=False)[0]) if _layer(t) > _layer(m)]
    assert upward == []


def test_no_import_circles_at_module_level() -> None:
    graph = {m: _imports(m, module_level=True)[0] for m in MODULES}
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                walk(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            walk(start, [start])
    assert circles == []


def test_one_module_per_third_party_library() -> None:
    offenders = []
    for module, path in MODULES.items():
        rel = path.relative_to(SRC).as_posix()
        for lib in _imports(module, module_level=False)[1] & OWNERS.keys():
            allowed = OWNERS[lib]
            if rel not in allowed and not any(rel.startswith(a) for a in allowed if a.endswith("/")):
                offenders.append(f"{rel} imports {lib}")
    assert offenders == []


def test_the_checks_see_upward_lazy_and_type_only_imports(tmp_path: Path) -> None:
    """The checks above can fail: a lower module importing the facade is found whether the
    import runs at import time, inside a function or only for type checking."""
    fake = tmp_path / "store.py"
    fake.write_text("from __future__ import annotations\nimport sqlite3\nTYPE_CHECKING = False\n"
                    "if TYPE_CHECKING:\n    from ..memory import Memory\n"
                    "def f():\n    from ..retrieval import tiers\n")
    every, theirs = _imports("memtree.entries.store", module_level=False, path=fake)
    assert every == {"memtree.memory", "memtree.retrieval.tiers"} and theirs == {"__future__", "sqlite3"}
    assert _imports("memtree.entries.store", module_level=True, path=fake)[0] == set()
    assert all(_layer(m) > _layer("memtree.entries.store") for m in every)
