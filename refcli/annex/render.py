"""Render the references annex into the firm's Word template: heading, summary table, one fiche per page.

The renderer only adds content in the template's named styles (refcli.annex.template.REQUIRED_STYLES);
fonts, colours, page set-up, header and footer all come from the template. Record text is added as
text runs, never interpreted, with French typography applied to its spaces.
"""

from __future__ import annotations

import datetime
import io
import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from refcli.annex.formatting import (
    NBSP,
    clean_text,
    client_text,
    fiche_facts,
    format_amount,
    format_date,
    format_years,
    french_typography,
    role_text,
)
from refcli.annex.template import PLACEHOLDER, Template
from refcli.errors import UserError
from refcli.i18n import N_, _
from refcli.records.browse import level_squares
from refcli.records.model import Library, Mission
from refcli.records.provenance import confirmed_mission, is_unconfirmed

if TYPE_CHECKING:
    from docx.document import Document
    from docx.table import Table

SUMMARY_COLUMNS = ("Objet", "Maître d'ouvrage (public\u00a0/ privé)", "Années", "Montant", "Rôle")
SUMMARY_WIDTHS = (0.31, 0.21, 0.13, 0.20, 0.15)  # shares of the text width
FACT_WIDTHS = (0.24, 0.76)
# One column of squares (two pairs a row): five squares of Ref Squares on one line, whatever the text width
# (a firm's template with wider margins); 2.21 cm, 13% of the shipped template's 17 cm.
SQUARES_WIDTH_EMU = 795_600
MAX_PICTURE_HEIGHT_EMU = 6 * 360000  # 6 cm: a short fiche keeps its illustration on its page
_EMU_PER_CM = 360000


@dataclass(frozen=True, slots=True)
class Heading:
    """What the annex answers: the tender's title, its buyer and its date, each optional."""

    title: str | None = None
    buyer: str | None = None
    date: datetime.date | str | None = None  # a date is written in French; a string as given
    firm: str | None = None  # the document's author; None keeps the template's author


@dataclass(frozen=True, slots=True)
class Selection:
    """One reference that goes in the annex, and why.

    reason is for the person building the bid (printed on stderr, not in the document);
    relevance, when given, is a sentence for the buyer printed on the fiche under its title.
    """

    mission: Mission
    reason: str
    relevance: str | None = None


def render_annex(
    selections: Sequence[Selection], library: Library, heading: Heading, template: Template
) -> Document:
    """Fill the template's document with the annex, at its placeholder or at the end of its body.

    The template's document is changed in place and returned; open the template again for another
    annex. Raises UserError for no selection or an illustration file that cannot be read.
    """
    if not selections:
        raise UserError(_("{folder}: no reference selected: the annex would be empty").format(folder=library.folder))
    document = template.document
    body = document.element.body
    start = _insertion_index(body)
    placeholder = _find_placeholder(body)
    width = _text_width(document, placeholder)

    _add_heading(document, heading)
    _add_summary(document, selections, width)
    for selection in selections:
        _add_fiche(document, selection, library, width)

    new_elements = list(body)[start:_insertion_index(body)]
    if placeholder is not None:
        for element in new_elements:
            placeholder.addprevious(element)
        _remove_placeholder(placeholder)
    _set_properties(document, heading)
    return document


def summary_amount(mission: Mission) -> str:
    """The summary table's amount: the mission fee if known, else the project's cost labelled so."""
    if mission.fee is not None:
        return format_amount(mission.fee)
    if mission.project_amount is not None:
        return f"Coût du projet{NBSP}: {format_amount(mission.project_amount)}"
    return NOT_STATED  # not "Non communiqué", which would read as withheld


NOT_STATED = "Non précisé"  # a summary cell whose value the fiche does not give (or is not confirmed)


def heading_date(heading: Heading) -> str | None:
    if isinstance(heading.date, datetime.date):
        return format_date(heading.date)
    return heading.date or None


def _text(value: str) -> str:
    return french_typography(clean_text(value))


_STYLE_IDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # document part -> {style name: id}


