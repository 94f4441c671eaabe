"""Word fiches keep their structure on import: one content item per bullet, stakes paragraphs apart, tables read."""

from __future__ import annotations

import html
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from refcli.authoring.fiche import parse_fiche, read_fiche_text
from tests.conftest import SEEDS

CONTENT = ["Enquête sociale auprès de 212 ménages", "Rédaction de la charte de relogement",
           "Animation des commissions de relogement"]


def make_fiche(path: Path) -> Path:
    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = Document()
    document.add_heading("Relogement des ménages de la cité des Indes", level=1)
    document.add_paragraph("Ville de Sartrouville")
    table = document.add_table(rows=4, cols=2)
    for row, (label, value) in zip(table.rows, [("Type de mission", "Accompagnement social"),
                                                ("Maître d'ouvrage :", "Ville de Sartrouville"),
                                                ("Années", "2019 - 2021"),
                                                ("Montant de la mission", "62 300 € HT")], strict=True):
        row.cells[0].text, row.cells[1].text = label, value
    document.add_heading("Enjeux de la mission", level=2)
    document.add_paragraph("La cité des Indes compte 900 logements sociaux.")
    document.add_paragraph("Le projet prévoit 300 démolitions et le relogement de leurs occupants.")
    document.add_paragraph("Faire du relogement un parcours résidentiel", style="List Bullet")
    document.add_heading("Contenu de la mission", level=2)
    document.add_paragraph(CONTENT[0], style="List Bullet")
    document.add_paragraph(CONTENT[1], style="List Bullet")
    numbered = document.add_paragraph(CONTENT[2])  # a list by Word's numbering on the paragraph itself
    properties = numbered._p.get_or_add_pPr()
    numbering = OxmlElement("w:numPr")
    for name, value in (("w:ilvl", "0"), ("w:numId", "1")):
        element = OxmlElement(name)
        element.set(qn("w:val"), value)
        numbering.append(element)
    properties.append(numbering)
    document.add_heading("Composantes de la mission", level=2)
    components = document.add_table(rows=3, cols=6)
    components.rows[0].cells[0].text, components.rows[0].cells[1].text = "Cohésion sociale", "■■■■□"
    components.rows[1].cells[0].text, components.rows[1].cells[1].text = "■■□□□", "Concertation"
    components.rows[2].cells[0].text = "Gestion urbaine de proximité"
    for number, cell in enumerate(components.rows[2].cells[1:]):  # squares drawn as shaded cells
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:fill"), "1F4E79" if number < 3 else "FFFFFF")
        cell._tc.get_or_add_tcPr().append(shading)
    document.save(str(path))
    return path


def test_a_python_docx_fiche_with_bullets_numbering_paragraphs_and_tables(tmp_path: Path) -> None:
    fiche = parse_fiche(read_fiche_text(make_fiche(tmp_path / "sartrouville.docx")))
    assert fiche.problems == []
    table = fiche.table
    assert table["content"] == CONTENT
    assert table["stakes"] == ("La cité des Indes compte 900 logements sociaux.\n\n"
                               "Le projet prévoit 300 démolitions et le relogement de leurs occupants.\n\n"
                               "- Faire du relogement un parcours résidentiel")
    assert table["mission_type"] == "Accompagnement social"
    assert table["client"]["name"] == "Ville de Sartrouville"
    assert table["period"] == {"start": 2019, "end": 2021}
    assert table["amounts"]["fee"]["value"] == 62300
    assert table["components"] == {"Cohésion sociale": 4, "Concertation": 2, "Gestion urbaine de proximité": 3}


def seed_as_html(seed: Path) -> str:
    """The seed fiche as HTML: its '- ▶' lines a bulleted list, its other lines paragraphs."""
    parts, in_list = [], False
    for line in seed.read_text(encoding="utf-8").splitlines():
        bullet = line.lstrip().startswith(("- ▶", "- ", "▶"))
        if bullet and not in_list:
            parts.append("<ul>")
        if not bullet and in_list:
            parts.append("</ul>")
        in_list = bullet
        text = html.escape(line.lstrip("-▶ ").strip() if bullet else line.strip())
        parts.append(f"<li>{text}</li>" if bullet else f"<p>{text}</p>" if text else "")
    if in_list:
        parts.append("</ul>")
    return "<html><head><meta charset='utf-8'></head><body>" + "\n".join(parts) + "</body></html>"


@pytest.mark.slow
def test_a_libreoffice_fiche_from_a_seed_reads_like_the_seed(tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (soffice) is needed to make the .docx: apt-get install libreoffice-writer"
    seed = SEEDS / "000_5e03a2e007223261.txt"
    source = tmp_path / "antony.html"
    source.write_text(seed_as_html(seed), encoding="utf-8")
    subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=180)
    word = tmp_path / "antony.docx"
    with zipfile.ZipFile(word) as archive:
        assert "<w:numPr>" in archive.read("word/document.xml").decode("utf-8")  # Word's numbering, no '▶' text
    from_word = parse_fiche(read_fiche_text(word)).table
    from_text = parse_fiche(read_fiche_text(seed)).table
    assert len(from_word["content"]) == 7
    assert from_word["content"] == from_text["content"]
    assert from_word["stakes"] == from_text["stakes"]
    assert from_word["stakes"].count("\n- ") == 4 and from_word["stakes"].count("\n\n") == 2
    for key in ("title", "mission_type", "client", "period", "site", "amounts", "programme", "partners"):
        assert from_word[key] == from_text[key], key


def _fiche_of(path: Path, build) -> dict:  # type: ignore[no-untyped-def]
    from docx import Document

    document = Document()
    build(document)
    document.save(path)
    fiche = parse_fiche(read_fiche_text(path))
    assert not fiche.problems, fiche.problems
    return fiche.table


