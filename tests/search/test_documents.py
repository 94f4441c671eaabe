"""Reading a tender's documents: PDF (columns, tables, running headers, hyphens), Word, text; hostile files refused."""

from __future__ import annotations

import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refcli.search.documents import MAX_PAGES, DocumentError, describe_file, join_lines, read_document
from tests.pdf_maker import text_page, two_column_page, write_pdf

HEADER = "Ville de Saint-Ouen-sur-Seine - Règlement de la consultation"


def texts(document) -> list[str]:
    return [paragraph.text for paragraph in document.paragraphs]


def test_a_two_column_page_written_across_the_columns_reads_column_by_column(tmp_path: Path) -> None:
    left = ["ARTICLE 1 - OBJET", "La présente consultation a pour objet", "une mission de concertation du",
            "nouveau projet de renouvelle-", "ment urbain du quartier Cordon."]
    right = ["ARTICLE 2 - CONTENU DE LA MISSION", "Le titulaire animera la Maison du", "projet et les ateliers."]
    pdf = write_pdf(tmp_path / "rc.pdf", [two_column_page(left, right, interleaved=True)])
    document = read_document(pdf)
    assert document.format == "PDF" and document.pages == 1
    assert texts(document) == [
        "ARTICLE 1 - OBJET",
        "La présente consultation a pour objet une mission de concertation du nouveau projet de renouvellement "
        "urbain du quartier Cordon.",
        "ARTICLE 2 - CONTENU DE LA MISSION",
        "Le titulaire animera la Maison du projet et les ateliers.",
    ]
    assert [paragraph.kind for paragraph in document.paragraphs] == ["heading", "text", "heading", "text"]


def test_a_criteria_table_reads_one_row_a_line(tmp_path: Path) -> None:
    runs = text_page(["ARTICLE 8 - CRITÈRES DE JUGEMENT DES OFFRES"])
    for number, (criterion, weight) in enumerate([("Critère", "Pondération"), ("Valeur technique", "60 %"),
                                                  ("Prix des prestations", "40 %")]):
        runs += [(56, 740 - number * 20, criterion, 10), (400, 740 - number * 20, weight, 10)]
    document = read_document(write_pdf(tmp_path / "rc.pdf", [runs]))
    assert texts(document) == ["ARTICLE 8 - CRITÈRES DE JUGEMENT DES OFFRES", "Critère  Pondération",
                               "Valeur technique  60 %", "Prix des prestations  40 %"]
    assert [paragraph.kind for paragraph in document.paragraphs][1:] == ["row", "row", "row"]


def test_running_headers_footers_and_page_numbers_are_dropped_and_pages_kept(tmp_path: Path) -> None:
    pages = [text_page([f"ARTICLE {number} - DISPOSITION {number}", f"Le texte de l'article {number}."],
                       header=HEADER, footer=f"RC - page {number} / 3") for number in (1, 2, 3)]
    document = read_document(write_pdf(tmp_path / "rc.pdf", pages))
    assert texts(document) == ["ARTICLE 1 - DISPOSITION 1", "Le texte de l'article 1.", "ARTICLE 2 - DISPOSITION 2",
                               "Le texte de l'article 2.", "ARTICLE 3 - DISPOSITION 3", "Le texte de l'article 3."]
    assert [paragraph.page for paragraph in document.paragraphs] == [1, 1, 2, 2, 3, 3]


def test_broken_accents_stay_replacement_characters(tmp_path: Path) -> None:
    text = tmp_path / "rc.txt"
    text.write_bytes("Ma\xeetrise d'ouvrage : Ville de Bondy\n\nLes r\xe9f\xe9rences".encode("latin-1"))
    assert texts(read_document(text)) == ["Ma\ufffdtrise d'ouvrage : Ville de Bondy", "Les r\ufffdf\ufffdrences"]


def test_hyphens_are_joined_except_after_a_prefix() -> None:
    assert join_lines(["renouvelle-", "ment urbain"]) == "renouvellement urbain"
    assert join_lines(["une démarche de co-", "construction"]) == "une démarche de co-construction"
    assert join_lines(["Saint-", "Ouen"]) == "Saint- Ouen"  # a capital after the cut: a name, left alone