def _add_paragraph(container, style: str):
    """Add a paragraph in a named style, finding each style's id once per document.

    python-docx searches every style of the template by name each time a style is set by name or
    object (Paragraph.style); an annex of 10 fiches sets it hundreds of times. The id is what it
    would compute (None for the default paragraph style).
    """
    paragraph = container.add_paragraph()
    _set_style(paragraph, style)
    return paragraph


def _set_style(paragraph, style: str) -> None:
    from docx.enum.style import WD_STYLE_TYPE

    part = paragraph.part
    ids = _STYLE_IDS.setdefault(part, {})
    if style not in ids:
        ids[style] = part.get_style_id(style, WD_STYLE_TYPE.PARAGRAPH)
    paragraph._p.style = ids[style]


def _paragraph(container, text: str, style: str):
    paragraph = _add_paragraph(container, style)
    if text:
        paragraph.add_run(_text(text))
    return paragraph


def _add_heading(document, heading: Heading) -> None:
    _paragraph(document, "Références", "Ref Title")
    if heading.title:
        _paragraph(document, heading.title, "Ref Subtitle")
    lines = []
    if heading.buyer:
        lines.append(("Maître d'ouvrage : ", heading.buyer))
    date = heading_date(heading)
    if date:
        lines.append(("Date : ", date))
    for label, value in lines:
        paragraph = _add_paragraph(document, "Ref Body")
        paragraph.add_run(_text(label)).bold = True
        paragraph.add_run(_text(value))


def _add_summary(document, selections: Sequence[Selection], width: int) -> None:
    count = len(selections)
    _paragraph(document, "Synthèse des références", "Ref Heading 2")
    _paragraph(
        document,
        f"{count} référence{'s' if count > 1 else ''} présentée{'s' if count > 1 else ''} à l'appui de "
        "la candidature : objet, maître d'ouvrage public ou privé, années d'exécution, montant et rôle "
        "du candidat. Chacune fait l'objet d'une fiche détaillée dans les pages suivantes.",
        "Ref Body",
    )
    table = document.add_table(rows=1, cols=len(SUMMARY_COLUMNS), style="Ref Summary Table")
    header = table.rows[0]
    _repeat_as_header(header)
    for cell, label in zip(header.cells, SUMMARY_COLUMNS, strict=True):
        _cell_text(cell, label, "Ref Table Header")
    for selection in selections:
        mission = confirmed_mission(selection.mission)
        row = table.add_row()
        _keep_row_whole(row)
        # The column promises public or private: a kind the fiche does not give is said to be so, as the role is.
        client = client_text(mission) if mission.client.kind else f"{mission.client.name} — {NOT_STATED.lower()}"
        values = (mission.title, client, format_years(mission.period), summary_amount(mission),
                  role_text(mission) or NOT_STATED)
        for cell, value in zip(row.cells, values, strict=True):
            _cell_text(cell, value, "Ref Table Text")
    _set_widths(table, [round(width * share) for share in SUMMARY_WIDTHS])
    _paragraph(
        document,
        "Montant : honoraires de la mission, HT ou TTC tel que l'indique la fiche de référence, « HT ou TTC non "
        "précisé » quand elle ne le dit pas, « tranche ferme » quand il ne couvre qu'elle ; à défaut, coût total "
        "du projet, signalé comme tel. « Non précisé » : la fiche ne le dit pas.",
        "Ref Caption",
    )


def _add_fiche(document, selection: Selection, library: Library, width: int) -> None:
    mission = confirmed_mission(selection.mission)  # nothing the fiche does not give is stated
    title = _paragraph(document, mission.title, "Ref Heading 1")
    title.paragraph_format.page_break_before = True
    if mission.subtitle:
        _paragraph(document, mission.subtitle, "Ref Subtitle")
    if selection.relevance:
        paragraph = _add_paragraph(document, "Ref Body")
        paragraph.add_run(_text("Lien avec le marché : ")).bold = True
        paragraph.add_run(_text(selection.relevance))

    _add_facts(document, mission, width)

    _paragraph(document, "Enjeux de la mission", "Ref Heading 2")
    for style, text in stakes_blocks(mission.stakes):
        _paragraph(document, text, style)

    _paragraph(document, "Contenu de la mission", "Ref Heading 2")
    for item in mission.content:
        _paragraph(document, item, "Ref Bullet")

    guessed = {component.id for component in library.vocabulary.components
               if is_unconfirmed(selection.mission, f"components.{component.id}")}
    if mission.components:  # no confirmed level: no grid, rather than twelve rows of empty squares
        _paragraph(document, "Composantes de la mission", "Ref Heading 2")
        _add_components(document, mission, library, width, guessed)
        if guessed:  # a grid of some components would read as the whole mission
            _paragraph(document, "Seules figurent les composantes dont la fiche précise le niveau ; les autres n'y "
                       "sont pas précisées.", "Ref Caption")

    for illustration in mission.illustrations:
        _add_illustration(document, mission, library, illustration, width)
    if mission.sources:
        _paragraph(document, f"Sources : {mission.sources}", "Ref Caption")


