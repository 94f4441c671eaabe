"""The annex as python-docx reads it back: heading, summary table, one fiche per reference, template kept."""

from __future__ import annotations

import dataclasses
import datetime
import io
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from refcli.annex.render import Heading, Selection, render_annex, stakes_blocks, summary_amount
from refcli.annex.template import PLACEHOLDER, open_template
from refcli.errors import UserError
from refcli.records.library import load_library
from refcli.search.selection import select_by_ids
from tests.conftest import SEED_IDS, TEMPLATE, add_illustration, document_text

HEADING = Heading(title="Accompagnement du NPRU des Fauvettes", buyer="Ville de Neuilly-sur-Marne",
                  date=datetime.date(2025, 3, 1))


def render(library, ids=SEED_IDS, heading=HEADING, template=TEMPLATE):
    return render_annex(select_by_ids(library, list(ids)), library, heading, open_template(template))


def reopen(document):
    """Save and read back, as a user's Word would."""
    buffer = io.BytesIO()
    document.save(buffer)
    buffer.seek(0)
    return docx.Document(buffer)


def styled(document, style: str) -> list[str]:
    return [paragraph.text for paragraph in document.paragraphs if paragraph.style.name == style]



@pytest.fixture
def library(shipped_library):
    return shipped_library

def test_summary_table_has_a_repeating_header_and_one_row_per_reference(library):
    document = reopen(render(library))
    summary = document.tables[0]
    assert summary.style.name == "Ref Summary Table"
    header = summary.rows[0]
    assert [cell.text for cell in header.cells][0] == "Objet"
    assert header._tr.trPr.find(qn("w:tblHeader")) is not None
    rows = [[cell.text for cell in row.cells] for row in summary.rows[1:]]
    assert [row[0] for row in rows] == [library.get(mission_id).title for mission_id in SEED_IDS]
    antony, bagneux, est_ensemble, henin, neuilly = rows
    # The client's kind and the role "titulaire" are not on the fiches ([inferred]): not stated.
    assert antony[1:] == ["ANRU — non précisé", "2012 (8\u00a0mois)",
                          "Coût du projet\u00a0: 167\u202f000\u202f000\u00a0€\u00a0TTC", "Non précisé"]
    assert est_ensemble[2:] == ["2018\u00a0– 2021", "99\u202f685\u00a0€\u00a0HT", "Non précisé"]
    assert henin[3:] == ["Non précisé", "co-traitant (mandataire\u00a0: Tracés urbains)"]
    assert neuilly[3] == "29\u202f340\u00a0€ (tranche ferme, HT ou TTC non précisé)"
    assert bagneux[3].endswith("157\u202f000\u202f000\u00a0€ (HT ou TTC non précisé)")
    note = styled(document, "Ref Caption")[0]
    assert "hors taxes sauf mention contraire" not in note and "HT ou TTC non précisé" in note


def test_confirmed_values_are_stated(confirmed_library):
    rows = [[cell.text for cell in row.cells] for row in reopen(render(confirmed_library)).tables[0].rows[1:]]
    assert rows[0][1] == "ANRU — public" and rows[0][4] == "titulaire"
    assert rows[4][3] == "29\u202f340\u00a0€\u00a0HT (tranche ferme)"


def test_one_fiche_per_reference_each_on_its_own_page_in_the_given_order(library):
    order = list(reversed(SEED_IDS))
    document = reopen(render(library, ids=order))
    titles = [p for p in document.paragraphs if p.style.name == "Ref Heading 1"]
    assert [p.text for p in titles] == [library.get(mission_id).title for mission_id in order]
    assert all(p.paragraph_format.page_break_before for p in titles)
    assert styled(document, "Ref Heading 2").count("Enjeux de la mission") == len(order)


