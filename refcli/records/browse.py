"""Browse the library: filter missions, summarise them, and lay them out for the terminal."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from refcli.annex.formatting import fiche_facts, format_amount, format_years
from refcli.errors import UserError, closest
from refcli.i18n import N_, _
from refcli.records.model import Library, Mission
from refcli.records.provenance import is_unconfirmed, rests_on

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
    from rich.table import Table


class Listing(NamedTuple):
    """What `list` prints of a mission: its JSON summary already encoded, its table's cells, what its filters
    read. The cache keeps one per record (without the file, which it knows), so `list` builds no Mission and
    encodes no JSON (decoding and encoding 10,000 summaries took 0.2 s of `list --json`)."""

    summary: str  # mission_summary as JSON, without its closing brace: json() ends it with the file
    id: str
    title: str
    client: str
    years: str  # as the table writes them
    fee: str
    start: int
    end: int
    ongoing: bool
    components: dict[str, int]
    unconfirmed: list[str]  # the key paths of [inferred]
    file: str | None = None

    def json(self) -> str:
        """mission_summary(mission) as JSON, "file" last."""
        return f'{self.summary}, "file": {_ENCODER.encode(self.file)}}}'


_ENCODER = json.JSONEncoder(ensure_ascii=False)  # as refcli.cli.output writes JSON


def mission_listing(mission: Mission) -> Listing:
    """The table's fee is marked when it is not on the fiche (of its columns, only it can be: [inferred])."""
    fee = format_amount(mission.fee) if mission.fee else "—"
    if mission.fee and is_unconfirmed(mission, "amounts.fee"):
        fee += f" {_(INFERRED_MARK)}"
    period = mission.period
    return Listing(_ENCODER.encode(mission_summary(mission))[:-1], mission.id, mission.title, mission.client.name,
                   format_years(period), fee, period.start, period.end, period.ongoing, dict(mission.components),
                   list(mission.inferred), str(mission.path) if mission.path else None)


def library_listings(library: Library) -> list[Listing]:
    """Every mission's listing, in the library's order: from the cache when it holds them."""
    missions = library.missions
    load = getattr(missions, "load_listings", None)  # library.LazyMissions over the cache's rows
    if load is not None:
        found = load(missions.paths)
        return [found[relative] for relative in missions.paths]
    return [mission_listing(mission) for mission in missions]


def filter_listings(listings: list[Listing], library: Library, year: int | None = None, since: int | None = None,
                    components: list[str] = ()) -> tuple[list[Listing], list[str]]:
    """Return the missions under way in year, ended in or after since, covering every component ('NAME' or
    'NAME:LEVEL': at that level or more); and the ids of those kept on a component level not on their fiche
    (a key of [inferred])."""
    wanted = dict(library.vocabulary.parse_level(name, "--component", what=N_("mission component"))
                  for name in components)
    relied = [f"components.{component_id}" for component_id in wanted]  # a period is never [inferred]
    selected, guessed = [], []
    for listing in listings:
        if year is not None and not listing.start <= year <= listing.end:
            continue
        if since is not None and listing.end < since and not listing.ongoing:
            continue
        levels = listing.components
        if any(levels.get(component_id, 0) < level for component_id, level in wanted.items()):
            continue
        selected.append(listing)
        if relied and rests_on(listing.unconfirmed, *relied):
            guessed.append(listing.id)
    return selected, guessed


def find_mission(library: Library, mission_id: str) -> Mission:
    mission = library.get(mission_id)
    if mission is None:
        best = closest(mission_id, [candidate.id for candidate in library.missions])
        hint = _("; did you mean {name!r}?").format(name=best) if best else _("; 'refcli list' shows the ids")
        raise UserError(_("{folder}: no mission with id {mission_id!r}{hint}")
                        .format(folder=library.folder, mission_id=mission_id, hint=hint))
    return mission


def mission_summary(mission: Mission) -> dict[str, Any]:
    """The fields a list shows, as JSON: id, title, client, years, amounts (and its file: Listing.json)."""
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
        "unconfirmed": list(mission.inferred),  # the key paths of [inferred]: values not on the fiche
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


