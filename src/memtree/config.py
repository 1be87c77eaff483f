"""Settings and root discovery; the only module that reads os.environ.

Precedence for the root: explicit argument (--root) > MEMTREE_ROOT > the nearest
`.memory/` walking up from the working directory > NoRoot with a hint to run `memtree init`.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InvalidEntry, NoRoot

ROOT_NAME = ".memory"
CONFIG_NAME = "config.toml"
ENV_ROOT = "MEMTREE_ROOT"


@dataclass(frozen=True)
class Settings:
    """The parsed `config.toml` of a memory root (unknown keys kept in `raw`)."""

    format: int = 1
    raw: dict[str, Any] = field(default_factory=dict)

    def get(self, dotted: str, default: Any = None) -> Any:
        node: Any = self.raw
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node


def env(name: str, default: str | None = None) -> str | None:
    """Read one environment variable (the single place memtree does)."""
    return os.environ.get(name, default)


def is_root(path: Path) -> bool:
    return (path / CONFIG_NAME).is_file()


def find_root(explicit: str | os.PathLike[str] | None = None, cwd: Path | None = None) -> Path:
    """Resolve the memory root following the documented precedence."""
    chosen = explicit if explicit is not None else env(ENV_ROOT)
    if chosen:
        path = Path(chosen).expanduser().resolve()
        if is_root(path):
            return path
        if is_root(path / ROOT_NAME):
            return path / ROOT_NAME
        origin = "--root" if explicit is not None else ENV_ROOT
        raise NoRoot(
            f"{origin} {chosen}: not a memtree root (no {CONFIG_NAME})",
            hint=f"run `memtree init {chosen}` to create one",
        )
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / ROOT_NAME
        if is_root(candidate):
            return candidate
        if folder.name == ROOT_NAME and is_root(folder):
            return folder
    raise NoRoot(
        f"no {ROOT_NAME}/ found in {here} or any parent folder",
        hint="run `memtree init` in your project, or pass --root DIR",
    )


def load_settings(root: Path) -> Settings:
    path = root / CONFIG_NAME
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidEntry(f"{path}: invalid TOML: {exc}") from exc
    fmt = raw.get("format", 1)
    if not isinstance(fmt, int):
        raise InvalidEntry(f"{path}: field 'format' must be an integer")
    return Settings(format=fmt, raw=raw)


def default_author() -> str:
    """`person:<name>` from MEMTREE_AUTHOR, else the login name."""
    name = env("MEMTREE_AUTHOR")
    if name:
        return name if ":" in name else f"person:{name}"
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        user = "unknown"
    return f"person:{user}"


def editor() -> str:
    return env("VISUAL") or env("EDITOR") or "vi"