def _join_lines_as_first_written(lines: list[str]) -> str:
    """join_lines as it was first written, looking at the whole text joined so far on each line: the rule,
    which took a minute over a megabyte of one paragraph (quadratic)."""
    import re

    from refcli.search.documents import _KEPT_HYPHEN

    text = ""
    for line in lines:
        line = line.strip()
        if not text:
            text = line
        elif re.search(r"[a-zà-ÿ]-$", text) and re.match(r"[a-zà-ÿ]", line):
            prefix = re.search(r"(\w+)-$", text)
            keep = prefix is not None and prefix.group(1).casefold() in _KEPT_HYPHEN
            text = (text if keep else text[:-1]) + line
        else:
            text += " " + line
    return re.sub(r"[ \t]+", " ", text)


_PIECES = st.sampled_from(["co-", "socio-", "renouvelle-", "ment", "Saint-", "Ouen", "é-", "x", "-", " ", "\t", "",
                           "\u00a0", "a b-", "Co-"])


@given(st.lists(st.one_of(st.text(alphabet="aéZ- \tco\u00a0x", max_size=12),
                          st.lists(_PIECES, max_size=4).map("".join)), max_size=12))
def test_joining_lines_looks_only_at_their_ends_and_joins_as_the_rule_does(lines: list[str]) -> None:
    assert join_lines(lines) == _join_lines_as_first_written(lines)


def test_text_and_markdown_pages_headings_and_items(tmp_path: Path) -> None:
    path = tmp_path / "rc.md"
    path.write_text("# Objet\n\nUne mission\nde concertation.\n\n- ateliers\n- réunions\n\fARTICLE 2 - SUITE\n",
                    encoding="utf-8")
    document = read_document(path)
    assert [(p.text, p.page, p.kind) for p in document.paragraphs] == [
        ("Objet", 1, "heading"), ("Une mission de concertation.", 1, "text"), ("ateliers", 1, "item"),
        ("réunions", 1, "item"), ("ARTICLE 2 - SUITE", 2, "heading")]


def test_word_paragraphs_tables_headers_footers_and_page_breaks(tmp_path: Path) -> None:
    from docx import Document
    from docx.enum.text import WD_BREAK

    document = Document()
    document.sections[0].header.paragraphs[0].text = HEADER
    document.add_heading("Article 1 - Objet", level=1)
    document.add_paragraph("La présente consultation a pour objet une mission de concertation.")
    document.add_paragraph("Ateliers", style="List Bullet")
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Date limite de remise des offres", "15/01/2027"
    path = tmp_path / "rc.docx"
    document.save(str(path))
    read = read_document(path)
    assert [(p.text, p.page, p.kind) for p in read.paragraphs] == [
        (HEADER, 0, "margin"), ("Article 1 - Objet", 1, "heading"),
        ("La présente consultation a pour objet une mission de concertation.", 1, "text"),
        ("Ateliers", 1, "item"), ("Date limite de remise des offres  15/01/2027", 2, "row")]
    assert HEADER not in read.text


def test_a_scan_needs_ocr(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "scan.pdf", [None, None])
    with pytest.raises(DocumentError, match=r"scan.pdf: no text in this PDF \(a scan\?\): it needs OCR first"):
        read_document(pdf)


def test_an_encrypted_pdf_is_named(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "locked.pdf", [text_page(["Règlement de la consultation, texte protégé."])],
                    encrypted=True)
    with pytest.raises(DocumentError, match=r"locked.pdf: the PDF is encrypted \(it needs a password\)"):
        read_document(pdf)


