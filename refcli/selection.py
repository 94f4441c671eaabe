"""Choose the references of an annex: by explicit ids, in the order given (selection by query is rank's)."""

from __future__ import annotations

from collections.abc import Sequence

from refcli.browse import find_mission
from refcli.errors import UserError
from refcli.model import Library
from refcli.render import Selection


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
