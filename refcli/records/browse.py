"""Browse the library: filter missions, summarise them, and lay them out for the terminal."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from refcli.annex.formatting import fiche_facts, format_amount, format_years
from refcli.errors import UserError, closest
from refcli.i18n import N_, _
from refcli.records.model import Library, Mission
from refcli.records.provenance import amount_confirmed, is_unconfirmed, rests_on

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


def periods_ending_after(library: Library, year: int) -> list[tuple[str, int, int, bool]]:
    """The file and years (start, end, ongoing) of the missions whose last year is after year, the only ones that
    can start or end after it, in id order: the cache's facts find them without decoding the others."""
    facts = getattr(library.missions, "facts", None)
    if facts is not None:
        found = facts()
        ends = found.ends
        missions = list(library.missions.find_all(
            mission_id for slot, mission_id in found.ids.items() if ends[slot] > year).values())
    else:
        missions = [mission for mission in library.missions if mission.period.end > year]
    return [(str(mission.path), mission.period.start, mission.period.end, mission.period.ongoing)
            for mission in sorted(missions, key=lambda mission: mission.id)]


def filter_listings(listings: list[Listing], library: Library, year: int | None = None, since: int | None = None,
                    components: list[str] = ()) -> tuple[list[Listing], list[str]]:
    """Return the missions under way in year, ended in or after since, covering every component ('NAME' or
    'NAME:LEVEL': at that level or more); and the ids of those kept on a component level not on their fiche
    (a key of [inferred])."""
    wanted = library.vocabulary.parse_levels(components, "--component", what=N_("mission component"))
    relied = [f"components.{component_id}" for component_id in wanted]  # a period is never [inferred]
    selected, guessed = [], []
    for listing in listings:
        if year is not None and not (listing.start <= year and (year <= listing.end or listing.ongoing)):
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
        named = [problem for problem in library.problems if os.path.basename(problem.path) == f"{mission_id}.toml"]
        if named:  # its file is there, left out: why, rather than "no mission"
            raise UserError(_("{problem} (the record of {mission_id!r} is left out: 'refcli validate' lists every "
                              "problem)").format(problem=named[0], mission_id=mission_id))
        numbers = getattr(library.missions, "numbers", None)  # the cache's lazy missions: their ids, decoding none
        ids = list(numbers) if numbers is not None else [candidate.id for candidate in library.missions]
        best = closest(mission_id, ids)
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
        return shape if shape is None else {**shape, "confirmed": amount_confirmed(mission, path)}

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

    def __init__(self, build: Callable[[int], RenderableType | Grid], prose: bool = False) -> None:
        self.build, self.prose = build, prose

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        import os

        from rich.segment import Segment

        whole = self.prose and not console.is_terminal and not os.environ.get("COLUMNS")
        if whole:
            options = options.update(width=WHOLE_LINES)
        built = self.build(options.max_width)
        drawn = _drawn(built, options.max_width, console)
        if drawn is not None:
            style = console.get_style
            for line in drawn:
                yield from (Segment(text, style(name) if name else None) for text, name in line)
                yield Segment.line()
            return
        if isinstance(built, Grid):
            built = built.rich_table()
        # Wrapped at that width, even on a console that leaves long lines to the terminal (soft_wrap).
        rendered = console.render(built, options.update(no_wrap=False, overflow="fold"))
        if not whole:
            yield from rendered
            return
        for line in Segment.split_lines(rendered):  # whole lines: without the padding of a grid's widest cell
            while line and not line[-1].control and not line[-1].text.strip():
                line.pop()
            if line and not line[-1].control:
                line[-1] = Segment(line[-1].text.rstrip(), line[-1].style)
            yield from line
            yield Segment.line()

    def plain_lines(self, console: Console) -> list[str] | None:
        """The lines of a Grid drawn at the console's width, without styles; None: rich draws it."""
        if self.prose:
            return None
        return _drawn(self.build(console.width), console.width, console, styled=False)  # type: ignore[return-value]


