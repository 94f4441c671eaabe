"""Make the firm's own Word document a refcli template: copy in the styles the annex needs, from the shipped one.

The firm's document keeps all it has: its header and footer, page set-up, fonts, and its own definition of
every style it already has (Normal included, so the copied styles, based on Normal, take the firm's font).
Each required style it lacks is copied from the shipped template with what that style needs: the styles it
is based on, linked to or followed by that the firm's document lacks too (Normal Table for the table styles),
and the list numbering it uses (Ref Bullet's bullet), renumbered so as not to clash with the firm's lists.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from refcli.annex.template import REQUIRED_STYLES, _type_name, find_style_problems
from refcli.errors import UserError

if TYPE_CHECKING:
    from docx.document import Document
    from docx.oxml.styles import CT_Style

# The children of a w:style that name another style by its id.
_STYLE_REFERENCES = ("w:basedOn", "w:link", "w:next")


def adopt_styles(document: Document, source: Document, path: Path) -> list[str]:
    """Copy into document every required style it lacks, from source, with what each needs; return the names
    of the styles added, in order (a required style first, then the styles it brought along)."""
    from docx.oxml.ns import qn

    _, wrong = find_style_problems(document)
    if wrong:
        problems = "; ".join(f"{name!r} is a {kind} style, refcli needs a {expected} style"
                             for name, kind, expected in wrong)
        which = "it" if len(wrong) == 1 else "them"
        raise UserError(f"{path}: {problems}: rename or delete {which} in Word or LibreOffice (the firm's styles are "
                        "never replaced), then run refcli template adopt again")
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
                raise UserError(f"{path}: its style {style.name_val!r} is a {_type_name(own.type)} style and "
                                f"refcli's styles need a {_type_name(style.type)} style of that name; rename it in "
                                "Word or LibreOffice, then run refcli template adopt again")
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
        for number in element.xpath("./w:pPr/w:numPr/w:numId"):
            number.set(qn("w:val"), str(_copy_numbering(int(number.get(qn("w:val"))), source, document)))
        return element.styleId

    for name, _kind_name in REQUIRED_STYLES:
        if styles.get_by_name(name) is None:
            bring(source_styles.get_by_name(name))
    return added


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

    @property
    def complete(self) -> bool:
        return not self.missing and not self.wrong


def describe_template(document: Document) -> TemplateState:
    """Return which required styles the document has, lacks or has with the wrong type, and its placeholder."""
    from refcli.annex.render import _find_placeholder

    missing, wrong = find_style_problems(document)
    absent = set(missing) | {name for name, _, _ in wrong}
    present = [name for name, _ in REQUIRED_STYLES if name not in absent]
    return TemplateState(present, missing, wrong, _find_placeholder(document.element.body) is not None)
