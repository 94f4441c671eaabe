"""The inverted index of a library: each distinct word, and each pair of words side by side -> where it occurs.

Missions are numbered by slot: a record file's number in the library, fixed for as long as the file
is there (the cache gives a new file the next free number; a read without the cache numbers the
files in their order). A posting is two arrays of the same length: slots (ascending) and, for each,
a bit mask of the fields the word occurs in (bit i: FIELDS[i]). Pairs are what phrases match:
"maison du projet" is found through the pair "maison projet" (stop words are not indexed); a pair
never spans two items of a list field (two keywords). Words never hold a space, pairs always do,
so both share one key space.

The index is plain Python (dicts, strings and `array` arrays): importing numpy alone costs more
than a warm search may take. It lives in memory (built from the files just read: a search without
the cache, tests) or in the SQLite cache (refcli/cache.py), behind the one interface ranking reads:
SearchIndex.facts, .terms and .posting(key).
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Callable, Iterable, Sequence

from refcli.frozen import frozen
from refcli.model import Library, Mission
from refcli.text import tokens
from refcli.vocabulary import Vocabulary

# The fields of a record that search reads, and how much a match in each weighs (README, "Search").
FIELD_WEIGHTS: dict[str, float] = {
    "title": 3.0,          # title and subtitle
    "keywords": 3.0,
    "mission_type": 2.5,
    "stakes": 1.5,
    "content": 1.2,
    "components": 1.0,     # labels of the components the mission covered
    "client": 1.0,         # name and category
    "site": 1.0,           # city and districts
    "partners": 0.5,
    "team": 0.5,
}
FIELDS: tuple[str, ...] = tuple(FIELD_WEIGHTS)

Posting = tuple[array, array]  # slots ascending (array "i"), field masks (array "H")
# What filters and competencies read of one mission: id, last year, ongoing, public client, {component: level}.
MissionFacts = tuple[str, int, bool, bool, dict[str, int]]


def mission_facts(mission: Mission) -> MissionFacts:
    return (mission.id, mission.period.end, mission.period.ongoing, mission.client.kind == "public",
            dict(mission.components))


class Facts:
    """What filters and competencies read of the searchable missions, a column each, by slot.

    ids holds exactly the missions a search may return (valid, the first file with its id); the
    other columns may hold more. Columns, not a tuple per mission: the cache loads ten thousand
    missions' facts as a few lists (marshal), and dict(zip(...)) builds each column in C.
    """

    __slots__ = ("ids", "_columns", "_ends", "_ongoing", "_public", "_levels")

    def __init__(self, ids: dict[int, str], columns: tuple) -> None:
        self.ids = ids
        self._columns = columns
        self._ends: dict[int, int] | None = None
        self._ongoing: set[int] | None = None
        self._public: set[int] | None = None
        self._levels: dict[str, dict[int, int]] | None = None

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

    # The other columns are built when a query first reads them: a search without a window, a client
    # or competencies reads none (10,000 missions' columns cost ~10 ms to build).
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

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, slot: int) -> bool:
        return slot in self.ids

    def of(self, slot: int) -> MissionFacts:
        """One mission's facts, as mission_facts gives them."""
        return (self.ids[slot], self.ends[slot], slot in self.ongoing, slot in self.public,
                {component: levels[slot] for component, levels in self.levels.items() if slot in levels})


def columns_of(missions: Iterable[tuple[int, MissionFacts]]) -> tuple:
    """(slots, ids, ends, ongoing slots, public slots, {component: (slots, levels)}): plain lists, for marshal."""
    slots: list[int] = []
    ids: list[str] = []
    ends: list[int] = []
    ongoing: list[int] = []
    public: list[int] = []
    levels: dict[str, tuple[list[int], list[int]]] = {}
    for slot, (mission_id, end, is_ongoing, is_public, covered) in missions:
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
    return slots, ids, ends, ongoing, public, levels


