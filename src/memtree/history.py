"""Git history of the memory: commits with provenance trailers. The only gitpython user.

Until a memory is tracked by git, recording a change does nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .model import Change

if TYPE_CHECKING:
    from .memory import Memory


def record(memory: Memory, change: Change) -> None:
    """Commit one change (history lands with the git integration)."""
    del memory, change


def on_init(memory: Memory) -> None:
    """Set up history for a new memory root."""
    del memory
