"""The Word template: find it, open it safely and check its contract before anything is written.

The contract: the file is a Word document (.docx, or a .dotx template; not a .doc), it defines every style
in REQUIRED_STYLES with the right type, and it may hold one paragraph whose whole text is
PLACEHOLDER, where the annex goes (else the annex goes at the end of the body).
"""

from __future__ import annotations

import io
import os
import re
import shlex
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from refcli.errors import UserError
from refcli.i18n import N_, _

if TYPE_CHECKING:
    from docx.document import Document

ENVIRONMENT_VARIABLE = "REFCLI_TEMPLATE"
FILE_NAME = "perspectives-urbaines.docx"
PLACEHOLDER = "{{ANNEXE_REFERENCES}}"

# Every style the renderer uses, with its type: what a user's template must define.
REQUIRED_STYLES: tuple[tuple[str, str], ...] = (
    ("Ref Title", "paragraph"),  # the annex's title
    ("Ref Subtitle", "paragraph"),  # the tender's line under it; a fiche's subtitle
    ("Ref Heading 1", "paragraph"),  # a fiche's title (each fiche starts a new page)
    ("Ref Heading 2", "paragraph"),  # "Synthèse", "Enjeux de la mission", "Contenu"...
    ("Ref Body", "paragraph"),  # running text
    ("Ref Bullet", "paragraph"),  # list items; give it list numbering for a bullet sign
    ("Ref Caption", "paragraph"),  # illustration captions and credits, notes, sources
    ("Ref Table Text", "paragraph"),  # text in table cells
    ("Ref Table Header", "paragraph"),  # the summary table's header cells
    ("Ref Fact Label", "paragraph"),  # the labels of a fiche's facts ("Maître d'ouvrage")
    ("Ref Squares", "paragraph"),  # a component's level drawn as ■■■□□
    ("Ref Summary Table", "table"),  # the summary table of the references (DC2 form)
    ("Ref Facts Table", "table"),  # a fiche's facts and its components
)

_SIGNATURES = {
    b"\xd0\xcf\x11\xe0": N_("an old binary Word file (.doc); save it as .docx"),
    b"{\\rt": N_("an RTF file; save it as .docx"),
    b"%PDF": N_("a PDF file, not a Word document"),
}


@dataclass(frozen=True, slots=True)
class Template:
    """An opened template whose contract holds."""

    path: Path
    document: Document


def find_template(option: Path | None) -> Path:
    """Return the template path: --template, else $REFCLI_TEMPLATE, else the firm's shipped template."""
    if option is not None:
        return option
    if os.environ.get(ENVIRONMENT_VARIABLE):
        return Path(os.environ[ENVIRONMENT_VARIABLE])
    return shipped_template()


def shipped_template() -> Path:
    """Return the path of the template shipped with refcli, whose styles `refcli template adopt` copies."""
    package = Path(__file__).parents[1]  # refcli/: its resources, or the checkout beside it
    for candidate in (package / "resources" / FILE_NAME, package.parent / "templates" / FILE_NAME):
        if candidate.is_file():
            return candidate
    raise UserError(_("{FILE_NAME}: the shipped template is missing; pass --template FILE").format(FILE_NAME=FILE_NAME))


def open_template(path: Path) -> Template:
    """Open path as a Word document and check that it defines every required style."""
    from refcli.search.documents import word_structure_error

    document = open_document(path)
    try:
        if document.element.body is None:
            raise ValueError(_("its document has no body"))
        check_styles(document, path)
        misplaced = misplaced_placeholder(document)
    except Exception as error:  # well-formed XML that is not Word's: python-docx fails on reading it
        if (problem := word_structure_error(path, error)) is None:
            raise
        raise problem from None
    if misplaced:
        raise UserError(_("{path}: {placeholder} must stand once, as a paragraph of its own in the body: it is "
                          "{where}, where the annex would leave it as written; move it in Word or LibreOffice")
                        .format(path=path, placeholder=PLACEHOLDER, where=misplaced))
    return Template(path, document)