class SearchIndex:
    """Where each word, and each pair of words, occurs; and the facts of every searchable mission.

    facts: the facts of the missions a search may return (valid, the first file with its id); a
    posting may also hold slots of files left out (a duplicate id), which ranking skips.
    terms: the distinct words, sorted: what fuzzy matching runs over.
    posting(key): a word's or a pair's posting, or None; fetched once, then kept.
    """

    __slots__ = ("facts", "_terms", "_term_set", "_fetch", "_fetch_many", "_fetched")

    def __init__(self, facts: Facts, terms: list[str] | Callable[[], list[str]],
                 fetch: Callable[[str], Posting | None],
                 fetch_many: Callable[[list[str]], dict[str, Posting | None]] | None = None) -> None:
        self.facts = facts
        self._terms: list[str] | Callable[[], list[str]] = terms
        self._term_set: frozenset[str] | None = None
        self._fetch = fetch
        self._fetch_many = fetch_many
        self._fetched: dict[str, Posting | None] = {}

    @property
    def terms(self) -> list[str]:
        if callable(self._terms):
            self._terms = self._terms()
        return self._terms

    def has_word(self, word: str) -> bool:
        if self._term_set is None:
            self._term_set = frozenset(self.terms)
        return word in self._term_set

    def prefetch(self, keys: Iterable[str]) -> None:
        """Fetch these postings at once, where fetching one at a time costs a round trip each (the cache's
        queries, a search's worker processes); a key not asked for here is still fetched when asked."""
        missing = [key for key in dict.fromkeys(keys) if key not in self._fetched]
        if missing and self._fetch_many is not None:
            self._fetched.update(self._fetch_many(missing))

    def posting(self, key: str) -> Posting | None:
        if key not in self._fetched:
            self._fetched[key] = self._fetch(key)
        return self._fetched[key]

    @staticmethod
    def field_names(mask: int) -> tuple[str, ...]:
        """Return the names of the fields a posting's mask designates."""
        return tuple(name for bit, name in enumerate(FIELDS) if mask >> bit & 1)


def mission_fields(mission: Mission, vocabulary: Vocabulary) -> dict[str, list[str]]:
    """Return the texts of each searched field of a mission, list items kept apart."""
    labels = vocabulary.by_id()
    return {
        "title": [mission.title, *filter(None, [mission.subtitle])],
        "keywords": list(mission.keywords),
        "mission_type": [mission.mission_type],
        "stakes": [mission.stakes],
        "content": list(mission.content),
        "components": [labels[component].label for component in mission.components if component in labels],
        "client": [mission.client.name, *filter(None, [mission.client.category])],
        "site": [*filter(None, [mission.site.city]), *mission.site.districts],
        "partners": list(mission.partners),
        "team": [*mission.team.members, *filter(None, [mission.team.mandataire, mission.team.director,
                                                         mission.team.referent]), *mission.team.consultants],
    }


def mission_terms(mission: Mission, vocabulary: Vocabulary) -> tuple[dict[str, int], dict[str, int]]:
    """Return a mission's distinct words and pairs of neighbouring words, each with its fields' bit mask.

    This is one mission's share of the index: the cache keeps it per record file, so a changed
    file costs only its own tokenising.
    """
    words: dict[str, int] = {}
    neighbours: dict[str, int] = {}
    fields = mission_fields(mission, vocabulary)
    known = _ITEMS
    if len(known) > _ITEMS_SIZE:
        known.clear()
    for bit, name in enumerate(FIELDS):
        flag = 1 << bit
        for text in fields[name]:
            split = known.get(text)
            if split is None:
                split = _item_terms(text)
                if len(text) <= _ITEM_LENGTH:
                    known[text] = split
            # A word seen twice is set the same flag twice: no set of the field's words first (measured:
            # a field repeats few words, and building the sets cost more than the repeats).
            for word in split[0]:
                words[word] = words.get(word, 0) | flag
            for pair in split[1]:
                neighbours[pair] = neighbours.get(pair, 0) | flag
    return words, neighbours


# Records repeat short texts (keywords, component labels, clients, cities, partners, people): each
# one's words and pairs are worked out once, and their strings, shared, keep their hashes.
_ITEMS: dict[str, tuple[list[str], list[str]]] = {}
_ITEMS_SIZE = 100_000
_ITEM_LENGTH = 120


def _item_terms(text: str) -> tuple[list[str], list[str]]:
    """Return the words of one text, and the pairs of neighbouring words."""
    item = tokens(text)
    return item, list(map(" ".join, zip(item, item[1:], strict=False)))


