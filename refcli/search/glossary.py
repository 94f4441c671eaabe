"""The glossary of the trade: acronyms, synonym groups and ambiguous terms, from a file the firm edits.

Entries are keyed by their token form (`text.tokens` joined by spaces), so case, accents,
apostrophes and stop words do not matter: "Point d'Étape" and "point etape" are one key.
"""

from __future__ import annotations

from dataclasses import field
from pathlib import Path

from refcli.errors import UserError
from refcli.frozen import frozen
from refcli.i18n import _
from refcli.search.text import keep_whole, tokens

FILE_NAME = "glossary.toml"
MATCH_MODES = ("none", "literal")
# A query term this close to a glossary key (rapidfuzz ratio, 0-100) is looked up as that key,
# so "concertaiton" still expands; only for keys of 6 characters or more.
FUZZY_KEY_CUTOFF = 88
FUZZY_KEY_MIN_LENGTH = 6


def glossary_key(text: str) -> str:
    """Return the form under which the glossary files a term: its tokens joined by spaces."""
    return " ".join(tokens(text))


@frozen
class Ambiguity:
    term: str
    match: str  # "none": left out of a query; "literal": searched as written, never expanded
    senses: tuple[str, ...]


@frozen
class Expansion:
    """What a glossary lookup found for a query term: the other members of its entries."""

    key: str  # the glossary key the term was taken for (differs from the term after a typo)
    alternatives: tuple[str, ...]  # as the glossary writes them, in file order, without duplicates


CONCEPT_KINDS = ("service", "field", "other")


@frozen
class Concept:
    """What a bid manager judges a reference by: its type of service, its field, or a purchase that is no
    intellectual service at all (works, supplies). Found in a text by any of its terms."""

    name: str
    kind: str  # "service", "field" or "other"
    terms: tuple[str, ...]  # as the glossary writes them
    stems: tuple[tuple[str, ...], ...]  # each term's stems (refcli.search.text.stems)
    generic: bool = False  # a service named by how it is bought (AMO): the tender's type only if no other


@frozen
class Glossary:
    groups: tuple[tuple[str, ...], ...]  # each acronym entry and synonym group, as written
    ambiguities: dict[str, Ambiguity] = field(default_factory=dict)  # by glossary key
    boilerplate: frozenset[str] = frozenset()  # folded words that free text leaves out
    source: Path | None = None
    concepts: tuple[Concept, ...] = ()
    acronyms: frozenset[str] = frozenset()  # the one-word acronyms of its entries, folded: kept whole, not stemmed
    _groups_by_key: dict[str, tuple[int, ...]] = field(init=False, repr=False, compare=False)
    _phrase_keys: tuple[tuple[str, ...], ...] = field(init=False, repr=False, compare=False)
    _compounds: frozenset[str] = field(init=False, repr=False, compare=False)
    _fuzzy_keys: list[str] = field(init=False, repr=False, compare=False)  # what a word's typo is matched against

    def __post_init__(self) -> None:
        by_key: dict[str, list[int]] = {}
        for number, group in enumerate(self.groups):
            for member in group:
                by_key.setdefault(glossary_key(member), []).append(number)
        object.__setattr__(self, "_groups_by_key", {key: tuple(value) for key, value in by_key.items()})
        object.__setattr__(self, "_fuzzy_keys", [key for key in by_key if len(key) >= FUZZY_KEY_MIN_LENGTH])
        phrases = [tuple(key.split()) for key in by_key if " " in key]
        object.__setattr__(self, "_phrase_keys", tuple(sorted(phrases, key=lambda words: (-len(words), words))))
        # Members written as one hyphenated word ("co-construction", "plan-guide"): their parts are no words
        # of their own ("construction" is not what "co-construction" means).
        compounds = {glossary_key(member) for group in self.groups for member in group
                     if len(member.split()) == 1 and " " in glossary_key(member)}
        object.__setattr__(self, "_compounds", frozenset(compounds))

    def is_compound(self, key: str) -> bool:
        """Whether a phrase key is a member written as one hyphenated word."""
        return key in self._compounds

    def phrase_keys(self) -> tuple[tuple[str, ...], ...]:
        """Return the keys of two words or more, as word tuples, longest first (to find them in text)."""
        return self._phrase_keys

    def has_key(self, key: str) -> bool:
        """Whether a glossary key (glossary_key's form) is an entry of the glossary."""
        return key in self._groups_by_key

    def group_numbers(self, key: str) -> tuple[int, ...]:
        """The acronym entries and synonym groups a key belongs to."""
        return self._groups_by_key.get(key, ())

    def ambiguity(self, term: str) -> Ambiguity | None:
        return self.ambiguities.get(glossary_key(term))

    def expand(self, term: str) -> Expansion | None:
        """Return the other members of every entry the term belongs to, or None.

        An exact key wins; else a close key (a typo), for terms of 6 characters or more.
        An ambiguous term is never expanded.
        """
        key = glossary_key(term)
        if not key or key in self.ambiguities:
            return None
        if key not in self._groups_by_key:
            key = self._closest_key(key)
            if key is None:
                return None
        alternatives: dict[str, None] = {}
        for number in self._groups_by_key[key]:
            for member in self.groups[number]:
                if glossary_key(member) != key:
                    alternatives.setdefault(member)
        return Expansion(key, tuple(alternatives))

    def _closest_key(self, key: str) -> str | None:
        if len(key) < FUZZY_KEY_MIN_LENGTH:
            return None
        from rapidfuzz import fuzz, process

        # A typo changes letters; a key that is the word with letters before it is another word, a compound
        # ("construction" is no typo of "coconstruction": co-construction is no construction).
        best = process.extractOne(key, self._fuzzy_keys, scorer=fuzz.ratio, processor=None,
                                  score_cutoff=FUZZY_KEY_CUTOFF)
        if best is None:
            return None
        word, found = key.replace(" ", ""), best[0].replace(" ", "")
        if len(found) > len(word) and (found.endswith(word) or found.endswith(word.rstrip("sx"))):
            return None
        return best[0]


