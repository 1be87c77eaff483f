"""Settings and root discovery; the only module that reads os.environ.

Precedence for the root: explicit argument (--root) > MEMTREE_ROOT > the nearest
`.memory/` walking up from the working directory > NoRoot with a hint to run `memtree init`.
"""

from __future__ import annotations

import os
from dataclasses import field
from pathlib import Path

from .errors import InvalidEntry, NoRoot
from .record import Record, record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any

ROOT_NAME = ".memory"
CONFIG_NAME = "config.toml"
ENV_ROOT = "MEMTREE_ROOT"
ENV_PERSONAL = "MEMTREE_PERSONAL"  # the personal memory's folder, or `off`


@record
class Settings(Record):
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


@record
class Workspace(Record):
    """A memory root, its settings and who is acting on it (for provenance): what every helper
    below `Memory` needs, so none of them takes the whole `Memory`."""

    root: Path
    settings: Settings
    actor: str
    tool: str = "cli"
    session: str | None = None

    @classmethod
    def at(cls, root: Path, settings: Settings | None = None, actor: str | None = None,
           tool: str = "cli", session: str | None = None) -> Workspace:
        return cls(root, settings or load_settings(root), actor or default_author(), tool, session)


def env(name: str, default: str | None = None) -> str | None:
    """Read one environment variable (the single place memtree does)."""
    return os.environ.get(name, default)


def is_root(path: Path) -> bool:
    return (path / CONFIG_NAME).is_file()


def check_root(root: Path) -> None:
    """A root reached through a symbolic link must stay inside the folder that holds the link."""
    if not os.path.islink(root):
        return
    home = os.path.realpath(root.parent)
    target = os.path.realpath(root)
    if os.path.commonpath([home, target]) != home:
        from .errors import UnsafeState

        raise UnsafeState(f"{root}: is a symbolic link leading out of {root.parent} (to {target}); "
                          "refusing to use it as memtree state",
                          hint="memtree never creates links among its own state; the repository "
                               "may be hostile. Inspect it, or pass --root to use it on purpose")


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
            check_root(candidate)  # a cloned `.memory` link must not lead out
            return candidate
        if folder.name == ROOT_NAME and is_root(folder):
            return folder
    raise NoRoot(
        f"no {ROOT_NAME}/ found in {here} or any parent folder",
        hint="run `memtree init` in your project, or pass --root DIR",
    )


def personal_root() -> Path | None:
    """Where the personal memory lives (whether or not it exists yet): MEMTREE_PERSONAL, else
    `$XDG_DATA_HOME/memtree`, else `~/.memtree`; None when MEMTREE_PERSONAL is `off`."""
    chosen = env(ENV_PERSONAL)
    if chosen:
        return None if chosen.strip().lower() == "off" else Path(chosen).expanduser().resolve()
    data = env("XDG_DATA_HOME")
    if data:
        return Path(data).expanduser().resolve() / "memtree"
    return Path(env("HOME") or "~").expanduser().resolve() / ".memtree"


def personal_beside(root: Path) -> Path | None:
    """The personal memory to query together with the memory at `root`: the personal root when
    it exists and is another root, else None."""
    found = personal_root()
    if found is None or not is_root(found) or found == root.resolve():
        return None
    return found


def load_settings(root: Path) -> Settings:
    """The root's config.toml over the user's (`user_config_file()`, whose `format` and
    `[history]` are not used: they describe one memory)."""
    raw = read_toml(root / CONFIG_NAME) or {}
    user = read_toml(user_config_file())
    if user:
        raw = merged({k: v for k, v in user.items() if k not in USER_SKIPS}, raw)
    fmt = raw.get("format", 1)
    if not isinstance(fmt, int):
        raise InvalidEntry(f"{root / CONFIG_NAME}: field 'format' must be an integer")
    if "secrets" in raw:  # the allow-list also applies where output is masked
        from . import secretscan

        secretscan.ALLOWED = secretscan.policy(Settings(format=fmt, raw=raw))[1]
    return Settings(format=fmt, raw=raw)


USER_SKIPS = ("format", "history")


def user_config_file() -> Path:
    """The user's settings for every memory: `$XDG_CONFIG_HOME/memtree/config.toml`, else
    `~/.config/memtree/config.toml`."""
    base = env("XDG_CONFIG_HOME") or str(Path(env("HOME") or "~").expanduser() / ".config")
    return Path(base) / "memtree" / CONFIG_NAME


