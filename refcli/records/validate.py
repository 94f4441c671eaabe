"""Check raw record tables against the record's declaration (records/model.py), collecting every problem.

The declaration is compiled once into one check per key: a check returns the key's clean value, or
None after adding its problems. There is one checker: a valid record goes through the same checks as
a wrong one, and the wrong one gets every problem with its key path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from refcli.errors import Problem, closest
from refcli.i18n import N_, _
from refcli.records.load import RawRecord
from refcli.records.model import FIRST_YEAR, LAST_YEAR, MAX_AMOUNT, MAX_TEXT, Mission, Spec, schema_of
from refcli.records.provenance import rests_on
from refcli.records.vocabulary import Vocabulary

__all__ = ["FIRST_YEAR", "LAST_YEAR", "MAX_TEXT", "SCHEMA", "validate_record", "validate_table"]

SCHEMA: dict[str, Spec] = schema_of(Mission)
# Keys in one table, items in one list: a record has about 20 (each unknown key costs a "did you mean").
MAX_KEYS = 500

_KIND_WORDS = {
    "str": N_("a string"),
    "int": N_("a whole number"),
    "number": N_("a number"),
    "bool": N_("true or false"),
    "strings": N_("a list of strings"),
    "table": N_("a table"),
    "tables": N_("a list of tables ([[...]])"),
    "levels": N_("a table of component = level"),
    "provenance": N_('a table of "key.path" = "why the value is not on the fiche"'),
}


class _Checker:
    """The problems found so far in one file, and what the checks need to know of it."""

    def __init__(self, path: Path, vocabulary: Vocabulary, library_folder: Path | None) -> None:
        self.path = path
        self.vocabulary = vocabulary
        self.library_folder = library_folder
        self.problems: list[Problem] = []

    def add(self, key: str, message: str) -> None:
        self.problems.append(Problem(str(self.path), key, message))

    def wrong_type(self, where: str, kind: str, value: Any) -> None:
        self.add(where, _("expected {kind}, got {value}").format(kind=_(_KIND_WORDS[kind]), value=_describe(value)))
        return None

    def illustration_file(self, file: str, where: str) -> None:
        if self.library_folder is None:
            return
        relative = Path(file)
        if relative.is_absolute():
            self.add(where, _("must be a path relative to the library folder, not an absolute path"))
            return
        folder = self.library_folder.resolve()
        target = (self.path.parent / relative).resolve()
        if not target.is_relative_to(folder):
            self.add(where, _("{file!r} points outside the library folder; keep illustrations inside it")
                            .format(file=file))
        elif not target.is_file():
            message = (_("{file!r} is no regular file (a folder, a pipe or a device), so no image") if target.exists()
                       else _("the illustration file {file!r} does not exist"))
            self.add(where, message.format(file=file))


Check = Callable[[Any, str, _Checker], Any]


def compile_check(spec: Spec) -> Check:
    """Return the check of a value that spec describes."""
    return _KINDS[spec.kind](spec)


def _string(spec: Spec) -> Check:
    choices, extra = spec.key.choices, spec.key.check

    def check(value: Any, where: str, checker: _Checker) -> str | None:
        if type(value) is not str:
            return checker.wrong_type(where, "str", value)
        if not value.strip():
            checker.add(where, _("must not be empty"))
            return None
        if len(value) > MAX_TEXT:
            checker.add(where, _("is {length:,} characters long; the limit is {limit:,}").format(length=len(value),
                                                                                      limit=MAX_TEXT))
            return None
        if choices and value not in choices:
            checker.add(where, _("must be one of {choices} (got {value!r})").format(choices=", ".join(choices),
                                                                                    value=value)
                        + _did_you_mean(value, list(choices)))
            return None
        return _extra_check(value, extra, where, checker)

    return check


def _number(spec: Spec) -> Check:
    kind, minimum, maximum, extra = spec.kind, spec.key.minimum, spec.key.maximum, spec.key.check

    def check(value: Any, where: str, checker: _Checker) -> int | float | None:
        if not (type(value) is int or (kind == "number" and type(value) is float)):
            return checker.wrong_type(where, kind, value)  # bool is not int here: type(True) is bool
        if value != value or value in (float("inf"), float("-inf")):
            checker.add(where, _("must be a finite number"))
            return None
        if minimum is not None and value < minimum:
            shown = _shown_number(value)
            checker.add(where, _("must not be negative (got {value})").format(value=shown) if minimum == 0
                        else _("must be at least {minimum:g} (got {value})").format(minimum=minimum, value=shown))
            return None
        if value > maximum or value < -MAX_AMOUNT:  # a year's range is said as a year's, with no endless digits
            shown, message = _shown_number(value), extra(value) if extra is not None else None
            if message:
                checker.add(where, _("{message} (got {value})").format(message=message, value=shown))
            elif value > maximum:
                checker.add(where, _("must be at most {maximum:,} (got {value})").format(maximum=maximum, value=shown))
            else:
                checker.add(where, _("{value} is out of range").format(value=shown))
            return None
        return _extra_check(value, extra, where, checker)

    return check


def _extra_check(value: Any, extra: Callable[[Any], str | None] | None, where: str, checker: _Checker) -> Any:
    """The key's own check (Key.check: a year's range, an id's form), once its type and range passed."""
    message = extra(value) if extra is not None else None
    if message:
        checker.add(where, _("{message} (got {value!r})").format(message=message, value=value))
        return None
    return value