def find_glossary_file(data_folder: Path | None) -> Path:
    """Return the glossary beside the library folder, else the one shipped with refcli."""
    from refcli.records.vocabulary import find_data_file

    return find_data_file(FILE_NAME, data_folder, _("glossary of the trade"))


def load_glossary(data_folder: Path | None = None, path: Path | None = None) -> Glossary:
    """Read and check the glossary; a problem is one line naming the file and the key."""
    from refcli.records.vocabulary import read_data_file

    path = path or find_glossary_file(data_folder)
    # The cache and the query both read it: parsed once per process while the file is unchanged.
    try:
        status = path.stat()
        key = (str(path.resolve()), status.st_mtime_ns, status.st_size)
    except OSError:
        key = None
    found = _LOADED.get(key) if key else None
    if found is None:
        found = parse_glossary(read_data_file(path, _("the glossary")), path)
        if key:
            _LOADED[key] = found
    keep_whole(found.acronyms)  # this glossary's, if another was read since
    return found


_LOADED: dict[tuple[str, int, int], Glossary] = {}


def parse_glossary(table: dict, path: Path) -> Glossary:
    """Check a glossary table read from path and build the Glossary."""
    if not table:  # a save cut short, more likely than a firm that wants no vocabulary of its trade
        raise UserError(_("{path}: the glossary is empty: refcli would search without the trade's acronyms, synonyms "
                          "and concepts; fill it, or delete it to use the one shipped with refcli").format(path=path))
    unknown = set(table) - {"acronyms", "synonyms", "ambiguous", "boilerplate", "concepts"}
    if unknown:
        raise UserError(_("{path}: {key}: unknown key "
                          "(expected acronyms, synonyms, ambiguous, boilerplate, concepts)").format(
                              path=path, key=sorted(unknown)[0]))
    groups: list[tuple[str, ...]] = []
    acronyms = table.get("acronyms", {})
    if not isinstance(acronyms, dict):
        raise UserError(_("{path}: acronyms: expected a table of ACRONYM = [expansions]").format(path=path))
    for acronym, expansions in acronyms.items():
        if not any(character.isalnum() for character in acronym):  # "", or punctuation: it names nothing
            raise UserError(_("{path}: acronyms.{acronym!r}: an acronym must hold a letter or a digit").format(
                path=path, acronym=acronym))
        groups.append((acronym, *_strings(expansions, f"{path}: acronyms.{acronym}")))
    synonyms = table.get("synonyms", [])
    if not isinstance(synonyms, list):
        raise UserError(_("{path}: synonyms: expected [[synonyms]] tables with terms = [...]").format(path=path))
    for number, entry in enumerate(synonyms):
        where = f"{path}: synonyms[{number}]"
        if not isinstance(entry, dict) or set(entry) != {"terms"}:
            raise UserError(_("{where}: expected a table with one key, terms = [...]").format(where=where))
        terms = _strings(entry["terms"], f"{where}.terms")
        if len(terms) < 2:
            raise UserError(_("{where}.terms: a synonym group needs at least two terms").format(where=where))
        groups.append(terms)
    ambiguities = _ambiguities(table.get("ambiguous", {}), path)
    for group in groups:
        for member in group:
            if glossary_key(member) in ambiguities:
                raise UserError(_("{path}: ambiguous.{member}: an ambiguous term cannot be in an acronym "
                                "entry or a synonym group (it would be expanded blindly)").format(path=path,
                                                                                                  member=member))
    boilerplate = table.get("boilerplate", [])
    items = _strings(boilerplate, f"{path}: boilerplate") if boilerplate else ()
    words = [word for item in items for word in tokens(item)]
    acronyms = _acronyms(groups)
    keep_whole(acronyms)  # before the concepts' terms are stemmed
    return Glossary(tuple(groups), ambiguities, frozenset(words), path, _concepts(table.get("concepts", []), path),
                    acronyms)


