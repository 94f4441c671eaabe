"""What a record says that its source fiche does not: the values of [inferred], kept out of what a buyer reads.

A record's `[inferred]` table maps key paths ("role", "client.kind", "components.concertation") to the
reason the value is not on the firm's fiche (inferred, corrected, to be confirmed). The firm confirms a
value by deleting its line. Until then refcli still searches and ranks with the value (it is the best
guess there is), `show` marks it, `check` reports it, and the annex leaves it out: `confirmed_mission`
is the mission as the annex may state it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from refcli.i18n import _, ngettext
from refcli.records.model import Mission

# Keys the record must have: left out of the annex, they become "not stated" (None) rather than absent.
_REQUIRED = {("role",), ("mission_type",), ("client", "kind")}
# A path inside an amount that leaves nothing to print without it: the amount goes as a whole.
_WHOLE_AMOUNT = {"value", "currency"}


def unconfirmed_paths(mission: Mission) -> list[str]:
    """The key paths of the mission's values not on its fiche, in the record's order."""
    return list(mission.inferred)


def is_unconfirmed(mission: Mission, *paths: str) -> bool:
    """Whether [inferred] names one of these key paths, a key inside one, or a table holding one."""
    return rests_on(mission.inferred, *paths)


def amount_confirmed(mission: Mission, path: str) -> bool:
    """Whether an amount's value is on the fiche: neither it, its value or currency, nor a table holding it is in
    [inferred]. A guessed basis or scope does not make the amount a guess (the annex prints it without them)."""
    own = (path, f"{path}.value", f"{path}.currency")
    return not any(key in own or path.startswith(key + ".") for key in mission.inferred)


def rests_on(inferred: Iterable[str], *paths: str) -> bool:
    """Whether these [inferred] key paths name one of paths, a key inside one, or a table holding one."""
    return any(path == key or key.startswith(path + ".") or path.startswith(key + ".")
               for path in paths for key in inferred)


def confirmed_mission(mission: Mission) -> Mission:
    """Return the mission with every value its [inferred] table names left out: what an annex may state."""
    if not mission.inferred:
        return mission
    from refcli.records.serialize import mission_from_table, mission_to_table

    table = mission_to_table(mission)
    for path in mission.inferred:
        _remove(table, path.split("."))
    table.pop("inferred", None)
    table.setdefault("role", None)
    table.setdefault("mission_type", None)
    table["client"].setdefault("kind", None)
    return mission_from_table(table, mission.path)


def _remove(table: dict[str, Any], parts: list[str]) -> None:
    if len(parts) == 3 and parts[0] == "amounts" and parts[2] in _WHOLE_AMOUNT:
        parts = parts[:2]
    container: Any = table
    for part in parts[:-1]:
        container = container.get(part) if isinstance(container, dict) else None
        if container is None:
            return
    if not isinstance(container, dict):
        return
    if tuple(parts) in _REQUIRED:
        container[parts[-1]] = None
    else:
        container.pop(parts[-1], None)


def describe_unconfirmed(paths: list[str]) -> str:
    """'role, client.kind, components (4 levels)': the paths, a record's component levels counted as one;
    'components (every level)' when the whole grid is a guess (its squares were lost: a level 0 too)."""
    levels = [path for path in paths if path.startswith("components.")]
    others = [path for path in paths if path != "components" and not path.startswith("components.")]
    if "components" in paths:
        others.append(_("components (every level)"))
    elif levels:
        others.append(ngettext("components ({count} level)", "components ({count} levels)", len(levels)).format(
            count=len(levels)))
    return ", ".join(others)
