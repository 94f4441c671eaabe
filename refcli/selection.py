"""Choose the references of an annex: by explicit ids in the order given, or from ranked matches (see cover)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from refcli.browse import find_mission
from refcli.errors import UserError
from refcli.model import Library
from refcli.render import Selection

if TYPE_CHECKING:
    from refcli.rank import Match


def parse_ids(text: str) -> list[str]:
    """Split '--ids a,b, c' into ids, dropping empty items."""
    return [item.strip() for item in text.split(",") if item.strip()]


def select_by_ids(library: Library, ids: Sequence[str]) -> list[Selection]:
    """Return the missions of ids, in that order; an unknown id is an error with a "did you mean"."""
    if not ids:
        raise UserError("--ids: no reference selected; give the ids of the missions, separated by commas")
    seen: set[str] = set()
    selections = []
    for position, mission_id in enumerate(ids, start=1):
        if mission_id in seen:
            raise UserError(f"--ids: {mission_id!r} is listed twice")
        seen.add(mission_id)
        mission = find_mission(library, mission_id)
        selections.append(Selection(mission, f"listed in --ids, position {position}"))
    return selections


REASON_TERMS = 4  # matched terms named in a reason; the rest counted


def selections_from_matches(matches: Sequence[Match], library: Library, covering: bool = False) -> list[Selection]:
    """Turn ranked matches into the annex's selections: a reason for the bid's author, a relevance for the buyer.

    The reason (stderr only) gives the score, the terms matched and the competencies; the relevance,
    printed on the fiche, names only facts: the required competencies the mission covers, never a score.
    """
    selections = []
    for match in matches:
        parts = [f"score {match.score:.1f}"]
        terms = match.matched_terms()
        if terms:
            shown = ", ".join(terms[:REASON_TERMS])
            more = f" +{len(terms) - REASON_TERMS} more" if len(terms) > REASON_TERMS else ""
            parts.append(f"matched {shown}{more}")
        if match.competencies:
            parts.append("competencies " + ", ".join(
                f"{'✓' if item.covered else '✗'} {library.vocabulary.label(item.id)} {item.level}/{item.minimum}"
                for item in match.competencies))
        if not match.in_window:
            parts.append("out of window")
        if covering:
            parts.append("chosen for coverage")
        covered = [library.vocabulary.label(item.id) for item in match.competencies if item.covered]
        relevance = None
        if covered:
            names = covered[0] if len(covered) == 1 else ", ".join(covered[:-1]) + " et " + covered[-1]
            noun = "compétence demandée" if len(covered) == 1 else "compétences demandées"
            relevance = f"{names}, {noun} par le marché."
        selections.append(Selection(match.mission, "; ".join(parts), relevance=relevance))
    return selections
