"""The inverted index of a Library: each distinct word -> where it occurs (mission, field, positions).

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
# Positions jump by this much between two items of a list field, so a phrase never spans two keywords.
ITEM_GAP = 2


@dataclass(frozen=True, slots=True)
class Posting:
    mission: int  # index into SearchIndex.mission_ids (and Library.missions)
    field: int  # index into FIELDS
    positions: tuple[int, ...]  # word positions in the field, for phrases


@dataclass(frozen=True, slots=True)
class SearchIndex:
    mission_ids: tuple[str, ...]
    terms: tuple[str, ...]  # the distinct words of the library, sorted: what fuzzy matching runs over
    postings: dict[str, tuple[Posting, ...]]  # word -> every field it occurs in

    def document_frequency(self, words: set[str]) -> int:
        """Return how many missions contain at least one of words."""
        return len({posting.mission for word in words for posting in self.postings.get(word, ())})


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
    """Tokenise every searched field of every mission once and file each word's positions."""
    found: dict[str, list[Posting]] = {}
    for mission_number, mission in enumerate(library.missions):
        fields = mission_fields(mission, library.vocabulary)
        for field_number, name in enumerate(FIELDS):
            texts = fields[name]
            positions: dict[str, list[int]] = {}
            position = 0
            for text in texts:
                for word in tokens(text):
                    positions.setdefault(word, []).append(position)
                    position += 1
                position += ITEM_GAP
            for word, places in positions.items():
                found.setdefault(word, []).append(Posting(mission_number, field_number, tuple(places)))
    return SearchIndex(
        mission_ids=tuple(mission.id for mission in library.missions),
        terms=tuple(sorted(found)),
        postings={word: tuple(postings) for word, postings in found.items()},
    )
