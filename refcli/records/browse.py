"""Browse the library: filter missions, summarise them, and lay them out for the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from refcli.annex.formatting import fiche_facts, format_amount, format_years
from refcli.errors import UserError, closest
from refcli.i18n import N_, _
from refcli.records.model import Library, Mission
from refcli.records.provenance import is_unconfirmed

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table


def filter_missions(
    library: Library, year: int | None = None, since: int | None = None, components: list[str] = ()
) -> list[Mission]:
    """Return the missions under way in year, ended in or after since, covering every component ('NAME' or
    'NAME:LEVEL': at that level or more)."""
    wanted = dict(library.vocabulary.parse_level(name, "--component", what="mission component")
                  for name in components)
    selected = []
    for mission in library.missions:
        if year is not None and year not in mission.period.years():
            continue
        if since is not None and mission.period.end < since and not mission.period.ongoing:
            continue
        if any(mission.components.get(component_id, 0) < level for component_id, level in wanted.items()):
            continue
        selected.append(mission)
    return selected


def find_mission(library: Library, mission_id: str) -> Mission:
    mission = library.get(mission_id)
    if mission is None:
        best = closest(mission_id, [candidate.id for candidate in library.missions])
        hint = _("; did you mean {name!r}?").format(name=best) if best else _("; 'refcli list' shows the ids")
        raise UserError(_("{folder}: no mission with id {mission_id!r}{hint}")
                        .format(folder=library.folder, mission_id=mission_id, hint=hint))
    return mission


def mission_summary(mission: Mission) -> dict[str, Any]:
    """The fields a list shows, as JSON: id, title, client, years, amounts."""
    return {
        "id": mission.id,
        "title": mission.title,
        "client": mission.client.name,
        "client_kind": mission.client.kind,
        "start": mission.period.start,
        "end": mission.period.end,
        "ongoing": mission.period.ongoing,
        "role": mission.role,
        "fee": _amount_json(mission.fee),
        "project_amount": _amount_json(mission.project_amount),
        "components": dict(mission.components),
        "file": str(mission.path) if mission.path else None,
    }


def _amount_json(amount) -> dict[str, Any] | None:
    if amount is None:
        return None
    return {"value": amount.value, "currency": amount.currency, "basis": amount.basis, "scope": amount.scope}


def reference_json(mission: Mission, in_window: bool, score: float | None = None,
                   terms: tuple[str, ...] = ()) -> dict[str, Any]:
    """A chosen reference for scripts (search, check, build-bid): the facts a buyer asks for, each value not on
    the fiche marked (docs/checklists.md, "JSON for scripts")."""
    def amount(value, path: str) -> dict[str, Any] | None:
        shape = _amount_json(value)
        return shape if shape is None else {**shape, "confirmed": not is_unconfirmed(mission, path)}

    return {
        "id": mission.id,
        "title": mission.title,
        "start": mission.period.start,
        "end": mission.period.end,
        "ongoing": mission.period.ongoing,
        "client": mission.client.name,
        "client_kind": mission.client.kind,
        "client_kind_confirmed": not is_unconfirmed(mission, "client.kind"),
        "fee": amount(mission.fee, "amounts.fee"),
        "project_amount": amount(mission.project_amount, "amounts.project"),
        "in_window": in_window,
        "score": None if score is None else round(score, 1),
        "matched_terms": list(terms),
        "unconfirmed": list(mission.inferred),
        "file": str(mission.path) if mission.path else None,
    }


def missions_table(missions: list[Mission]) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(title=_("{count} mission(s)").format(count=len(missions)), title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("id", style="cyan", overflow="fold", min_width=16, ratio=2)
    table.add_column(_("title"), min_width=24, ratio=4)
    table.add_column(_("client"), min_width=12, ratio=2)
    table.add_column(_("years"), no_wrap=True)
    table.add_column(_("fee"), justify="right", no_wrap=True)
    for mission in missions:
        fee = format_amount(mission.fee) if mission.fee else "—"
        table.add_row(mission.id, mission.title, mission.client.name, format_years(mission.period), fee)
    return table


INFERRED_MARK = N_("[not on the fiche]")


def level_squares(level: int, top: int) -> str:
    return "■" * level + "□" * (top - level)


def mission_view(mission: Mission, library: Library) -> RenderableType:
    """The whole record, laid out as the fiche reads: facts, stakes, content, components."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column()

    inferred = mission.inferred

    def unconfirmed(*paths: str) -> bool:
        return is_unconfirmed(mission, *paths)

    def fact(label: str, value: str | None, *paths: str) -> None:
        if value:
            text = Text(value)
            if unconfirmed(*paths):
                text.append(f" {_(INFERRED_MARK)}", style="bold yellow")
            facts.add_row(label, text)

    for label, value, paths in fiche_facts(mission):
        fact(label, value, *paths)
    fact("Mots-clés", ", ".join(mission.keywords), "keywords")
    fact("Sources", mission.sources, "sources")
    fact("Fichier", str(mission.path) if mission.path else None)

    components = Table.grid(padding=(0, 2))
    vocabulary = library.vocabulary
    for component in vocabulary.components:
        level = mission.components.get(component.id, 0)
        style = "green" if level else "dim"
        label = Text(component.label, style=style)
        if level and unconfirmed(f"components.{component.id}"):
            label.append(f" {_(INFERRED_MARK)}", style="bold yellow")
        components.add_row(Text(level_squares(level, vocabulary.max_level), style=style), label)

    parts: list[Any] = [
        Text(mission.title, style="bold"),
        Text(mission.subtitle or "", style="italic"),
        facts,
        Text("\nEnjeux de la mission", style="bold underline"),
        Text(mission.stakes),
        Text("\nContenu de la mission", style="bold underline"),
        *[Text(f"▶ {item}") for item in mission.content],
        Text("\nComposantes de la mission", style="bold underline"),
        components,
    ]
    if mission.illustrations:
        parts.append(Text("\nIllustrations", style="bold underline"))
        for illustration in mission.illustrations:
            credit = f" — {illustration.credit}" if illustration.credit else ""
            parts.append(Text(f"{illustration.file}: {illustration.caption}{credit}"))
    if inferred:
        parts.append(Text("\n" + _("Marked {mark} ([inferred] in the record): left out of every annex until "
                          "confirmed; delete a line of [inferred] to confirm its value").format(mark=_(INFERRED_MARK)),
                          style="bold yellow"))
        for path, reason in inferred.items():
            parts.append(Text(f"{path}: {reason}"))
    return Group(*parts)