@pytest.mark.parametrize("content", [b"%PDF-1.4\n garbage \x00\x01 trailer", None])
def test_a_corrupt_or_truncated_pdf_is_named(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "broken.pdf"
    if content is None:
        whole = write_pdf(tmp_path / "whole.pdf", [text_page(["Un texte assez long pour compter."] * 5)]).read_bytes()
        content = whole[: len(whole) // 2]
    path.write_bytes(content)
    with pytest.raises(DocumentError, match=r"broken.pdf: a damaged PDF \(.*\); export it as PDF again"):
        read_document(path)


def test_a_file_named_pdf_that_is_not_one(tmp_path: Path) -> None:
    path = tmp_path / "rc.pdf"
    path.write_bytes(b"PK\x03\x04 a zip")
    with pytest.raises(DocumentError, match=r"rc.pdf: not a PDF \(a Word document \(.docx\)\)"):
        read_document(path)


def test_a_500_page_pdf_is_refused_at_once(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "dce.pdf", [text_page(["Une page."])] * 500)
    started = time.perf_counter()
    with pytest.raises(DocumentError, match=rf"dce.pdf: 500 pages; refcli reads at most {MAX_PAGES} pages"):
        read_document(pdf)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(("part", "message"), [
    ("word/document.xml", r"bomb.docx: its text unpacks to 4096 MB \(a zip bomb\?\), more than 50 MB; refused"),
    ("word/media/image1.png", r"bomb.docx: unpacks to 4096 MB \(a zip bomb\?\), more than 300 MB; refused"),
])
def test_a_docx_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path, part: str, message: str) -> None:
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, b"\x00" * 1000)
    data = bytearray(path.read_bytes())
    entry = data.rfind(b"PK\x01\x02")  # the central directory's entry of the part
    data[entry + 24:entry + 28] = (4 * 2**30 - 1).to_bytes(4, "little")  # it claims to unpack to 4 GB
    path.write_bytes(bytes(data))
    with pytest.raises(DocumentError, match=message):
        read_document(path)


def test_other_files_are_named_for_what_they_are(tmp_path: Path) -> None:
    assert describe_file(Path("rc.pdf"), b"%PDF-1.7") == "a PDF"
    assert describe_file(Path("rc.docx"), b"PK\x03\x04") == "a Word document (.docx)"
    assert describe_file(Path("rc.doc"), b"\xd0\xcf\x11\xe0\xa1") == "an old Word document (.doc)"
    assert describe_file(Path("tender.toml"), b"title = ") is None
    odt = tmp_path / "rc.odt"
    odt.write_bytes(b"PK\x03\x04")
    with pytest.raises(DocumentError, match=r"rc.odt: unsupported file type '.odt'; give a .pdf, .docx, .txt or "
                                            r"\.md file \(save a .doc or .odt as .docx or PDF\)"):
        read_document(odt)


@pytest.mark.slow
def test_a_pdf_that_libreoffice_made_from_a_two_column_word_rc(tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (soffice) is needed to make the PDF: apt-get install libreoffice-writer"
    from docx import Document
    from docx.enum.section import WD_SECTION
    from docx.oxml.ns import qn

    document = Document()
    document.sections[0].header.paragraphs[0].text = HEADER
    document.add_heading("ARTICLE 1 - OBJET DE LA CONSULTATION", level=1)
    columns = document.add_section(WD_SECTION.CONTINUOUS)
    columns._sectPr.xpath("./w:cols")[0].set(qn("w:num"), "2")
    left = "La présente consultation a pour objet une mission de concertation. " * 12
    document.add_paragraph(left.strip())
    document.add_paragraph("Le titulaire animera la Maison du projet. " * 12)
    one_column = document.add_section(WD_SECTION.NEW_PAGE)  # it copies the two columns: back to one
    one_column._sectPr.xpath("./w:cols")[0].set(qn("w:num"), "1")
    from docx.shared import Cm

    table = document.add_table(rows=2, cols=2)
    table.style = "Table Grid"
    for row, (criterion, weight) in zip(table.rows, [("Valeur technique", "60 %"), ("Prix", "40 %")], strict=True):
        row.cells[0].text, row.cells[1].text = criterion, weight
        row.cells[0].width, row.cells[1].width = Cm(10), Cm(4)  # LibreOffice draws a cell without a width empty
    source = tmp_path / "rc.docx"
    document.save(str(source))
    subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=180)
    read = read_document(tmp_path / "rc.pdf")
    assert read.pages == 2
    paragraphs = texts(read)
    assert paragraphs[0] == "ARTICLE 1 - OBJET DE LA CONSULTATION"
    assert HEADER not in read.text  # on both pages: a running header
    body = " ".join(paragraphs)
    assert body.index("mission de concertation") < body.index("Maison du projet")  # left column first
    assert "Valeur technique  60 %" in paragraphs and "Prix  40 %" in paragraphs
    assert [paragraph.page for paragraph in read.paragraphs if paragraph.kind == "row"] == [2, 2]