def _drawn(built: RenderableType | Grid, width: int, console: Console, styled: bool = True
           ) -> list[Line] | list[str] | None:
    if isinstance(built, Grid) and not console.legacy_windows and console.encoding.lower().startswith("utf"):
        return built.draw(width, styled)
    return None


# --- tables drawn as rich draws them, faster ---------------------------------------------------------
# rich lays out and draws a table at ≈ 0.75 ms a row (measuring, wrapping and padding each cell through its
# renderables): `list` took 1 s at 1,000 missions and 10 s at 10,000. A Grid is the one shape of table refcli
# prints a row per mission in: rich's SIMPLE_HEAD table of Texts, at widths refcli chose (column_widths).
# draw() draws it line by line as rich draws it (tests/records/test_browse.py compares both, on the shipped and
# generated libraries and on random text), from strings; rich draws it where draw() does not (an ASCII-only
# or a legacy Windows console, a table wider than the width).


class Column(NamedTuple):
    header: str
    width: int | None = None  # None: as wide as its longest line (then it does not wrap)
    justify: str = "left"  # or "right"
    style: str | None = None


# A cell: its text, or its lines' texts, each (text, style, cut: one line, cut with an ellipsis if too long).
Cell = str | tuple[tuple[str, str | None, bool], ...]


class Grid(NamedTuple):
    """A table of text: a title, columns and rows of cells."""

    title: str
    columns: list[Column]
    rows: list[tuple[Cell, ...]]

    def rich_table(self) -> Table:
        from rich import box
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        table = Table(title=self.title, title_justify="left", box=box.SIMPLE_HEAD)
        for column in self.columns:
            table.add_column(column.header, style=column.style, no_wrap=column.width is None, width=column.width,
                             justify=column.justify)  # type: ignore[arg-type]
        for row in self.rows:
            # Texts, not strings: a string cell would be read as rich markup ("[phase 2]")
            table.add_row(*(Text(cell) if isinstance(cell, str) else Group(*(
                Text(text, style=style or "", no_wrap=cut or None, overflow="ellipsis" if cut else None)
                for text, style, cut in cell)) for cell in row))
        return table

    def draw(self, width: int, styled: bool = True) -> list[Line] | list[str] | None:
        """The lines rich draws this table in at this width: each a list of (text, style), or unstyled a string;
        None if the table is wider than the width, or its title (rich would squeeze or wrap them)."""
        columns = self.columns
        widths = [column.width if column.width is not None else
                  max(cell_width(column.header), _longest([row[number] for row in self.rows]))
                  for number, column in enumerate(columns)]
        table_width = sum(widths) + 3 * len(widths) + 1  # a space either side of a cell, a divider, the edges
        if table_width > width or _longest([self.title]) > table_width:
            return None
        title = _text_lines(self.title, table_width, "left", False)
        blank = " " * table_width
        rule = " " + "─" * (table_width - 2) + " "
        header = tuple(((column.header, None, False),) for column in columns)
        empty = [" " * size for size in widths]
        drawn: list = [[(line, "table.title")] for line in title] if styled else list(title)
        drawn.append([(blank, None)] if styled else blank)
        laid: dict[tuple[str, int, str, bool], list[str]] = {}  # clients, years and fees repeat: each laid out once

        def lines_of(text: str, size: int, column: Column, cut: bool) -> list[str]:
            key = (text, size, column.justify, cut or column.width is None)
            found = laid.get(key)
            if found is None:
                found = laid[key] = _text_lines(*key)
            return found

        for number, row in enumerate([header, *self.rows]):
            cells: list[list[str]] = []
            owns: list[list[str | None] | None] = []  # each line's own style, in a cell of several Texts
            for column, size, cell in zip(columns, widths, row, strict=True):
                if isinstance(cell, str):
                    cells.append(lines_of(cell, size, column, False))
                    if styled:
                        owns.append(None)
                    continue
                parts = [lines_of(text, size, column, cut) for text, _, cut in cell]
                cells.append([line for part in parts for line in part])
                if styled:
                    owns.append([style for (_, style, _), part in zip(cell, parts, strict=True) for _ in part])
            height = max(map(len, cells))
            if height > 1:  # each cell as high as the row: the header at the bottom (as rich has it), others at the top
                cells = [cell if len(cell) == height else
                         [empty[position]] * (height - len(cell)) + cell if number == 0 else
                         cell + [empty[position]] * (height - len(cell)) for position, cell in enumerate(cells)]
            if not styled:
                drawn += map("  {}  ".format, map("   ".join, zip(*cells, strict=True)))
            else:
                for index in range(height):
                    line: Line = [(" ", None)]
                    for position, column in enumerate(columns):
                        style = "table.header" if number == 0 else column.style
                        own_styles = owns[position]
                        own = own_styles[index] if number and own_styles and index < len(own_styles) else None
                        line += [(" ", style), (cells[position][index], f"{style} {own}" if style and own else
                                                style or own), (" ", style), (" ", None)]  # a divider, or the edge
                    drawn.append(line)
            if number == 0:
                drawn.append([(rule, None)] if styled else rule)
        drawn.append([(blank, None)] if styled else blank)
        return drawn


