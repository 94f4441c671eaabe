"""Check raw record tables against the schema and build Mission records, collecting every problem."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from refcli.errors import Problem
from refcli.records.load import RawRecord
from refcli.records.model import (
    BASES,
    CLIENT_KINDS,
    FEE_SCOPES,
    ROLES,
    Mission,
)
from refcli.records.vocabulary import Vocabulary

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
MAX_TEXT = 20_000  # characters in one text field: a fiche is one page, not a report
# Keys in one table, items in one list: a record has about 20 (each unknown key costs a "did you mean").
MAX_KEYS = 500
FIRST_YEAR, LAST_YEAR = 1950, 2100
# The largest number each numeric key may hold: far above any real one, and far below what breaks the
# formatting of an annex (an integer beyond 64 bits validated, then `list` and `show` failed).
MAX_AMOUNT = 10**12  # euros: the largest urban projects cost tens of billions
MAX_POPULATION = 10**9
MAX_COUNT = 10**7  # dwellings, square metres... in a programme
MAX_MONTHS = 1200


@dataclass(frozen=True, slots=True)
class Spec:
    """What one key of a record may hold; docs/records.md documents the same keys (tests/test_docs.py)."""

    kind: str  # str, int, number, bool, strings, table, tables, levels
    required: bool = False
    children: dict[str, Spec] = field(default_factory=dict)
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    check: Callable[[Any], str | None] | None = None


def _id_check(value: str) -> str | None:
    if not ID_PATTERN.match(value):
        return "must be lowercase letters, digits and single hyphens, like 'antony-noyer-dore-psl'"
    return None


def _currency_check(value: str) -> str | None:
    return None if CURRENCY_PATTERN.match(value) else "must be a three-letter ISO code such as 'EUR'"


def _year_check(value: int) -> str | None:
    return None if FIRST_YEAR <= value <= LAST_YEAR else f"must be a year between {FIRST_YEAR} and {LAST_YEAR}"


def _basis_check(value: str) -> str | None:
    if value in BASES:
        return None
    if value.strip().upper() in ("TF", "(TF)"):
        return ('"TF" is the tranche ferme, what the fee covers, not a tax basis: write scope = "tranche ferme" '
                "and give basis only if the fiche says HT or TTC")
    return "must be HT or TTC, as the fiche states it; leave basis out when the fiche does not say"


_AMOUNT_KEYS = {
    "value": Spec("number", required=True, minimum=0, maximum=MAX_AMOUNT),
    "currency": Spec("str", check=_currency_check),
    "basis": Spec("str", check=_basis_check),
    "as_written": Spec("str"),
}
PROJECT_AMOUNT = Spec("table", children=_AMOUNT_KEYS)  # its scope is its place: the project's total cost
FEE = Spec("table", children={**_AMOUNT_KEYS, "scope": Spec("str", choices=FEE_SCOPES)})

SCHEMA: dict[str, Spec] = {
    "id": Spec("str", required=True, check=_id_check),
    "title": Spec("str", required=True),
    "subtitle": Spec("str"),
    "mission_type": Spec("str", required=True),
    "role": Spec("str", required=True, choices=ROLES),
    "client": Spec(
        "table",
        required=True,
        children={
            "name": Spec("str", required=True),
            "kind": Spec("str", required=True, choices=CLIENT_KINDS),
            "category": Spec("str"),
            "contact": Spec("str"),
        },
    ),
    "period": Spec(
        "table",
        required=True,
        children={
            "start": Spec("int", required=True, check=_year_check),
            "end": Spec("int", check=_year_check),
            "duration_months": Spec("int", minimum=1, maximum=MAX_MONTHS),
            "ongoing": Spec("bool"),
        },
    ),
    "site": Spec(
        "table",
        children={
            "city": Spec("str"),
            "districts": Spec("strings"),
            "population": Spec("int", minimum=0, maximum=MAX_POPULATION),
            "note": Spec("str"),
        },
    ),
    "team": Spec(
        "table",
        children={
            "members": Spec("strings"),
            "mandataire": Spec("str"),
            "director": Spec("str"),
            "referent": Spec("str"),
            "consultants": Spec("strings"),
        },
    ),
    "partners": Spec("strings"),
    "amounts": Spec("table", children={"project": PROJECT_AMOUNT, "fee": FEE}),
    "programme": Spec(
        "tables",
        children={"label": Spec("str", required=True),
                  "count": Spec("int", required=True, minimum=0, maximum=MAX_COUNT)},
    ),
    "components": Spec("levels"),
    "stakes": Spec("str", required=True),
    "content": Spec("strings", required=True),
    "keywords": Spec("strings"),
    "illustrations": Spec(
        "tables",
        children={
            "file": Spec("str", required=True),
            "caption": Spec("str", required=True),
            "credit": Spec("str"),
        },
    ),
    "sources": Spec("str"),
    "certificate": Spec("bool"),
    "inferred": Spec("provenance"),
}

_KIND_WORDS = {
    "str": "a string",
    "int": "a whole number",
    "number": "a number",
    "bool": "true or false",
    "strings": "a list of strings",
    "table": "a table",
    "tables": "a list of tables ([[...]])",
    "levels": "a table of component = level",
    "provenance": 'a table of "key.path" = "why the value is not on the fiche"',
}


class _Checker:
    def __init__(self, path: Path, vocabulary: Vocabulary, library_folder: Path | None) -> None:
        self.path = path
        self.vocabulary = vocabulary
        self.library_folder = library_folder
        self.problems: list[Problem] = []

    def add(self, key: str, message: str) -> None:
        self.problems.append(Problem(str(self.path), key, message))

    def table(self, value: dict, specs: dict[str, Spec], prefix: str) -> dict:
        clean: dict[str, Any] = {}
        if self.too_many(value, prefix.rstrip(".")):
            return clean
        for key in value:
            if key not in specs:
                self.add(prefix + key, "unknown key" + _did_you_mean(key, list(specs)))
        for key, spec in specs.items():
            where = prefix + key
            if key not in value:
                if spec.required:
                    self.add(where, f"missing required key ({_KIND_WORDS[spec.kind]})")
                continue
            checked = self.value(value[key], spec, where)
            if checked is not None:
                clean[key] = checked
        return clean

    def too_many(self, value: dict | list, where: str) -> bool:
        if len(value) <= MAX_KEYS:
            return False
        self.add(where, f"holds {len(value):,} {'keys' if isinstance(value, dict) else 'items'}; "
                 f"the limit is {MAX_KEYS:,}")
        return True

    def value(self, value: Any, spec: Spec, where: str) -> Any:
        kind = spec.kind
        if isinstance(value, (dict, list)) and self.too_many(value, where):
            return None
        if kind == "str":
            return self.string(value, spec, where)
        if kind in ("int", "number"):
            is_int = isinstance(value, int) and not isinstance(value, bool)
            if not (is_int or (kind == "number" and isinstance(value, float))):
                return self.wrong_type(where, kind, value)
            if value != value or value in (float("inf"), float("-inf")):
                self.add(where, "must be a finite number")
                return None
            if spec.minimum is not None and value < spec.minimum:
                self.add(where, f"must not be negative (got {_number(value)})" if spec.minimum == 0 else
                         f"must be at least {spec.minimum:g} (got {_number(value)})")
                return None
            if spec.maximum is not None and value > spec.maximum:
                self.add(where, f"must be at most {spec.maximum:,} (got {_number(value)})")
                return None
            if not -MAX_AMOUNT <= value <= MAX_AMOUNT:  # a year's check would print all its digits
                self.add(where, f"{_number(value)} is out of range")
                return None
            return self.checked(value, spec, where)
        if kind == "bool":
            return value if isinstance(value, bool) else self.wrong_type(where, kind, value)
        if kind == "strings":
            if not isinstance(value, list):
                return self.wrong_type(where, kind, value)
            items = [self.string(item, spec, f"{where}[{index}]") for index, item in enumerate(value)]
            if spec.required and not value:
                self.add(where, "must hold at least one item")
            return tuple(item for item in items if item is not None)
        if kind == "table":
            if not isinstance(value, dict):
                return self.wrong_type(where, kind, value)
            return self.table(value, spec.children, where + ".")
        if kind == "tables":
            if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
                return self.wrong_type(where, kind, value)
            return [self.table(item, spec.children, f"{where}[{index}].") for index, item in enumerate(value)]
        if kind == "levels":
            return self.levels(value, where)
        if kind == "provenance":
            return self.provenance(value, where)
        raise AssertionError(kind)

    def provenance(self, value: Any, where: str, prefix: str = "") -> dict[str, str] | None:
        """Flatten [inferred] into {key path: reason}: "site.city" = "..." and site.city = "..." alike."""
        if not isinstance(value, dict):
            return self.wrong_type(where, "provenance", value)
        paths: dict[str, str] = {}
        if self.too_many(value, f"{where}.{prefix}".rstrip(".")):
            return paths
        for key, reason in value.items():
            path = prefix + key
            if isinstance(reason, dict):
                paths.update(self.provenance(reason, where, path + ".") or {})
            elif not isinstance(reason, str):
                self.add(f"{where}.{path}", f"expected the reason as a string, got {_describe(reason)}")
            elif not reason.strip():
                self.add(f"{where}.{path}", "give the reason the value is not on the fiche (an empty reason "
                         "says nothing to whoever confirms it)")
            elif len(reason) > MAX_TEXT:
                self.add(f"{where}.{path}", f"is {len(reason):,} characters long; the limit is {MAX_TEXT:,}")
            else:
                paths[path] = reason
        return paths

    def string(self, value: Any, spec: Spec, where: str) -> str | None:
        if not isinstance(value, str):
            return self.wrong_type(where, "str", value)
        if not value.strip():
            self.add(where, "must not be empty")
            return None
        if len(value) > MAX_TEXT:
            self.add(where, f"is {len(value):,} characters long; the limit is {MAX_TEXT:,}")
            return None
        if spec.choices and value not in spec.choices:
            self.add(where, f"must be one of {', '.join(spec.choices)} (got {value!r})"
                     + _did_you_mean(value, list(spec.choices)))
            return None
        return self.checked(value, spec, where)

    def checked(self, value: Any, spec: Spec, where: str) -> Any:
        message = spec.check(value) if spec.check else None
        if message:
            self.add(where, f"{message} (got {value!r})")
            return None
        return value

    def wrong_type(self, where: str, kind: str, value: Any) -> None:
        self.add(where, f"expected {_KIND_WORDS[kind]}, got {_describe(value)}")
        return None

    def levels(self, value: Any, where: str) -> dict[str, int] | None:
        if not isinstance(value, dict):
            return self.wrong_type(where, "levels", value)
        levels: dict[str, int] = {}
        top = self.vocabulary.max_level
        for name, level in value.items():
            key = f"{where}.{name}"
            component_id = self.vocabulary.resolve(name)
            if component_id is None:
                suggestion = self.vocabulary.suggest(name)
                hint = f"; did you mean {suggestion!r}?" if suggestion else ""
                self.add(key, f"unknown mission component{hint} (see components.toml)")
                continue
            if component_id in levels:
                self.add(key, f"names component {component_id!r} a second time")
                continue
            if not isinstance(level, int) or isinstance(level, bool):
                self.wrong_type(key, "int", level)
                continue
            if not 1 <= level <= top:
                self.add(key, f"level must be from 1 to {top} (got {level}); leave out a component not covered")
                continue
            levels[component_id] = level
        order = self.vocabulary.ids()
        return {component_id: levels[component_id] for component_id in order if component_id in levels}

    def illustration_file(self, file: str, where: str) -> None:
        if self.library_folder is None:
            return
        relative = Path(file)
        if relative.is_absolute():
            self.add(where, "must be a path relative to the library folder, not an absolute path")
            return
        folder = self.library_folder.resolve()
        target = (self.path.parent / relative).resolve()
        if not target.is_relative_to(folder):
            self.add(where, f"{file!r} points outside the library folder; keep illustrations inside it")
        elif not target.is_file():
            self.add(where, f"the illustration file {file!r} does not exist")


def _did_you_mean(word: str, choices: list[str]) -> str:
    from rapidfuzz import fuzz, process

    best = process.extractOne(word, choices, scorer=fuzz.ratio, processor=str.casefold, score_cutoff=60)
    return f"; did you mean {best[0]!r}?" if best else ""


def _number(value: int | float) -> str:
    """A number as a message shows it: a huge one by its size, not its hundreds of digits."""
    text = str(value) if isinstance(value, float) or -10**30 < value < 10**30 else ""
    return text or f"a number of {len(str(abs(value)))} digits"


def _describe(value: Any) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
             dict: "a table"}
    return names.get(type(value), type(value).__name__)


# The fast checks: the schema compiled into one function per key, for the usual record that has no
# problem. Each returns what _Checker would (the clean value) or raises _Invalid at the first thing it
# does not accept; _Checker then runs from the start and says what is wrong, with its messages. Measured
# on generated records: half of _Checker's time, which builds every key path and dispatches on the
# spec's kind for each value. tests/records/test_validate.py checks that both accept the same values and give
# the same clean tables.
class _Invalid(Exception):
    pass


Fast = Callable[[Any, Vocabulary], Any]


def _fast(spec: Spec) -> Fast:
    """Return the fast check of a value that spec describes."""
    return _FAST_KINDS[spec.kind](spec)


def _fast_string(spec: Spec) -> Fast:
    choices, check = spec.choices, spec.check
    if not choices and check is None:
        return _fast_text

    def fast(value: Any, vocabulary: Vocabulary) -> str:
        if (type(value) is not str or not value.strip() or len(value) > MAX_TEXT
                or (choices and value not in choices) or (check is not None and check(value))):
            raise _Invalid
        return value

    return fast


def _fast_text(value: Any, vocabulary: Vocabulary) -> str:
    """A string without choices or a check (most of a record's): the fewest tests."""
    if type(value) is not str or len(value) > MAX_TEXT or not value.strip():
        raise _Invalid
    return value


def _fast_number(spec: Spec) -> Fast:
    floats, minimum, check = spec.kind == "number", spec.minimum, spec.check
    maximum = MAX_AMOUNT if spec.maximum is None else spec.maximum

    def fast(value: Any, vocabulary: Vocabulary) -> int | float:
        if not (type(value) is int or (floats and type(value) is float and math.isfinite(value))):
            raise _Invalid  # bool is not int: type(True) is bool
        if (minimum is not None and value < minimum) or value > maximum or value < -MAX_AMOUNT or (
                check is not None and check(value)):
            raise _Invalid
        return value

    return fast


def _fast_bool(spec: Spec) -> Fast:
    def fast(value: Any, vocabulary: Vocabulary) -> bool:
        if type(value) is not bool:
            raise _Invalid
        return value

    return fast


def _fast_strings(spec: Spec) -> Fast:
    item_check, required = _fast_string(spec), spec.required
    if item_check is _fast_text:  # its tests inline: one call a list, not one an item

        def fast_texts(value: Any, vocabulary: Vocabulary) -> tuple[str, ...]:
            if type(value) is not list or (required and not value) or len(value) > MAX_KEYS:
                raise _Invalid
            for item in value:
                if type(item) is not str or len(item) > MAX_TEXT or not item.strip():
                    raise _Invalid
            return tuple(value)

        return fast_texts

    def fast(value: Any, vocabulary: Vocabulary) -> tuple[str, ...]:
        if type(value) is not list or (required and not value) or len(value) > MAX_KEYS:
            raise _Invalid
        for item in value:
            item_check(item, vocabulary)
        return tuple(value)

    return fast


def _fast_table_of(specs: dict[str, Spec]) -> Fast:
    checks = {key: _fast(spec) for key, spec in specs.items()}
    known = frozenset(specs)
    required = frozenset(key for key, spec in specs.items() if spec.required)

    def fast(value: Any, vocabulary: Vocabulary) -> dict[str, Any]:
        if type(value) is not dict or not value.keys() <= known or not required <= value.keys():
            raise _Invalid
        return {key: checks[key](item, vocabulary) for key, item in value.items()}

    return fast


def _fast_table(spec: Spec) -> Fast:
    return _fast_table_of(spec.children)


def _fast_tables(spec: Spec) -> Fast:
    item_check = _fast_table_of(spec.children)

    def fast(value: Any, vocabulary: Vocabulary) -> list[dict[str, Any]]:
        if type(value) is not list or len(value) > MAX_KEYS:
            raise _Invalid
        return [item_check(item, vocabulary) for item in value]

    return fast


def _fast_levels(spec: Spec) -> Fast:
    def fast(value: Any, vocabulary: Vocabulary) -> dict[str, int]:
        if type(value) is not dict:
            raise _Invalid
        levels: dict[str, int] = {}
        top = vocabulary.max_level
        for name, level in value.items():
            component_id = vocabulary.resolve(name)
            if component_id is None or component_id in levels or type(level) is not int or not 1 <= level <= top:
                raise _Invalid
            levels[component_id] = level
        return {component_id: levels[component_id] for component_id in vocabulary.ids() if component_id in levels}

    return fast


def _fast_provenance(spec: Spec) -> Fast:
    def flatten(value: Any, prefix: str, paths: dict[str, str]) -> dict[str, str]:
        if type(value) is not dict or len(value) > MAX_KEYS:
            raise _Invalid
        for key, reason in value.items():
            if type(reason) is dict:
                flatten(reason, prefix + key + ".", paths)
            elif type(reason) is not str or not reason.strip() or len(reason) > MAX_TEXT:
                raise _Invalid
            else:
                paths[prefix + key] = reason
        return paths

    def fast(value: Any, vocabulary: Vocabulary) -> dict[str, str]:
        return flatten(value, "", {})

    return fast


_FAST_KINDS: dict[str, Callable[[Spec], Fast]] = {
    "str": _fast_string,
    "int": _fast_number,
    "number": _fast_number,
    "bool": _fast_bool,
    "strings": _fast_strings,
    "table": _fast_table,
    "tables": _fast_tables,
    "levels": _fast_levels,
    "provenance": _fast_provenance,
}
_FAST_RECORD = _fast_table_of(SCHEMA)


def _clean_table(table: dict, checker: _Checker) -> dict:
    """Return the record's table checked and cleaned; the checker holds the problems, if any."""
    try:
        return _FAST_RECORD(table, checker.vocabulary)
    except _Invalid:
        return checker.table(table, SCHEMA, "")


def validate_record(raw: RawRecord, vocabulary: Vocabulary, library_folder: Path | None) -> Mission | list[Problem]:
    """Return the Mission a raw table describes, or every problem that stops it being one."""
    clean = validate_table(raw, vocabulary, library_folder)
    if isinstance(clean, list):
        return clean
    from refcli.records.serialize import mission_from_table

    return mission_from_table(clean, raw.path)


def validate_table(raw: RawRecord, vocabulary: Vocabulary, library_folder: Path | None) -> dict | list[Problem]:
    """Return the raw table checked and cleaned (what serialize.mission_from_table takes), or every
    problem that stops it being a mission."""
    checker = _Checker(raw.path, vocabulary, library_folder)
    table = raw.table
    if len(table) == 1:
        [(key, value)] = table.items()
        if isinstance(value, list) and value and isinstance(value[0], dict) and key not in SCHEMA:
            checker.add(key, "the record is an array of tables ([[...]]); a record is one table of keys, "
                        "one mission per file")
            return checker.problems
    clean = _clean_table(table, checker)
    period = clean.get("period", {})
    if "start" in period and "end" in period and period["end"] < period["start"]:
        checker.add("period.end", f"end year {period['end']} is before start year {period['start']}")
    for index, illustration in enumerate(clean.get("illustrations", [])):
        if "file" in illustration:
            checker.illustration_file(illustration["file"], f"illustrations[{index}].file")
    if "inferred" in clean:
        clean["inferred"] = _check_inferred_paths(clean, checker)
        if not clean["inferred"]:
            del clean["inferred"]
    if checker.problems:
        return checker.problems
    return clean


# What [inferred] may not name: the values that make the mission what it is (an annex cannot leave
# them out). A wrong one is corrected in place, not marked.
UNMARKABLE = frozenset({"id", "title", "stakes", "content", "client", "client.name", "period", "period.start",
                        "period.end", "period.ongoing", "inferred"})


def record_paths(clean: dict) -> list[str]:
    """Every key path of a checked record's table: "role", "client.kind", "components.concertation"..."""
    paths = []
    for key, value in clean.items():
        paths.append(key)
        if isinstance(value, dict) and key != "inferred":
            for sub, inner in value.items():
                paths.append(f"{key}.{sub}")
                if isinstance(inner, dict):
                    paths += [f"{key}.{sub}.{leaf}" for leaf in inner]
    return paths


def _check_inferred_paths(clean: dict, checker: _Checker) -> dict[str, str]:
    """Return [inferred] with component names resolved to ids; name every path the record does not have."""
    present = record_paths(clean)
    known = set(present)
    paths: dict[str, str] = {}
    for path, reason in clean["inferred"].items():
        where = f"inferred.{path}"
        head, _, rest = path.partition(".")
        if head == "components" and rest:
            component_id = checker.vocabulary.resolve(rest)
            path = f"components.{component_id}" if component_id else path
        if path in UNMARKABLE:
            checker.add(where, f"{path!r} cannot be marked inferred: the annex cannot leave it out; correct the "
                        "value in the record instead")
        elif path not in known:
            candidates = [candidate for candidate in present if candidate not in UNMARKABLE]
            checker.add(where, f"names no key of the record ({path!r})" + _did_you_mean(path, candidates)
                        + "; a path is the key's place, like 'site.city' or 'components.concertation'")
        elif path in paths:
            checker.add(where, f"names {path!r} a second time")
        else:
            paths[path] = reason
    return paths