def _bool(spec: Spec) -> Check:
    def check(value: Any, where: str, checker: _Checker) -> bool | None:
        return value if type(value) is bool else checker.wrong_type(where, "bool", value)

    return check


def _strings(spec: Spec) -> Check:
    item, required = _string(spec), spec.key.required
    plain = not spec.key.choices and spec.key.check is None

    def check(value: Any, where: str, checker: _Checker) -> tuple[str, ...] | None:
        if type(value) is not list:
            return checker.wrong_type(where, "strings", value)
        if _too_many(value, where, checker):
            return None
        items = []
        for index, text in enumerate(value):
            if plain and type(text) is str and len(text) <= MAX_TEXT and text.strip():
                items.append(text)  # the usual item, checked without building its key path
            elif (checked := item(text, f"{where}[{index}]", checker)) is not None:
                items.append(checked)
        if required and not value:
            checker.add(where, _("must hold at least one item"))
        return tuple(items)

    return check


def _table_of(specs: dict[str, Spec]) -> Callable[[dict, str, _Checker], dict]:
    checks = {name: compile_check(spec) for name, spec in specs.items()}
    required = [(name, spec.kind) for name, spec in specs.items() if spec.key.required]
    required_names = {name for name, _ in required}
    paths: dict[str, dict[str, str]] = {}  # prefix -> each key's path, built once a prefix

    def table(value: dict, prefix: str, checker: _Checker) -> dict:
        """The keys in the file's order, then the required ones missing."""
        if _too_many(value, prefix.rstrip("."), checker):
            return {}
        where = paths.get(prefix)
        if where is None:
            where = {name: prefix + name for name in checks}
            if len(paths) < 100:  # the prefixes of list items ("programme[3].") are many in a long list
                paths[prefix] = where
        clean: dict[str, Any] = {}
        for name, item in value.items():
            check = checks.get(name)
            if check is None:
                checker.add(prefix + name, _("unknown key") + _did_you_mean(name, list(checks)))
            elif (checked := check(item, where[name], checker)) is not None:
                clean[name] = checked
        if not required_names <= value.keys():
            for name, kind in required:
                if name not in value:
                    checker.add(where[name], _("missing required key ({kind})").format(kind=_(_KIND_WORDS[kind])))
        return clean

    return table


def _table(spec: Spec) -> Check:
    table = _table_of(spec.children)

    def check(value: Any, where: str, checker: _Checker) -> dict | None:
        if type(value) is not dict:
            return checker.wrong_type(where, "table", value)
        return table(value, where + ".", checker)

    return check


def _tables(spec: Spec) -> Check:
    table = _table_of(spec.children)

    def check(value: Any, where: str, checker: _Checker) -> list[dict] | None:
        if type(value) is not list or not all(type(item) is dict for item in value):
            return checker.wrong_type(where, "tables", value)
        if _too_many(value, where, checker):
            return None
        return [table(item, f"{where}[{index}].", checker) for index, item in enumerate(value)]

    return check


def _levels(spec: Spec) -> Check:
    def check(value: Any, where: str, checker: _Checker) -> dict[str, int] | None:
        if type(value) is not dict:
            return checker.wrong_type(where, "levels", value)
        if _too_many(value, where, checker):
            return None
        vocabulary = checker.vocabulary
        levels: dict[str, int] = {}
        top = vocabulary.max_level
        for name, level in value.items():
            key = f"{where}.{name}"
            component_id = vocabulary.resolve(name)
            if component_id is None:
                suggestion = vocabulary.suggest(name)
                hint = _("; did you mean {name!r}?").format(name=suggestion) if suggestion else ""
                checker.add(key, _("unknown mission component{hint} (see components.toml)").format(hint=hint))
            elif component_id in levels:
                checker.add(key, _("names component {component_id!r} a second time").format(component_id=component_id))
            elif type(level) is not int:
                checker.wrong_type(key, "int", level)
            elif not 1 <= level <= top:
                checker.add(key, _("level must be from 1 to {top} (got {level}); leave out a component not covered")
                            .format(top=top, level=level))
            else:
                levels[component_id] = level
        return {component_id: levels[component_id] for component_id in vocabulary.ids() if component_id in levels}

    return check


