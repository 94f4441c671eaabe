"""The record, declared once: one Mission per fiche référence, and the Library they make together.

Each field below is a key of a record file. Its type and its key(...) are all refcli knows of that key:
records/validate.py checks a TOML table against them (collecting every problem), records/serialize.py
converts a checked table to a Mission and back, search/index.py reads the fields marked search=...,
and docs/records.md must document every key (tests/test_docs.py). A new searchable, displayed field is
one line here, the line that displays it, and its line in the docs.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refcli.frozen import frozen
from refcli.i18n import _

if TYPE_CHECKING:
    from refcli.errors import Problem
    from refcli.records.vocabulary import Vocabulary

ROLES = ("titulaire", "mandataire", "co-traitant", "sous-traitant")
CLIENT_KINDS = ("public", "private")
# The kinds as a French bid manager may type them (--client privé): folded words -> the record's word.
CLIENT_KIND_WORDS = {"public": "public", "publique": "public", "publics": "public", "publiques": "public",
                     "private": "private", "prive": "private", "privee": "private", "prives": "private",
                     "privees": "private"}


def client_kind_of(text: str) -> str | None:
    """The record's client kind a word names, French or English, accents and case aside (None: not a kind)."""
    from refcli.search.text import fold

    return CLIENT_KIND_WORDS.get(fold(text))


def client_kind_option(kind: str, option: str) -> str:
    """An option's client kind (--client, --client-kind, a prompt's answer) as the record writes it: French or
    English, accents and case aside ("privé" is "private")."""
    from refcli.errors import UserError

    found = client_kind_of(kind)
    if found is None:
        raise UserError(_("{option}: {kind!r}: expected public or private").format(option=option, kind=kind))
    return found
BASES = ("HT", "TTC")  # the tax basis, when the fiche states it; None: not stated
FEE_SCOPES = ("mission", "tranche ferme")  # what a fee covers: the whole mission, or its tranche ferme
PROJECT_SCOPE = "project"  # amounts.project: the project's total cost, not the firm's fee
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FIRST_YEAR, LAST_YEAR = 1950, 2100
MAX_TEXT = 20_000  # characters in one text field: a fiche is one page, not a report
# The largest number each numeric key may hold: far above any real one, and far below what breaks the
# formatting of an annex (an integer beyond 64 bits validated, then `list` and `show` failed).
MAX_AMOUNT = 10**12  # euros: the largest urban projects cost tens of billions
MAX_POPULATION = 10**9
MAX_COUNT = 10**7  # dwellings, square metres... in a programme
MAX_MONTHS = 1200


@dataclasses.dataclass(frozen=True, slots=True)
class Key:
    """What one key of a record may hold, beyond its type (the field's annotation)."""

    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float = MAX_AMOUNT
    check: Callable[[Any], str | None] | None = None
    search: str | None = None  # the index field its words go to (search/index.py FIELDS), if searched
    default_from: str | None = None  # when absent, the value of this sibling key
    implied: Any = None  # a value not written back, since it goes without saying (None: only empties)
    fixed: tuple[tuple[str, Any], ...] = ()  # keys of the sub-table its place sets; the file may not


def key(default: Any = dataclasses.MISSING, *, factory: Any = dataclasses.MISSING, **spec: Any) -> Any:
    """Declare a record key: a keyword-only dataclass field whose metadata is its Key."""
    if "fixed" in spec:
        spec["fixed"] = tuple(spec["fixed"].items())
    return dataclasses.field(default=default, default_factory=factory, kw_only=True, metadata={"key": Key(**spec)})


MAX_ID = 200  # characters: `new` and `import` name the record's file after it, and a file name holds 255 bytes


def _id_check(value: str) -> str | None:
    if not ID_PATTERN.match(value):
        return _("must be lowercase letters, digits and single hyphens, like 'antony-noyer-dore-psl'")
    if len(value) > MAX_ID:
        return _("is {length} characters long; an id names the record's file: {limit} at most").format(
            length=len(value), limit=MAX_ID)
    return None


def _currency_check(value: str) -> str | None:
    return None if re.fullmatch(r"[A-Z]{3}", value) else _("must be a three-letter ISO code such as 'EUR'")


def _year_check(value: int) -> str | None:
    return None if FIRST_YEAR <= value <= LAST_YEAR else _("must be a year between {first} and {last}").format(
        first=FIRST_YEAR, last=LAST_YEAR)


def _basis_check(value: str) -> str | None:
    if value in BASES:
        return None
    if value.strip().upper() in ("TF", "(TF)"):
        return _('"TF" is the tranche ferme, what the fee covers, not a tax basis: write scope = "tranche ferme" '
                 "and give basis only if the fiche says HT or TTC")
    return _("must be HT or TTC, as the fiche states it; leave basis out when the fiche does not say")


@frozen
class Client:
    name: str = key(required=True, search="client")
    kind: str = key(required=True, choices=CLIENT_KINDS)  # "public" or "private"
    category: str | None = key(None, search="client")  # commune, EPCI/EPT, État, bailleur social, SEM/SPL...
    contact: str | None = key(None)


@frozen
class Period:
    start: int = key(required=True, check=_year_check)
    end: int = key(check=_year_check, default_from="start")  # equal to start for a mission within one year
    duration_months: int | None = key(None, minimum=1, maximum=MAX_MONTHS)
    ongoing: bool = key(False, implied=False)


