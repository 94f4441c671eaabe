"""Make the firm's own Word document a refcli template: copy in the styles the annex needs, from the shipped one.

The firm's document keeps all it has: its header and footer, page set-up, fonts, and its own definition of
every style it already has (Normal included, so the copied styles, based on Normal, take the firm's font;
their indents, alignment and line spacing are set on them, so a first-line indent of the firm's Normal does
not reach the annex). Each required style it lacks is copied from the shipped template with what that style
needs: the styles it is based on, linked to or followed by that the firm's document lacks too (Normal Table
for the table styles), and the list numbering it uses (Ref Bullet's bullet), renumbered so as not to clash
with the firm's lists.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from refcli.annex.template import REQUIRED_STYLES, _type_name, find_style_problems
from refcli.errors import UserError
from refcli.i18n import _, ngettext

if TYPE_CHECKING:
    from docx.document import Document
    from docx.oxml.styles import CT_Style

# The children of a w:style that name another style by its id.
_STYLE_REFERENCES = ("w:basedOn", "w:link", "w:next")


def adopt_styles(document: Document, source: Document, path: Path) -> list[str]:
    """Copy into document every required style it lacks, from source, with what each needs; return the names
    of the styles added, in order (a required style first, then the styles it brought along)."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml.ns import qn

    wrong = find_style_problems(document)[1]
    if wrong:
        problems = "; ".join(_("{name!r} is a {kind} style, refcli needs a {expected} style").format(
                                 name=name, kind=_(kind), expected=_(expected)) for name, kind, expected in wrong)
        raise UserError(ngettext("{path}: {problems}: rename or delete it in Word or LibreOffice (the firm's styles "
                                 "are never replaced), then run refcli template adopt again",
                                 "{path}: {problems}: rename or delete them in Word or LibreOffice (the firm's styles "
                                 "are never replaced), then run refcli template adopt again", len(wrong))
                        .format(path=path, problems=problems))
    styles, source_styles = document.styles.element, source.styles.element
    standing_for: dict[str, str] = {}  # a source style's id -> the id of the style that stands for it in document
    added: list[str] = []

    def bring(style: CT_Style) -> str:
        """Return the id of the document's style of that name, copying it (and what it needs) if there is none."""
        if style.styleId in standing_for:
            return standing_for[style.styleId]
        own = styles.get_by_name(style.name_val)
        if own is not None:
            if own.type != style.type:
                raise UserError(_("{path}: its style {name!r} is a {kind} style and refcli's styles need a "
                                  "{expected} style of that name; rename it in Word or LibreOffice, then run refcli "
                                  "template adopt again").format(path=path, name=style.name_val,
                                                                 kind=_(_type_name(own.type)),
                                                                 expected=_(_type_name(style.type))))
            standing_for[style.styleId] = own.styleId
            return own.styleId
        element = copy.deepcopy(style)
        element.styleId = _free_id(styles, style.styleId)
        standing_for[style.styleId] = element.styleId  # before its references: a style may name itself as next
        if element.default and styles.default_for(element.type) is not None:
            element.attrib.pop(qn("w:default"))  # the firm's default style of this type stays the default
        styles.append(element)
        added.append(style.name_val)
        for tag in _STYLE_REFERENCES:
            for reference in element.findall(qn(tag)):
                needed = source_styles.get_by_id(reference.get(qn("w:val")))
                if needed is None:
                    element.remove(reference)
                else:
                    reference.set(qn("w:val"), bring(needed))
        if element.type == WD_STYLE_TYPE.PARAGRAPH:
            _pin_layout(element, style, source)
        for number in element.xpath("./w:pPr/w:numPr/w:numId"):
            number.set(qn("w:val"), str(_copy_numbering(int(number.get(qn("w:val"))), source, document)))
        return element.styleId

    for name, _kind_name in REQUIRED_STYLES:
        if styles.get_by_name(name) is None:
            bring(source_styles.get_by_name(name))
    return added


def _pin_layout(element: CT_Style, style: CT_Style, source: Document) -> None:
    """Set on the copy the indents, alignment and line spacing the style has in source, its own or inherited.

    Based on the firm's Normal, a copy would otherwise take the firm's first-line indent or 1.5 line spacing
    too: headings indented, fact labels broken over two lines, fiches running onto a second page. It takes
    the firm's font, which is a character property.
    """
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Twips

    source_styles = source.styles.element
    chain = []  # the paragraph properties that apply to style in source, nearest first
    while style is not None:
        if style.pPr is not None:
            chain.append(style.pPr)
            for number in style.pPr.xpath("./w:numPr/w:numId/@w:val"):
                level = style.pPr.xpath("./w:numPr/w:ilvl/@w:val") or ["0"]
                chain += _numbering_level_properties(source, int(number), int(level[0]))
        style = source_styles.get_by_id(style.basedOn.val) if style.basedOn is not None else None
    chain += source_styles.xpath("./w:docDefaults/w:pPrDefault/w:pPr")

    def first(attribute: str, default):
        return next((value for pPr in chain if (value := getattr(pPr, attribute)) is not None), default)

    properties = element.get_or_add_pPr()
    properties.ind_left = first("ind_left", 0)
    properties.ind_right = first("ind_right", 0)
    properties.first_line_indent = first("first_line_indent", 0)
    properties.jc_val = first("jc_val", WD_ALIGN_PARAGRAPH.LEFT)
    spacing = next((pPr for pPr in chain if pPr.spacing_line is not None), None)
    properties.spacing_line = spacing.spacing_line if spacing is not None else Twips(240)  # single
    properties.spacing_lineRule = spacing.spacing_lineRule if spacing is not None else WD_LINE_SPACING.MULTIPLE