def misplaced_placeholder(document: Document) -> str | None:
    """Where the document holds the placeholder other than once as a paragraph of its own in its body (the
    only one the annex replaces): in a header, footer or note, inside a table or a sentence, or twice; every
    such place, so that one move in Word fixes them all."""
    from docx.opc.part import XmlPart
    from docx.oxml.ns import qn

    def text(paragraph) -> str:  # type: ignore[no-untyped-def]
        return "".join(node.text or "" for node in paragraph.iter(qn("w:t")))

    def holding(element) -> list:  # type: ignore[no-untyped-def]
        return [paragraph for paragraph in element.iter(qn("w:p")) if PLACEHOLDER in text(paragraph)]

    places = []
    if any(holding(part.element) for part in document.part.package.iter_parts()
           if isinstance(part, XmlPart) and part is not document.part):
        places.append(_("in a header, a footer or a note"))
    found = holding(document.element.body)
    if any(paragraph.getparent() is not document.element.body or text(paragraph).strip() != PLACEHOLDER
           for paragraph in found):
        places.append(_("inside a table or a sentence"))
    if len(found) > 1:
        places.append(_("there {count} times").format(count=len(found)))
    return _(", and ").join(places) or None


def check_styles(document: Document, path: Path) -> None:
    """Raise one UserError naming every required style the document lacks or has with the wrong type."""
    missing, wrong = find_style_problems(document)
    problems = []
    if missing:
        problems.append(_("missing style(s) ") + ", ".join(repr(name) for name in missing))
    problems += [_("{name!r} is a {kind} style, expected a {expected} style").format(
        name=name, kind=_(kind), expected=_(expected)) for name, kind, expected in wrong]
    if problems:
        # The way forward: adopt adds the missing styles; a style of the wrong type only the user can rename.
        remedy = (_("rename or delete {names} in Word or LibreOffice, then ").format(
            names=", ".join(repr(name) for name, _kind, _expected in wrong)) if wrong else "")
        raise UserError(
            _("{path}: the template does not meet refcli's contract: {problems}; to fix it, {remedy}run: {command}")
            .format(path=path, problems="; ".join(problems), remedy=remedy, command=adopt_command(path))
        )