def _add_facts(document, mission: Mission, width: int) -> None:
    rows = fiche_facts(mission)
    table = document.add_table(rows=len(rows), cols=2, style="Ref Facts Table")
    for row, (label, value, _paths) in zip(table.rows, rows, strict=True):
        _keep_row_whole(row)
        _cell_text(row.cells[0], label, "Ref Fact Label")
        _cell_text(row.cells[1], value, "Ref Table Text")
    _set_widths(table, [round(width * share) for share in FACT_WIDTHS])


def stakes_blocks(stakes: str) -> list[tuple[str, str]]:
    """Split the stakes into (style, text): blank lines part paragraphs, lines starting '- ' are bullets."""
    blocks: list[tuple[str, str]] = []
    lines: list[str] = []

    def flush() -> None:
        if lines:
            blocks.append(("Ref Body", " ".join(lines)))
            lines.clear()

    for raw in stakes.splitlines():
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("- "):
            flush()
            blocks.append(("Ref Bullet", line[2:].strip()))
        else:
            lines.append(line)
    flush()
    return blocks


def _add_components(document, mission: Mission, library: Library, width: int, guessed: set[str]) -> None:
    """The grid of the components, in the vocabulary's order, but for those whose level is a guess (guessed):
    a confirmed level is drawn, a confirmed 0 as empty squares; a guessed one, even a 0, is left out."""
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT

    vocabulary = library.vocabulary
    components = [component for component in vocabulary.components if component.id not in guessed]
    rows = math.ceil(len(components) / 2)
    table = document.add_table(rows=rows, cols=4, style="Ref Facts Table")
    for index, component in enumerate(components):
        row, pair = index % rows, index // rows
        level = mission.components.get(component.id, 0)
        cells = table.rows[row].cells
        _cell_text(cells[pair * 2], level_squares(level, vocabulary.max_level), "Ref Squares")
        _cell_text(cells[pair * 2 + 1], component.label, "Ref Table Text")
        for cell in cells[pair * 2: pair * 2 + 2]:
            # The squares are set larger than the labels: centred, both sit on one line.
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    square_width = SQUARES_WIDTH_EMU
    label_width = (width - 2 * square_width) // 2
    _set_widths(table, [square_width, label_width, square_width, label_width])


def _add_illustration(document, mission: Mission, library: Library, illustration, width: int) -> None:
    from docx.image.exceptions import InvalidImageStreamError, UnexpectedEndOfFileError, UnrecognizedImageError
    from docx.image.image import Image

    folder = mission.path.parent if mission.path else library.folder
    path = folder / illustration.file
    where = f"{mission.path or mission.id}: illustrations: {illustration.file!r}"
    from refcli.search.documents import MAX_FILE_BYTES, DocumentError, read_input

    try:
        data = read_input(path, N_("the illustration"), MAX_FILE_BYTES["Word"])  # a regular file: a FIFO never blocks
        image = Image.from_blob(data)
    except DocumentError as error:
        if not path.exists():
            raise UserError(_("{where}: the illustration file {path} does not exist (any more)").format(
                where=where, path=path)) from None
        raise UserError(f"{where}: {str(error).removeprefix(f'{path}: ')}") from None
    except UnexpectedEndOfFileError:
        raise UserError(_("{where}: {path} ends before its image does (a file cut short?): copy it again").format(
            where=where, path=path)) from None
    except (UnrecognizedImageError, InvalidImageStreamError, ValueError, IndexError) as error:
        raise UserError(_("{where}: {path} is not an image Word can show (PNG, JPEG, GIF, BMP, TIFF): "
                          "{error}").format(where=where, path=path, error=error or type(error).__name__)) from None
    natural_width, natural_height = image.width, image.height
    scale = min(1.0, width / max(natural_width, 1), MAX_PICTURE_HEIGHT_EMU / max(natural_height, 1))
    paragraph = _add_paragraph(document, "Ref Caption")
    paragraph.paragraph_format.keep_with_next = True
    paragraph.paragraph_format.space_before = 8 * 12700  # 8 pt of air between the squares and the picture
    paragraph.add_run().add_picture(
        io.BytesIO(data), width=int(natural_width * scale), height=int(natural_height * scale)
    )
    caption = illustration.caption + (f" — © {illustration.credit}" if illustration.credit else "")
    _paragraph(document, caption, "Ref Caption")