def _enjeux(document) -> None:  # type: ignore[no-untyped-def]
    document.add_heading("Enjeux de la mission", level=2)
    document.add_paragraph("Un quartier en renouvellement.")


def test_a_table_cell_keeps_its_line_breaks_and_its_list_paragraphs_as_items(tmp_path: Path) -> None:
    def build(document) -> None:  # type: ignore[no-untyped-def]
        document.add_paragraph("Plan stratégique local de Sevran")
        table = document.add_table(rows=0, cols=2)
        for label, value in [("Type de mission", "Stratégie"), ("Maître d'ouvrage", "Ville de Sevran"),
                             ("Années", "2018 – 2020")]:
            cells = table.add_row().cells
            cells[0].text, cells[1].text = label, value
        cells = table.add_row().cells
        cells[0].text = "Site"
        line = cells[1].paragraphs[0]
        line.add_run("Sevran").add_break()
        line.add_run("quartier des Beaudottes")
        cells = table.add_row().cells
        cells[0].text = "Contenu de la mission"
        cells[1].paragraphs[0].text = "Diagnostic"
        cells[1].paragraphs[0].style = document.styles["List Bullet"]
        for item in ("Ateliers", "Restitution"):
            cells[1].add_paragraph(item, style="List Bullet")
        _enjeux(document)

    table = _fiche_of(tmp_path / "sevran.docx", build)
    assert table["site"] == {"city": "Sevran", "districts": ["quartier des Beaudottes"]}
    assert table["content"] == ["Diagnostic", "Ateliers", "Restitution"]


def test_a_row_of_two_label_value_pairs_non_breaking_hyphens_and_content_controls_are_read(tmp_path: Path) -> None:
    from docx.oxml import OxmlElement

    def build(document) -> None:  # type: ignore[no-untyped-def]
        title = document.add_paragraph()
        for number, part in enumerate(["Plan de sauvegarde de Clichy", "sous", "Bois"]):
            run = title.add_run(part)
            if number < 2:
                run._r.append(OxmlElement("w:noBreakHyphen"))  # Word's non-breaking hyphen
        table = document.add_table(rows=0, cols=4)
        for row in [("Type de mission", "Stratégie", "Maître d'ouvrage", "Ville de Clichy-sous-Bois"),
                    ("Années", "2016-2018", "Contenu de la mission", "Diagnostic")]:
            cells = table.add_row().cells
            for cell, text in zip(cells, row, strict=True):
                cell.text = text
        fee = document.add_paragraph("Montant de la mission : 88 000 € HT")
        control, content = OxmlElement("w:sdt"), OxmlElement("w:sdtContent")  # a content control holds the fee
        control.append(content)
        fee._p.addprevious(control)
        content.append(fee._p)
        _enjeux(document)

    table = _fiche_of(tmp_path / "clichy.docx", build)
    assert table["title"] == "Plan de sauvegarde de Clichy-sous-Bois"
    assert table["client"]["name"] == "Ville de Clichy-sous-Bois"
    assert table["mission_type"] == "Stratégie" and table["period"] == {"start": 2016, "end": 2018}
    assert table["amounts"]["fee"]["value"] == 88000


def _text_box(paragraph, text: str) -> None:  # type: ignore[no-untyped-def]
    """A text box anchored in the paragraph, as Word saves one: the box (mc:Choice), and its copy for older
    readers (mc:Fallback), each holding the same paragraph."""
    from docx.oxml import parse_xml

    body = f"<w:txbxContent><w:p><w:r><w:t>{html.escape(text)}</w:t></w:r></w:p></w:txbxContent>"
    paragraph._p.append(parse_xml(
        '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
        'xmlns:v="urn:schemas-microsoft-com:vml"><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>'
        f"<wps:wsp><wps:txbx>{body}</wps:txbx></wps:wsp></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape>"
        f"<v:textbox>{body}</v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>"))


def _tracked(paragraph, kept: str, deleted: str) -> None:  # type: ignore[no-untyped-def]
    """A tracked change in the paragraph: kept inserted, deleted struck out (w:delText), a move's origin."""
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    paragraph._p.append(parse_xml(f'<w:del {w} w:id="1" w:author="a"><w:r><w:delText>{deleted}</w:delText></w:r>'
                                  "</w:del>"))
    paragraph._p.append(parse_xml(f'<w:moveFrom {w} w:id="2" w:author="a"><w:r><w:t>{deleted}</w:t></w:r>'
                                  "</w:moveFrom>"))
    paragraph._p.append(parse_xml(f'<w:ins {w} w:id="3" w:author="a"><w:r><w:t>{kept}</w:t></w:r></w:ins>'))


def test_a_text_box_is_read_once_as_a_paragraph_and_tracked_changes_as_accepted(tmp_path: Path) -> None:
    # A fiche laid out in Word: its fee in a text box (read once, not glued to the paragraph it is anchored in),
    # its years corrected with tracked changes (the inserted text read, the deleted and moved-away left out).
    def build(document) -> None:  # type: ignore[no-untyped-def]
        document.add_paragraph("Plan stratégique local de Sevran")
        anchor = document.add_paragraph("Type de mission : Stratégie")
        _text_box(anchor, "Montant de la mission : 48 500 € HT")
        document.add_paragraph("Maître d'ouvrage : Ville de Sevran")
        _tracked(document.add_paragraph("Années : "), "2019 - 2021", "2017 - 2018")
        document.add_paragraph("Contenu de la mission : Diagnostic")
        _enjeux(document)

    table = _fiche_of(tmp_path / "sevran.docx", build)
    assert table["mission_type"] == "Stratégie"
    assert table["amounts"]["fee"]["value"] == 48500
    assert table["period"] == {"start": 2019, "end": 2021}
