"""The inverted index of a Library: each distinct word, and each pair of words, -> where it occurs.

Built once per Library and then only read. It is plain data (tuples, dicts, strings and numpy
arrays), so it can later be cached, e.g. to SQLite, and checked against the library's files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from refcli.model import Library, Mission
from refcli.text import tokens
from refcli.vocabulary import Vocabulary

if TYPE_CHECKING:
    import numpy as np

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


@dataclass(frozen=True, slots=True)
class SearchIndex:
    """Where each word, and each pair of words side by side, occurs; and the facts filters need.

    A posting is two arrays of the same length: mission numbers (ascending; the library's order,
    which is by id) and, for each, a bit mask of the fields the word occurs in (bit i: FIELDS[i]).
    Pairs are what phrases match: "maison du projet" is found through the pair "maison projet"
    (stop words are not indexed). A pair never spans two items of a list field (two keywords).
    Everything is plain data (strings, tuples, dicts, numpy arrays), so it can be cached later.
    """

    mission_ids: tuple[str, ...]
    terms: tuple[str, ...]  # the distinct words of the library, sorted: what fuzzy matching runs over
    postings: dict[str, tuple[np.ndarray, np.ndarray]]  # word -> (mission numbers, field masks)
    pairs: dict[str, tuple[np.ndarray, np.ndarray]]  # "word word" -> (mission numbers, field masks)
    end_years: np.ndarray  # per mission: the last year
    ongoing: np.ndarray  # per mission: still under way
    public: np.ndarray  # per mission: the client is public
    levels: dict[str, np.ndarray]  # component id -> per mission: its level, 0 if not covered

    def field_names(self, mask: int) -> tuple[str, ...]:
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


def build_index(library: Library) -> SearchIndex:
    """Tokenise every searched field of every mission once; file each word and each pair of words."""
    vocabulary = library.vocabulary
    return assemble_index(library.missions, [mission_terms(mission, vocabulary) for mission in library.missions],
                          vocabulary)


def assemble_index(missions: Sequence[Mission] | Sequence[MissionFacts],
                   contributions: Sequence[tuple[dict[str, int], dict[str, int]]],
                   vocabulary: Vocabulary) -> SearchIndex:
    """Gather each mission's words and pairs (in the library's order) into the index's postings."""
    import numpy as np

    word_postings = _group([words for words, _ in contributions])
    pair_postings = _group([pairs for _, pairs in contributions])
    facts = [mission_facts(mission) if isinstance(mission, Mission) else mission for mission in missions]
    return SearchIndex(
        mission_ids=tuple(fact.id for fact in facts),
        terms=tuple(sorted(word_postings)),
        postings=word_postings,
        pairs=pair_postings,
        end_years=np.array([fact.end for fact in facts], dtype=np.int32),
        ongoing=np.array([fact.ongoing for fact in facts], dtype=bool),
        public=np.array([fact.public for fact in facts], dtype=bool),
        levels={component: np.array([fact.levels.get(component, 0) for fact in facts], dtype=np.int32)
                for component in vocabulary.ids()},
    )


@dataclass(frozen=True, slots=True)
class MissionFacts:
    """What the index keeps of a mission besides its words: what filters and competencies read."""

    id: str
    end: int
    ongoing: bool
    public: bool
    levels: dict[str, int]


def mission_facts(mission: Mission) -> MissionFacts:
    return MissionFacts(mission.id, mission.period.end, mission.period.ongoing, mission.client.kind == "public",
                        dict(mission.components))


