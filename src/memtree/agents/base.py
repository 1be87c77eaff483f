"""The contract every agent module meets: the names the hook runner and the installer use.
A typing Protocol that mypy checks each registered module against (the registry is typed with
it); nothing here runs, so the hook path imports no typing."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any, Protocol

    from .install import Target

    class Agent(Protocol):
        """One coding agent: its name, hook events, payload readers, outputs and install targets.
        Optional names read with getattr: `is_compaction`, `compression_mark`, `RESUME_KEEPS_CONTEXT`,
        `WRITE_CALL`, `READ_TOOLS`, `user_level_targets`."""

        @property
        def NAME(self) -> str: ...
        @property
        def EVENTS(self) -> Mapping[str, str]: ...  # the agent's event (by event_key) -> action
        @property
        def HOOK_EVENTS(self) -> Sequence[str]: ...  # the events install registers, as spelled
        @property
        def EMPTY(self) -> str: ...  # what to print when there is nothing to say

        def session_of(self, payload: dict[str, Any]) -> str | None: ...
        def project_of(self, payload: dict[str, Any]) -> str | None: ...
        def source_of(self, payload: dict[str, Any]) -> str: ...
        def prompt_of(self, payload: dict[str, Any]) -> str: ...
        def stop_active(self, payload: dict[str, Any]) -> bool: ...
        def context(self, event: str, text: str) -> str: ...
        def remind(self, event: str, text: str) -> str: ...
        def targets(self, cmd: str) -> list[Target]: ...
