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