def find_style_problems(document: Document) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Return the required styles the document lacks, and those it has with the wrong type (name, type, expected)."""
    defined = {}
    for style in document.styles:
        if style.name:
            defined[style.name] = style.type
    missing, wrong = [], []
    for name, kind in REQUIRED_STYLES:
        if name not in defined:
            missing.append(name)
        elif _type_name(defined[name]) != kind:
            wrong.append((name, _type_name(defined[name]), kind))
    return missing, wrong


def adopted_name(path: Path) -> Path:
    """Return the default name of the copy `refcli template adopt` writes: firm.docx -> firm-refcli.docx."""
    return path.with_name(f"{path.stem}-refcli.docx")


def adopt_command(path: Path) -> str:
    """Return the command line that makes the document at path a template, to copy and paste."""
    return f"refcli template adopt {shlex.quote(str(path))} --out {shlex.quote(str(adopted_name(path)))}"


def open_document(path: Path, from_option: bool = True) -> Document:
    """Open path as a Word document (.docx or .dotx), refusing what is not one, without checking its styles;
    `from_option`: named by --template (else by the command's argument), for the message of a missing file."""
    from refcli.search.documents import MAX_FILE_BYTES, check_zip, read_input, refuse_encrypted

    if not path.exists():
        raise UserError((_("{path}: the template does not exist; pass --template FILE") if from_option else
                         _("{path}: the file does not exist")).format(path=path))
    if path.is_dir():
        raise UserError(_("{path}: the template is a folder, not a .docx file").format(path=path))
    # Read once: every check below and python-docx read this copy, never the file again.
    data = read_input(path, N_("the template"), MAX_FILE_BYTES["Word"])
    refuse_encrypted(path, data)
    for signature, what in _SIGNATURES.items():
        if data.startswith(signature):
            raise UserError(_("{path}: the template is {what}").format(path=path, what=_(what)))
    buffer = io.BytesIO(data)
    if not zipfile.is_zipfile(buffer):
        raise UserError(_("{path}: the template is not a .docx file (not a zip archive)").format(path=path))
    try:
        with zipfile.ZipFile(buffer) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as error:
        raise UserError(_("{path}: the template is a corrupt .docx file: {error}").format(path=path, error=error)) \
            from None
    if "[Content_Types].xml" not in names or "word/document.xml" not in names:
        raise UserError(_("{path}: the template is a zip file but not a Word document (.docx)").format(path=path))
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise UserError(_("{path}: the template holds macros (word/vbaProject.bin): a .docm renamed .docx? "
                          "refcli fills only macro-free .docx templates").format(path=path))
    check_zip(buffer, path, N_("the template is a corrupt .docx file"))  # a zip bomb, a damaged part
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        source = _as_document_package(buffer) if _TEMPLATE_TYPE in _content_types(buffer) else buffer
        document = docx.Document(source)
    except ValueError as error:
        # python-docx refuses a .dotx or .docm by its content type.
        raise UserError(_("{path}: the template is not a Word document to fill (.docx): {error}")
                        .format(path=path, error=error)) from None
    except KeyError as error:  # zipfile's "There is no item named 'word/styles.xml' in the archive"
        named = re.search(r"'([^']*)'", str(error.args[0]) if error.args else "")
        raise UserError(_("{path}: the template is a corrupt .docx file: it names a part it does not hold ({part})")
                        .format(path=path, part=named[1] if named else error)) from None
    except (PackageNotFoundError, zipfile.BadZipFile, zlib.error, OSError, SyntaxError) as error:
        # lxml's XMLSyntaxError is a SyntaxError: a part that is not well-formed XML.
        raise UserError(_("{path}: the template is a corrupt .docx file: {error}")
                        .format(path=path, error=error)) from None
    _relate_core_properties(document)
    return document


def _relate_core_properties(document: Document) -> None:
    """Give LibreOffice's link to the document's properties the type python-docx looks for.

    LibreOffice types it .../officedocument/2006/relationships/metadata/core-properties; python-docx looks
    for .../package/2006/..., finds none, and on saving writes a second docProps/core.xml into the zip.
    """
    from docx.opc.constants import RELATIONSHIP_TYPE

    package = document.part.package
    for identifier, relationship in list(package.rels.items()):
        if (relationship.reltype != RELATIONSHIP_TYPE.CORE_PROPERTIES and not relationship.is_external
                and relationship.reltype.lower().endswith("/metadata/core-properties")):
            package.rels.pop(identifier)
            package.relate_to(relationship.target_part, RELATIONSHIP_TYPE.CORE_PROPERTIES)


_TEMPLATE_TYPE = "wordprocessingml.template.main+xml"
_DOCUMENT_TYPE = "wordprocessingml.document.main+xml"


def _content_types(buffer: io.BytesIO) -> str:
    with zipfile.ZipFile(buffer) as archive:
        text = archive.read("[Content_Types].xml").decode("utf-8", "replace")
    buffer.seek(0)
    return text


def _as_document_package(buffer: io.BytesIO) -> io.BytesIO:
    """Return a Word template (.dotx) re-labelled as a document in memory: Word saves templates so."""
    relabelled = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(relabelled, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(_TEMPLATE_TYPE.encode(), _DOCUMENT_TYPE.encode())
            target.writestr(item, data)
    relabelled.seek(0)
    return relabelled


def _type_name(style_type) -> str:
    from docx.enum.style import WD_STYLE_TYPE

    return {  # in English, as the JSON gives them; _() of it for people
        WD_STYLE_TYPE.PARAGRAPH: N_("paragraph"),
        WD_STYLE_TYPE.CHARACTER: N_("character"),
        WD_STYLE_TYPE.TABLE: N_("table"),
        WD_STYLE_TYPE.LIST: N_("numbering"),
    }.get(style_type, str(style_type))