# --- a search without the cache: no postings built, a key's found when asked for ---------------------

def record_fields(table: dict, vocabulary: Vocabulary) -> dict[str, list[str]]:
    """mission_fields of the Mission a valid record's table describes (validate_table's), without the Mission:
    a search without the cache reads 10,000 records and shows ten. tests/test_index.py checks both agree."""
    labels = vocabulary.by_id()
    client, site, team = table["client"], table.get("site", {}), table.get("team", {})
    return {
        "title": [table["title"], *filter(None, [table.get("subtitle")])],
        "keywords": list(table.get("keywords", ())),
        "mission_type": [table["mission_type"]],
        "stakes": [table["stakes"]],
        "content": list(table["content"]),
        "components": [labels[component].label for component in table.get("components", {}) if component in labels],
        "client": [client["name"], *filter(None, [client.get("category")])],
        "site": [*filter(None, [site.get("city")]), *site.get("districts", ())],
        "partners": list(table.get("partners", ())),
        "team": [*team.get("members", ()), *filter(None, [team.get("mandataire"), team.get("director"),
                                                          team.get("referent")]), *team.get("consultants", ())],
    }


def record_facts(table: dict) -> MissionFacts:
    """mission_facts of the Mission a valid record's table describes (serialize.mission_from_table's defaults)."""
    period = table["period"]
    return (table["id"], period.get("end", period["start"]), period.get("ongoing", False),
            table["client"]["kind"] == "public", dict(table.get("components", {})))


def record_words(fields: dict[str, list[str]]) -> tuple[dict[str, int], tuple[str, ...]]:
    """A record's words with their fields' masks (mission_terms' words), and each field's words as one
    text, " word word | word " (items apart): its pairs are looked for in it when a search asks.

    Making every pair's string up front (mission_terms' pairs) is most of a record's indexing, and a
    search looks for a few pairs."""
    words: dict[str, int] = {}
    texts = []
    known = _ITEM_WORDS
    if len(known) > _ITEMS_SIZE:
        known.clear()
    for bit, name in enumerate(FIELDS):
        flag = 1 << bit
        parts = []
        for text in fields[name]:
            found = known.get(text)
            if found is None:
                item = tokens(text)
                found = (item, " ".join(item))
                if len(text) <= _ITEM_LENGTH:
                    known[text] = found
            for word in found[0]:
                words[word] = words.get(word, 0) | flag
            parts.append(found[1])
        texts.append(f" {' | '.join(parts)} " if parts else "")
    return words, tuple(texts)


_ITEM_WORDS: dict[str, tuple[list[str], str]] = {}


class RecordWords:
    """The words of the records a search read, by slot (ascending): a word's or a pair's posting is
    gathered when asked for. What a search without the cache keeps in place of an index."""

    def __init__(self) -> None:
        self.slots: list[int] = []
        self.words: list[dict[str, int]] = []
        self.texts: list[tuple[str, ...]] = []
        self._distinct: set[str] | None = None

    def add(self, slot: int, terms: tuple[dict[str, int], tuple[str, ...]]) -> None:
        self._distinct = None
        self.slots.append(slot)
        self.words.append(terms[0])
        self.texts.append(terms[1])

    def distinct(self) -> set[str]:
        if self._distinct is None:
            self._distinct = set().union(*self.words)
        return self._distinct

    def postings(self, keys: Iterable[str]) -> dict[str, tuple[list[int], list[int]]]:
        """Each key's slots and field masks (as a built index's posting, as lists)."""
        from itertools import compress, repeat

        masks_of: dict[str, list[int]] = {}

        def masks(word: str) -> list[int]:  # each record's mask of the word (0: absent), looked up in C
            if word not in masks_of:
                masks_of[word] = list(map(dict.get, self.words, repeat(word), repeat(0)))
            return masks_of[word]

        found: dict[str, tuple[list[int], list[int]]] = {}
        distinct = self.distinct()
        for key in keys:
            first, _, second = key.partition(" ")
            if first not in distinct or (second and second not in distinct):
                found[key] = ([], [])  # a word no record holds: nothing to look up
            elif not second:
                word = masks(key)
                found[key] = (list(compress(self.slots, word)), list(filter(None, word)))
            else:
                found[key] = self._pair(key, masks(first), masks(second))
        return found

    def _pair(self, key: str, first: list[int], second: list[int]) -> tuple[list[int], list[int]]:
        from itertools import compress
        from operator import and_

        needle = f" {key} "
        slots, masks = [], []
        # Only the records with both words in one field are looked at, and only those fields.
        shared = list(map(and_, first, second))
        for number in compress(range(len(shared)), shared):
            both, texts = shared[number], self.texts[number]
            mask = 0
            while both:
                bit = both & -both
                if needle in texts[bit.bit_length() - 1]:
                    mask |= bit
                both ^= bit
            if mask:
                slots.append(self.slots[number])
                masks.append(mask)
        return slots, masks


