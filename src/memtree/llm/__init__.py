"""The LLM tier's common ground: the `Provider` protocol, `Completion`, and the registry that
built-in providers join like any other (`register`, `make`). No provider module is imported
here; each is imported when chosen (other packages' through `memtree.llm` entry points).
"""

from __future__ import annotations

from ..record import Record, record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Protocol

    from .settings import LLMSettings

    class Provider(Protocol):
        """What every model behind memtree answers: chat messages in, text and usage out."""

        name: str
        model: str

        def complete(self, messages: list[dict[str, str]], *, max_tokens: int,
                     timeout: float) -> Completion: ...

    Factory = Callable[[LLMSettings], Provider]


@record
class Completion(Record):
    """A model's answer and the tokens it cost (estimated when the provider does not say)."""

    text: str
    input_tokens: int = 0
    output_tokens: int = 0
    model: str = ""

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


_REGISTRY: dict[str, Factory] = {}
BUILT_IN = {"openai": "providers", "anthropic": "providers", "claude": "agentcli",
            "codex": "agentcli", "gemini": "agentcli"}


def register(name: str, factory: Factory) -> None:
    """Make `factory(settings) -> Provider` available as `[llm] provider = "<name>"`."""
    _REGISTRY[name] = factory


def names() -> list[str]:
    return sorted(set(_REGISTRY) | set(BUILT_IN))


def known(name: str) -> bool:
    """Whether a provider of that name exists: built in, registered or a plugin's."""
    if name not in _REGISTRY and name not in BUILT_IN:
        _plugins()
    return name in _REGISTRY or name in BUILT_IN


def make(settings: LLMSettings) -> Provider:
    """The provider `settings.provider` names (its module imported now, registering itself)."""
    from ..errors import LLMError

    if settings.provider not in _REGISTRY and settings.provider in BUILT_IN:
        import importlib

        importlib.import_module(f"{__name__}.{BUILT_IN[settings.provider]}")
    if settings.provider not in _REGISTRY:
        _plugins()
    factory = _REGISTRY.get(settings.provider)
    if factory is None:
        raise LLMError(f"config.toml: [llm] provider {settings.provider!r}: expected one of "
                       f"{', '.join(names())}")
    return factory(settings)


def _plugins() -> None:
    """Providers other packages declare (entry points in the `memtree.llm` group, each a
    factory named like the provider) join the registry as the built-ins do."""
    from importlib.metadata import entry_points

    for point in entry_points(group="memtree.llm"):
        if point.name not in _REGISTRY:
            register(point.name, point.load())


def estimate_tokens(text: str) -> int:
    """About four characters a token: what budgets count before a provider reports usage."""
    return max(1, len(text) // 4)
