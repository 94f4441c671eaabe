"""@frozen: a dataclass(frozen=True, slots=True) that compiles half as much when its module is imported.

Python 3.11's dataclass writes six methods of a frozen class as source and compiles each (exec):
__init__, __setattr__, __delattr__, __eq__, __hash__ and __repr__, about 1.3 ms a class, and a search
imports some 30 classes. Equality, hash and repr read the fields the same way in every class, so
@frozen gives those three once, here; dataclass still writes the other three. Equality (same class,
then the compared fields as a tuple), hash, repr, immutability, slots, fields() and replace() are those
of @dataclass(frozen=True, slots=True): tests/test_frozen.py compares them.
"""

from __future__ import annotations

import dataclasses
from operator import attrgetter
from typing import dataclass_transform


def _eq(self, other):  # type: ignore[no-untyped-def]
    if other.__class__ is self.__class__:
        compared = self.__class__._frozen_compared
        return compared(self) == compared(other)
    return NotImplemented


def _hash(self) -> int:  # type: ignore[no-untyped-def]
    return hash(self.__class__._frozen_compared(self))


def _repr(self) -> str:  # type: ignore[no-untyped-def]
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._frozen_shown)
    return f"{self.__class__.__qualname__}({shown})"


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def frozen(cls):  # type: ignore[no-untyped-def]
    """Like @dataclass(frozen=True, slots=True): same fields, equality, hash, repr, immutability."""
    cls.__eq__, cls.__hash__, cls.__repr__ = _eq, _hash, _repr
    if cls.__doc__ is None:  # else dataclass makes one of the class's signature: inspect.signature, 0.15 ms
        cls.__doc__ = f"{cls.__name__}({', '.join(cls.__dict__.get('__annotations__', {}))})"
    cls = dataclasses.dataclass(frozen=True, slots=True, eq=False, repr=False)(cls)
    fields = dataclasses.fields(cls)
    compared = [field.name for field in fields if field.compare]
    # The compared fields as a tuple, read in C: equality and hash as fast as dataclass's own.
    cls._frozen_compared = attrgetter(*compared) if len(compared) > 1 else lambda record: tuple(
        getattr(record, name) for name in compared)
    cls._frozen_shown = tuple(field.name for field in fields if field.repr)
    return cls