@frozen
class Share:
    """The postings of some missions, packed: what a worker process sends back, in a few objects.

    A share's slots are a run of the library's (a chunk of its files), so the shares of a library,
    taken in order, give each key's posting by concatenation. keys[i]'s posting is
    slots[offsets[i]:offsets[i + 1]] with its masks; the first word_count keys are words, the rest pairs.
    """

    keys: tuple[str, ...]
    word_count: int
    offsets: array  # "q", len(keys) + 1
    slots: array  # "i"
    masks: array  # "H"

    def items(self) -> Iterable[tuple[str, Posting]]:
        offsets, slots, masks = self.offsets, self.slots, self.masks
        for number, key in enumerate(self.keys):
            start, end = offsets[number], offsets[number + 1]
            yield key, (slots[start:end], masks[start:end])


def pack_share(terms: Iterable[tuple[int, tuple[dict[str, int], dict[str, int]]]]) -> Share:
    """File each (slot, mission_terms) given, slots ascending, into a packed share."""
    words: dict[str, tuple[list[int], list[int]]] = {}
    pairs: dict[str, tuple[list[int], list[int]]] = {}
    for slot, tables in terms:
        for table, postings in zip(tables, (words, pairs), strict=True):
            for key, mask in table.items():
                found = postings.get(key)
                if found is None:
                    postings[key] = ([slot], [mask])
                else:
                    found[0].append(slot)
                    found[1].append(mask)
    postings = [*words.values(), *pairs.values()]
    return Share((*words, *pairs), len(words),
                 array("q", itertools.accumulate((len(slots) for slots, _ in postings), initial=0)),
                 array("i", itertools.chain.from_iterable(slots for slots, _ in postings)),
                 array("H", itertools.chain.from_iterable(masks for _, masks in postings)))


def merge_shares(shares: Sequence[Share]) -> dict[str, Posting]:
    """Every key's whole posting: its parts in each share, in the shares' order."""
    merged: dict[str, Posting] = {}
    for share in shares:
        for key, (slots, masks) in share.items():
            found = merged.get(key)
            if found is None:
                merged[key] = (slots, masks)
            else:
                found[0].extend(slots)
                found[1].extend(masks)
    return merged


def memory_index(facts: Facts, shares: Sequence[Share]) -> SearchIndex:
    """An index over shares held in memory; a key's posting is gathered from the shares when first asked."""
    positions: list[dict[str, int]] = []

    def fetch(key: str) -> Posting | None:
        if not positions:
            positions.extend({key: number for number, key in enumerate(share.keys)} for share in shares)
        slots, masks = array("i"), array("H")
        for share, where in zip(shares, positions, strict=True):
            number = where.get(key)
            if number is not None:
                start, end = share.offsets[number], share.offsets[number + 1]
                slots += share.slots[start:end]
                masks += share.masks[start:end]
        return (slots, masks) if slots else None

    def terms() -> list[str]:
        return sorted(set().union(*(share.keys[:share.word_count] for share in shares)))

    return SearchIndex(facts, terms, fetch)


def build_index(library: Library) -> SearchIndex:
    """Index a library held in memory: its missions' slots are their places in library.missions."""
    vocabulary = library.vocabulary
    share = pack_share((slot, mission_terms(mission, vocabulary)) for slot, mission in enumerate(library.missions))
    return memory_index(Facts.gather((slot, mission_facts(mission)) for slot, mission in enumerate(library.missions)),
                        [share])