def test_fiche_facts_amounts_and_programme_are_formatted_in_french(library):
    document = reopen(render(library, ids=["antony-point-etape-psl"]))
    facts = {row.cells[0].text: row.cells[1].text for row in document.tables[1].rows}
    assert facts["Coût du projet"] == "167\u202f000\u202f000\u00a0€\u00a0TTC"
    assert facts["Programme"] == "144 démolitions, 351 constructions, 2\u202f102 résidentialisations"
    assert facts["Maître d'ouvrage"] == "ANRU"  # public and its category are inferred: left out
    assert facts["Site"] == "Antony, quartier du Noyer Doré (61\u202f000\u00a0habitants)"
    assert "Montant de la mission" not in facts  # the record gives no fee: no empty row
    assert "Rôle" not in facts  # inferred


def test_unconfirmed_site_and_role_are_left_out_of_the_fiche(library):
    document = reopen(render(library, ids=["neuilly-sur-marne-amo-concertation", "henin-carvin-projet-urbain-social"]))
    neuilly = {row.cells[0].text: row.cells[1].text for row in document.tables[1].rows}
    henin = {row.cells[0].text: row.cells[1].text for row in document.tables[2].rows}
    assert "Site" not in neuilly and "Rôle" not in neuilly
    assert henin["Site"].startswith("ZAC des deux Villes, Quartier Kennedy")  # the districts are on the fiche
    assert henin["Rôle"] == "co-traitant (mandataire\u00a0: Tracés urbains)"


def test_a_fiche_without_confirmed_levels_has_no_component_grid(library):
    document = reopen(render(library, ids=["est-ensemble-amo-npru"]))
    assert "Composantes de la mission" not in styled(document, "Ref Heading 2")
    assert len(document.tables) == 2  # the summary and the facts; no grid of empty squares
    assert not any("□" in paragraph.text or "■" in paragraph.text for paragraph in document.paragraphs)


def test_stakes_bullets_and_content_use_the_bullet_style(library):
    mission = library.get("antony-point-etape-psl")
    document = reopen(render(library, ids=[mission.id]))
    bullets = styled(document, "Ref Bullet")
    assert len(bullets) == 4 + len(mission.content)  # four "- " lines in the stakes, then the content
    assert bullets[0].startswith("Conforter la réussite du PRU")
    assert not any(text.startswith(("- ", "▶")) for text in bullets)


def test_with_a_level_not_confirmed_only_the_confirmed_levels_are_drawn(write_library):
    """A guessed level is left out of the grid; a confirmed 0 (a component the record does not list, with no
    `components` line in [inferred]) is drawn as empty squares; a guessed 0 is left out too."""
    from tests.conftest import record_text

    text = record_text("partiel", "Concertation", components="concertation = 4\nconseil = 2")
    library = write_library({"partiel": text + '\n[inferred]\n"components.conseil" = "guessed"\n'
                                              '"components.gup" = "not on the fiche: its square was lost"\n'})
    document = reopen(render(library, ids=["partiel"]))
    pairs = {}
    for row in document.tables[2].rows:
        cells = [cell.text for cell in row.cells]
        pairs.update({cells[1]: cells[0], cells[3]: cells[2]})
    pairs.pop("", None)
    assert pairs["Concertation"] == "■■■■□" and pairs["Planification"] == "□□□□□"
    assert "Conseil stratégique" not in pairs and "Gestion urbaine de proximité" not in pairs
    assert len(pairs) == len(library.vocabulary.components) - 2
    # ... and the grid says it is not the whole mission.
    assert ("Seules figurent les composantes dont la fiche précise le niveau\u202f; les autres n'y sont pas "
            "précisées.") in styled(document, "Ref Caption")


def test_components_are_drawn_as_filled_and_empty_squares_in_vocabulary_order(confirmed_library):
    library = confirmed_library
    mission = library.get("est-ensemble-amo-npru")
    document = reopen(render(library, ids=[mission.id]))
    table = document.tables[2]
    pairs = {}
    for row in table.rows:
        cells = [cell.text for cell in row.cells]
        pairs[cells[1]] = cells[0]
        pairs[cells[3]] = cells[2]
    assert len(pairs) == len(library.vocabulary.components) == 12
    assert pairs["Ingénierie financière"] == "■■■■■"
    assert pairs["Outils de gestion"] == "■■■■□"
    assert pairs["Coordination inter-chantiers"] == "■■■□□"
    assert pairs["Concertation"] == "□□□□□"
    assert table.rows[0].cells[0].paragraphs[0].style.name == "Ref Squares"