Line = list[tuple[str, Any]]  # a line drawn: its pieces of text, each with its style (None: plain)


def _longest(cells: list[Cell]) -> int:
    """The widest line of these cells' texts, as written (0 for none)."""
    texts = [cell if isinstance(cell, str) else "\n".join(text for text, _, _ in cell) for cell in cells]
    return longest_line(texts) if any(texts) else 0


def _text_lines(text: str, width: int, justify: str, no_wrap: bool) -> list[str]:
    """A Text's lines as rich wraps and justifies them in a cell this wide (overflow: an ellipsis), padded."""
    simple = _ONE_CELL.fullmatch(text)
    if simple and len(text) <= width:  # the usual cell: one line
        return [text.ljust(width) if justify == "left" else text.rstrip().rjust(width)]
    if not simple:  # a tab, a new line, a wide or a combining character: rich's own wrap
        from rich.cells import cell_len
        from rich.console import Console
        from rich.text import Text

        # The console only justifies "full", which no cell is; one made for that alone.
        found = Text(text).wrap(Console(width=width), width, justify=justify, overflow="ellipsis", no_wrap=no_wrap)
        return [line.plain + " " * (width - cell_len(line.plain)) for line in found]
    if no_wrap:
        pieces = [text]
    else:
        offsets = _breaks(text, width)
        pieces = [_rstrip_end(text[start:end], width) for start, end in zip([0, *offsets], [*offsets, len(text)],
                                                                          strict=True)]
    lines = []
    for piece in pieces:
        if justify == "right":
            piece = piece.rstrip()
        if len(piece) > width:
            piece = piece[:width - 1] + "…"
        lines.append(piece.ljust(width) if justify == "left" else piece.rjust(width))
    return lines


def _breaks(text: str, width: int) -> list[int]:
    """rich's divide_line(text, width, fold=False) for text of one-cell characters (its length is its width):
    where its lines break, word by word, rich's words (rich._wrap.re_word: refcli's NO_BREAK_WORD once a console
    is made, so never at a no-break space); the same rule, without measuring each word's cells."""
    import rich._wrap

    breaks: list[int] = []
    offset = position = 0
    for word in rich._wrap.re_word.findall(text):  # consecutive: each word takes the white space after it
        size = len(word)
        length = len(word.rstrip())
        if width - offset >= length:
            offset += size
        elif length > width or offset and position:
            if position:
                breaks.append(position)
            offset = size
        position += size
    return breaks


