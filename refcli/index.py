"""The inverted index of a Library: each distinct word, and each pair of words, -> where it occurs.

Built once per Library and then only read. It is plain data (tuples, dicts, strings and numpy
arrays), so it can later be cached, e.g. to SQLite, and checked against the library's files.
"""

from __future__ import annotations

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


def build_index(library: Library) -> SearchIndex:
    """Tokenise every searched field of every mission once; file each word and each pair of words."""
    import numpy as np

    postings: dict[str, dict[int, int]] = {}
    pairs: dict[str, dict[int, int]] = {}
    for mission_number, mission in enumerate(library.missions):
        # Fields of one mission first, then one update of the library's postings per distinct word.
        words: dict[str, int] = {}
        neighbours: dict[str, int] = {}
        fields = mission_fields(mission, library.vocabulary)
        for bit, name in enumerate(FIELDS):
            flag = 1 << bit
            for text in fields[name]:
                found = tokens(text)
                for word in found:
                    words[word] = words.get(word, 0) | flag
                for pair in map(" ".join, zip(found, found[1:], strict=False)):
                    neighbours[pair] = neighbours.get(pair, 0) | flag
        for table, masks in ((postings, words), (pairs, neighbours)):
            for key, mask in masks.items():
                places = table.get(key)
                if places is None:
                    table[key] = {mission_number: mask}
                else:
                    places[mission_number] = mask

    def arrays(places: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
        # Missions were filed in ascending order: the arrays come out sorted.
        return (np.fromiter(places.keys(), np.int32, len(places)), np.fromiter(places.values(), np.uint16, len(places)))

    missions = library.missions
    return SearchIndex(
        mission_ids=tuple(mission.id for mission in missions),
        terms=tuple(sorted(postings)),
        postings={word: arrays(places) for word, places in postings.items()},
        pairs={pair: arrays(places) for pair, places in pairs.items()},
        end_years=np.array([mission.period.end for mission in missions], dtype=np.int32),
        ongoing=np.array([mission.period.ongoing for mission in missions], dtype=bool),
        public=np.array([mission.client.kind == "public" for mission in missions], dtype=bool),
        levels={component: np.array([mission.components.get(component, 0) for mission in missions], dtype=np.int32)
                for component in library.vocabulary.ids()},
    )