def test_heading_names_the_tender_its_buyer_and_its_date(library):
    document = reopen(render(library))
    assert styled(document, "Ref Title") == ["Références"]
    assert styled(document, "Ref Subtitle")[0] == "Accompagnement du NPRU des Fauvettes"
    body = styled(document, "Ref Body")
    assert "Maître d'ouvrage\u00a0: Ville de Neuilly-sur-Marne" in body
    assert "Date\u00a0: 1er\u00a0mars 2025" in body


def test_template_header_footer_and_page_fields_are_kept(library):
    document = reopen(render(library))
    section = document.sections[0]
    assert "PERSPECTIVES URBAINES ET SOCIALES" in section.header.paragraphs[0].text
    footer = section.footer.paragraphs[0]
    instructions = [node.text.strip() for node in footer._p.iter(qn("w:instrText"))]
    assert instructions == ["PAGE", "NUMPAGES"]
    assert "Perspectives Urbaines et Sociales" in footer.text


def test_placeholder_is_replaced_and_the_content_around_it_kept(library, tmp_path):
    template = docx.Document(str(TEMPLATE))
    placeholder = template.paragraphs[0]
    assert placeholder.text == PLACEHOLDER
    placeholder.insert_paragraph_before("Page de garde", style="Ref Title")
    template.add_paragraph("Dernière page", style="Ref Body")
    path = tmp_path / "with-cover.docx"
    template.save(str(path))
    document = reopen(render(library, ids=SEED_IDS[:2], template=path))
    texts = [p.text for p in document.paragraphs]
    assert PLACEHOLDER not in texts
    assert texts[0] == "Page de garde"
    assert texts[1] == "Références"
    assert texts[-1] == "Dernière page"


def test_without_placeholder_the_annex_goes_at_the_end_of_the_body(library, tmp_path):
    template = docx.Document(str(TEMPLATE))
    template.paragraphs[0].text = "Lettre de candidature"
    path = tmp_path / "no-placeholder.docx"
    template.save(str(path))
    document = reopen(render(library, ids=SEED_IDS[:1], template=path))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "Lettre de candidature"
    assert texts[1] == "Références"


def test_document_properties_name_the_tender_and_the_firm(library):
    properties = reopen(render(library)).core_properties
    assert properties.title == "Références — Accompagnement du NPRU des Fauvettes"
    assert properties.subject == (
        "Accompagnement du NPRU des Fauvettes — Ville de Neuilly-sur-Marne — 1er\u00a0mars 2025"
    )
    assert properties.author == "Perspectives Urbaines et Sociales"


def test_record_text_is_inserted_as_text_with_control_characters_dropped(library):
    mission = library.get("bagneux-point-etape-cloture")
    odd = dataclasses.replace(mission, title="Titre <w:p> & {{ANNEXE_REFERENCES}} \x07 fin",
                              content=("Texte\x0b avec « guillemets » et question ?",))
    document = reopen(render_annex([Selection(odd, "test")], library, Heading(), open_template(TEMPLATE)))
    assert styled(document, "Ref Heading 1") == ["Titre <w:p> & {{ANNEXE_REFERENCES}}  fin"]
    assert styled(document, "Ref Bullet") == ["Texte avec «\u00a0guillemets\u00a0» et question\u202f?"]


def test_relevance_is_printed_on_the_fiche_when_given(library):
    mission = library.get("neuilly-sur-marne-amo-concertation")
    selection = Selection(mission, "ranked first", relevance="concertation et maison du projet")
    document = reopen(render_annex([selection], library, Heading(), open_template(TEMPLATE)))
    assert "Lien avec le marché\u00a0: concertation et maison du projet" in styled(document, "Ref Body")


