"""`refcli template adopt` and `check`: the firm's own Word document made a template, its own styles kept.

Two firm documents, as a bid manager would have them: one saved by LibreOffice (letterhead-libreoffice.docx,
made by `soffice --headless --convert-to docx letterhead-libreoffice.fodt`, LibreOffice 7.4: no numbering
part, no Normal Table, its own spelling of the core-properties link) and one made with python-docx that
has only Normal and a header. The slow test at the end makes both afresh and renders the annex.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import nsmap, qn
from docx.shared import Cm, Pt, Twips
from typer.testing import CliRunner

from refcli.annex.adopt import adopt_styles, describe_template
from refcli.annex.template import REQUIRED_STYLES, open_document, open_template
from refcli.cli.commands import app
from refcli.errors import UserError
from tests.conftest import SEED_IDS, TEMPLATE, document_text

HERE = Path(__file__).parent
LIBREOFFICE_LETTERHEAD = HERE / "letterhead-libreoffice.docx"
FIRM_HEADER = "CABINET MARTIN & ASSOCIÉS — urbanisme et territoires"


def python_docx_letterhead(path: Path) -> Path:
    """A firm's document with only Normal and a header, as python-docx makes one; its Normal in the firm's font
    and, as many a French firm's, with a first-line indent and 1.5 line spacing."""
    document = docx.Document()
    styles = document.styles.element
    for style in list(styles.style_lst):
        if style.name_val != "Normal":
            styles.remove(style)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = "DejaVu Serif", Pt(10.5)
    normal.paragraph_format.first_line_indent, normal.paragraph_format.line_spacing = Cm(1.25), 1.5
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # python-docx's default is US Letter
    section.left_margin = section.right_margin = Cm(2.4)
    section.top_margin = section.bottom_margin = Cm(2)
    section.header.paragraphs[0].text = FIRM_HEADER
    document.add_paragraph("Cabinet Martin & Associés, 4 place Bellecour, 69002 Lyon")
    document.save(str(path))
    return path


def adopt(path: Path):
    document = open_document(path)
    added = adopt_styles(document, open_document(TEMPLATE), path)
    return document, added


def invoke(*arguments: str):
    return CliRunner().invoke(app, list(arguments))


def style_xml(document, name: str) -> str:
    return document.styles[name].element.xml


def test_a_document_with_only_normal_gets_every_style_and_what_they_need(tmp_path):
    firm = python_docx_letterhead(tmp_path / "firm.docx")
    document, added = adopt(firm)
    required = [name for name, _ in REQUIRED_STYLES]
    # Each required style in the contract's order, then the table styles' base, copied when first needed.
    assert added == required[:12] + ["Normal Table"] + required[12:]
    assert describe_template(document).complete
    open_template_path = tmp_path / "firm-refcli.docx"
    document.save(str(open_template_path))
    reopened = open_template(open_template_path).document
    for name, kind in REQUIRED_STYLES:
        style = reopened.styles[name]
        assert style.type == {"paragraph": WD_STYLE_TYPE.PARAGRAPH, "table": WD_STYLE_TYPE.TABLE}[kind]
    # The copies keep the shipped template's design and are based on the firm's styles, not the shipped ones.
    assert reopened.styles["Ref Body"].base_style.name == "Normal"
    assert reopened.styles["Ref Bullet"].base_style.name == "Ref Body"
    assert reopened.styles["Ref Summary Table"].base_style.name == "Normal Table"
    assert 'w:fill="2A7F7F"' in style_xml(reopened, "Ref Summary Table")  # the header row's shading
    assert 'w:insideH w:val="single"' in style_xml(reopened, "Ref Summary Table")  # the rules between rows
    assert reopened.styles["Ref Title"].font.size == Pt(22)
    # The firm's own: Normal's font, the header, the page set-up, the body.
    assert reopened.styles["Normal"].font.name == "DejaVu Serif"
    assert reopened.styles["Normal"].font.size == Pt(10.5)
    assert reopened.styles["Normal"].paragraph_format.first_line_indent == Twips(709)  # 1.25 cm
    assert reopened.styles["Normal"].paragraph_format.line_spacing == 1.5
    assert reopened.sections[0].header.paragraphs[0].text == FIRM_HEADER
    assert reopened.sections[0].left_margin == docx.Document(str(firm)).sections[0].left_margin != Cm(2)
    assert reopened.paragraphs[0].text.startswith("Cabinet Martin")