def _cell_text(cell, text: str, style: str) -> None:
    paragraph = cell.paragraphs[0]
    _set_style(paragraph, style)
    if text:
        paragraph.add_run(_text(text))


def _set_widths(table: Table, widths: list[int]) -> None:
    """Fix the column widths, in the grid (LibreOffice reads it) and on every cell (Word reads those)."""
    table.autofit = False
    for column, column_width in zip(table.columns, widths, strict=True):
        column.width = column_width
    for row in table.rows:
        for cell, column_width in zip(row.cells, widths, strict=True):
            cell.width = column_width


def _repeat_as_header(row) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = row._tr.get_or_add_trPr()
    for tag in ("w:cantSplit", "w:tblHeader"):
        element = OxmlElement(tag)
        element.set(qn("w:val"), "true")
        properties.append(element)


def _keep_row_whole(row) -> None:
    from docx.oxml import OxmlElement

    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def _insertion_index(body) -> int:
    """python-docx adds content before the body's final section properties: the index it adds at."""
    from docx.oxml.ns import qn

    children = list(body)
    if children and children[-1].tag == qn("w:sectPr"):
        return len(children) - 1
    return len(children)


def _find_placeholder(body):
    from docx.oxml.ns import qn

    for paragraph in body.iterchildren(qn("w:p")):
        text = "".join(node.text or "" for node in paragraph.iter(qn("w:t")))
        if text.strip() == PLACEHOLDER:
            return paragraph
    return None


def _remove_placeholder(paragraph) -> None:
    """Remove the placeholder paragraph; if it ends a section, keep it empty to keep the section."""
    from docx.oxml.ns import qn

    properties = paragraph.find(qn("w:pPr"))
    if properties is not None and properties.find(qn("w:sectPr")) is not None:
        for child in list(paragraph):
            if child is not properties:
                paragraph.remove(child)
    else:
        paragraph.getparent().remove(paragraph)


def _text_width(document, placeholder) -> int:
    """The text width, in EMU, of the section the annex goes in."""
    from docx.oxml.ns import qn
    from docx.section import Section

    section_properties = None
    if placeholder is not None:
        element = placeholder
        while element is not None and section_properties is None:
            properties = element.find(qn("w:pPr")) if element.tag == qn("w:p") else None
            if properties is not None:
                section_properties = properties.find(qn("w:sectPr"))
            element = element.getnext()
    if section_properties is None:
        section_properties = document.element.body.find(qn("w:sectPr"))
    if section_properties is None:
        return 17 * _EMU_PER_CM
    section = Section(section_properties, document.part)
    try:
        width = section.page_width - section.left_margin - section.right_margin
    except TypeError:  # a section without page size or margins
        return 17 * _EMU_PER_CM
    return width if width > 2 * _EMU_PER_CM else 17 * _EMU_PER_CM


def _set_properties(document, heading: Heading) -> None:
    properties = document.core_properties
    firm = clean_text(heading.firm) if heading.firm else properties.author
    properties.author = firm
    properties.title = clean_text(f"Références — {heading.title}" if heading.title else "Références")
    subject = " — ".join(filter(None, [heading.title, heading.buyer, heading_date(heading)]))
    properties.subject = clean_text(subject or "Annexe de références")
    if firm:
        properties.last_modified_by = firm
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    properties.created = properties.modified = now
    properties.revision = 1
