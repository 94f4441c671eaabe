"""@frozen behaves as @dataclass(frozen=True, slots=True): equality, hash, repr, immutability, slots, fields."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field

import pytest

from refcli.frozen import frozen


def twins():  # the same class written both ways
    classes = []
    for decorate in (frozen, dataclass(frozen=True, slots=True)):
        @decorate
        class Record:
            """A record."""

            name: str
            count: int = 0
            tags: tuple[str, ...] = ()
            note: str | None = field(default=None, compare=False)
            hidden: str = field(default="", repr=False)

        @decorate
        class One:
            value: int

        @decorate
        class Mapping:
            table: dict[str, int] = field(default_factory=dict)

        classes.append((Record, One, Mapping))
    return classes


OURS, THEIRS = twins()


VALUES = [(("a",), {}), (("a",), {"note": "other"}), (("a",), {"hidden": "h"}), (("a", 2, ("x",)), {}),
          (("b",), {"count": 2})]


def test_equality_hash_and_repr_are_the_dataclasses() -> None:
    ours = [OURS[0](*args, **kwargs) for args, kwargs in VALUES]
    theirs = [THEIRS[0](*args, **kwargs) for args, kwargs in VALUES]
    for a, a2 in zip(ours, theirs, strict=True):
        assert hash(a) == hash(a2) and repr(a) == repr(a2)
        for b, b2 in zip(ours, theirs, strict=True):
            assert (a == b, a != b) == (a2 == b2, a2 != b2)
    assert ours[0] == ours[1]  # note has compare=False
    assert ours[0] != ours[2] and "hidden" not in repr(ours[2])  # repr=False, compared
    assert ours[0] != theirs[0] and ours[0] != ("a", 0, (), None, "")
    assert ours[0].__eq__(("a", 0, (), None, "")) is NotImplemented
    assert (hash(OURS[1](3)), repr(OURS[1](3))) == (hash(THEIRS[1](3)), repr(THEIRS[1](3)))
    with pytest.raises(TypeError, match="unhashable"):
        hash(OURS[2]({"a": 1}))
    assert OURS[2]({"a": 1}) == OURS[2]({"a": 1}) != OURS[2]()


def test_frozen_slotted_and_still_a_dataclass() -> None:
    record = OURS[0]("a", 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.name = "b"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del record.name  # type: ignore[misc]
    assert not hasattr(record, "__dict__")
    assert OURS[0].__slots__ == THEIRS[0].__slots__
    assert OURS[0].__match_args__ == THEIRS[0].__match_args__
    assert [f.name for f in dataclasses.fields(record)] == ["name", "count", "tags", "note", "hidden"]
    assert dataclasses.replace(record, count=2) == OURS[0]("a", 2)
    assert dataclasses.asdict(record)["name"] == "a"
    assert OURS[0].__doc__ == "A record."


def test_records_pickle_as_worker_processes_send_them() -> None:
    from refcli.errors import Problem

    problem = Problem("a.toml", "title", "missing", 3, 4)
    assert pickle.loads(pickle.dumps(problem)) == problem
    assert hash(problem) == hash(("a.toml", "title", "missing", 3, 4))
    assert repr(problem) == "Problem(path='a.toml', key='title', message='missing', line=3, column=4)"