@frozen
class Site:
    city: str | None = key(None, search="site")
    districts: tuple[str, ...] = key((), search="site")
    population: int | None = key(None, minimum=0, maximum=MAX_POPULATION)
    note: str | None = key(None)


@frozen
class Team:
    members: tuple[str, ...] = key((), search="team")  # firms and consultants, as the fiche lists them
    mandataire: str | None = key(None, search="team")  # the lead firm of the consortium, when there is one
    director: str | None = key(None, search="team")
    referent: str | None = key(None, search="team")
    consultants: tuple[str, ...] = key((), search="team")  # the consultants mobilised


@frozen
class Amount:
    value: float = key(required=True, minimum=0)
    currency: str = key("EUR", check=_currency_check)
    basis: str | None = key(None, check=_basis_check)  # "HT" or "TTC" as the fiche states it; None: not said
    scope: str = key("mission", choices=FEE_SCOPES, implied="mission")  # or "project", set by its place
    as_written: str | None = key(None)


@frozen
class Amounts:
    project: Amount | None = key(None, fixed={"scope": PROJECT_SCOPE})  # the project's total cost
    fee: Amount | None = key(None)  # the firm's fee


@frozen
class ProgrammeItem:
    label: str = key(required=True)
    count: int = key(required=True, minimum=0, maximum=MAX_COUNT)


@frozen
class Illustration:
    file: str = key(required=True)  # relative to the library folder
    caption: str = key(required=True)
    credit: str | None = key(None)


@frozen
class Mission:
    id: str = key(required=True, check=_id_check)
    title: str = key(required=True, search="title")
    subtitle: str | None = key(None, search="title")
    mission_type: str = key(required=True, search="mission_type")
    role: str = key(required=True, choices=ROLES)
    keywords: tuple[str, ...] = key((), search="keywords")
    stakes: str = key(required=True, search="stakes")
    content: tuple[str, ...] = key(required=True, search="content")
    partners: tuple[str, ...] = key((), search="partners")
    sources: str | None = key(None)
    certificate: bool | None = key(None)  # an attestation de bonne exécution exists
    client: Client = key(required=True)
    period: Period = key(required=True)
    site: Site = key(factory=Site)
    team: Team = key(factory=Team)
    amounts: Amounts = key(factory=Amounts)
    programme: tuple[ProgrammeItem, ...] = key(())
    components: dict[str, int] = key(factory=dict, search="components")  # component id -> level
    illustrations: tuple[Illustration, ...] = key(())
    # Key paths ("components.concertation", "client.kind") of values not on the source fiche -> why:
    # refcli.records.provenance leaves them out of what a buyer reads until the firm deletes the line.
    inferred: dict[str, str] = key(factory=dict)
    path: Path | None = dataclasses.field(default=None, compare=False, kw_only=True)  # not a key: where it was read

    @property
    def project_amount(self) -> Amount | None:
        return self.amounts.project

    @property
    def fee(self) -> Amount | None:
        return self.amounts.fee


@frozen
class Library:
    """The valid missions of a data folder, sorted by id, and the problems of the files left out."""

    folder: Path
    missions: tuple[Mission, ...]
    vocabulary: Vocabulary
    problems: tuple[Problem, ...] = ()
    skipped_files: tuple[str, ...] = ()

    def get(self, mission_id: str) -> Mission | None:
        find = getattr(self.missions, "find", None)  # the cache's lazy missions find one without decoding all
        if find is not None:
            return find(mission_id)
        for mission in self.missions:
            if mission.id == mission_id:
                return mission
        return None


# The declaration read as a schema: what validate, serialize and the index walk.
@dataclasses.dataclass(frozen=True, slots=True)
class Spec:
    """One key of the schema: its kind, its Key, and for a table its class and its keys."""

    kind: str  # str, int, number, bool, strings, table, tables, levels, provenance
    key: Key = Key()
    children: dict[str, Spec] = dataclasses.field(default_factory=dict)
    record_class: type | None = None
    default: Any = None  # the field's default when the key is absent (None: no default, or a factory)

    @property
    def required(self) -> bool:
        return self.key.required


_SCALARS = {str: "str", int: "int", float: "number", bool: "bool"}
_SCHEMAS: dict[type, dict[str, Spec]] = {}


def schema_of(record_class: type) -> dict[str, Spec]:
    """The keys of a declared class, in its order, each with its Spec (computed once a class)."""
    if record_class not in _SCHEMAS:
        import typing

        hints = typing.get_type_hints(record_class)
        _SCHEMAS[record_class] = {
            field.name: _spec(hints[field.name], field.metadata["key"], field.default)
            for field in dataclasses.fields(record_class) if "key" in field.metadata
        }
    return _SCHEMAS[record_class]


def _spec(hint: Any, declared: Key, default: Any) -> Spec:
    import typing

    arguments = [argument for argument in typing.get_args(hint) if argument is not type(None)]
    origin = typing.get_origin(hint)
    default = None if default is dataclasses.MISSING else default
    if origin is tuple:
        item = arguments[0]
        if dataclasses.is_dataclass(item):
            return Spec("tables", declared, schema_of(item), item, default)
        return Spec("strings", declared, default=default)
    if origin is dict:
        return Spec("levels" if arguments[1] is int else "provenance", declared)
    if arguments:  # X | None
        hint = arguments[0]
    if dataclasses.is_dataclass(hint):
        fixed = dict(declared.fixed)
        children = {name: spec for name, spec in schema_of(hint).items() if name not in fixed}
        return Spec("table", declared, children, hint)
    return Spec(_SCALARS[hint], declared, default=default)
