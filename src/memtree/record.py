"""Frozen value types without code generated at import: `@record` classes are dataclasses whose
`__init__`, `==`, hash and repr come from one base class, `Record`, written once here.

A frozen `@dataclass` compiles six methods from source when its module is imported (about 1 ms a
class on a slow machine; an agent hook imports twenty of them). A `@record` class behaves the
same at a tenth of that cost. Plain fields only (defaults and default factories allowed).
"""

from __future__ import annotations

from dataclasses import MISSING, FrozenInstanceError, dataclass, fields
from reprlib import recursive_repr

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from collections.abc import Callable
    from dataclasses import field
    from typing import Any, TypeVar, dataclass_transform

    T = TypeVar("T", bound=type)

    @dataclass_transform(frozen_default=True, field_specifiers=(field,))
    def record(cls: T) -> T: ...
else:

    def record(cls):
        """Make `cls` (a Record subclass) a frozen dataclass without generating its methods."""
        made = dataclass(init=False, repr=False, eq=False)(cls)
        found = fields(made)
        if any(not f.init or f.kw_only for f in found) or "__post_init__" in vars(made):
            raise TypeError(f"{cls.__qualname__}: a record takes plain fields only")
        made._names = tuple(f.name for f in found)
        made._defaults = {f.name: f.default for f in found if f.default is not MISSING}
        made._factories = {f.name: f.default_factory for f in found
                           if f.default_factory is not MISSING}
        made._compared = tuple(f.name for f in found if f.compare)
        made._hashed = tuple(f.name for f in found if (f.compare if f.hash is None else f.hash))
        made._shown = tuple(f.name for f in found if f.repr)
        return made


class Record:
    """What a frozen dataclass generates, written once: construction from positional and keyword
    arguments with defaults, no assignment or deletion, == and hash over the fields, the repr."""

    __slots__ = ()
    _names: tuple[str, ...] = ()
    _defaults: dict[str, Any] = {}
    _factories: dict[str, Callable[[], Any]] = {}
    _compared: tuple[str, ...] = ()
    _hashed: tuple[str, ...] = ()
    _shown: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = self._names
        if len(args) > len(names):
            raise TypeError(f"{type(self).__qualname__}() takes {len(names)} positional "
                            f"arguments but {len(args)} were given")
        state = self.__dict__
        state.update(zip(names, args, strict=False))  # args may stop before the fields
        used = 0
        for name in names[len(args):]:
            if name in kwargs:
                state[name] = kwargs[name]
                used += 1
            elif name in self._defaults:
                state[name] = self._defaults[name]
            elif name in self._factories:
                state[name] = self._factories[name]()
            else:
                raise TypeError(f"{type(self).__qualname__}() missing required argument {name!r}")
        if used != len(kwargs):  # a keyword that is no field, or names a positional one again
            name = next(n for n in kwargs if n not in names[len(args):])
            why = "multiple values for argument" if name in names else "an unexpected keyword argument"
            raise TypeError(f"{type(self).__qualname__}() got {why} {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            names = self._compared
            return tuple(map(self.__dict__.__getitem__, names)) == tuple(
                map(other.__dict__.__getitem__, names))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(map(self.__dict__.__getitem__, self._hashed)))

    @recursive_repr()
    def __repr__(self) -> str:
        state = self.__dict__
        shown = ", ".join(f"{n}={state[n]!r}" for n in self._shown)
        return f"{type(self).__qualname__}({shown})"
