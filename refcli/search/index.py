"""The inverted index of a library: each stem, and each pair of stems side by side -> where it occurs, how often.

Missions are numbered by slot: a record file's number in the library, fixed for as long as the file
is there (the cache gives a new file the next free number; a read without the cache numbers the
files in their order). A posting gives, for each field a key occurs in, two arrays of the same
length: the slots (ascending) and the key's frequency in that field of each (what BM25F reads,
refcli.search.rank). Pairs are what phrases match: "maison du projet" is found through the pair
"maison projet" (stop words are not indexed); a pair never spans two items of a list field (two
keywords). Stems never hold a space, pairs always do, so both share one key space.

Beside the postings: each mission's field lengths (in words) and the library's surface words (folded,
not stemmed) with their stems, which typo and broken-accent matching run over.

There is one index type, SearchIndex, built in memory (Indexer, merge_postings: from the records just read)
or read from the SQLite cache (refcli/search/cache.py), behind one interface: .facts, .words, .posting(key).
It is plain Python (dicts, strings, `array`): importing numpy alone costs more than a warm search may.
"""

from __future__ import annotations

import re
from array import array
from collections import _count_elements  # type: ignore[attr-defined]  # Counter's loop, in C
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from typing import Any

from refcli.records.model import Library, Mission, Spec, schema_of
from refcli.records.vocabulary import Vocabulary
from refcli.search.text import REPLACEMENT, stem_all, tokens

# The fields of a record that search reads (their weights are the ranking's: refcli.search.rank.FIELD_WEIGHTS).
FIELDS: tuple[str, ...] = ("title", "keywords", "mission_type", "stakes", "content", "components", "client",
                           "site", "partners", "team")

# A key's posting: field number -> (slots ascending, array "i"; frequencies, array "H").
Posting = dict[int, tuple[array, array]]
# One mission's share of the index: per field {stem: frequency}, per field {pair: frequency}, its field lengths.
Terms = tuple[tuple[dict[str, int], ...], tuple[dict[str, int], ...], tuple[int, ...]]
# What filters and competencies read of one mission: id, last year, ongoing, public client,
# {component: level}, field lengths.
MissionFacts = tuple[str, int, bool, bool, dict[str, int], tuple[int, ...]]


def mission_facts(mission: Mission, lengths: tuple[int, ...]) -> MissionFacts:
    return (mission.id, mission.period.end, mission.period.ongoing, mission.client.kind == "public",
            dict(mission.components), lengths)


class Facts:
    """What ranking, filters and competencies read of the searchable missions, a column each, by slot.

    ids holds exactly the missions a search may return (valid, the first file with its id); the
    other columns may hold more. Columns, not a tuple per mission: the cache loads ten thousand
    missions' facts as a few lists (marshal), and dict(zip(...)) builds each column in C.
    """

    __slots__ = ("ids", "_columns", "_ends", "_ongoing", "_public", "_levels", "_lengths", "_averages")

    def __init__(self, ids: dict[int, str], columns: tuple) -> None:
        self.ids = ids
        self._columns = columns
        self._ends: dict[int, int] | None = None
        self._ongoing: set[int] | None = None
        self._public: set[int] | None = None
        self._levels: dict[str, dict[int, int]] | None = None
        self._lengths: list[dict[int, int]] | None = None
        self._averages: tuple[float, ...] | None = None

    @classmethod
    def gather(cls, missions: Iterable[tuple[int, MissionFacts]]) -> Facts:
        return cls.from_columns(columns_of(missions))

    @classmethod
    def from_columns(cls, columns: tuple, kept: set[int] | None = None) -> Facts:
        """From columns_of's columns; kept: the slots a search may return, if not all of them."""
        found = dict(zip(columns[0], columns[1], strict=True))
        if kept is not None and len(kept) != len(found):
            found = {slot: mission_id for slot, mission_id in found.items() if slot in kept}
        return cls(found, columns)

    # The other columns are built when a query first reads them (10,000 missions' columns cost ~10 ms).
    @property
    def ends(self) -> dict[int, int]:
        if self._ends is None:
            self._ends = dict(zip(self._columns[0], self._columns[2], strict=True))
        return self._ends

    @property
    def ongoing(self) -> set[int]:
        if self._ongoing is None:
            self._ongoing = set(self._columns[3])
        return self._ongoing

    @property
    def public(self) -> set[int]:
        if self._public is None:
            self._public = set(self._columns[4])
        return self._public

    @property
    def levels(self) -> dict[str, dict[int, int]]:
        if self._levels is None:
            self._levels = {component: dict(zip(*pairs, strict=True)) for component, pairs in self._columns[5].items()}
        return self._levels

    @property
    def lengths(self) -> list[dict[int, int]]:
        """Per field, each mission's length in words, by slot."""
        if self._lengths is None:
            slots, flat = self._columns[0], self._columns[6]
            count = len(FIELDS)
            self._lengths = [dict(zip(slots, flat[field::count], strict=True)) for field in range(count)]
        return self._lengths

    def field_lengths(self, field: int) -> tuple[list[int], list[int]]:
        """One field's lengths: the slots of every valid mission, and the length of each (columns, in C)."""
        return self._columns[0], self._columns[6][field::len(FIELDS)]

    @property
    def average_lengths(self) -> tuple[float, ...]:
        """Per field, the mean length of the field over the valid missions (at least 1 word)."""
        if self._averages is None:
            count = max(1, len(self._columns[0]))
            flat = self._columns[6]
            self._averages = tuple(max(1.0, sum(flat[field::len(FIELDS)]) / count) for field in range(len(FIELDS)))
        return self._averages

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, slot: int) -> bool:
        return slot in self.ids

    def of(self, slot: int) -> MissionFacts:
        """One mission's facts, as mission_facts gives them."""
        return (self.ids[slot], self.ends[slot], slot in self.ongoing, slot in self.public,
                {component: levels[slot] for component, levels in self.levels.items() if slot in levels},
                tuple(column[slot] for column in self.lengths))