def _provenance(spec: Spec) -> Check:
    def flatten(value: Any, where: str, checker: _Checker, prefix: str = "") -> dict[str, str] | None:
        """[inferred] as {key path: reason}: "site.city" = "..." and site.city = "..." alike."""
        if type(value) is not dict:
            return checker.wrong_type(where, "provenance", value)
        paths: dict[str, str] = {}
        if _too_many(value, f"{where}.{prefix}".rstrip("."), checker):
            return paths
        for name, reason in value.items():
            path = prefix + name
            if type(reason) is dict:
                paths.update(flatten(reason, where, checker, path + ".") or {})
            elif type(reason) is not str:
                checker.add(f"{where}.{path}", _("expected the reason as a string, got {value}").format(
                    value=_describe(reason)))
            elif not reason.strip():
                checker.add(f"{where}.{path}", _("give the reason the value is not on the fiche (an empty reason "
                                                  "says nothing to whoever confirms it)"))
            elif len(reason) > MAX_TEXT:
                checker.add(f"{where}.{path}", _("is {length:,} characters long; the limit is {limit:,}").format(
                    length=len(reason), limit=MAX_TEXT))
            else:
                paths[path] = reason
        return paths

    return flatten


_KINDS: dict[str, Callable[[Spec], Check]] = {
    "str": _string,
    "int": _number,
    "number": _number,
    "bool": _bool,
    "strings": _strings,
    "table": _table,
    "tables": _tables,
    "levels": _levels,
    "provenance": _provenance,
}
_RECORD = _table_of(SCHEMA)


def _too_many(value: dict | list, where: str, checker: _Checker) -> bool:
    if len(value) <= MAX_KEYS:
        return False
    message = (_("holds {count:,} keys; the limit is {limit:,}") if isinstance(value, dict) else
               _("holds {count:,} items; the limit is {limit:,}"))
    checker.add(where, message.format(count=len(value), limit=MAX_KEYS))
    return True


def _shown_number(value: int | float) -> str:
    """A number as a message shows it: a huge one by its size, not its hundreds of digits."""
    text = str(value) if isinstance(value, float) or -10**30 < value < 10**30 else ""
    return text or _("a number of {count} digits").format(count=len(str(abs(value))))


def _did_you_mean(word: str, choices: list[str]) -> str:
    best = closest(word, choices)
    return _("; did you mean {name!r}?").format(name=best) if best else ""


def _describe(value: Any) -> str:
    names = {bool: N_("a boolean"), int: N_("a number"), float: N_("a number"), str: N_("a string"), list: N_("a list"),
             dict: N_("a table")}
    return _(names[type(value)]) if type(value) in names else type(value).__name__


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
            checker.add(key, _("the record is an array of tables ([[...]]); a record is one table of keys, "
                        "one mission per file"))
            return checker.problems
    clean = _RECORD(table, "", checker)
    period = clean.get("period", {})
    if "start" in period and "end" in period and period["end"] < period["start"]:
        checker.add("period.end", _("end year {end} is before start year {start}").format(end=period["end"],
                                                                                           start=period["start"]))
    for name, amount in clean.get("amounts", {}).items():
        _check_as_written(amount, f"amounts.{name}", checker)
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


def _check_as_written(amount: dict, where: str, checker: _Checker) -> None:
    """An amount's value, currency and tax basis are those of the fiche's words it keeps (as_written), when they read
    as an amount (written.parse_amount): the annex prints the value, the buyer compares it with the contract."""
    written = amount.get("as_written")
    if not written or "value" not in amount:
        return
    from refcli.records.written import ParseError, parse_amount

    try:
        read = parse_amount(written)
    except ParseError:  # words it does not read ("environ 2 M€"): kept as written, nothing to compare
        return
    if read["value"] != amount["value"]:
        checker.add(f"{where}.value", _("{value} is not the amount of as_written = {written!r} ({read}): correct one "
                                        "of them").format(value=_shown_number(amount["value"]), written=written,
                                                          read=_shown_number(read["value"])))
    if read["currency"] != amount.get("currency", "EUR"):
        checker.add(f"{where}.currency", _("{currency} is not the currency of as_written = {written!r} ({read})")
                    .format(currency=amount.get("currency", "EUR"), written=written, read=read["currency"]))
    if "basis" in read and amount.get("basis") not in (None, read["basis"]):
        checker.add(f"{where}.basis", _("{basis} is not the tax basis of as_written = {written!r} ({read})")
                    .format(basis=amount["basis"], written=written, read=read["basis"]))


