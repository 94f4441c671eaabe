"""Choose the references of a bid from ranked matches: the best N, or a set that covers the required competencies.

Choosing the best N one by one can leave a required competency uncovered (the best matches may all
be strong in the same competency). `select_covering` is a greedy cover:

1. while some required competency is uncovered, take the candidate that covers the most still
   uncovered required competencies at their minimum level; ties by higher score, then id;
   stop when every competency is covered, when no candidate adds coverage, or when the set is full;
2. fill the remaining places by score, then id;
3. return the set by score, then id (the order of search results).

The candidates are every mission the query reaches (see `rank_candidates`), not only the best N.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from refcli.records.model import Library, Mission
    from refcli.search.index import SearchIndex
    from refcli.search.query import Query
    from refcli.search.rank import Match


def _by_score(match: Match) -> tuple[float, str]:
    return (-round(match.score, 9), match.id)


def covers(mission: Mission, component: str, minimum: int) -> bool:
    return mission.components.get(component, 0) >= minimum


def select_covering(matches: Sequence[Match], required: Mapping[str, int], count: int) -> list[Match]:
    """Return at most count matches covering as many required competencies as possible (see the module doc)."""
    remaining = sorted(matches, key=_by_score)
    chosen: list[Match] = []
    uncovered = dict(required)
    while uncovered and remaining and len(chosen) < count:
        gains = [_gain(match, uncovered) for match in remaining]
        # remaining is sorted by score then id, so the first of equal gains wins: the tie rule.
        position = max(range(len(remaining)), key=lambda number: (gains[number], -number))
        if gains[position] == 0:
            break
        best = remaining[position]
        chosen.append(best)
        remaining.remove(best)
        uncovered = {component: minimum for component, minimum in uncovered.items()
                     if not covers(best.mission, component, minimum)}
    chosen += remaining[: count - len(chosen)]
    return sorted(chosen, key=_by_score)


def _gain(match: Match, uncovered: Mapping[str, int]) -> int:
    return sum(covers(match.mission, component, minimum) for component, minimum in uncovered.items())


def uncovered_competencies(matches: Sequence[Match], required: Mapping[str, int]) -> list[str]:
    """Return the required competencies (ids) that no match covers at its minimum level, in the query's order."""
    return [component for component, minimum in required.items()
            if not any(covers(match.mission, component, minimum) for match in matches)]


def coverage_matrix(matches: Sequence[Match], competencies: Sequence[str]) -> dict[str, dict[str, int]]:
    """Return {competency: {mission id: level}} for the chosen matches (0 where a mission lacks it)."""
    return {component: {match.id: match.mission.components.get(component, 0) for match in matches}
            for component in competencies}


def matrix_competencies(matches: Sequence[Match], required: Mapping[str, int], order: Sequence[str]) -> list[str]:
    """The rows of a coverage matrix: the required competencies, else every one the matches have, in order."""
    if required:
        return list(required)
    present = {component for match in matches for component in match.mission.components}
    return [component for component in order if component in present]


def rank_candidates(library: Library, index: SearchIndex, query: Query) -> list[Match]:
    """Rank every mission the query reaches (all of them, not only query.limit): the candidates of a cover."""
    from refcli.search.rank import rank_missions

    return rank_missions(library, index, dataclasses.replace(query, limit=max(len(library.missions), 1)))


def choose_matches(candidates: Sequence[Match], query: Query, cover: bool) -> list[Match]:
    """The references to take: the best query.limit candidates, or a covering set of that size."""
    if cover:
        return select_covering(candidates, query.competencies, query.limit)
    return list(candidates[: query.limit])