def columns_of(missions: Iterable[tuple[int, MissionFacts]]) -> tuple:
    """(slots, ids, ends, ongoing slots, public slots, {component: (slots, levels)}, field lengths flat):
    plain lists, for marshal."""
    slots: list[int] = []
    ids: list[str] = []
    ends: list[int] = []
    ongoing: list[int] = []
    public: list[int] = []
    levels: dict[str, tuple[list[int], list[int]]] = {}
    lengths: list[int] = []
    for slot, (mission_id, end, is_ongoing, is_public, covered, field_lengths) in missions:
        slots.append(slot)
        ids.append(mission_id)
        ends.append(end)
        if is_ongoing:
            ongoing.append(slot)
        if is_public:
            public.append(slot)
        for component, level in covered.items():
            column = levels.setdefault(component, ([], []))
            column[0].append(slot)
            column[1].append(level)
        lengths += field_lengths
    return slots, ids, ends, ongoing, public, levels, lengths


class SearchIndex:
    """Where each stem, and each pair of stems, occurs, how often; and the facts of every searchable mission.

    facts: the facts of the missions a search may return (valid, the first file with its id); a
    posting may also hold slots of files left out (a duplicate id), which ranking skips.
    words: the library's surface words (folded) -> their stems, what typo matching runs over; a
    function giving them when they are read from the cache (only a query with a typo reads them).
    fetch(keys): the postings of these keys (absent: no posting); each fetched once, then kept.
    """

    __slots__ = ("facts", "_words", "fetch", "_fetched")

    def __init__(self, facts: Facts, words: Mapping[str, str] | Callable[[], Mapping[str, str]],
                 fetch: Callable[[list[str]], dict[str, Posting]]) -> None:
        self.facts, self._words, self.fetch = facts, words, fetch
        self._fetched: dict[str, Posting | None] = {}

    @property
    def words(self) -> Mapping[str, str]:
        if callable(self._words):
            self._words = self._words()
        return self._words

    def prefetch(self, keys: Iterable[str]) -> None:
        """Fetch these postings at once (one query to the cache)."""
        missing = [key for key in dict.fromkeys(keys) if key not in self._fetched]
        if missing:
            found = self.fetch(missing)
            self._fetched.update({key: found.get(key) for key in missing})

    def posting(self, key: str) -> Posting | None:
        if key not in self._fetched:
            self.prefetch([key])
        return self._fetched[key]

    def frequency(self, key: str) -> int:
        """In how many missions the key occurs (any field, searchable or not)."""
        posting = self.posting(key)
        return posting_frequency(posting) if posting else 0


def posting_frequency(posting: Posting) -> int:
    """In how many missions a posting's key occurs, whatever the field."""
    if len(posting) == 1:
        return len(next(iter(posting.values()))[0])
    return len(set().union(*(slots for slots, _ in posting.values())))