def test_illustration_is_added_sized_to_the_page_with_caption_and_credit(data_copy):
    add_illustration(data_copy, "antony-point-etape-psl.toml")
    library = load_library(data_copy)
    document = reopen(render(library, ids=["antony-point-etape-psl"]))
    assert len(document.inline_shapes) == 1
    shape = document.inline_shapes[0]
    assert shape.width <= docx.shared.Cm(17) and shape.height <= docx.shared.Cm(6)
    assert "Plan masse du quartier — © agence RDE" in styled(document, "Ref Caption")


def test_vanished_illustration_is_an_error_naming_the_record_and_the_file(data_copy):
    image = add_illustration(data_copy, "antony-point-etape-psl.toml")
    library = load_library(data_copy)
    image.unlink()
    with pytest.raises(UserError, match=r"antony-point-etape-psl\.toml: illustrations: 'images/plan\.png'"):
        render(library, ids=["antony-point-etape-psl"])


def test_an_illustration_that_is_not_an_image_is_an_error(data_copy):
    image = add_illustration(data_copy, "antony-point-etape-psl.toml")
    library = load_library(data_copy)
    image.write_bytes(b"not an image")
    with pytest.raises(UserError, match="not an image Word can show"):
        render(library, ids=["antony-point-etape-psl"])


def test_an_illustration_cut_short_is_an_error_naming_it(data_copy):
    image = add_illustration(data_copy, "antony-point-etape-psl.toml")
    library = load_library(data_copy)
    whole = (Path(__file__).parents[2] / "docs" / "annex-page.png").read_bytes()
    image.write_bytes(whole[:len(whole) // 2])  # a copy interrupted half way
    with pytest.raises(UserError, match=r"illustrations: 'images/plan\.png': .*plan\.png ends before its image does"):
        render(library, ids=["antony-point-etape-psl"])


def test_an_illustration_replaced_by_a_named_pipe_is_an_error_not_a_hang(data_copy):
    import os
    import signal

    image = add_illustration(data_copy, "antony-point-etape-psl.toml")
    library = load_library(data_copy)  # validated while it was an image
    image.unlink()
    os.mkfifo(image)

    def hung(number, frame):
        raise AssertionError("the render waits on the pipe")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(20)
    try:
        with pytest.raises(UserError, match=r"antony-point-etape-psl\.toml: illustrations: 'images/plan\.png': the "
                                            r"illustration is a named pipe \(FIFO\), not a regular file"):
            render(library, ids=["antony-point-etape-psl"])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_no_selection_is_an_error(library):
    with pytest.raises(UserError, match="no reference selected"):
        render_annex([], library, HEADING, open_template(TEMPLATE))


def test_stakes_blocks_split_paragraphs_and_bullets():
    stakes = "\nUn\ndeux.\n\nTrois :\n- a\n- b\n\nQuatre"
    assert stakes_blocks(stakes) == [
        ("Ref Body", "Un deux."), ("Ref Body", "Trois :"), ("Ref Bullet", "a"), ("Ref Bullet", "b"),
        ("Ref Body", "Quatre"),
    ]


def test_summary_amount_prefers_the_fee(library):
    assert summary_amount(library.get("est-ensemble-amo-npru")) == "99\u202f685\u00a0€\u00a0HT"
    assert summary_amount(library.get("antony-point-etape-psl")).startswith("Coût du projet")


def test_document_text_matches_the_golden_file(library):
    """Compare the annex's text (never its bytes) with tests/golden; REFCLI_REGENERATE_GOLDEN=1 rewrites it."""
    import os

    text = document_text(reopen(render(library)))
    golden = Path(__file__).parents[1] / "golden" / "annex-seeds.txt"
    if os.environ.get("REFCLI_REGENERATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing: run with REFCLI_REGENERATE_GOLDEN=1, read it, commit it"
    assert text == golden.read_text(encoding="utf-8")