def test_a_pdf_bomb_is_refused_without_unpacking_it(tmp_path: Path) -> None:
    import tracemalloc
    import zlib

    compressor = zlib.compressobj(9)
    bomb = compressor.compress(b"BT /F1 10 Tf 56 700 Td (Objet de la consultation) Tj ET\n")
    for _ in range(200):  # 200 MB of spaces in a content stream of some 200 KB
        bomb += compressor.compress(b" " * 2**20)
    bomb += compressor.flush()
    pdf = write_pdf(tmp_path / "bomb.pdf", [text_page(["Une page ordinaire du règlement de la consultation."]), bomb])
    tracemalloc.start()
    with pytest.raises(DocumentError, match=r"bomb.pdf: a part of this PDF unpacks to more than 30 MB \(a PDF bomb"):
        read_document(pdf)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 100 * 2**20


def test_an_empty_file_or_a_pdf_named_txt(tmp_path: Path) -> None:
    empty = tmp_path / "objet.txt"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(DocumentError, match=r"objet.txt: no text in this file$"):
        read_document(empty)
    disguised = tmp_path / "rc.txt"
    disguised.write_bytes(b"%PDF-1.7\n...")
    with pytest.raises(DocumentError, match=r"rc.txt: not a text file \(a PDF\); rename it .pdf$"):
        read_document(disguised)


def test_a_document_whose_text_is_longer_than_any_consultation_is_refused(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import docx

    import refcli.search.documents

    path = tmp_path / "rc.docx"
    document = docx.Document()
    for _ in range(30):
        document.add_paragraph("Le titulaire anime la concertation avec les habitants du quartier. " * 2)
    document.save(path)
    monkeypatch.setattr(refcli.search.documents, "MAX_TEXT_CHARACTERS", 2000)  # 2,000,000 in use
    with pytest.raises(DocumentError, match=r"rc.docx: 3,990 characters of text, more than a consultation's "
                                            r"document holds \(2,000 at most\)"):
        read_document(path)


def test_a_password_protected_file_is_told_from_an_old_doc(tmp_path: Path) -> None:
    from tests.test_reliability import encrypted_word_file

    locked = tmp_path / "rc.docx"
    locked.write_bytes(encrypted_word_file())
    assert describe_file(locked, locked.read_bytes()[:8]) == (
        "a password-protected document (save it without a password)")
    old = tmp_path / "rc.doc"
    old.write_bytes(encrypted_word_file().replace("EncryptedPackage".encode("utf-16-le"),
                                                  "WordDocument\0\0\0\0".encode("utf-16-le")))
    assert describe_file(old, old.read_bytes()[:8]) == "an old Word document (.doc)"
    with pytest.raises(DocumentError, match=r"rc.docx: is password-protected: save it without a password$"):
        read_document(locked)


def test_a_page_drawing_more_characters_than_any_rc_is_refused_before_its_layout(tmp_path: Path) -> None:
    # pdfminer lays a page out in time growing faster than the square of its text pieces: 2,000 overlapping pieces
    # took 56 s and 850 MB before pages were bounded (and boxes no longer grouped into a hierarchy).
    pieces = [(float(number % 500), float(number % 800), "concertation habitants", 1) for number in range(2400)]
    dense = write_pdf(tmp_path / "dense.pdf", [text_page(["ARTICLE 1 - OBJET"]), pieces])
    with pytest.raises(DocumentError) as raised:
        read_document(dense)
    assert str(raised.value) == (f"{dense}: page 2 draws more than 50,000 characters (a dense page of an RC holds "
                                 "some 5,000): not read; export the RC as PDF again, or give its text")
    bearable = write_pdf(tmp_path / "bearable.pdf", [pieces[:2000]])  # 44,000 characters: read
    assert "concertation habitants" in " ".join(texts(read_document(bearable)))


def test_pages_past_the_limit_are_refused_when_the_page_count_says_fewer(tmp_path: Path, monkeypatch) -> None:
    # A page tree whose /Count lies: the pages past MAX_PAGES were left out unsaid, the document read as whole.
    monkeypatch.setattr("refcli.search.documents.MAX_PAGES", 2)
    path = write_pdf(tmp_path / "lies.pdf", [text_page([f"ARTICLE {number} - OBJET"]) for number in (1, 2, 3)])
    data = path.read_bytes()
    assert data.count(b"/Count 3") == 1
    path.write_bytes(data.replace(b"/Count 3", b"/Count 1"))
    with pytest.raises(DocumentError) as raised:
        read_document(path)
    assert str(raised.value) == (f"{path}: more than 2 pages (its page count said fewer); refcli reads at most 2 pages "
                                 "of one document: give the RC alone")