def mission_fields(mission: Mission, vocabulary: Vocabulary) -> dict[str, list[str]]:
    """Return the texts of each searched field of a mission, list items kept apart: the keys declared
    search=<field> in records/model.py, in their declaration's order."""
    labels = vocabulary.by_id()
    fields: dict[str, list[str]] = {name: [] for name in FIELDS}
    for path, kind, field in _searched():
        value: Any = mission
        for name in path:
            value = getattr(value, name) if value is not None else None
        if value is None:
            continue
        if kind == "strings":
            fields[field] += value
        elif kind == "levels":
            fields[field] += [labels[component].label for component in value if component in labels]
        else:
            fields[field].append(value)
    return fields


def searched_values(mission: Mission) -> Iterator[tuple[tuple[str, ...], str, list[str]]]:
    """Each searched key of a mission that holds text: its attribute path, its index field, its texts (a list's
    items); components aside (their labels are the vocabulary's)."""
    for path, kind, field in _searched():
        if kind == "levels":
            continue
        value: Any = mission
        for name in path:
            value = getattr(value, name) if value is not None else None
        if value:
            yield path, field, list(value) if kind == "strings" else [value]


@cache
def _searched() -> tuple[tuple[tuple[str, ...], str, str], ...]:
    """Every searched key of the declaration: (attribute path, kind, index field)."""
    return tuple(_search_keys(schema_of(Mission), ()))


def _search_keys(schema: dict[str, Spec], prefix: tuple[str, ...]) -> Iterable[tuple[tuple[str, ...], str, str]]:
    for name, spec in schema.items():
        if spec.kind == "table":
            yield from _search_keys(spec.children, (*prefix, name))
        elif spec.key.search:
            assert spec.key.search in FIELDS, f"{name}: search={spec.key.search!r} is not an index field"
            yield (*prefix, name), spec.kind, spec.key.search


# Where a concept of the glossary (glossary.Concept) is read in a mission: what the mission was (title,
# keywords, type) counts whole; what it did along the way (content, stakes, components) counts half.
CONCEPT_FIELDS: dict[str, float] = {"title": 1.0, "keywords": 1.0, "mission_type": 1.0, "content": 0.5,
                                    "stakes": 0.5, "components": 0.5}
CONCEPT_PREFIX = "@"  # a concept's key in the index: "@" and its name (no word begins with "@")


def concept_sources(mission: Mission, vocabulary: Vocabulary, concepts: Iterable) -> dict[str, set[str]]:
    """Where the mission names each concept it names in what it did (CONCEPT_FIELDS at half weight): "content",
    "stakes", or "components.<id>" for a component whose label names it. What an explanation reads to say where a
    concept was found, and whether only levels not on the fiche name it; the index keeps only the concept's weight."""
    indexer = Indexer(vocabulary, concepts)
    fields = mission_fields(mission, vocabulary)
    labels = vocabulary.by_id()
    found: dict[str, set[str]] = {}
    for name in ("content", "stakes"):
        for text in fields[name]:
            for concept in indexer._item(text)[2]:
                found.setdefault(concept, set()).add(name)
    for component in mission.components:
        if component in labels:
            for concept in indexer._item(labels[component].label)[2]:
                found.setdefault(concept, set()).add(f"components.{component}")
    return found