def _group(per_mission: list[dict[str, int]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Turn per-mission {key: mask} into {key: (mission numbers ascending, masks)}, sorting in numpy."""
    import numpy as np

    numbers: dict[str, int] = {}
    key_ids: list[int] = []
    for table in per_mission:
        key_ids += [numbers.setdefault(key, len(numbers)) for key in table]
    sizes = np.fromiter(map(len, per_mission), np.int64, len(per_mission))
    missions = np.repeat(np.arange(len(per_mission), dtype=np.int32), sizes)
    masks = np.fromiter((mask for table in per_mission for mask in table.values()), np.uint16, len(key_ids))
    keys = np.array(key_ids, dtype=np.int64)
    order = np.argsort(keys, kind="stable")  # stable: within a key, missions stay ascending
    missions, masks = missions[order], masks[order]
    bounds = np.searchsorted(keys[order], np.arange(len(numbers) + 1))
    return {key: (missions[bounds[number]:bounds[number + 1]], masks[bounds[number]:bounds[number + 1]])
            for key, number in numbers.items()}


def index_to_blobs(index: SearchIndex) -> dict[str, bytes]:
    """Return the index as named byte strings (raw arrays, JSON key lists): what the cache stores."""
    import json

    import numpy as np

    blobs: dict[str, bytes] = {}
    for name, table in (("words", index.postings), ("pairs", index.pairs)):
        keys = list(table)
        sizes = [len(table[key][0]) for key in keys]
        blobs[f"{name}.keys"] = json.dumps(keys, ensure_ascii=False).encode()
        blobs[f"{name}.bounds"] = np.concatenate(([0], np.cumsum(sizes, dtype=np.int64))).astype(np.int64).tobytes()
        blobs[f"{name}.missions"] = np.concatenate([table[key][0] for key in keys] or [np.zeros(0, np.int32)]
                                                   ).astype(np.int32).tobytes()
        blobs[f"{name}.masks"] = np.concatenate([table[key][1] for key in keys] or [np.zeros(0, np.uint16)]
                                                ).astype(np.uint16).tobytes()
    blobs["mission_ids"] = json.dumps(index.mission_ids, ensure_ascii=False).encode()
    blobs["end_years"] = index.end_years.astype(np.int32).tobytes()
    blobs["ongoing"] = index.ongoing.astype(bool).tobytes()
    blobs["public"] = index.public.astype(bool).tobytes()
    blobs["levels.ids"] = json.dumps(list(index.levels)).encode()
    blobs["levels"] = (np.stack(list(index.levels.values())) if index.levels else np.zeros((0, 0))
                       ).astype(np.int32).tobytes()
    return blobs


def index_from_blobs(blobs: dict[str, bytes]) -> SearchIndex:
    """Rebuild the index index_to_blobs gave; the arrays are views on the bytes, not copies."""
    import json

    import numpy as np

    tables = []
    for name in ("words", "pairs"):
        keys = json.loads(blobs[f"{name}.keys"])
        bounds = np.frombuffer(blobs[f"{name}.bounds"], np.int64).tolist()
        missions = np.frombuffer(blobs[f"{name}.missions"], np.int32)
        masks = np.frombuffer(blobs[f"{name}.masks"], np.uint16)
        if len(bounds) != len(keys) + 1 or bounds[-1] != len(missions) or len(masks) != len(missions):
            raise ValueError(f"the index's {name} do not add up")
        tables.append({key: (missions[start:end], masks[start:end])
                       for key, start, end in zip(keys, bounds, bounds[1:], strict=False)})
    mission_ids = tuple(json.loads(blobs["mission_ids"]))
    count = len(mission_ids)
    level_ids = json.loads(blobs["levels.ids"])
    levels = np.frombuffer(blobs["levels"], np.int32).reshape(len(level_ids), count)
    end_years = np.frombuffer(blobs["end_years"], np.int32)
    if len(end_years) != count:
        raise ValueError("the index's missions do not add up")
    return SearchIndex(
        mission_ids=mission_ids,
        terms=tuple(sorted(tables[0])),
        postings=tables[0],
        pairs=tables[1],
        end_years=end_years,
        ongoing=np.frombuffer(blobs["ongoing"], bool),
        public=np.frombuffer(blobs["public"], bool),
        levels=dict(zip(level_ids, levels, strict=True)),
    )