def read_toml(path: Path) -> dict[str, Any] | None:
    """A TOML file's tables (None when there is no file), naming the file when it is invalid."""
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except UnicodeDecodeError as exc:
        raise InvalidEntry(f"{path}: invalid TOML: {exc}") from exc
    return read_toml_text(text, path)


def read_toml_text(text: str, path: Path) -> dict[str, Any]:
    raw = flat_toml(text)
    if raw is None:
        import tomllib

        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidEntry(f"{path}: invalid TOML: {exc}") from exc
    return raw


def merged(low: dict[str, Any], high: dict[str, Any]) -> dict[str, Any]:
    """`high` over `low`, table by table."""
    out = dict(low)
    for key, value in high.items():
        below = out.get(key)
        out[key] = merged(below, value) if isinstance(below, dict) and isinstance(value, dict) else value
    return out


# Flat TOML, one line: blank, a [table] or a `key = value`, then an optional comment. Control
# characters other than tab are refused, as tomllib refuses them. Read with string methods: the
# regular expression this replaced took 2-4 ms to compile in every query and hook process.
_NAME = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_CONTROL = frozenset(map(chr, (*range(0x09), *range(0x0A, 0x20), 0x7F)))
_DIGITS = frozenset("0123456789")


def flat_toml(text: str) -> dict[str, Any] | None:
    """`text` as tomllib reads it when it is flat TOML like the config.toml memtree writes, else
    None (tomllib then reads it, or says what is wrong). Saves a query or a hook importing
    tomllib, and typing with it: ~10 ms at start-up on a slow machine."""
    data: dict[str, Any] = {}
    table = data
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        found = _flat_line(line.removesuffix("\r") if number < len(lines) else line)
        if found is None:
            return None
        name, key, value = found
        if name is not None:
            if name in data:
                return None  # defined twice: tomllib names the error
            table = data[name] = {}
        elif key is not None and value is not None:
            if key in table:
                return None
            table[key] = _flat_value(value)
    return data


def _flat_line(line: str) -> tuple[str | None, str | None, str | None] | None:
    """(table, key, value text) of one flat line, each None where absent; None if not flat."""
    rest = line.lstrip(" \t")
    table = key = value = None
    if rest[:1] == "[":
        end = rest.find("]")
        table = rest[1:end].strip(" \t") if end > 0 else ""
        if not table or not _NAME.issuperset(table):
            return None
        rest = rest[end + 1:]
    elif rest and rest[0] in _NAME:
        size = next((i for i, char in enumerate(rest) if char not in _NAME), len(rest))
        key, rest = rest[:size], rest[size:].lstrip(" \t")
        if rest[:1] != "=":
            return None
        value, rest = _flat_value_text(rest[1:].lstrip(" \t"))
        if value is None:
            return None
    rest = rest.lstrip(" \t")
    if rest and (rest[0] != "#" or not _CONTROL.isdisjoint(rest)):
        return None
    return table, key, value


def _flat_value_text(rest: str) -> tuple[str | None, str]:
    """The value at the start of `rest` (a simple string, boolean or number) and what follows."""
    quote = rest[:1]
    if quote in ("\"", "'") and quote:
        end = rest.find(quote, 1)
        body = rest[1:end]
        if end < 0 or not _CONTROL.isdisjoint(body) or (quote == '"' and "\\" in body):
            return None, ""
        return rest[:end + 1], rest[end + 1:]
    size = next((i for i, char in enumerate(rest) if char in " \t#"), len(rest))
    token = rest[:size]
    digits = token[1:] if token[:1] == "-" else token
    whole, dot, fraction = digits.partition(".")
    number = (bool(whole) and _DIGITS.issuperset(whole) and (whole == "0" or whole[0] != "0")
              and (not dot or (bool(fraction) and _DIGITS.issuperset(fraction))))
    return (token, rest[size:]) if number or token in ("true", "false") else (None, "")


def _flat_value(text: str) -> str | bool | int | float:
    if text[0] in "\"'":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    return float(text) if "." in text else int(text)


def default_author() -> str:
    """`person:<name>` from MEMTREE_AUTHOR, else the login name."""
    name = env("MEMTREE_AUTHOR")
    if name:
        return name if ":" in name else f"person:{name}"
    # The login name as getpass.getuser() finds it (without importing getpass and termios).
    user = next((v for v in map(env, ("LOGNAME", "USER", "LNAME", "USERNAME")) if v), None)
    if not user:
        try:
            import pwd

            user = pwd.getpwuid(os.getuid()).pw_name
        except Exception:  # noqa: BLE001 - no login name in some containers
            user = "unknown"
    return f"person:{user}"


def editor() -> str:
    return env("VISUAL") or env("EDITOR") or "vi"