class Indexer:
    """Turn missions into their shares of the index: the vocabulary's labels and the glossary's concepts, once;
    each distinct text's stems and pairs worked out once (records repeat keywords, labels, clients, cities,
    partners, people); and the surface words of every mission it was given, with their stems."""

    def __init__(self, vocabulary: Vocabulary, concepts: Iterable = ()) -> None:
        self.vocabulary = vocabulary
        self.surfaces: dict[str, str] = {}
        self._raw: list[dict[str, list[int]]] = [{} for _ in FIELDS]
        # text -> (stems, pairs, concepts named, stems and pairs together)
        self._items: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {}
        # A concept's one-word terms by their stem; its longer terms by their first pair, with their other pairs.
        self.single: dict[str, list[str]] = {}
        self.multiple: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for concept in concepts:
            for stems in concept.stems:
                if len(stems) == 1:
                    self.single.setdefault(stems[0], []).append(concept.name)
                elif stems:
                    keys = tuple(map(" ".join, zip(stems, stems[1:], strict=False)))
                    self.multiple.setdefault(keys[0], []).append((concept.name, keys[1:]))
        self.concept_fields = {FIELDS.index(name): 2 if weight >= 1 else 1 for name, weight in CONCEPT_FIELDS.items()}

    def terms(self, mission: Mission) -> Terms:
        """A mission's stems and pairs of neighbouring stems, field by field, with their frequencies; its field
        lengths; and the concepts it names ("@name" keys among the title's stems, counted 2 where what the
        mission was names them, 1 where only what it did does). The cache keeps this per record file, so a
        changed file costs only its own tokenising."""
        words: list[dict[str, int]] = []
        pairs: list[dict[str, int]] = []
        lengths = []
        concepts: dict[str, int] = {}
        fields = mission_fields(mission, self.vocabulary)
        items = self._items
        for number, name in enumerate(FIELDS):
            field_words: dict[str, int] = {}
            field_pairs: dict[str, int] = {}
            length = 0
            weight = self.concept_fields.get(number, 0)
            for text in fields[name]:
                found = items.get(text)
                if found is None:
                    found = self._item(text)
                item, neighbours, named, _ = found
                length += len(item)
                for key in item:
                    field_words[key] = field_words.get(key, 0) + 1
                for key in neighbours:
                    field_pairs[key] = field_pairs.get(key, 0) + 1
                if weight:
                    for concept in named:
                        if concepts.get(concept, 0) < weight:
                            concepts[concept] = weight
            words.append(field_words)
            pairs.append(field_pairs)
            lengths.append(length)
        if concepts:
            words[0].update((CONCEPT_PREFIX + concept, weight) for concept, weight in concepts.items())
        return tuple(words), tuple(pairs), tuple(lengths)

    def add(self, slot: int, mission: Mission) -> tuple[int, ...]:
        """File a mission's stems, pairs and concepts into this indexer's postings (slots given ascending);
        return its field lengths. What terms() works out, without a table per field: a key's slots are appended
        to, the slot once more each time the key repeats in the field (packed() counts them, in C)."""
        fields = mission_fields(mission, self.vocabulary)
        items, raw, lengths = self._items, self._raw, []
        concepts: dict[str, int] = {}
        for number, name in enumerate(FIELDS):
            postings = raw[number]
            get = postings.get
            weight = self.concept_fields.get(number, 0)
            length = 0
            for text in fields[name]:
                found = items.get(text)
                if found is None:
                    found = self._item(text)
                length += len(found[0])
                for key in found[3]:
                    slots = get(key)
                    if slots is None:
                        postings[key] = [slot]
                    else:
                        slots.append(slot)
                if weight:
                    for concept in found[2]:
                        if concepts.get(concept, 0) < weight:
                            concepts[concept] = weight
            lengths.append(length)
        for concept, weight in concepts.items():
            raw[0].setdefault(CONCEPT_PREFIX + concept, []).extend([slot] * weight)
        return tuple(lengths)

    def packed(self) -> Packed:
        """The postings of the missions added, key -> field -> (slots, counts) as bytes."""
        found: Packed = {}
        one = array("H", [1]).tobytes()
        for field, postings in enumerate(self._raw):
            for key, slots in postings.items():
                if len(slots) == 1:
                    found.setdefault(key, {})[field] = (array("i", slots).tobytes(), one)
                else:
                    counts: dict[int, int] = {}
                    _count_elements(counts, slots)  # slot -> count, in the slots' (ascending) order
                    found.setdefault(key, {})[field] = (array("i", counts).tobytes(),
                                                        array("H", counts.values()).tobytes())
        return found

    def _item(self, text: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """One text's stems (a word with a broken accent kept as it is), pairs and the concepts it names (a
        term's words side by side); its surface words noted."""
        folded = tokens(text, keep_replacement=True)
        item = stem_all(folded)
        self.surfaces.update(zip(folded, item, strict=True))
        neighbours = tuple(map(" ".join, zip(item, item[1:], strict=False)))
        named: list[str] = []
        if self.single:
            named += [concept for key in self.single.keys() & set(item) for concept in self.single[key]]
        if self.multiple and neighbours:
            present = set(neighbours)
            named += [concept for key in self.multiple.keys() & present
                      for concept, others in self.multiple[key] if present.issuperset(others)]
        found = (item, neighbours, tuple(dict.fromkeys(named)), item + neighbours)
        if len(text) <= _ITEM_LENGTH:
            if len(self._items) > _ITEMS_SIZE:
                self._items.clear()
            self._items[text] = found
        return found


_ITEMS_SIZE = 100_000
_ITEM_LENGTH = 200


# --- building postings --------------------------------------------------------------------------

# Postings as a worker builds them for its files, before the broken words are repaired: key -> field ->
# (slots, counts), as bytes (array "i", array "H"): what marshal carries back from a worker in C.
Packed = dict[str, dict[int, tuple[bytes, bytes]]]


def merge_postings(parts: Iterable[tuple[Packed, dict[str, str]]]) -> tuple[dict[str, Posting], dict[str, str],
                                                                          dict[str, str]]:
    """The whole postings from parts packed over consecutive runs of slots, in order; with the surface words,
    and the broken words (holding U+FFFD), each repaired against the library's own words (repair_words)."""
    postings: dict[str, Posting] = {}
    surfaces: dict[str, str] = {}
    for packed, surface in parts:
        surfaces.update(surface)
        for key, fields in packed.items():
            posting = postings.get(key)
            if posting is None:
                posting = postings[key] = {}
            for field, (slot_bytes, count_bytes) in fields.items():
                column = posting.get(field)
                if column is None:
                    column = posting[field] = (array("i"), array("H"))
                column[0].frombytes(slot_bytes)
                column[1].frombytes(count_bytes)
    repairs = repair_words(surfaces, postings)
    if repairs:
        for key in [key for key in postings if REPLACEMENT in key]:
            new = " ".join(repairs.get(part, part) for part in key.split(" "))
            if new != key:
                _merge_into(postings, key, new)
        for broken in repairs:
            del surfaces[broken]
    return postings, surfaces, repairs


def _merge_into(postings: dict[str, Posting], key: str, new: str) -> None:
    """Move the posting of a key holding a broken word under the key of its repaired stems."""
    moved = postings.pop(key)
    target = postings.setdefault(new, {})
    for field, (slots, counts) in moved.items():
        merged = dict(zip(*target.get(field, ((), ())), strict=True))
        for slot, count in zip(slots, counts, strict=True):
            merged[slot] = merged.get(slot, 0) + count
        ordered = sorted(merged)
        target[field] = (array("i", ordered), array("H", [merged[slot] for slot in ordered]))


def broken_pattern(word: str) -> re.Pattern[str]:
    """A U+FFFD stands for a lost accented letter: up to two letters once folded (œ -> oe)."""
    return re.compile(".{1,2}".join(re.escape(part) for part in word.split(REPLACEMENT)))


def repair_words(surfaces: Mapping[str, str], postings: Mapping[str, object]) -> dict[str, str]:
    """Each broken surface word (holding U+FFFD) -> the stem of the library's clean word it stands for.

    An export that broke "Maîtrise" into "Ma\ufffdtrise" is read as the library's own word that fits
    the pattern (here "maitrise"), the most frequent when several fit; a broken word nothing fits stays
    apart. Only words of the same length give or take two letters are compared."""
    broken = [word for word in surfaces if REPLACEMENT in word]
    if not broken:
        return {}
    # Clean words by their first two letters and by their last two: a broken word is compared with the
    # words that begin (or, broken in its first two letters, end) as it does.
    heads: dict[str, list[str]] = {}
    tails: dict[str, list[str]] = {}
    for word in surfaces:
        if REPLACEMENT not in word and len(word) > 2:
            heads.setdefault(word[:2], []).append(word)
            tails.setdefault(word[-2:], []).append(word)
    repairs = {}
    for word in broken:
        size = len(word)
        if REPLACEMENT not in word[:2]:
            pool = heads.get(word[:2], ())
        elif REPLACEMENT not in word[-2:]:
            pool = tails.get(word[-2:], ())
        else:
            continue
        pattern = broken_pattern(word)
        candidates = [candidate for candidate in pool
                      if size <= len(candidate) <= size + 2 and pattern.fullmatch(candidate)]
        if candidates:
            best = max(candidates, key=lambda candidate: (_spread(postings.get(surfaces[candidate])), candidate))
            repairs[word] = surfaces[best]
    return repairs


def _spread(posting: object) -> int:
    if not posting:
        return 0
    return max(len(column[0]) for column in posting.values())  # type: ignore[attr-defined]


def memory_index(facts: Facts, postings: dict[str, Posting], surfaces: Mapping[str, str]) -> SearchIndex:
    """An index over postings held in memory."""
    return SearchIndex(facts, surfaces, lambda keys: {key: postings[key] for key in keys if key in postings})


def build_index(library: Library, glossary=None) -> SearchIndex:  # type: ignore[no-untyped-def]
    """Index a library held in memory (its missions' slots are their places in library.missions), with the
    concepts of this glossary (the library's own, by default)."""
    if glossary is None:
        from refcli.search.glossary import load_glossary

        glossary = load_glossary(library.folder)
    indexer = Indexer(library.vocabulary, glossary.concepts)
    facts = Facts.gather([(slot, mission_facts(mission, indexer.add(slot, mission)))
                          for slot, mission in enumerate(library.missions)])
    postings, surfaces, _ = merge_postings([(indexer.packed(), indexer.surfaces)])
    return memory_index(facts, postings, surfaces)
