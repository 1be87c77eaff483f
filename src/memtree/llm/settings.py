"""The `[llm]` table of config.toml read and checked, with the API key taken from the environment
variable it names: which provider, model and endpoint, limits (timeout, tokens per call and per
day), and the switches for escalation and curation. Naming any key of the wrong type.
"""

from __future__ import annotations

from ..errors import InvalidEntry
from ..record import Record, record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any

    from ..config import Settings

DEFAULT_KEYS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
DEFAULT_URLS = {"openai": "https://api.openai.com/v1", "anthropic": "https://api.anthropic.com"}


@record
class LLMSettings(Record):
    """What `[llm]` says (defaults when absent). `provider = ""` means none is configured."""

    provider: str = ""
    model: str = ""
    base_url: str = ""
    api_key_env: str = ""
    api_key: str = ""  # read from the environment, never from config.toml
    timeout: float = 60.0
    max_tokens: int = 1024
    daily_tokens: int = 200_000
    retries: int = 3
    escalate: bool = True  # use the model when the confidence gate is unsure (if configured)
    candidates: int = 30
    curate_on_end: bool = False

    @property
    def configured(self) -> bool:
        return bool(self.provider)

    def public(self) -> dict[str, Any]:
        """The settings as shown to people: the key's variable, never the key."""
        out = {k: v for k, v in self.to_dict().items() if k != "api_key"}
        out["api_key_set"] = bool(self.api_key)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._names}


def read(settings: Settings) -> LLMSettings:
    """`[llm]` of `settings`, checked; the key from the variable `api_key_env` names."""
    from ..config import env

    table = settings.get("llm", {})
    if not isinstance(table, dict):
        raise InvalidEntry("config.toml: [llm] must be a table")
    defaults = LLMSettings()
    values: dict[str, Any] = {}
    for name in defaults._names:
        if name == "api_key" or name not in table:
            continue
        values[name] = _checked(name, table[name], getattr(defaults, name))
    unknown = sorted(set(table) - set(defaults._names) - {"api_key"})
    if unknown:
        raise InvalidEntry(f"config.toml: [llm] {unknown[0]}: unknown key")
    if "api_key" in table:
        raise InvalidEntry("config.toml: [llm] api_key: keys are read from the environment; "
                           "set api_key_env to the variable's name")
    chosen = LLMSettings(**values)
    var = chosen.api_key_env or DEFAULT_KEYS.get(chosen.provider, "")
    url = chosen.base_url or DEFAULT_URLS.get(chosen.provider, "")
    return LLMSettings(**{**chosen.to_dict(), "api_key_env": var, "base_url": url.rstrip("/"),
                          "api_key": (env(var) or "") if var else ""})


def _checked(name: str, value: Any, default: Any) -> Any:
    kind = type(default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
    if not ok or (kind in (int, float) and not 0 < value < float("inf")):
        what = "a positive number" if kind in (int, float) else f"a {kind.__name__}"
        raise InvalidEntry(f"config.toml: [llm] {name} must be {what}")
    return value