# What [inferred] may not name: the values that make the mission what it is (an annex cannot leave
# them out). A wrong one is corrected in place, not marked.
UNMARKABLE = frozenset({"id", "title", "stakes", "content", "client", "client.name", "period", "period.start",
                        "period.end", "period.ongoing", "inferred"})


def record_paths(clean: dict) -> list[str]:
    """Every key path of a checked record's table that holds a value (an empty list is not written back):
    "role", "client.kind", "components.concertation"..."""
    def walk(table: dict, prefix: str, depth: int) -> list[str]:
        paths = []
        for key, value in table.items():
            if value in ((), [], {}) or key == "inferred":
                continue
            paths.append(prefix + key)
            if isinstance(value, dict) and depth < 2:
                paths += walk(value, f"{prefix}{key}.", depth + 1)
        return paths

    return walk(clean, "", 0)


def _holds(clean: dict, path: str) -> bool:
    """Whether path is one of record_paths(clean), found without listing them all (a record's every read)."""
    parts = path.split(".")
    if len(parts) > 3:  # record_paths walks three tables deep
        return False
    value: Any = clean
    for part in parts:
        if part == "inferred" or type(value) is not dict or part not in value:
            return False
        value = value[part]
        if value in ((), [], {}):
            return False
    return True


def _check_inferred_paths(clean: dict, checker: _Checker) -> dict[str, str]:
    """Return [inferred] with component names resolved to ids; name every path the record does not have."""
    faulty = {problem.key for problem in checker.problems}  # keys whose value was refused: said once, there
    paths: dict[str, str] = {}
    for path, reason in clean["inferred"].items():
        where = f"inferred.{path}"
        head, _dot, rest = path.partition(".")
        component_id = checker.vocabulary.resolve(rest) if head == "components" and rest else None
        path = f"components.{component_id}" if component_id else path
        if path in UNMARKABLE:
            checker.add(where, _("{path!r} cannot be marked inferred: the annex cannot leave it out; correct the "
                        "value in the record instead").format(path=path))
        # A component the record does not list may be marked: its level 0 is the guess (its squares were lost).
        elif not _holds(clean, path) and component_id is None:
            if not rests_on(faulty, path):  # a path to a refused value: said once, at the value
                candidates = [candidate for candidate in record_paths(clean) if candidate not in UNMARKABLE]
                checker.add(where, _("names no key of the record ({path!r})").format(path=path)
                            + _did_you_mean(path, candidates)
                            + _("; a path is the key's place, like 'site.city' or 'components.concertation'"))
        elif path in paths:
            checker.add(where, _("names {path!r} a second time").format(path=path))
        else:
            paths[path] = reason
    return paths


def after_this_year(start: int, end: int, ongoing: bool, this_year: int) -> str | None:
    """Why a record's years say the mission ran after this year, if they do (it starts after it, or ends after it
    without being ongoing): a service not provided yet is no reference, and such years are most often a typo."""
    if start > this_year:
        return _("it starts in {start}, after this year ({year})").format(start=start, year=this_year)
    if end > this_year and not ongoing:
        return _("it ends in {end}, after this year ({year}), and is not ongoing").format(end=end, year=this_year)
    return None


def date_warnings(periods: Iterable[tuple[str, int, int, bool]], this_year: int) -> list[Problem]:
    """The valid records whose years (file, start, end, ongoing) run after this year: valid (a mission about to
    start may be recorded), but no reference yet, so `validate` says so rather than leave it to `check` when a
    tender chooses it."""
    warnings = []
    for file, start, end, ongoing in periods:
        reason = after_this_year(start, end, ongoing, this_year)
        if reason is None:
            continue
        if start > this_year:
            warnings.append(Problem(file, "period.start", _(
                "{reason}: a mission not started yet is no reference; correct the year if it is a typo").format(
                reason=reason)))
        else:
            warnings.append(Problem(file, "period.end", _(
                "{reason}: correct the year if it is a typo, or add ongoing = true for a mission under way").format(
                reason=reason)))
    return warnings