def _rstrip_end(text: str, width: int) -> str:
    """rich's Text.rstrip_end: white space past the width removed from the end."""
    if len(text) <= width:
        return text
    trailing = len(text) - len(text.rstrip())
    return text[:len(text) - min(trailing, len(text) - width)] if trailing else text


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
    joined = "\n".join(texts)
    if _ONE_CELL.fullmatch(joined.replace("\n", " ")):  # the usual text: its width is its length, read in C
        longest = max(map(len, joined.split("\n")))
        if longest:
            return longest
    return max((cell_width(line) for text in texts for line in text.splitlines()), default=1)


def cell_width(text: str) -> int:
    """How many cells of a terminal text takes, as rich counts them; its length for the usual text (Latin letters,
    punctuation, € and the no-break spaces: one cell each), which rich counts a character at a time."""
    if _ONE_CELL.fullmatch(text):
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)


# Characters one cell wide in rich (tests/records/test_browse.py checks each): ASCII, Latin-1 and Latin Extended,
# IPA and spacing modifiers, general punctuation (– — ’ “ ” … and U+202F), currency signs.
_ONE_CELL = re.compile(r"[\x20-\x7e\xa0-\u02ff\u2010-\u2027\u202f-\u205e\u20a0-\u20cf]*")


def missions_table(listings: list[Listing]) -> Fitted:
    """The missions as a table that fits the terminal: ids whole, on a line of their own when it is narrow."""
    return Fitted(lambda width: _missions_table(listings, width))


def _missions_table(listings: list[Listing], width: int) -> Grid:
    ids = [listing.id for listing in listings]
    titles = [listing.title for listing in listings]
    clients = [listing.client for listing in listings]
    years = [listing.years for listing in listings]
    fees = [listing.fee for listing in listings]
    title = _("{count} mission(s)").format(count=len(listings))
    fixed = [longest_line(["id", *ids]), longest_line([_("years"), *years])]
    wide = column_widths(width, fixed, [longest_line(titles), longest_line(clients), longest_line([_("fee"), *fees])],
                         [3, 2, 1], [24, MINIMUM_COLUMN, MINIMUM_COLUMN])
    if wide is not None:
        columns = [Column("id", style="cyan"), Column(_("title"), wide[0]), Column(_("client"), wide[1]),
                   Column(_("years")), Column(_("fee"), wide[2], "right")]
        return Grid(title, columns, list(zip(ids, titles, clients, years, fees, strict=True)))
    # Narrow: the id on a line of its own, the title and the client under it, in one column; narrower still,
    # the years and the fee too.
    stacked = [f"{title}\n{client}" for title, client in zip(titles, clients, strict=True)]
    fixed = [longest_line(years)]
    narrow = column_widths(width, fixed, [max(longest_line(ids), longest_line(stacked)), longest_line(fees)],
                           [2, 1], [longest_line(ids), MINIMUM_COLUMN])
    columns = [Column(_("mission"), narrow[0] if narrow else max(width - 4, 1))]
    if narrow:
        columns += [Column(_("years")), Column(_("fee"), narrow[1], "right")]
    rows: list[tuple[Cell, ...]] = []
    for mission_id, title_text, client, period, fee in zip(ids, titles, clients, years, fees, strict=True):
        lines = ((mission_id, "cyan", True), (title_text, None, False))
        if narrow:
            rows.append(((*lines, (client, "dim", False)), period, fee))
        else:
            rows.append(((*lines, (f"{client} · {period} · {fee}", "dim", False)),))
    return Grid(title, columns, rows)


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
                # A line of several values (the site: city, districts) says which are not on the fiche.
                inside = [key for key in inferred if any(key.startswith(path + ".") for path in paths)]
                mark = _(INFERRED_MARK) if not inside or any(key in paths for key in inferred) else \
                    _("[not on the fiche: {keys}]").format(keys=", ".join(inside))
                text.append(f" {mark}", style="bold yellow")
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
        if unconfirmed(f"components.{component.id}"):  # a level 0 too, when the whole grid is a guess
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
