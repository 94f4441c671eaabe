"""Règlements de consultation written the way buyers write them, as text, PDF or Word, for the tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.pdf_maker import text_page, write_pdf

HEADER = "Ville de Saint-Ouen-sur-Seine - Règlement de la consultation"
REFERENCES = ("Le candidat produira au moins trois références de missions similaires réalisées au cours des "
              "cinq dernières années pour des maîtres d'ouvrage publics.")


def rc_sections(references: str = REFERENCES, lots: str = "Le marché n'est pas alloti.") -> list[tuple[str, str]]:
    """(heading, body) pairs of an RC; body paragraphs are separated by blank lines."""
    return [
        ("ARTICLE 1 - IDENTIFICATION DU POUVOIR ADJUDICATEUR",
         "Pouvoir adjudicateur : Ville de Saint-Ouen-sur-Seine, Hôtel de ville, 93400 Saint-Ouen-sur-Seine."),
        ("ARTICLE 2 - OBJET DE LA CONSULTATION",
         "La présente consultation a pour objet une mission d'assistance à maîtrise d'ouvrage pour la concertation "
         f"et la maison du projet du NPNRU du quartier Cordon.\n\n{lots}"),
        ("ARTICLE 3 - CONTENU DE LA MISSION",
         "Le titulaire animera la Maison du projet, les ateliers participatifs et les réunions publiques. Il "
         "appuiera les conseils citoyens et assurera la gestion urbaine de proximité pendant les chantiers."),
        ("ARTICLE 4 - CONDITIONS DE PARTICIPATION", references),
        ("ARTICLE 5 - CRITÈRES DE JUGEMENT DES OFFRES",
         "La valeur technique sera appréciée au regard de la méthodologie proposée et des moyens humains."),
        ("ARTICLE 6 - MODALITÉS DE REMISE DES OFFRES",
         "La date d'envoi de l'avis à la publication est le 2 décembre 2026.\n\n"
         "Date limite de remise des offres : vendredi 15 janvier 2027 à 12h00."),
        ("ARTICLE 7 - VOIES DE RECOURS",
         "Tribunal administratif de Montreuil, 7 rue Catherine Puig, 93100 Montreuil."),
    ]


def rc_text(**parts: str) -> str:
    return "\n\n".join(f"{heading}\n\n{body}" for heading, body in rc_sections(**parts)) + "\n"


def write_rc_text(path: Path, **parts: str) -> Path:
    path.write_text(rc_text(**parts), encoding="utf-8")
    return path


def write_rc_pdf(path: Path, per_page: int = 2, width: int = 80, **parts: str) -> Path:
    """The RC as a PDF, per_page articles a page, lines wrapped at width, with a running header and footer."""
    sections = rc_sections(**parts)
    pages = []
    for start in range(0, len(sections), per_page):
        lines: list[str] = []
        for heading, body in sections[start:start + per_page]:
            lines.append(heading)
            for paragraph in body.split("\n\n"):
                lines += textwrap.wrap(paragraph, width, break_on_hyphens=False)
            lines.append("")
        number = start // per_page + 1
        pages.append(text_page([line for line in lines if line] or ["-"], header=HEADER,
                               footer=f"RC - page {number} / {(len(sections) + per_page - 1) // per_page}"))
    return write_pdf(path, pages)


def write_rc_docx(path: Path, **parts: str) -> Path:
    from docx import Document

    document = Document()
    document.sections[0].header.paragraphs[0].text = HEADER
    for heading, body in rc_sections(**parts):
        document.add_heading(heading, level=1)
        for paragraph in body.split("\n\n"):
            document.add_paragraph(paragraph)
    document.save(str(path))
    return path


TWO_COLUMN_REFERENCES = ("Le candidat produira une liste des principaux services effectués, en application de "
                         "l'arrêté du 22 mars 2019, et au moins trois références similaires auprès de maîtres "
                         "d'ouvrage publics.")


def write_two_column_rc_docx(path: Path) -> Path:
    """An RC whose object, lots, mission and skills are in two columns; long headings wrap in a column."""
    from docx import Document
    from docx.enum.section import WD_SECTION
    from docx.oxml.ns import qn
    from docx.shared import Cm

    document = Document()
    document.sections[0].header.paragraphs[0].text = "Ville de Montfermeil — RC — AMO concertation NPRU des Bosquets"
    document.sections[0].footer.paragraphs[0].text = "Règlement de la consultation"
    document.add_heading("RÈGLEMENT DE LA CONSULTATION", 0)
    document.add_paragraph("Date limite de remise des offres : lundi 8 février 2027 à 16:00")
    document.add_heading("ARTICLE 1 - ACHETEUR", 1)
    document.add_paragraph("Acheteur : Ville de Montfermeil, 7 place Jean Mermoz, 93370 Montfermeil.")
    columns = document.add_section(WD_SECTION.CONTINUOUS)
    columns._sectPr.xpath("./w:cols")[0].set(qn("w:num"), "2")
    document.add_heading("ARTICLE 2 - OBJET DE LA CONSULTATION", 1)
    document.add_paragraph("La présente consultation a pour objet une mission d'AMO concertation et d'animation de la "
                           "Maison du projet du NPRU des Bosquets, quartier prioritaire de la politique de la ville.")
    document.add_paragraph("La consultation est décomposée en deux lots.")
    document.add_paragraph("Lot n°1 : Concertation et maison du projet")
    document.add_paragraph("Lot n°2 : Gestion urbaine et sociale de proximité")
    document.add_heading("ARTICLE 3 - CONTENU DE LA MISSION", 1)
    document.add_paragraph(("Le titulaire accompagnera la Ville dans la co-construction du projet avec les habitants : "
                            "diagnostic des pratiques de participation, stratégie de concertation, animation "
                            "d'ateliers et de réunions publiques, appui aux conseils citoyens. ") * 2)
    document.add_heading("ARTICLE 4 - COMPÉTENCES ATTENDUES", 1)
    document.add_paragraph("L'équipe justifiera d'une expérience en ingénierie financière des projets de "
                           "renouvellement urbain.")
    one_column = document.add_section(WD_SECTION.NEW_PAGE)
    one_column._sectPr.xpath("./w:cols")[0].set(qn("w:num"), "1")
    document.add_heading("ARTICLE 5 - PIÈCES DE LA CANDIDATURE", 1)
    document.add_paragraph(TWO_COLUMN_REFERENCES)
    document.add_heading("ARTICLE 6 - CRITÈRES DE JUGEMENT DES OFFRES", 1)
    table = document.add_table(rows=3, cols=2)
    table.style = "Table Grid"
    for row, (criterion, weight) in zip(table.rows, [("Critère", "Pondération"), ("Valeur technique", "60 %"),
                                                    ("Prix", "40 %")], strict=True):
        row.cells[0].text, row.cells[1].text = criterion, weight
        row.cells[0].width, row.cells[1].width = Cm(11), Cm(4)  # LibreOffice draws a cell without a width empty
    document.add_heading("ARTICLE 7 - VOIES DE RECOURS", 1)
    document.add_paragraph("Tribunal administratif de Montreuil.")
    document.save(str(path))
    return path