def _numbering_level_properties(source: Document, number_id: int, level: int) -> list:
    """Return the paragraph properties (a list of none or one) of a level of source's list numbering."""
    numbering = source.part.numbering_part.element
    abstract_id = numbering.num_having_numId(number_id).abstractNumId.val
    return numbering.xpath(f"./w:abstractNum[@w:abstractNumId='{abstract_id}']/w:lvl[@w:ilvl='{level}']/w:pPr")


def _free_id(styles, wanted: str) -> str:
    """Return wanted, or wanted2, wanted3...: the first style id the document does not use."""
    candidate, number = wanted, 1
    while styles.get_by_id(candidate) is not None:
        number += 1
        candidate = f"{wanted}{number}"
    return candidate


def _copy_numbering(number_id: int, source: Document, document: Document) -> int:
    """Copy source's list numbering number_id (its w:num and w:abstractNum) into document; return its new id."""
    from docx.oxml.ns import qn

    source_numbering = source.part.numbering_part.element
    number = source_numbering.num_having_numId(number_id)
    abstract_id = number.abstractNumId.val
    abstract = copy.deepcopy(source_numbering.xpath(f"./w:abstractNum[@w:abstractNumId='{abstract_id}']")[0])
    numbering = _numbering(document)
    used = [int(value) for value in numbering.xpath("./w:abstractNum/@w:abstractNumId")]
    new_abstract_id = max(used, default=-1) + 1
    abstract.set(qn("w:abstractNumId"), str(new_abstract_id))
    for nsid in abstract.findall(qn("w:nsid")):
        abstract.remove(nsid)  # the list's identity: Word would merge two lists that share one
    # The schema's order: w:numPicBullet*, w:abstractNum*, w:num*, w:numIdMacAtCleanup?
    later = numbering.xpath("./w:num | ./w:numIdMacAtCleanup")
    if later:
        later[0].addprevious(abstract)
    else:
        numbering.append(abstract)
    copied = numbering.add_num(new_abstract_id)
    for override in number.findall(qn("w:lvlOverride")):
        copied.append(copy.deepcopy(override))
    return copied.numId


def _numbering(document: Document):
    """Return the document's w:numbering element, adding a numbering part (LibreOffice saves none without lists)."""
    from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls
    from docx.parts.numbering import NumberingPart

    part = document.part
    try:
        return part.part_related_by(RELATIONSHIP_TYPE.NUMBERING).element
    except KeyError:
        pass
    # python-docx's NumberingPart.new() is not implemented: build the part from an empty w:numbering.
    taken = {str(other.partname) for other in part.package.iter_parts()}
    partname = (PackURI("/word/numbering.xml") if "/word/numbering.xml" not in taken
                else part.package.next_partname("/word/numbering%d.xml"))
    numbering = NumberingPart(partname, CONTENT_TYPE.WML_NUMBERING, parse_xml(f"<w:numbering {nsdecls('w')}/>"),
                              part.package)
    part.relate_to(numbering, RELATIONSHIP_TYPE.NUMBERING)
    return numbering.element


@dataclass(frozen=True, slots=True)
class TemplateState:
    """What a document holds of refcli's template contract."""

    present: list[str]  # the required styles it has, with the right type
    missing: list[str]
    wrong: list[tuple[str, str, str]]  # (name, its type, the type refcli needs)
    placeholder: bool  # it has the {{ANNEXE_REFERENCES}} paragraph (else the annex goes at the end of the body)
    misplaced: str | None = None  # where it holds the placeholder otherwise (template.misplaced_placeholder)

    @property
    def complete(self) -> bool:
        return not self.missing and not self.wrong and not self.misplaced


def describe_template(document: Document) -> TemplateState:
    """Return which required styles the document has, lacks or has with the wrong type, and its placeholder."""
    from refcli.annex.render import _find_placeholder
    from refcli.annex.template import misplaced_placeholder

    missing, wrong = find_style_problems(document)
    absent = set(missing) | {name for name, *_kinds in wrong}
    present = [name for name, _kind in REQUIRED_STYLES if name not in absent]
    misplaced = misplaced_placeholder(document)
    found = _find_placeholder(document.element.body) is not None and not misplaced
    return TemplateState(present, missing, wrong, found, misplaced)