def _acronyms(groups: list[tuple[str, ...]]) -> frozenset[str]:
    """The members written in capitals as one word (MOA, PLACI, CUCS), folded."""
    found = set()
    for group in groups:
        for member in group:
            words = tokens(member) if member.isupper() else []
            if len(words) == 1:
                found.add(words[0])
    return frozenset(found)


def _concepts(entries: object, path: Path) -> tuple[Concept, ...]:
    from refcli.search.text import stems

    if not isinstance(entries, list):
        raise UserError(_("{path}: concepts: expected [[concepts]] tables with name, kind and terms").format(path=path))
    found = []
    names: set[str] = set()
    for number, entry in enumerate(entries):
        where = f"{path}: concepts[{number}]"
        if not isinstance(entry, dict):
            raise UserError(_("{where}: expected a table with name, kind and terms").format(where=where))
        unknown = set(entry) - {"name", "kind", "terms", "generic"}
        if unknown:
            raise UserError(_("{where}.{key}: unknown key (expected name, kind, terms, generic)").format(
                where=where, key=sorted(unknown)[0]))
        generic = entry.get("generic", False)
        if not isinstance(generic, bool):
            raise UserError(_("{where}.generic: expected true or false").format(where=where))
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise UserError(_("{where}.name: expected a non-empty string").format(where=where))
        if name in names:
            raise UserError(_("{where}.name: {name!r} is already the name of another concept")
                            .format(where=where, name=name))
        names.add(name)
        kind = entry.get("kind")
        if kind not in CONCEPT_KINDS:
            raise UserError(_("{where}.kind: expected one of {kinds}, got {kind!r}").format(
                where=where, kinds=", ".join(CONCEPT_KINDS), kind=kind))
        terms = _strings(entry.get("terms"), f"{where}.terms")
        found.append(Concept(name, kind, terms, tuple(tuple(stems(term)) for term in terms), generic))
    return tuple(found)


def _strings(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise UserError(_("{where}: expected a non-empty list of strings").format(where=where))
    for item in value:
        if not isinstance(item, str) or not tokens(item):
            raise UserError(_("{where}: {item!r}: expected a string with at least one word")
                            .format(where=where, item=item))
    return tuple(value)


def _ambiguities(table: object, path: Path) -> dict[str, Ambiguity]:
    if not isinstance(table, dict):
        raise UserError(_("{path}: ambiguous: expected a table of TERM = {{ match = ..., senses = [...] }}")
                        .format(path=path))
    found = {}
    for term, entry in table.items():
        where = f"{path}: ambiguous.{term}"
        if not isinstance(entry, dict):
            raise UserError(_("{where}: expected {{ match = \"none\" or \"literal\", senses = [...] }}")
                            .format(where=where))
        unknown = set(entry) - {"match", "senses"}
        if unknown:
            raise UserError(_("{where}.{key}: unknown key (expected match, senses)").format(
                where=where, key=sorted(unknown)[0]))
        match = entry.get("match")
        if match not in MATCH_MODES:
            raise UserError(_("{where}.match: expected \"none\" or \"literal\", got {match!r}")
                            .format(where=where, match=match))
        senses = _strings(entry.get("senses"), f"{where}.senses")
        found[glossary_key(term)] = Ambiguity(term, match, senses)
    return found
