"""What a short-lived process (a query, an agent hook) defers at start: standard modules that
other standard modules import at their top but these paths never use. A deferred module stands in
`sys.modules` until an attribute of it is read, then the real one is imported in its place.
Costs on a slow machine: `inspect` (with ast, dis, tokenize) ~7 ms, imported by `dataclasses`;
`ipaddress` ~1.2 ms, by `urllib.parse` (via `pathlib`); `ntpath` ~0.6 ms, by `pathlib`.
"""

from __future__ import annotations

import sys
import types

LEAN = ("inspect", "ipaddress", "ntpath")


class _Deferred(types.ModuleType):
    """Stands in `sys.modules` for a top-level module until an attribute of it is read."""

    def __getattr__(self, attr: str) -> object:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(__import__(self.__name__), attr)


def defer(name: str) -> None:
    """Load the top-level module `name` at its first use, not at its import (if not yet loaded)."""
    if name not in sys.modules:
        sys.modules[name] = _Deferred(name)


def lean() -> None:
    """Defer every module in LEAN."""
    for name in LEAN:
        defer(name)
