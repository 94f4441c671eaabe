"""The inverted index of a Library: each distinct word, and each pair of words, -> where it occurs.

Built once per Library and then only read. It is plain data (tuples, dicts, strings and ints), so
it can later be cached, e.g. to SQLite, and checked against the library's files.
"""

from __future__ import annotations

from dataclasses import dataclass

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
# MASK_WEIGHTS[mask] is the total weight of the fields whose bits are set in mask (bit i: FIELDS[i]).
MASK_WEIGHTS: tuple[float, ...] = tuple(
    sum(weight for bit, weight in enumerate(FIELD_WEIGHTS.values()) if mask >> bit & 1)
    for mask in range(1 << len(FIELDS))
)


@dataclass(frozen=True, slots=True)
class SearchIndex:
    """Where each word, and each pair of words side by side, occurs: mission -> bit mask of fields.

    Pairs are what phrases match: "maison du projet" is found through the pair "maison projet"
    (stop words are not indexed). A pair never spans two items of a list field (two keywords).
    """

    mission_ids: tuple[str, ...]
    terms: tuple[str, ...]  # the distinct words of the library, sorted: what fuzzy matching runs over
    postings: dict[str, dict[int, int]]  # word -> {mission number: mask of the fields it occurs in}
    pairs: dict[str, dict[int, int]]  # "word word" -> {mission number: mask of fields}

    def field_names(self, mask: int) -> tuple[str, ...]:
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
    postings: dict[str, dict[int, int]] = {}
    pairs: dict[str, dict[int, int]] = {}
    for mission_number, mission in enumerate(library.missions):
        fields = mission_fields(mission, library.vocabulary)
        for bit, name in enumerate(FIELDS):
            flag = 1 << bit
            for text in fields[name]:
                previous = None
                for word in tokens(text):
                    places = postings.get(word)
                    if places is None:
                        postings[word] = {mission_number: flag}
                    else:
                        places[mission_number] = places.get(mission_number, 0) | flag
                    if previous is not None:
                        pair = f"{previous} {word}"
                        places = pairs.get(pair)
                        if places is None:
                            pairs[pair] = {mission_number: flag}
                        else:
                            places[mission_number] = places.get(mission_number, 0) | flag
                    previous = word
    return SearchIndex(
        mission_ids=tuple(mission.id for mission in library.missions),
        terms=tuple(sorted(postings)),
        postings=postings,
        pairs=pairs,
    )