def test_the_copies_keep_the_shipped_layout_not_the_indent_of_the_firms_normal(tmp_path):
    document, _ = adopt(python_docx_letterhead(tmp_path / "firm.docx"))
    for name, kind in REQUIRED_STYLES:
        if kind == "paragraph" and name != "Ref Bullet":
            layout = document.styles[name].paragraph_format
            assert (layout.left_indent, layout.first_line_indent, layout.right_indent) == (0, 0, 0), name
    # Line spacing as the shipped template resolves it: its own, else its document defaults' 1.15.
    assert document.styles["Ref Body"].paragraph_format.line_spacing == 1.0
    assert document.styles["Ref Heading 2"].paragraph_format.line_spacing == 1.15
    assert document.styles["Ref Title"].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.LEFT
    assert document.styles["Ref Body"].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    # The bullet's hanging indent, from its list numbering, is set on the style itself.
    bullet = document.styles["Ref Bullet"].paragraph_format
    assert (bullet.left_indent, bullet.first_line_indent) == (Twips(340), -Twips(284))


def test_the_bullet_numbering_is_copied_without_clashing_with_the_firms_lists(tmp_path):
    firm = python_docx_letterhead(tmp_path / "firm.docx")  # python-docx's documents hold list definitions
    numbering_before = open_document(firm).part.numbering_part.element
    abstract_ids = set(numbering_before.xpath("./w:abstractNum/@w:abstractNumId"))
    number_ids = set(numbering_before.xpath("./w:num/@w:numId"))
    assert abstract_ids and number_ids
    document, _ = adopt(firm)
    number_id = document.styles["Ref Bullet"].element.xpath("./w:pPr/w:numPr/w:numId/@w:val")[0]
    assert number_id not in number_ids
    numbering = document.part.numbering_part.element
    abstract_id = numbering.num_having_numId(int(number_id)).abstractNumId.val
    assert str(abstract_id) not in abstract_ids
    abstract = numbering.xpath(f"./w:abstractNum[@w:abstractNumId='{abstract_id}']")[0]
    assert abstract.xpath("./w:lvl/w:lvlText/@w:val", namespaces={"w": nsmap["w"]}) == ["\u25b6"]
    # The schema's order holds: every w:abstractNum before every w:num.
    tags = [child.tag for child in numbering]
    assert tags.index(qn("w:num")) > max(i for i, tag in enumerate(tags) if tag == qn("w:abstractNum"))


