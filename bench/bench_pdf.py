"""Compare PDF text readers on real-looking règlements de consultation (not a test).

    python bench/bench_pdf.py [--pages 150] [--libreoffice]

For pypdf, pdfminer.six and pdfplumber, on PDFs written like real RCs (tests/pdf_maker.py: a running
header and footer on every page, a two-column page written line by line across both columns, a
criteria table, words hyphenated at line ends; with --libreoffice also a .docx with a two-column
section and a table converted by LibreOffice), reports as a Markdown table:
- columns: the left column's text comes out whole before the right column's;
- table: a criterion and its weight come out on one line ("Valeur technique ... 60 %");
- header: the running header is a line of its own on every page (so it can be recognised and dropped);
- hyphen: a word cut at a line end ("renouvelle-" / "ment") keeps the cut at a line end (so it can be joined);
- seconds for a document of --pages pages of 40 lines each, and peak memory (tracemalloc) reading 20 of them.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.pdf_maker import text_page, two_column_page, write_pdf  # noqa: E402

HEADER = "Ville de Saint-Ouen - RC AMO concertation NPNRU"
LEFT = ["ARTICLE 1 - OBJET DE LA CONSULTATION", "La présente consultation porte sur une",
        "mission d'AMO pour la concertation du", "nouveau programme de renouvelle-",
        "ment urbain du quartier Cordon.", "COLONNE GAUCHE FIN"]
RIGHT = ["ARTICLE 2 - CONTENU DE LA MISSION", "Le titulaire animera la Maison du projet",
         "et les ateliers avec les habitants,", "les conseils citoyens et les bailleurs.", "COLONNE DROITE FIN"]
TABLE = [("Critère", "Pondération"), ("Valeur technique de l'offre", "60 %"), ("Prix des prestations", "40 %")]


def rc_pages(count: int) -> list:
    pages = [two_column_page(LEFT, RIGHT, header=HEADER, footer="Page 1")]
    table_runs = text_page(["ARTICLE 8 - CRITÈRES DE JUGEMENT DES OFFRES"], header=HEADER, footer="Page 2")
    for number, (criterion, weight) in enumerate(TABLE):
        y = 740 - number * 20
        table_runs += [(56, y, criterion, 10), (400, y, weight, 10)]
    pages.append(table_runs)
    for number in range(3, count + 1):
        lines = [f"ARTICLE {number} - DISPOSITIONS", *(f"Le candidat fournit la pièce {number}.{line} "
                 "demandée au présent règlement de la consultation." for line in range(40))]
        pages.append(text_page(lines, header=HEADER, footer=f"Page {number}"))
    return pages


def read_pypdf(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(path).pages]


def read_pdfminer(path: Path) -> list[str]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTTextContainer

    return ["\n".join(box.get_text().rstrip("\n") for box in page if isinstance(box, LTTextContainer))
            for page in extract_pages(path, laparams=LAParams())]


def read_pdfplumber(path: Path) -> list[str]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def read_refcli(path: Path) -> list[str]:
    """refcli.search.documents: pdfminer.six, then table rows joined, running headers dropped, cut words joined."""
    from refcli.search.documents import read_document

    document = read_document(path)
    pages = [""] * document.pages
    for paragraph in document.paragraphs:
        pages[paragraph.page - 1] += paragraph.text + "\n"
    return pages


READERS = {"pypdf": read_pypdf, "pdfminer.six": read_pdfminer, "pdfplumber": read_pdfplumber,
           "refcli (pdfminer.six and its own post-processing)": read_refcli}


def quality(pages: list[str]) -> dict[str, str]:
    first = pages[0]
    lines = [line.strip() for line in first.splitlines()]
    left = [line.replace("renouvelle-", "") for line in LEFT]
    columns = ("COLONNE GAUCHE FIN" in first and "ARTICLE 2" in first
               and first.index("COLONNE GAUCHE FIN") < first.index("ARTICLE 2")
               and all(first.index(a) < first.index(b) for a, b in zip(left, left[1:], strict=False)))
    table = any("Valeur technique" in line and "60 %" in line for line in pages[1].splitlines())
    if all(HEADER in [line.strip() for line in page.splitlines()] for page in pages[:3]):
        header = "own line"
    else:
        header = "dropped" if all(HEADER not in page for page in pages[:3]) else "mixed in"
    if any(line.endswith("renouvelle-") for line in lines):
        hyphen = "at line end"
    else:
        hyphen = "joined" if "renouvellement urbain" in first else "lost"
    return {"columns": "yes" if columns else "no", "table": "yes" if table else "no", "header": header,
            "hyphen": hyphen}


def measure(reader, path: Path, sample: Path) -> tuple[float, float]:
    """Seconds to read path; peak memory reading sample (tracemalloc slows reading several times)."""
    started = time.perf_counter()
    reader(path)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    reader(sample)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak


def libreoffice_pdf(folder: Path) -> Path | None:
    soffice = shutil.which("soffice")
    if soffice is None:
        return None
    from docx import Document
    from docx.enum.section import WD_SECTION
    from docx.oxml.ns import qn

    document = Document()
    document.sections[0].header.paragraphs[0].text = HEADER
    document.sections[0].footer.paragraphs[0].text = "Règlement de la consultation"
    document.add_paragraph("ARTICLE 1 - OBJET")
    columns = document.add_section(WD_SECTION.CONTINUOUS)
    cols = columns._sectPr.xpath("./w:cols")
    element = cols[0] if cols else columns._sectPr.makeelement(qn("w:cols"), {})
    element.set(qn("w:num"), "2")
    if not cols:
        columns._sectPr.append(element)
    for line in LEFT + RIGHT:
        document.add_paragraph(line)
    one_column = document.add_section(WD_SECTION.CONTINUOUS)  # it copies the two columns: back to one
    one_column._sectPr.xpath("./w:cols")[0].set(qn("w:num"), "1")
    from docx.shared import Cm

    table = document.add_table(rows=len(TABLE), cols=2)
    table.style = "Table Grid"
    for row, (criterion, weight) in zip(table.rows, TABLE, strict=True):
        row.cells[0].text, row.cells[1].text = criterion, weight
        row.cells[0].width, row.cells[1].width = Cm(10), Cm(4)  # LibreOffice draws a cell without a width empty
    source = folder / "rc-libreoffice.docx"
    document.save(source)
    profile = folder / "profile"
    subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(folder), str(source)], check=True, capture_output=True, timeout=180)
    return folder / "rc-libreoffice.pdf"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=150)
    parser.add_argument("--libreoffice", action="store_true", help="also a PDF that LibreOffice made")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        small = write_pdf(folder / "rc.pdf", rc_pages(3))
        large = write_pdf(folder / "rc-large.pdf", rc_pages(arguments.pages))
        sample = write_pdf(folder / "rc-sample.pdf", rc_pages(20))
        office = libreoffice_pdf(folder) if arguments.libreoffice else None
        print(f"| library | columns | table | header | hyphen | {arguments.pages} pages (s) "
              "| peak memory, 20 pages (MiB) |" + (" LibreOffice PDF: table on one line |" if office else ""))
        print("|---|---|---|---|---|---|---|" + ("---|" if office else ""))
        for name, reader in READERS.items():
            marks = quality(reader(small))
            seconds, peak = measure(reader, large, sample)
            row = (f"| {name} | " + " | ".join(marks.values())
                   + f" | {seconds:.2f} | {peak:.1f} |")
            if office:
                text = "\n".join(reader(office))
                row += " yes |" if any("Valeur technique" in line and "60 %" in line
                                       for line in text.splitlines()) else " no |"
            print(row)


if __name__ == "__main__":
    main()
