"""Generate the firm's Word template, templates/perspectives-urbaines.docx, with python-docx.

Run it from anywhere: `python templates/make_template.py`. The template carries the design of the
references annex: A4 page set-up, a header with the firm's name, a footer with page numbers, and
every named style refcli's renderer uses (refcli.annex.template.REQUIRED_STYLES). Its body holds only the
placeholder paragraph where `refcli build-bid` puts the annex.

A firm that prefers its own template copies these styles into it (Word: Styles > Manage Styles >
Import/Export) and types the placeholder paragraph where the annex goes.
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor

FIRM = "Perspectives Urbaines et Sociales"
TAGLINE = "Urbanisme, renouvellement urbain et cohésion sociale"
PLACEHOLDER = "{{ANNEXE_REFERENCES}}"
OUTPUT = Path(__file__).with_name("perspectives-urbaines.docx")

FONT = "Arial"  # on every Windows and Mac; LibreOffice substitutes the metric-compatible Liberation Sans
INK = RGBColor(0x26, 0x2B, 0x33)  # body text: a soft black
NAVY = RGBColor(0x1B, 0x3A, 0x5C)  # titles and headings
TEAL = "2A7F7F"  # rules, table headers, bullets, squares: the firm's accent
GREY = RGBColor(0x6B, 0x72, 0x80)  # captions, header and footer


def main() -> None:
    document = Document()
    set_up_page(document)
    add_styles(document)
    add_header_and_footer(document)
    document.add_paragraph(PLACEHOLDER, style="Ref Body")
    properties = document.core_properties
    properties.author = FIRM
    properties.last_modified_by = FIRM
    properties.title = "Références"
    properties.subject = "Annexe de références"
    properties.comments = "Modèle généré par templates/make_template.py"
    properties.keywords = "références, candidature, DC2"
    properties.created = properties.modified = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    properties.revision = 1
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    document.save(output)
    print(f"wrote {output}")


def set_up_page(document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(1.8)
    section.header_distance, section.footer_distance = Cm(0.9), Cm(0.8)


def add_styles(document) -> None:
    styles = document.styles
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(9)
    normal.font.color.rgb = INK
    _east_asian_font(normal, FONT)
    normal.paragraph_format.space_after = Pt(0)
    language = parse_xml(f'<w:lang {nsdecls("w")} w:val="fr-FR" w:eastAsia="fr-FR"/>')
    normal.element.get_or_add_rPr().append(language)

    def paragraph_style(name, size, *, bold=False, italic=False, color=INK, before=0, after=4, base="Normal"):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles[base]
        style.quick_style = True
        style.font.size = Pt(size)
        style.font.bold = bold
        style.font.italic = italic
        style.font.color.rgb = color
        style.paragraph_format.space_before = Pt(before)
        style.paragraph_format.space_after = Pt(after)
        style.paragraph_format.widow_control = True
        return style

    title = paragraph_style("Ref Title", 22, bold=True, color=NAVY, after=2)
    _bottom_rule(title, TEAL, size=12, space=4)
    title.paragraph_format.keep_with_next = True
    subtitle = paragraph_style("Ref Subtitle", 11, italic=True, color=RGBColor.from_string(TEAL), after=8)
    subtitle.paragraph_format.keep_with_next = True
    heading_1 = paragraph_style("Ref Heading 1", 14, bold=True, color=NAVY, after=2)
    heading_1.paragraph_format.keep_with_next = True
    _outline_level(heading_1, 0)
    heading_2 = paragraph_style("Ref Heading 2", 10, bold=True, color=NAVY, before=7, after=3)
    heading_2.paragraph_format.keep_with_next = True
    heading_2.font.all_caps = True
    _bottom_rule(heading_2, TEAL, size=6, space=1)
    _outline_level(heading_2, 1)

    body = paragraph_style("Ref Body", 9, after=3)
    body.paragraph_format.line_spacing = 1.0
    body.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY

    bullet = paragraph_style("Ref Bullet", 9, after=1.5, base="Ref Body")
    bullet.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    _numbering(document, bullet)

    caption = paragraph_style("Ref Caption", 8, italic=True, color=GREY, before=2, after=4)
    caption.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT

    table_text = paragraph_style("Ref Table Text", 8.5, after=0)
    table_text.paragraph_format.line_spacing = 1.0
    table_text.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    paragraph_style("Ref Table Header", 8.5, bold=True, color=RGBColor(0xFF, 0xFF, 0xFF), after=0)
    paragraph_style("Ref Fact Label", 8.5, bold=True, color=NAVY, after=0)
    squares = paragraph_style("Ref Squares", 11, color=RGBColor.from_string(TEAL), after=0)
    squares.element.get_or_add_rPr().append(parse_xml(f'<w:spacing {nsdecls("w")} w:val="10"/>'))

    _table_style(styles, "Ref Summary Table", header_fill=TEAL, inside_rules=True)
    _table_style(styles, "Ref Facts Table", header_fill=None, inside_rules=False)


def add_header_and_footer(document) -> None:
    section = document.sections[0]
    usable = section.page_width - section.left_margin - section.right_margin

    for name in ("Header", "Footer"):
        # The default styles carry centre and right tab stops for Letter paper: only ours count.
        document.styles[name].paragraph_format.tab_stops.clear_all()

    header = section.header.paragraphs[0]
    header.style = document.styles["Header"]
    header.paragraph_format.tab_stops.add_tab_stop(usable, WD_TAB_ALIGNMENT.RIGHT)
    _bottom_rule(header, TEAL, size=8, space=4)
    name = header.add_run(FIRM.upper())
    name.font.bold, name.font.size, name.font.color.rgb = True, Pt(8.5), NAVY
    name.element.get_or_add_rPr().append(parse_xml(f'<w:spacing {nsdecls("w")} w:val="16"/>'))
    label = header.add_run("\tRéférences")
    label.font.size, label.font.color.rgb = Pt(8.5), GREY

    footer = section.footer.paragraphs[0]
    footer.style = document.styles["Footer"]
    footer.paragraph_format.tab_stops.add_tab_stop(usable, WD_TAB_ALIGNMENT.RIGHT)
    tagline = footer.add_run(f"{FIRM} · {TAGLINE}")
    tagline.font.size, tagline.font.color.rgb = Pt(7.5), GREY
    page = footer.add_run("\tPage\u00a0")
    page.font.size, page.font.color.rgb = Pt(7.5), GREY
    _field(footer, "PAGE", "1")
    slash = footer.add_run("\u00a0/\u00a0")
    slash.font.size, slash.font.color.rgb = Pt(7.5), GREY
    _field(footer, "NUMPAGES", "1")


def _field(paragraph, instruction: str, placeholder: str) -> None:
    """Append a complex field (PAGE, NUMPAGES) that Word and LibreOffice update when they lay out."""
    run_properties = f'<w:rPr><w:color w:val="{GREY}"/><w:sz w:val="15"/></w:rPr>'
    for xml in (
        f'<w:r {nsdecls("w")}>{run_properties}<w:fldChar w:fldCharType="begin"/></w:r>',
        f'<w:r {nsdecls("w")}>{run_properties}<w:instrText xml:space="preserve"> {instruction} </w:instrText></w:r>',
        f'<w:r {nsdecls("w")}>{run_properties}<w:fldChar w:fldCharType="separate"/></w:r>',
        f'<w:r {nsdecls("w")}>{run_properties}<w:t>{placeholder}</w:t></w:r>',
        f'<w:r {nsdecls("w")}>{run_properties}<w:fldChar w:fldCharType="end"/></w:r>',
    ):
        paragraph._p.append(parse_xml(xml))


def _east_asian_font(style, font: str) -> None:
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), font)


def _bottom_rule(style_or_paragraph, color: str, size: int, space: int) -> None:
    element = style_or_paragraph.element if hasattr(style_or_paragraph, "type") else style_or_paragraph._p
    properties = element.get_or_add_pPr()
    properties.append(parse_xml(
        f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="{size}" w:space="{space}" w:color="{color}"/></w:pBdr>'
    ))


def _outline_level(style, level: int) -> None:
    style.element.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl {nsdecls("w")} w:val="{level}"/>'))


def _numbering(document, style) -> None:
    """Give the bullet style real list numbering: a ▶ in the accent colour, hanging indent."""
    numbering = document.part.numbering_part.element
    abstract_id, number_id = 90, 90
    numbering.insert(0, parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">'
        '<w:multiLevelType w:val="singleLevel"/>'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="\u25b6"/>'
        '<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="340" w:hanging="284"/></w:pPr>'
        f'<w:rPr><w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}" w:cs="{FONT}"/>'
        f'<w:color w:val="{TEAL}"/><w:sz w:val="14"/></w:rPr></w:lvl>'
        '</w:abstractNum>'
    ))
    numbering.append(parse_xml(
        f'<w:num {nsdecls("w")} w:numId="{number_id}"><w:abstractNumId w:val="{abstract_id}"/></w:num>'
    ))
    properties = style.element.get_or_add_pPr()
    properties.insert(0, parse_xml(
        f'<w:numPr {nsdecls("w")}><w:ilvl w:val="0"/><w:numId w:val="{number_id}"/></w:numPr>'
    ))


def _table_style(styles, name: str, header_fill: str | None, inside_rules: bool) -> None:
    style = styles.add_style(name, WD_STYLE_TYPE.TABLE)
    style.base_style = styles["Normal Table"]
    margin = 40 if inside_rules else 14  # the facts' rows are read as a list, tighter
    inside = '<w:insideH w:val="single" w:sz="4" w:space="0" w:color="C9D3DC"/>' if inside_rules else ""
    outer = "single" if inside_rules else "nil"
    style.element.append(parse_xml(
        f'<w:tblPr {nsdecls("w")}>'
        '<w:tblBorders>'
        f'<w:top w:val="{outer}" w:sz="8" w:space="0" w:color="{TEAL}"/>'
        f'<w:bottom w:val="{outer}" w:sz="8" w:space="0" w:color="{TEAL}"/>'
        f'{inside}'
        '</w:tblBorders>'
        f'<w:tblCellMar><w:top w:w="{margin}" w:type="dxa"/><w:left w:w="85" w:type="dxa"/>'
        f'<w:bottom w:w="{margin}" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar>'
        '</w:tblPr>'
    ))
    if header_fill:
        style.element.append(parse_xml(
            f'<w:tblStylePr {nsdecls("w")} w:type="firstRow">'
            '<w:rPr><w:b/><w:color w:val="FFFFFF"/></w:rPr>'
            f'<w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="{header_fill}"/></w:tcPr>'
            '</w:tblStylePr>'
        ))


if __name__ == "__main__":
    main()