def test_a_libreoffice_document_gets_a_numbering_part_and_a_clean_properties_link(tmp_path):
    with zipfile.ZipFile(LIBREOFFICE_LETTERHEAD) as archive:
        assert "word/numbering.xml" not in archive.namelist()
        assert b"officedocument/2006/relationships/metadata/core-properties" in archive.read("_rels/.rels")
    out = tmp_path / "firm-refcli.docx"
    result = invoke("template", "adopt", str(LIBREOFFICE_LETTERHEAD), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        assert "word/numbering.xml" in names
        assert names.count("docProps/core.xml") == 1
        assert b"package/2006/relationships/metadata/core-properties" in archive.read("_rels/.rels")
    document = open_template(out).document
    assert document.styles["Normal"].font.name == "Liberation Serif"  # the firm's, as LibreOffice saved it
    assert document.sections[0].header.paragraphs[0].text.startswith("ATELIER DURAND URBANISME")


def test_the_firms_own_definition_of_a_required_style_is_kept(tmp_path):
    firm = tmp_path / "firm.docx"
    document = docx.Document()
    body = document.styles.add_style("Ref Body", WD_STYLE_TYPE.PARAGRAPH)
    body.font.size, body.font.name = Pt(12), "DejaVu Sans Mono"
    document.save(str(firm))
    adopted, added = adopt(firm)
    assert "Ref Body" not in added
    assert adopted.styles["Ref Body"].font.size == Pt(12)
    assert adopted.styles["Ref Body"].font.name == "DejaVu Sans Mono"
    assert adopted.styles["Ref Bullet"].base_style.name == "Ref Body"  # based on the firm's Ref Body
    result = invoke("template", "adopt", str(firm), "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["kept"] == ["Ref Body"]
    assert "Ref Body" not in report["added"] and "Ref Title" in report["added"]


def test_a_style_id_the_firm_uses_for_another_style_is_not_taken(tmp_path):
    firm = tmp_path / "firm.docx"
    document = docx.Document()
    own = document.styles.add_style("Titre du cabinet", WD_STYLE_TYPE.PARAGRAPH)
    own.element.styleId = "RefTitle"
    own.font.size = Pt(30)
    document.add_paragraph("Lettre", style=own)
    document.save(str(firm))
    adopted, _ = adopt(firm)
    assert adopted.styles["Ref Title"].style_id == "RefTitle2"
    assert adopted.styles["Titre du cabinet"].style_id == "RefTitle"
    assert adopted.styles["Titre du cabinet"].font.size == Pt(30)
    assert adopted.paragraphs[0].style.name == "Titre du cabinet"


def test_a_style_of_the_wrong_type_is_refused_not_replaced(tmp_path):
    firm = tmp_path / "firm.docx"
    document = docx.Document()
    document.styles.add_style("Ref Body", WD_STYLE_TYPE.CHARACTER)
    document.save(str(firm))
    before = firm.read_bytes()
    with pytest.raises(UserError, match=r"'Ref Body' is a character style, refcli needs a paragraph style: "
                                        r"rename or delete it"):
        adopt(firm)
    result = invoke("template", "adopt", str(firm))
    assert result.exit_code == 2
    assert "rename or delete it in Word or LibreOffice" in result.stderr
    assert not (tmp_path / "firm-refcli.docx").exists()
    assert firm.read_bytes() == before
    check = invoke("template", "check", str(firm))
    assert check.exit_code == 1
    assert "wrong type: Ref Body is a character style, refcli needs a paragraph style" in check.stdout


def test_adopt_writes_beside_the_firms_file_and_never_changes_it(tmp_path):
    firm = python_docx_letterhead(tmp_path / "Modèle cabinet.docx")
    before = firm.read_bytes()
    result = invoke("template", "adopt", str(firm))
    assert result.exit_code == 0, result.stderr
    out = tmp_path / "Modèle cabinet-refcli.docx"
    assert out.is_file()
    assert firm.read_bytes() == before
    assert result.stdout == ""
    assert f"wrote {out}, a copy of {firm} with 14 style(s) added from refcli's template: Ref Title," in result.stderr
    assert "no {{ANNEXE_REFERENCES}} paragraph: the annex goes at the end of the body" in result.stderr
    # Run again: the output exists; without --force it stays as it is.
    written = out.read_bytes()
    again = invoke("template", "adopt", str(firm))
    assert again.exit_code == 2
    assert "the file exists; pass --force to overwrite it" in again.stderr
    assert out.read_bytes() == written
    assert invoke("template", "adopt", str(firm), "--force").exit_code == 0
    # Adopting a template that is complete adds nothing.
    complete = invoke("template", "adopt", str(out), "--out", str(tmp_path / "again.docx"))
    assert complete.exit_code == 0, complete.stderr
    assert "with no style to add" in complete.stderr
    assert "kept as" in complete.stderr


@pytest.mark.parametrize(("out", "message"), [
    ("firm.docx", "--out is the firm's document itself; refcli never changes it"),
    ("firm.pdf", "--out: give a .docx file name"),
    ("missing/firm-refcli.docx", "the folder"),
])
def test_adopt_refuses_an_output_it_cannot_write(tmp_path, out, message):
    firm = python_docx_letterhead(tmp_path / "firm.docx")
    before = firm.read_bytes()
    result = invoke("template", "adopt", str(firm), "--out", str(tmp_path / out))
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert firm.read_bytes() == before


def test_adopt_refuses_a_file_that_is_not_a_word_document(tmp_path):
    pdf = tmp_path / "firm.docx"
    pdf.write_bytes(b"%PDF-1.4\n")
    result = invoke("template", "adopt", str(pdf))
    assert result.exit_code == 2
    assert "the template is a PDF file" in result.stderr
    assert not (tmp_path / "firm-refcli.docx").exists()


def test_adopt_refuses_a_placeholder_build_bid_would_refuse_and_writes_nothing(tmp_path):
    # It said "no {{ANNEXE_REFERENCES}} paragraph: the annex goes at the end" and exit 0; build-bid then refused it.
    firm = python_docx_letterhead(tmp_path / "firm.docx")
    document = docx.Document(str(firm))
    document.add_paragraph("Voir {{ANNEXE_REFERENCES}} ci-après")
    document.save(str(firm))
    result = invoke("template", "adopt", str(firm))
    assert result.exit_code == 2
    assert result.stderr == (f"error: {firm}: {{{{ANNEXE_REFERENCES}}}} is inside a table or a sentence: it must "
                             "stand once, as a paragraph of its own in the body; move it in Word or LibreOffice, "
                             "then run refcli template adopt again\n")
    assert not (tmp_path / "firm-refcli.docx").exists()


@pytest.mark.parametrize("command", ["adopt", "check"])
def test_a_missing_or_folder_argument_is_one_line_not_a_usage_block(tmp_path, command):
    for argument, said in ((tmp_path / "none.docx", "the file does not exist"),
                           (tmp_path, "the template is a folder, not a .docx file")):
        result = invoke("template", command, str(argument))
        assert result.exit_code == 2
        assert result.stderr == f"error: {argument}: {said}\n"


def test_adopt_into_a_folder_suggests_the_templates_name_not_an_annexs(tmp_path):
    firm = python_docx_letterhead(tmp_path / "firm.docx")
    (tmp_path / "out.docx").mkdir()
    result = invoke("template", "adopt", str(firm), "--out", str(tmp_path / "out.docx"))
    assert result.exit_code == 2
    assert f"e.g. {tmp_path / 'out.docx' / 'firm-refcli.docx'}" in result.stderr


def test_a_docx_that_names_a_part_it_lacks_is_said_in_words(tmp_path):
    # It printed zipfile's "There is no item named 'word/styles.xml' in the archive", in English, in French too.
    firm = python_docx_letterhead(tmp_path / "firm.docx")
    damaged = tmp_path / "damaged.docx"
    with zipfile.ZipFile(firm) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            if item.filename != "word/styles.xml":
                target.writestr(item, source.read(item.filename))
    result = invoke("template", "check", str(damaged))
    assert result.exit_code == 2
    assert result.stderr == (f"error: {damaged}: the template is a corrupt .docx file: it names a part it does not "
                             "hold (word/styles.xml)\n")


def test_check_names_the_style_types_in_french(tmp_path):
    firm = python_docx_letterhead(tmp_path / "firm.docx")
    document = docx.Document(str(firm))
    document.styles.add_style("Ref Body", WD_STYLE_TYPE.CHARACTER)
    document.save(str(firm))
    from refcli.i18n import use_language

    use_language("fr")
    try:
        result = invoke("template", "check", str(firm))
    finally:
        use_language("en")
    assert result.exit_code == 1
    assert "Ref Title (paragraphe)" in result.stdout and "Ref Summary Table (tableau)" in result.stdout
    assert ("mauvais type\u00a0: Ref Body est un style de type caractère, refcli a besoin d'un style de type "
            "paragraphe") in result.stdout
    assert "paragraph)" not in result.stdout and "character" not in result.stdout
    shown = json.loads(invoke("template", "check", str(firm), "--json").stdout)  # scripts keep the English words
    assert shown["wrong_type"] == [{"name": "Ref Body", "type": "character", "expected": "paragraph"}]


def test_a_word_template_dotx_is_adopted_as_a_docx(tmp_path):
    firm = python_docx_letterhead(tmp_path / "firm.docx")
    dotx = tmp_path / "firm.dotx"
    with zipfile.ZipFile(firm) as source, zipfile.ZipFile(dotx, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"document.main+xml", b"template.main+xml")
            target.writestr(item, data)
    result = invoke("template", "adopt", str(dotx))
    assert result.exit_code == 0, result.stderr
    assert open_template(tmp_path / "firm-refcli.docx").document.sections[0].header.paragraphs[0].text == FIRM_HEADER


def test_check_names_what_is_present_and_missing_and_the_way_forward(tmp_path):
    firm = tmp_path / "firm.docx"
    document = docx.Document()
    document.styles.add_style("Ref Body", WD_STYLE_TYPE.PARAGRAPH)
    document.save(str(firm))
    result = invoke("template", "check", str(firm))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"{firm}: 1 of the 13 styles the annex needs"
    assert lines[1] == "present: Ref Body"
    assert lines[2].startswith("missing: Ref Title (paragraph), Ref Subtitle (paragraph),")
    assert lines[2].endswith("Ref Summary Table (table), Ref Facts Table (table)")
    assert lines[3] == "placeholder: {{ANNEXE_REFERENCES}} not found: the annex goes at the end of the body"
    assert result.stderr.strip() == (f"error: {firm}: not a template for the annex yet; to make one, run: "
                                     f"refcli template adopt {firm} --out {tmp_path / 'firm-refcli.docx'}")
    scripted = invoke("template", "check", str(firm), "--json")
    assert scripted.exit_code == 1 and scripted.stderr == ""
    report = json.loads(scripted.stdout)
    assert (report["command"], report["ok"], report["present"]) == ("template check", False, ["Ref Body"])
    assert len(report["missing"]) == 12 and report["wrong_type"] == [] and report["placeholder"] is False


def test_check_passes_the_shipped_template_and_finds_its_placeholder():
    result = invoke("template", "check", str(TEMPLATE))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"{TEMPLATE}: 13 of the 13 styles the annex needs"
    assert "placeholder: {{ANNEXE_REFERENCES}} found: the annex goes there" in result.stdout
    assert result.stderr == ""


def test_build_bid_on_an_incomplete_template_ends_with_the_way_forward(tmp_path, library_folder):
    firm = python_docx_letterhead(tmp_path / "firm.docx")
    result = invoke("build-bid", "-q", "--data", str(library_folder), "--ids", SEED_IDS[0], "--template", str(firm),
                    "--out", str(tmp_path / "annexe.docx"))
    assert result.exit_code == 2
    assert result.stderr.rstrip().endswith(f"to fix it, run: refcli template adopt {firm} "
                                           f"--out {tmp_path / 'firm-refcli.docx'}")
    assert not (tmp_path / "annexe.docx").exists()


@pytest.mark.parametrize("letterhead", ["libreoffice", "python-docx"])
def test_build_bid_with_an_adopted_template_keeps_the_firms_header_and_fills_the_annex(
        tmp_path, library_folder, letterhead):
    firm = LIBREOFFICE_LETTERHEAD if letterhead == "libreoffice" else python_docx_letterhead(tmp_path / "firm.docx")
    template = tmp_path / "firm-refcli.docx"
    assert invoke("template", "adopt", str(firm), "--out", str(template)).exit_code == 0
    out = tmp_path / "annexe.docx"
    result = invoke("build-bid", "-q", "--data", str(library_folder), "--ids", ",".join(SEED_IDS),
                    "--title", "Marché de test", "--template", str(template), "--out", str(out))
    assert result.exit_code == 0, result.stderr  # a warning (a duplicate zip entry) would fail here too
    annex = docx.Document(str(out))
    header = annex.sections[0].header.paragraphs[0].text
    assert header.startswith("ATELIER DURAND" if letterhead == "libreoffice" else "CABINET MARTIN")
    assert [table.style.name for table in annex.tables[:2]] == ["Ref Summary Table", "Ref Facts Table"]
    assert len(annex.tables[0].rows) == 1 + len(SEED_IDS)
    text = document_text(annex)
    assert "Point d'Etape et Plan Stratégique Local d'Antony" in text
    bullets = [paragraph for paragraph in annex.paragraphs if paragraph.style.name == "Ref Bullet"]
    assert bullets
    with zipfile.ZipFile(out) as archive:
        assert archive.namelist().count("docProps/core.xml") == 1


def _teal_pixels(ppm: bytes) -> int:
    """Count the pixels of the summary table's header fill (#2A7F7F) in a binary PPM image."""
    match = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", ppm)
    assert match, "pdftoppm did not write a PPM image"
    pixels = ppm[match.end():]
    return sum(1 for i in range(0, len(pixels) - 2, 3) if abs(pixels[i] - 0x2A) < 12
               and abs(pixels[i + 1] - 0x7F) < 12 and abs(pixels[i + 2] - 0x7F) < 12)


@pytest.mark.slow
def test_letterheads_made_by_libreoffice_and_python_docx_render_with_the_firms_header(tmp_path, confirmed_missions):
    soffice, pdftoppm = shutil.which("soffice"), shutil.which("pdftoppm")
    assert soffice, "LibreOffice (soffice) is needed: apt-get install libreoffice-writer"
    assert pdftoppm and shutil.which("pdfinfo") and shutil.which("pdftotext") and shutil.which("pdffonts"), \
        "poppler is needed: apt-get install poppler-utils"
    profile = f"-env:UserInstallation={(tmp_path / 'libreoffice-profile').as_uri()}"

    def libreoffice(target: str, source: Path, folder: Path) -> Path:
        folder.mkdir(exist_ok=True)
        subprocess.run([soffice, profile, "--headless", "--convert-to", target, "--outdir", str(folder), str(source)],
                       check=True, capture_output=True, timeout=180)
        return folder / f"{source.stem}.{target.split(':')[0]}"

    def poppler(*arguments: str) -> str:
        return subprocess.run(list(arguments), check=True, capture_output=True, text=True).stdout

    # The LibreOffice user: a letterhead written in Writer (here its flat XML), saved as Word.
    firms = {"libreoffice": libreoffice("docx", HERE / "letterhead-libreoffice.fodt", tmp_path / "writer"),
             "python-docx": python_docx_letterhead(tmp_path / "letterhead-python-docx.docx")}
    headers = {"libreoffice": "ATELIER DURAND URBANISME", "python-docx": "CABINET MARTIN"}
    for name, firm in firms.items():
        template = tmp_path / f"{name}-refcli.docx"
        assert invoke("template", "adopt", str(firm), "--out", str(template)).exit_code == 0
        # Opened and saved again in LibreOffice (to type the placeholder, say), it still meets the contract.
        resaved = libreoffice("docx:MS Word 2007 XML", template, tmp_path / f"{name}-resaved")
        assert invoke("template", "check", str(resaved)).exit_code == 0
        out = tmp_path / f"{name}-annexe.docx"
        result = invoke("build-bid", "-q", "--data", str(confirmed_missions), "--ids", ",".join(SEED_IDS),
                        "--title", "Marché de test", "--template", str(resaved), "--out", str(out))
        assert result.exit_code == 0, result.stderr
        pdf = libreoffice("pdf", out, tmp_path / f"{name}-pdf")
        pages = int(re.search(r"^Pages:\s+(\d+)", poppler("pdfinfo", str(pdf)), re.MULTILINE).group(1))
        assert pages == 1 + len(SEED_IDS), f"{name}: a fiche does not fit its page"
        for number in range(1, pages + 1):
            text = poppler("pdftotext", "-f", str(number), "-l", str(number), str(pdf), "-")
            assert headers[name] in text, f"{name}: page {number} has no firm header"
        assert "Synthèse des références".upper() in poppler("pdftotext", "-l", "1", str(pdf), "-")
        # The Normal style's Liberation Serif, or the serif fontconfig puts in its place where it is not installed
        # (apt's --no-install-recommends leaves it out).
        assert re.search(r"\+(?:LiberationSerif|DejaVuSerif)\b", poppler("pdffonts", str(pdf))), \
            f"{name}: the firm's serif Normal font is lost"
        # The summary table's header row is shaded: 5,600 to 7,000 such pixels at 50 dpi; 1,300 without the
        # shading (the rules under the headings, the subtitle).
        image = subprocess.run([pdftoppm, "-r", "50", "-f", "1", "-l", "1", str(pdf)], check=True,
                               capture_output=True).stdout
        assert _teal_pixels(image) > 3000, f"{name}: the summary table's header row is not shaded"


@pytest.mark.parametrize("command", ["adopt", "check"])
def test_a_pipe_is_refused_not_read(tmp_path, command):
    import os

    pipe = tmp_path / "firm.docx"
    os.mkfifo(pipe)  # reading it would wait forever for a writer
    result = invoke("template", command, str(pipe))
    assert result.exit_code == 2
    assert "not a regular file" in result.stderr
