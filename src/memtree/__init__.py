"""memtree: a filesystem-native, git-backed memory for coding agents.

The public API: `Memory` (open or init a root, then call its methods), the value types in
`memtree.model`, and the errors in `memtree.errors`. CLI, MCP and agent hooks use only these.
"""

from __future__ import annotations

__all__ = ["Memory", "MemtreeError", "Entry", "Hit", "Result", "Tier", "__version__"]
__version__ = "0.1.0"

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~5 ms at start-up)
if TYPE_CHECKING:
    from typing import Any

    from .errors import MemtreeError
    from .memory import Memory
    from .model import Entry, Hit, Result, Tier


def __getattr__(name: str) -> Any:
    # Lazy: `import memtree` stays cheap for the hook path.
    if name == "Memory":
        from .memory import Memory

        return Memory
    if name == "MemtreeError":
        from .errors import MemtreeError

        return MemtreeError
    if name in ("Entry", "Hit", "Result", "Tier"):
        from . import model

        return getattr(model, name)
    raise AttributeError(name)
