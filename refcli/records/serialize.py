"""A record's table to its Mission and back, both read off the declaration in records/model.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from refcli.records.model import Mission, Spec, schema_of

_EMPTY = (None, (), [], {}, "")


def mission_to_table(mission: Mission) -> dict[str, Any]:
    """Return the record as a plain table, in its declaration's key order: what tomli-w writes and
    what --json prints. Empty values and those that go without saying (Key.implied) are left out."""
    return _to_table(mission, schema_of(Mission))


def _to_table(record: Any, schema: dict[str, Spec]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for name, spec in schema.items():
        value = getattr(record, name)
        kind = spec.kind
        if value is None:
            continue
        if kind == "table":
            value = _to_table(value, spec.children)
        elif kind == "tables":
            value = [_to_table(item, spec.children) for item in value]
        elif kind == "strings":
            value = list(value)
        elif kind in ("levels", "provenance"):
            value = dict(value)
        if value not in _EMPTY and (spec.key.implied is None or value != spec.key.implied):
            table[name] = value
    return table


Build = Callable[..., Any]  # (checked table, **values that are no keys of it) -> the record
_BUILDERS: dict[type, Build] = {}


def mission_from_table(table: dict[str, Any], path: Path | None = None) -> Mission:
    """Build the Mission of a record table: one that passed the schema, or one mission_to_table gave
    (the cache stores records so; this is its inverse, exactly)."""
    return _builder(Mission)(table, path=path)


def _builder(record_class: type, fixed: tuple[tuple[str, Any], ...] = ()) -> Build:
    """Return the function that builds a record_class from its checked table (compiled once)."""
    if fixed or record_class not in _BUILDERS:
        steps = [(name, _convert(spec), spec.key.default_from) for name, spec in schema_of(record_class).items()]

        def build(table: dict[str, Any], **given: Any) -> Any:
            values = dict(fixed, **given)
            for name, convert, default_from in steps:
                if name in table:
                    value = table[name]
                    values[name] = convert(value) if convert is not None else value
                elif default_from is not None:
                    values[name] = table[default_from]
            return record_class(**values)

        if fixed:
            return build
        _BUILDERS[record_class] = build
    return _BUILDERS[record_class]


def _convert(spec: Spec) -> Callable[[Any], Any] | None:
    if spec.kind == "table":
        return _builder(spec.record_class, spec.key.fixed)  # type: ignore[arg-type]
    if spec.kind == "tables":
        build = _builder(spec.record_class)  # type: ignore[arg-type]
        return lambda items: tuple(build(item) for item in items)
    if spec.kind == "strings":
        return tuple
    if spec.kind in ("levels", "provenance"):
        return dict
    return None
