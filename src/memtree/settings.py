"""`memtree config`: every setting memory reads, its default, and where its effective value comes
from (default, the user's config file, the memory's config.toml, the environment); reading one key
and setting one, checked by the same readers memory uses, written atomically under the lock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import config
from .config import Settings, Workspace
from .errors import InvalidEntry, UsageError

ENV_OVERRIDES = {"secrets.on_write": "MEMTREE_SECRETS"}
FIXED = {  # keys `config set` leaves to the command that keeps them consistent
    "format": "written by `memtree init`",
    "history.mode": "chosen by `memtree init --mode embedded|standalone` (docs/history.md)",
}


@dataclass(frozen=True)
class Value:
    """One setting: its key, effective value, where that comes from, and its default."""

    key: str
    value: Any
    source: str  # default | user | project | environment
    default: Any
    where: str = ""  # the file or variable it was read from

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value, "source": self.source,
                "default": self.default, "where": self.where}


def defaults() -> dict[str, Any]:
    """Every known key (dotted) and its default."""
    from .agents.inject import Options
    from .lifecycle.scores import Params
    from .llm.settings import LLMSettings

    out: dict[str, Any] = {"format": 1, "history.mode": "embedded", "history.autocommit": True,
                           "secrets.on_write": "refuse", "secrets.allow": []}
    out.update({f"agents.{k}": v for k, v in Options().__dict__.items()})
    llm = LLMSettings()
    out.update({f"llm.{k}": getattr(llm, k) for k in llm._names if k != "api_key"})
    params = Params()
    out.update({f"lifecycle.{k}": float(getattr(params, k)) for k in params._names})
    return out


def _lookup(raw: dict[str, Any], key: str) -> tuple[bool, Any]:
    node: Any = raw
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def effective(ws: Workspace) -> list[Value]:
    """Every known key with its value and source (environment > project > user > default)."""
    project_file, user_file = ws.root / config.CONFIG_NAME, config.user_config_file()
    project = config.read_toml(project_file) or {}
    user = {k: v for k, v in (config.read_toml(user_file) or {}).items() if k not in config.USER_SKIPS}
    out = []
    for key, default in defaults().items():
        found = Value(key, default, "default", default)
        for source, raw, where in (("user", user, user_file), ("project", project, project_file)):
            present, value = _lookup(raw, key)
            if present:
                found = Value(key, value, source, default, str(where))
        variable = ENV_OVERRIDES.get(key)
        if variable and config.env(variable):
            found = Value(key, config.env(variable), "environment", default, variable)
        out.append(found)
    return out


def get(ws: Workspace, key: str) -> Value:
    known = {v.key: v for v in effective(ws)}
    if key not in known:
        raise _unknown(key, list(known))
    return known[key]


def _unknown(key: str, known: list[str]) -> UsageError:
    import difflib

    close = difflib.get_close_matches(key, known, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}?" if close else "`memtree config` lists every key"
    return UsageError(f"config key {key!r}: no such setting", hint=hint)


def parse(key: str, text: str, default: Any) -> Any:
    """`text` as typed on the command line, read as the kind of value `key` holds."""
    kind = type(default)
    if kind is bool:
        if text.lower() not in ("true", "false"):
            raise InvalidEntry(f"config {key}: {text!r} is not true or false")
        return text.lower() == "true"
    if kind in (int, float):
        try:
            number: int | float = int(text) if kind is int else float(text)
        except ValueError:
            what = "an integer" if kind is int else "a number"
            raise InvalidEntry(f"config {key}: {text!r} is not {what}") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise InvalidEntry(f"config {key}: {text!r} is not a finite number")
        return number
    if kind is list:
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


def _check(key: str, raw: dict[str, Any]) -> None:
    """Run the reader that uses `key` over the new settings, so a bad value is refused now."""
    from .agents.inject import options
    from .lifecycle.scores import params_of
    from .llm.settings import read
    from .secretscan import policy

    settings = Settings(raw=raw)
    section = key.split(".", 1)[0]
    readers = {"agents": options, "llm": read, "lifecycle": params_of, "secrets": policy}
    if section in readers:
        try:
            readers[section](settings)
        except InvalidEntry as exc:
            raise InvalidEntry(f"config {key}: refused: {exc.message}") from exc
    if key == "llm.provider":
        _check_provider(settings.get("llm", {}).get("provider", ""))


def _check_provider(name: str) -> None:
    """The `[llm]` reader takes any name (a plugin may bring it); `set` checks it exists."""
    from . import llm

    if name and not llm.known(name):
        raise InvalidEntry(f"config llm.provider {name!r}: use one of {', '.join(llm.names())} "
                           "(or \"\" for none)")


def set_value(ws: Workspace, key: str, text: str, user: bool = False) -> Value:
    """Set `key` to `text` in the memory's config.toml (or the user's), checked first."""
    from .entries import store
    from .history.service import record
    from .model import Change

    known = defaults()
    if key not in known:
        raise _unknown(key, list(known))
    if key in FIXED:
        raise UsageError(f"config {key}: not set here; it is {FIXED[key]}")
    value = parse(key, text, known[key])
    file = config.user_config_file() if user else ws.root / config.CONFIG_NAME
    section, name = key.split(".", 1)
    with store.lock(ws.root):
        old = file.read_text(encoding="utf-8") if file.exists() else ("" if user else "format = 1\n")
        new = put(old, section, name, _toml(value))
        raw = config.read_toml_text(new, file)
        present, stored = _lookup(raw, key)
        if not present or stored != value:
            raise InvalidEntry(f"{file}: could not set {key} (edit the file by hand)")
        _check(key, config.merged(config.read_toml(config.user_config_file()) or {}, raw)
               if not user else raw)
        if new != old:
            store.atomic_write(file, new)
    if new != old and not user:
        record(ws, Change("config", (config.CONFIG_NAME,), f"config {key} = {_toml(value)}"))
    return Value(key, value, "user" if user else "project", known[key], str(file))


def put(text: str, section: str, name: str, value: str) -> str:
    """`text` with `name = value` in table `[section]`: the line replaced where it is, else added
    after the table's last line (the table added at the end when missing). Comments stay."""
    lines = text.splitlines()
    header = next((n for n, line in enumerate(lines) if line.strip() == f"[{section}]"), None)
    if header is None:
        lines += ([""] if lines and lines[-1].strip() else []) + [f"[{section}]", f"{name} = {value}"]
        return "\n".join(lines) + "\n"
    end = next((n for n in range(header + 1, len(lines)) if lines[n].lstrip().startswith("[")),
               len(lines))
    for n in range(header + 1, end):
        if lines[n].split("=", 1)[0].strip() == name:
            lines[n] = f"{name} = {value}"
            return "\n".join(lines) + "\n"
    last = max((n for n in range(header, end) if lines[n].strip()), default=header)
    lines.insert(last + 1, f"{name} = {value}")
    return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(json.dumps(str(v), ensure_ascii=False) for v in value) + "]"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)  # a TOML basic string


