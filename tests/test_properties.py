"""Property-based tests: any Unicode text goes through normalisation, ranking, records and the annex."""

from __future__ import annotations

import dataclasses
import io
import shutil
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from refcli.annex.formatting import clean_text
from refcli.cli.commands import app
from refcli.errors import UserError
from refcli.records.library import load_library
from refcli.search.query import build_query
from refcli.search.rank import rank_missions
from refcli.search.text import fold, tokens
from tests.conftest import SHIPPED_COMPONENTS, TEMPLATE

# Text a record may hold: anything but surrogates (not UTF-8) and control characters other than a tab or a line
# break (refused: a terminal or Word acts on them; test_a_control_character_in_a_new_record_is_refused).
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc"), include_characters="\t\n"), max_size=60)
FIELD_TEXT = ANY_TEXT.map(str.strip).filter(bool)
TRICKY = st.sampled_from(["<w:p>", "&amp;", "]]>", "{{ANNEXE_REFERENCES}}", "[bold]x[/bold]", "\u202e\u200f",
                          "\x07\x1b[31m", "'\"", "\ufffd", "ﬁ", "\u0301e"])
TRICKY_TEXT = st.lists(st.one_of(FIELD_TEXT, TRICKY), min_size=1, max_size=4).map(" ".join).map(str.strip).filter(bool)


@given(ANY_TEXT)
def test_normalisation_never_raises_and_is_deterministic(text: str) -> None:
    assert fold(text) == fold(text)
    assert tokens(text) == tokens(text)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keywords=st.lists(ANY_TEXT, max_size=3), text=st.one_of(st.none(), ANY_TEXT))
def test_ranking_never_raises_is_deterministic_and_scores_stay_in_0_to_100(
    seed_library, seed_index, glossary, keywords: list[str], text: str | None
) -> None:
    try:
        query = build_query(seed_library.vocabulary, glossary, keywords=keywords, text=text, year=2026)
    except UserError:
        return  # nothing to search for: the command says so, exit 2
    first = rank_missions(seed_library, seed_index, query)
    second = rank_missions(seed_library, seed_index, query)
    assert [(match.mission.id, match.score) for match in first] == [(m.mission.id, m.score) for m in second]
    assert all(0 <= match.score <= 100 for match in first)
    assert [(-m.score, m.mission.id) for m in first] == sorted((-m.score, m.mission.id) for m in first)


@pytest.fixture(scope="module")
def new_library(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("new")
    (root / "data" / "missions").mkdir(parents=True)
    shutil.copy(SHIPPED_COMPONENTS, root / "data" / "components.toml")
    return root / "data" / "missions"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=FIELD_TEXT, client=FIELD_TEXT, stakes=FIELD_TEXT, content=st.lists(FIELD_TEXT, min_size=1, max_size=3),
       city=FIELD_TEXT, partners=st.lists(FIELD_TEXT, max_size=3), start=st.integers(1950, 2100),
       kind=st.sampled_from(["public", "private"]), level=st.integers(1, 5))
def test_any_record_written_by_new_loads_back_equal(new_library: Path, title, client, stakes, content, city,
                                                    partners, start, kind, level) -> None:
    arguments = ["new", "--no-input", "--data", str(new_library), "--title", title, "--client", client,
                 "--client-kind", kind, "--mission-type", "Etude", "--role", "mandataire", "--start", str(start),
                 "--city", city, "--stakes", stakes, "--component", f"concertation={level}"]
    for item in content:
        arguments += ["--content", item]
    for partner in partners:
        arguments += ["--partner", partner]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.stderr
    written = Path(result.stdout.strip().splitlines()[-1])
    try:
        library = load_library(new_library)
        [mission] = [m for m in library.missions if m.path == written]
        def lf(text: str) -> str:  # records hold LF line breaks: new turns a pasted CRLF into LF
            return text.replace("\r\n", "\n")

        assert (mission.title, mission.client.name, mission.client.kind) == (lf(title), lf(client), kind)
        assert (mission.stakes, mission.content, mission.site.city) == (lf(stakes), tuple(map(lf, content)), lf(city))
        assert mission.partners == tuple(map(lf, partners))
        assert (mission.period.start, mission.components) == (start, {"concertation": level})
    finally:
        written.unlink()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=FIELD_TEXT, control=st.characters(categories=("Cc",), exclude_characters="\t\n\r\x00"))
def test_a_control_character_in_a_new_record_is_refused(new_library, before, control) -> None:
    title = before + control + "fin"  # inside the text: str.strip takes U+001C-U+001F off its ends
    result = CliRunner().invoke(app, ["new", "--data", str(new_library), "--no-input", "--title", title,
                                      "--mission-type", "AMO", "--role", "titulaire", "--client", "Ville",
                                      "--client-kind", "public", "--start", "2020", "--stakes", "Des enjeux.",
                                      "--content", "Un contenu."])
    written = list(new_library.glob("*.toml"))
    for path in written:
        path.unlink()
    assert not written and result.exit_code == 2 and result.stderr.count("\n") == 1
    assert f"title: holds the control character U+{ord(control):04X}" in result.stderr


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=TRICKY_TEXT, stakes=TRICKY_TEXT, item=TRICKY_TEXT, client=TRICKY_TEXT)
def test_any_record_text_ends_up_in_the_annex_as_text(shipped_library, title, stakes, item, client) -> None:
    import docx

    from refcli.annex.render import Heading, Selection, render_annex
    from refcli.annex.template import open_template

    mission = shipped_library.get("antony-point-etape-psl")
    mission = dataclasses.replace(mission, title=title, stakes=stakes, content=(item,),
                                  client=dataclasses.replace(mission.client, name=client))
    document = render_annex([Selection(mission, "test")], shipped_library, Heading(title="Marché"),
                            open_template(TEMPLATE))
    buffer = io.BytesIO()
    document.save(buffer)
    reopened = docx.Document(io.BytesIO(buffer.getvalue()))
    text = "\n".join(paragraph.text for paragraph in reopened.paragraphs)
    text += "\n".join(cell.text for table in reopened.tables for row in table.rows for cell in row.cells)
    for value in (title, item):
        visible = clean_text(value)  # control characters (not allowed in XML) are dropped
        # French typography may add non-breaking spaces (before « : », inside « »): compare without spaces.
        assert "".join(visible.split()) in "".join(text.split())
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        assert archive.testzip() is None
        placeholder_left = b"{{ANNEXE_REFERENCES}}" in archive.read("word/document.xml")
        assert not placeholder_left or "{{" in title + stakes + item + client