class Fitted:
    """A renderable laid out for the width it is printed at (the terminal's): build(width) makes it.

    Text (prose=True: a checklist, an explanation, a record) wraps at that width in a terminal, or when COLUMNS
    says the width; piped elsewhere, its lines stay whole, for grep. A table always fits the width."""

    def __init__(self, build: Callable[[int], RenderableType], prose: bool = False) -> None:
        self.build, self.prose = build, prose

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        import os

        if self.prose and not console.is_terminal and not os.environ.get("COLUMNS"):
            options = options.update(width=WHOLE_LINES)
        # Wrapped at that width, even on a console that leaves long lines to the terminal (soft_wrap).
        yield from console.render(self.build(options.max_width), options.update(no_wrap=False, overflow="fold"))


WHOLE_LINES = 100_000  # the width prose is laid out at when its lines are to stay whole


MINIMUM_COLUMN = 12  # a column that wraps is no narrower: below, the table drops a column instead


def column_widths(width: int, fixed: list[int], wants: list[int], weights: list[int] | None = None,
                  floors: list[int] | None = None) -> list[int] | None:
    """The widths of the columns that wrap, in a rich SIMPLE_HEAD table of this width whose other columns are
    fixed wide: each as wide as its longest line if they all fit, else shares of what is left in proportion to
    their weights, each at least its floor (MINIMUM_COLUMN by default; an id's length, so that it is never
    cut); None if the floors do not fit. Explicit widths, because rich lets a table overflow its width when a
    column has a minimum."""
    weights = weights or [1] * len(wants)
    floors = floors or [MINIMUM_COLUMN] * len(wants)
    room = width - (3 * (len(fixed) + len(wants)) + 1) - sum(fixed)  # a space either side, one between, edges
    if sum(floors) > room:
        return None

    def at(level: int) -> list[int]:
        return [max(floor, min(want, level * weight)) for want, weight, floor in zip(wants, weights, floors,
                                                                                      strict=True)]

    level = 0
    while level < room and sum(at(level + 1)) <= room:
        level += 1
    return at(level)


def longest_line(texts: list[str]) -> int:
    from rich.cells import cell_len

    return max((cell_len(line) for text in texts for line in text.splitlines()), default=1)


def missions_table(listings: list[Listing]) -> RenderableType:
    """The missions as a table that fits the terminal: ids whole, on a line of their own when it is narrow."""
    return Fitted(lambda width: _missions_table(listings, width))


def _missions_table(listings: list[Listing], width: int) -> Table:
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    ids = [listing.id for listing in listings]
    titles = [listing.title for listing in listings]
    clients = [listing.client for listing in listings]
    years = [listing.years for listing in listings]
    fees = [listing.fee for listing in listings]
    table = Table(title=_("{count} mission(s)").format(count=len(listings)), title_justify="left",
                  box=box.SIMPLE_HEAD)
    fixed = [longest_line(["id", *ids]), longest_line([_("years"), *years])]
    wide = column_widths(width, fixed, [longest_line(titles), longest_line(clients), longest_line([_("fee"), *fees])],
                         [3, 2, 1], [24, MINIMUM_COLUMN, MINIMUM_COLUMN])
    if wide is not None:
        table.add_column("id", style="cyan", no_wrap=True)
        table.add_column(_("title"), width=wide[0])
        table.add_column(_("client"), width=wide[1])
        table.add_column(_("years"), no_wrap=True)
        table.add_column(_("fee"), justify="right", width=wide[2])
        for row in zip(ids, titles, clients, years, fees, strict=True):
            table.add_row(*map(Text, row))  # as written: a string cell would be read as rich markup ("[phase 2]")
        return table
    # Narrow: the id on a line of its own, the title and the client under it, in one column; narrower still,
    # the years and the fee too.
    stacked = [f"{title}\n{client}" for title, client in zip(titles, clients, strict=True)]
    fixed = [longest_line(years)]
    narrow = column_widths(width, fixed, [max(longest_line(ids), longest_line(stacked)), longest_line(fees)],
                           [2, 1], [longest_line(ids), MINIMUM_COLUMN])
    table.add_column(_("mission"), width=narrow[0] if narrow else max(width - 4, 1))
    if narrow:
        table.add_column(_("years"), no_wrap=True)
        table.add_column(_("fee"), justify="right", width=narrow[1])
    for mission_id, title, client, period, fee in zip(ids, titles, clients, years, fees, strict=True):
        lines = [Text(mission_id, style="cyan", no_wrap=True, overflow="ellipsis"), Text(title)]
        if narrow:
            table.add_row(Group(*lines, Text(client, style="dim")), Text(period), Text(fee))
        else:
            table.add_row(Group(*lines, Text(f"{client} · {period} · {fee}", style="dim")))
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
    return Fitted(lambda width: Group(*parts), prose=True)  # wrapped word by word at the terminal's width
