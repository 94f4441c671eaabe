"""The missions' table as refcli draws it (browse.Grid.draw) is the table rich draws: rich is the oracle."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment

from refcli.cli.output import _wide_enough
from refcli.records.browse import (
    _ONE_CELL,
    Column,
    Fitted,
    Grid,
    Listing,
    cell_width,
    library_listings,
    missions_table,
)
from refcli.records.library import load_library
from tests.test_generate import load_generator

WIDTHS = [80, 100, 120, 160, 250]


def console(width: int, file=None, **options) -> Console:
    return _wide_enough(Console(file=file or io.StringIO(), width=width, soft_wrap=True, highlight=False, **options))


def rich_lines(listings: list[Listing], width: int) -> list[str]:
    """What rich draws of the same table, as `list` printed it before refcli drew it."""
    screen = console(width)
    table = missions_table(listings).build(width).rich_table()
    rendered = screen.render(table, screen.options.update(no_wrap=False, overflow="fold"))
    return ["".join(segment.text for segment in line) for line in Segment.split_lines(rendered)]


def drawn_lines(listings: list[Listing], width: int) -> list[str]:
    lines = missions_table(listings).plain_lines(console(width))
    assert lines is not None, "drawn by rich, not by refcli"
    return lines


@pytest.mark.parametrize("width", WIDTHS)
def test_the_shipped_library_is_drawn_as_rich_draws_it(width):
    listings = library_listings(load_library(Path("data/missions")))
    assert drawn_lines(listings, width) == rich_lines(listings, width)


def test_a_generated_library_is_drawn_as_rich_draws_it(tmp_path):
    load_generator().generate_library(150, tmp_path / "missions", seed=11)
    listings = library_listings(load_library(tmp_path / "missions"))
    for width in WIDTHS:
        assert drawn_lines(listings, width) == rich_lines(listings, width)


# Words as records write them: accents, apostrophes, dashes, €, no-break spaces (French : ; « » and 29 340 €),
# long words (cut with an ellipsis), and what rich itself must lay out: wide (CJK) and combining characters, tabs.
_WORD = st.one_of(
    st.sampled_from(["AMO", "Maison", "du", "projet", "d'Antony", "l’étude", "(ANRU)", "—", "–", "29\u202f340\u00a0€",
                     "«\u00a0quartier\u00a0»", "HT", "TTC", "co-construction", "2012", "NPRU;", "…", "Œuvre",
                     "renouvellement" * 3, "東京", "e\u0301", "\t", "x" * 40]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x17f, blacklist_categories=("Cc",)), min_size=1,
            max_size=14),
)
_TEXT = st.lists(_WORD, min_size=1, max_size=14).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(st.from_regex(r"[a-z][a-z0-9-]{0,40}", fullmatch=True), _TEXT, _TEXT, _TEXT),
                     min_size=0, max_size=6),
       width=st.sampled_from(WIDTHS))
def test_any_text_is_drawn_as_rich_draws_it(rows, width):
    listings = [Listing("{", mission_id, title, client, "2012 – 2014", fee, 2012, 2014, False, {}, [])
                for mission_id, title, client, fee in rows]
    drawn = missions_table(listings).plain_lines(console(width))
    if drawn is not None:  # else rich draws it (a table wider than the width)
        assert drawn == rich_lines(listings, width)


def _styled(segments) -> list[tuple[str, object]]:
    """Each character with its colour, bold, dim and italic: what a terminal shows."""
    shown = []
    for segment in segments:
        style = segment.style
        look = (style.color.name if style.color else None, style.bold, style.dim, style.italic) if style else None
        shown += [(char, look) for char in segment.text]
    return shown


@pytest.mark.parametrize("width", [80, 160])
def test_in_a_terminal_each_character_has_the_colour_rich_gives_it(width):
    listings = library_listings(load_library(Path("data/missions")))
    terminal = console(width, force_terminal=True, color_system="truecolor")
    table = missions_table(listings)
    ours = _styled(terminal.render(table, terminal.options))
    theirs = _styled(terminal.render(table.build(width).rich_table(),
                                     terminal.options.update(no_wrap=False, overflow="fold")))
    assert ours == theirs
    assert any(look and look[0] == "cyan" for _, look in ours)  # the ids


def test_an_ascii_console_is_left_to_rich():
    """rich draws its boxes in ASCII there; so does `list`, through rich."""
    listings = library_listings(load_library(Path("data/missions")))
    ascii_file = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    assert missions_table(listings).plain_lines(console(100, ascii_file)) is None


def test_an_id_longer_than_the_width_is_cut_as_rich_cuts_it():
    listings = library_listings(load_library(Path("data/missions")))
    long_id = Listing("{", "x" * 120, "Titre", "Client", "2012", "—", 2012, 2012, False, {}, [])
    drawn = drawn_lines([*listings, long_id], 100)
    assert drawn == rich_lines([*listings, long_id], 100)
    assert any(line.strip() == "x" * 95 + "…" for line in drawn)


def test_a_table_wider_than_the_width_is_left_to_rich():
    grid = Grid("t", [Column("id"), Column("title", 30)], [("y" * 90, "a title")])
    assert grid.draw(100) is None
    screen = console(100)
    screen.print(Fitted(lambda width: grid))
    other = console(100)
    other.print(Fitted(lambda width: grid.rich_table()))
    assert screen.file.getvalue() == other.file.getvalue() and "y" * 20 in screen.file.getvalue()


def test_every_character_counted_as_one_cell_is_one_cell_wide_in_rich():
    pattern = _ONE_CELL.pattern
    assert pattern.startswith("[") and pattern.endswith("]*")
    ranges = []
    body = pattern[1:-2].encode().decode("unicode_escape")
    for index in range(0, len(body), 3):
        assert body[index + 1] == "-"
        ranges.append((ord(body[index]), ord(body[index + 2])))
    assert ranges[0] == (0x20, 0x7E)
    for low, high in ranges:
        for code in range(low, high + 1):
            assert cell_len(chr(code)) == 1, hex(code)
    assert cell_width("東京 e\u0301") == cell_len("東京 e\u0301") == 6
    assert cell_width("29\u202f340\u00a0€") == 8


@pytest.mark.parametrize("tender", ["tender-concertation.toml", "tender-three-years.toml", "tender-amo-npru.toml"])
def test_the_search_results_are_drawn_as_rich_draws_them(tender):
    """Every layout of the results table (the client kept or left out, one stacked column, narrower still), with
    the competencies column and the results out of the window (a line in dim)."""
    from refcli.cli.views import _results_table
    from refcli.search.glossary import load_glossary
    from refcli.search.index import build_index
    from refcli.search.query import build_query, load_tender
    from refcli.search.rank import rank_missions

    library = load_library(Path("data/missions"))
    loaded = load_tender(Path("examples") / tender)
    query = build_query(library.vocabulary, load_glossary(library.folder), tender=loaded, limit=5)
    matches = rank_missions(library, build_index(library), query)
    assert matches
    layouts = set()
    for width in [80, 90, 100, 120, 160, 200, 250]:
        grid = _results_table(query, matches, library, width)
        layouts.add(tuple(column.header for column in grid.columns))
        screen = console(width)
        rendered = screen.render(grid.rich_table(), screen.options.update(no_wrap=False, overflow="fold"))
        assert Fitted(lambda width, grid=grid: grid).plain_lines(screen) == [
            "".join(segment.text for segment in line) for line in Segment.split_lines(rendered)]
    assert len(layouts) >= 2
