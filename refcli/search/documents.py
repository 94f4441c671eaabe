"""Read a tender's documents (PDF, Word, text) into paragraphs that know their page and whether they are headings.

`read_document(path)` returns a Document; a file that cannot be read (a scan without a text layer, an
encrypted or corrupt PDF, a PDF too long to be one consultation's rules, a .docx that unpacks to
gigabytes) raises DocumentError, one line naming the file. PDF text comes from pdfminer.six, whose
layout analysis keeps columns apart (bench/bench_pdf.py, docs/tender-reading.md); running headers
and footers are dropped, words cut at line ends are joined, cells on one row of a table are one line.
Nothing heavy is imported until a document is read.
"""

from __future__ import annotations

import os
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from refcli.errors import UserError, os_reason
from refcli.frozen import frozen
from refcli.i18n import N_, _

PDF_SUFFIXES = (".pdf",)
WORD_SUFFIXES = (".docx",)
TEXT_SUFFIXES = (".txt", ".md", ".text")
DOCUMENT_SUFFIXES = PDF_SUFFIXES + WORD_SUFFIXES + TEXT_SUFFIXES
# A consultation's rules, its CCTP or its avis run to tens of pages; a longer PDF is a whole DCE or
# something else, and reading it would take minutes (pdfminer.six: ~60 ms a dense page).
MAX_PAGES = 300
# The size of a file the user names: an RC or a CCTP as PDF is a few MB (under 20 MB with scanned annexes),
# as Word a few hundred KB (images aside), as text some 100 KB. Reading is what costs: 2-3 s a MB of text.
MAX_FILE_BYTES = {"PDF": 50 * 2**20, "Word": 50 * 2**20, "text": 4 * 2**20}
MAX_TEXT_CHARACTERS = 2_000_000  # the text read from a document, some 600 dense pages: a search then takes ~5 s
# A .docx is a zip: what it unpacks to is checked before python-docx reads it (a zip bomb).
MAX_UNPACKED_BYTES = 300 * 2**20
MAX_ZIP_ENTRIES = 5000
MAX_MARKUP_BYTES = 50 * 2**20  # its XML, which python-docx parses whole: a long RC's is a few MB
MAX_STREAM_BYTES = 30 * 2**20  # one PDF stream unpacked (a page's content is rarely 1 MB): a PDF bomb above it
MIN_TEXT_CHARACTERS = 40  # less than this in the whole PDF: pages are images (a scan)
# Characters drawn on one PDF page: a dense page of an RC holds some 5,000. pdfminer's layout of a page takes time that
# grows faster than the square of its text pieces (1,000 pieces: 11 s; 2,000: 56 s and 850 MB): a page beyond this
# is refused before it is laid out.
MAX_PAGE_CHARACTERS = 50_000
REPLACEMENT = "\ufffd"
PASSWORD_PROTECTED = N_("a password-protected document (save it without a password)")

Progress = Callable[[int, int], None]  # (pages done, pages in all)


class DocumentError(UserError):
    """A document that cannot be read; the message is one line naming the file."""


@frozen
class Paragraph:
    """A paragraph, a heading, a list item or a table row of a document, with the page it is on."""

    text: str
    page: int  # 1-based; for Word, counted from the page breaks Word saved (0: a header or footer)
    kind: str = "text"  # "heading", "text", "item" (a list item), "row" (a table row), "margin" (header/footer)


@frozen
class Document:
    path: Path
    format: str  # "PDF", "Word", "text"
    pages: int
    paragraphs: tuple[Paragraph, ...]
    image_pages: tuple[int, ...] = ()  # PDF pages that hold an image and no text (scanned): nothing read of them

    @property
    def text(self) -> str:
        return "\n".join(paragraph.text for paragraph in self.paragraphs if paragraph.kind != "margin")


_progress_reporter: Callable[[Path], Progress | None] | None = None


def set_progress_reporter(reporter: Callable[[Path], Progress | None] | None) -> None:
    """Let the command line show progress: reporter(path) returns a function called after each page."""
    global _progress_reporter
    _progress_reporter = reporter


def describe_file(path: Path, head: bytes) -> str | None:
    """Say what a file is when its first bytes show a document rather than text: 'a PDF', 'a Word document'..."""
    if head.startswith(b"%PDF"):
        return N_("a PDF")
    if head.startswith(b"PK\x03\x04"):
        suffix = path.suffix.casefold()
        if suffix in (".odt", ".ods"):
            return N_("an OpenDocument file")
        return N_("a Word document (.docx)") if suffix in (".docx", "") or suffix not in (".zip", ".xlsx") else \
            N_("a zip archive")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        if _is_encrypted(path, head):
            return PASSWORD_PROTECTED
        return N_("an old Word document (.doc)")
    if head.startswith(b"{\\rtf"):
        return N_("an RTF document")
    return None


_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


def _is_encrypted(path: Path, head: bytes) -> bool:
    """Whether an OLE compound file (.doc's container) holds an EncryptedPackage stream: a .docx or .xlsx saved
    with a password is one. A stream's name is at the start of a 128-byte directory entry, after the 512-byte
    header; head is the file's bytes, or its first ones (then the file is read, at most MAX_FILE_BYTES)."""
    data = head
    if len(head) < 4096:
        try:
            with path.open("rb") as stream:
                data = stream.read(MAX_FILE_BYTES["Word"])
        except OSError:
            return False
    start = data.find(_ENCRYPTED_PACKAGE, 512)
    while start != -1:
        if start % 128 == 0:
            return True
        start = data.find(_ENCRYPTED_PACKAGE, start + 1)
    return False


def refuse_encrypted(path: Path, data: bytes) -> None:
    """Raise DocumentError for a file saved with a password (Word then wraps the .docx in an OLE file)."""
    if data.startswith(b"\xd0\xcf\x11\xe0") and _is_encrypted(path, data):
        raise DocumentError(_("{path}: is password-protected: save it without a password").format(path=path))


def check_suffix(path: Path) -> None:
    """Raise DocumentError unless the file's suffix is one refcli reads."""
    if path.suffix.casefold() not in DOCUMENT_SUFFIXES:
        raise DocumentError(_("{path}: unsupported file type {suffix!r}; give a .pdf, .docx, "
                              ".txt or .md file (save a .doc or .odt as .docx or PDF)").format(
                                  path=path, suffix=path.suffix or _("(none)")))


def read_document(path: Path) -> Document:
    """Read a .pdf, .docx, .txt or .md file into paragraphs; raise DocumentError when it cannot be read."""
    check_suffix(path)
    suffix = path.suffix.casefold()
    kind = "PDF" if suffix in PDF_SUFFIXES else "Word" if suffix in WORD_SUFFIXES else "text"
    with open_input(path, N_("the document"), MAX_FILE_BYTES[kind],
                    N_("give the RC or the CCTP alone, not the whole DCE")) as stream:
        head = stream.read(8)
        stream.seek(0)
        if kind == "PDF":
            if not head.startswith(b"%PDF"):
                what = describe_file(path, head)
                raise DocumentError(_("{path}: not a PDF").format(path=path) + (f" ({_(what)})" if what else "")
                                    + _("; export it as PDF again"))
            document = _read_pdf(path, stream)
        elif kind == "Word":
            document = _read_word(path, stream)
        else:
            document = _read_text(path, read_at_most(stream, MAX_FILE_BYTES["text"]))
    if not document.text.strip():
        raise DocumentError(_("{path}: no text in this file").format(path=path))
    characters = sum(len(paragraph.text) for paragraph in document.paragraphs)
    if characters > MAX_TEXT_CHARACTERS:
        raise DocumentError(_("{path}: {characters:,} characters of text, more than a consultation's document holds "
                              "({limit:,} at most); give the RC or the CCTP alone").format(
                                  path=path, characters=characters, limit=MAX_TEXT_CHARACTERS))
    return document


def open_input(path: Path, what: str, limit: int, hint: str = "") -> BinaryIO:
    """Open a file the user named: a regular file of at most limit bytes, else DocumentError naming it.

    Every reader of a tender, a document, a template, a fiche or a selection record opens its file here.
    A named pipe, a device or a socket is refused before anything waits on it: opened with O_NONBLOCK (a
    FIFO without a writer would block the open), then checked on the open descriptor (no race with a swap).
    """
    from refcli.records.load import FileTooLarge, NotRegularFile, open_regular

    try:
        descriptor = open_regular(path, limit)
    except IsADirectoryError:
        raise DocumentError(_("{path}: {what} is a folder, not a file").format(path=path, what=_(what))) from None
    except NotRegularFile as error:
        if error.kind == "a folder":
            raise DocumentError(_("{path}: {what} is a folder, not a file").format(path=path, what=_(what))) from None
        raise DocumentError(_("{path}: {what} is {kind}, not a regular file; refcli reads only files").format(
            path=path, what=_(what), kind=_(error.kind))) from None
    except FileTooLarge as error:
        raise DocumentError(_("{path}: {what} is {size}, more than refcli reads ({limit} at most)").format(
            path=path, what=_(what), size=_megabytes(error.size, limit), limit=_megabytes(limit))
            + (_("; {hint}").format(hint=_(hint)) if hint else "")) from None
    except OSError as error:
        raise DocumentError(_("{path}: cannot read {what}: {error}").format(
            path=path, what=_(what), error=os_reason(error))) from None
    os.set_blocking(descriptor, True)
    return os.fdopen(descriptor, "rb")


def read_input(path: Path, what: str, limit: int, hint: str = "") -> bytes:
    """The bytes of a file the user named (open_input): never more than limit, even of a file that grows."""
    with open_input(path, what, limit, hint) as stream:
        try:
            data = read_at_most(stream, limit + 1)
        except OSError as error:
            raise DocumentError(_("{path}: cannot read {what}: {error}").format(
                path=path, what=_(what), error=os_reason(error))) from None
    if len(data) > limit:
        raise DocumentError(_("{path}: {what} is more than {limit}, the most refcli reads").format(
            path=path, what=_(what), limit=_megabytes(limit)) + (_("; {hint}").format(hint=_(hint)) if hint else ""))
    return data


def read_at_most(stream: BinaryIO, size: int) -> bytes:
    """Read up to size bytes a megabyte at a time: stream.read(size) would allocate size bytes at once."""
    chunks = []
    left = size
    while left > 0 and (chunk := stream.read(min(left, 2**20))):
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _megabytes(size: int, limit: int | None = None) -> str:
    """A size in MB (a decimal below 100), or in bytes when it would read as the limit it is above."""
    shown = (f"{size / 2**20:.1f} MB" if size < 100 * 2**20 else f"{size // 2**20} MB").replace(".0 MB", " MB")
    if limit is not None and shown == _megabytes(limit):
        return _("{count} bytes").format(count=size)
    return shown


# -- text ----------------------------------------------------------------------------------------------------


def _read_text(path: Path, data: bytes) -> Document:
    kind = describe_file(path, data)
    if kind or b"\x00" in data[:4096]:
        suffix = {"a PDF": ".pdf", "a Word document (.docx)": ".docx"}.get(kind or "")
        hint = _("rename it {suffix}").format(suffix=suffix) if suffix else _("give a .pdf, .docx, .txt or .md file")
        raise DocumentError(_("{path}: not a text file ({kind}); {hint}").format(
            path=path, kind=_(kind) if kind else _("binary content"), hint=hint))
    # Bytes that are not UTF-8 become U+FFFD, which matching tolerates, as in broken tender exports.
    text = data.decode("utf-8-sig", errors="replace")
    paragraphs: list[Paragraph] = []
    for number, page in enumerate(text.split("\f"), start=1):  # pdftotext separates pages with a form feed
        paragraphs += _paragraphs_from_lines(page.splitlines(), number, markdown=path.suffix.casefold() == ".md")
    return Document(path, "text", text.count("\f") + 1, tuple(paragraphs))


_BULLET = re.compile(r"^\s*(?:[-*•–◦▶►▸]|\d{1,2}[.)]|[a-z][.)])\s+")
_HEADING = re.compile(r"^(?:article|chapitre|titre|section|partie|annexe)\s+(?:[0-9]+|[IVXL]+|premier|unique)\b",
                      re.IGNORECASE)
# "2.1 Contenu", "3. Objet", "II - CONTENU", "4) Délais"; after a bare number ("3 Objet") a capital.
_NUMBERED = re.compile(r"^(?P<number>[0-9]{1,2}|[IVX]{1,4})(?P<dotted>(?:\.[0-9]{1,2}){0,3}\.?)\s*"
                       r"(?P<separator>[-–—):])?\s+(?P<first>\S)")
_MONTH_AFTER = re.compile(r"^\d{1,2}(?:er)?\s+(?:janvier|f.vrier|mars|avril|mai|juin|juillet|ao.t|septembre|octobre|"
                          r"novembre|d.cembre)\b", re.IGNORECASE)
_CONTENTS_ENTRY = re.compile(r"(?:\.{2,}|…)\s*\d+\s*$|\s\.\d+\.?\s*$")  # "1 - Objet ..... 3": a table of contents


def is_heading(line: str) -> bool:
    """A line that opens a section: 'ARTICLE 3 - ...', '2.1 Contenu de la mission', a short line in capitals."""
    text = line.strip()
    if not text or len(text) > 110 or _CONTENTS_ENTRY.search(text):
        return False
    if _HEADING.match(text):
        return not text.endswith((".", ";", ",")) or len(text) < 60
    numbered = _NUMBERED.match(text)
    if numbered and not _MONTH_AFTER.match(text) and (
            numbered["dotted"] or numbered["separator"] or numbered["first"].isupper()):
        return not text.endswith((".", ";", ","))  # "1. Le titulaire remet un rapport." is a list item
    letters = [char for char in text if char.isalpha()]
    if len(letters) >= 4 and all(char.isupper() for char in letters) and len(text.split()) <= 14:
        return True
    # An RC typed without styles: a short line of its own that names a section ("Objet de la consultation",
    # "Critères de jugement des offres"): two to eight words, no sentence's end, no "label : value".
    return (2 <= len(text.split()) <= 8 and not text.endswith((".", ";", ",")) and ":" not in text
            and text[0].isupper() and bool(_SECTION_NAME.match(text)))


_SECTION_NAME = re.compile(
    r"^(?:objet|contenu|contexte|description|d[ée]roulement|pr[ée]sentation|comp[ée]tences?|profil|moyens|"
    r"pi[èe]ces|crit[èe]res|modalit[ée]s|conditions|d[ée]lais?|date limite|remise|jugement|voies de recours|"
    r"renseignements|dur[ée]e|prix|attendus|livrables|prestations attendues|missions?\b)", re.IGNORECASE)


def _paragraphs_from_lines(lines: list[str], page: int, markdown: bool = False) -> list[Paragraph]:
    """Join wrapped lines into paragraphs: a blank line, a heading or a bullet starts a new one."""
    paragraphs: list[Paragraph] = []
    current: list[str] = []
    kind = "text"

    def close() -> None:
        nonlocal current, kind
        if current:
            paragraphs.append(Paragraph(join_lines(current), page, kind))
        current, kind = [], "text"

    for raw in lines:
        line = raw.replace("\u00a0", " ").strip()
        if not line:
            close()
            continue
        if markdown and line.startswith("#"):
            close()
            paragraphs.append(Paragraph(line.lstrip("#").strip().replace("**", ""), page, "heading"))
            continue
        if markdown:
            line = line.replace("**", "").replace("__", "")
        if is_heading(line):
            close()
            paragraphs.append(Paragraph(line, page, "heading"))
        elif _BULLET.match(line):
            close()
            current, kind = [_BULLET.sub("", line, count=1)], "item"
        else:
            current.append(line)
    close()
    return paragraphs


# Prefixes kept with their hyphen when a line ends on them: "co-" + "construction" stays "co-construction".
_KEPT_HYPHEN = {"co", "socio", "inter", "pluri", "multi", "semi", "sous", "non", "anti", "post", "pré", "pre",
                "auto", "extra", "quasi", "mi", "ex", "néo", "vis", "demi", "porte", "après", "avant"}


def join_lines(lines: list[str]) -> str:
    """Join the lines of a paragraph, joining a word cut at a line end ('renouvelle-' + 'ment'); in time linear in
    its length: only the end of what is joined is looked at (a paragraph may run to a megabyte)."""
    parts: list[str] = []  # joined by spaces; the last one holds the last word whole
    for line in lines:
        line = line.strip()
        last = parts[-1] if parts else ""
        if not parts or parts == [""]:
            parts = [line]
        elif len(last) > 1 and last[-1] == "-" and _LETTER.match(last[-2]) and _LETTER.match(line):
            prefix = _CUT_WORD.search(last[-60:])  # a kept prefix is a short word
            keep = prefix is not None and prefix.group(1).casefold() in _KEPT_HYPHEN
            parts[-1] = (last if keep else last[:-1]) + line
        else:
            parts.append(line)
    return re.sub(r"[ \t]+", " ", " ".join(parts))


_LETTER = re.compile(r"[a-zà-ÿ]")
_CUT_WORD = re.compile(r"(\w+)-$")


# -- PDF -----------------------------------------------------------------------------------------------------


def _read_pdf(path: Path, stream: BinaryIO) -> Document:
    import pdfminer.pdftypes

    # pdfminer.six unpacks a stream whole (zlib.decompress); a bounded zlib is lent to it while it reads.
    unbounded = pdfminer.pdftypes.zlib
    pdfminer.pdftypes.zlib = _BoundedZlib(path)  # type: ignore[assignment]
    try:
        return _read_pdf_stream(path, stream)
    finally:
        pdfminer.pdftypes.zlib = unbounded


class _BoundedZlib:
    """zlib as pdfminer.six uses it, refusing a stream that unpacks to more than MAX_STREAM_BYTES."""

    error = zlib.error

    def __init__(self, path: Path) -> None:
        self.path = path

    def decompressobj(self) -> _BoundedDecompressor:
        return _BoundedDecompressor(self.path)

    def decompress(self, data: bytes) -> bytes:
        decompressor = zlib.decompressobj()
        unpacked = decompressor.decompress(data, MAX_STREAM_BYTES + 1)
        if len(unpacked) > MAX_STREAM_BYTES:
            raise _too_large(self.path)
        if not decompressor.eof:
            raise zlib.error("incomplete or truncated stream")
        return unpacked


class _BoundedDecompressor:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.decompressor = zlib.decompressobj()
        self.size = 0

    def decompress(self, data: bytes) -> bytes:
        unpacked = self.decompressor.decompress(data, MAX_STREAM_BYTES + 1 - self.size)
        self.size += len(unpacked)
        if self.size > MAX_STREAM_BYTES or self.decompressor.unconsumed_tail:
            raise _too_large(self.path)
        return unpacked


def _too_large(path: Path) -> DocumentError:
    return DocumentError(_("{path}: a part of this PDF unpacks to more than {limit} MB "
                           "(a PDF bomb?); refused").format(path=path, limit=MAX_STREAM_BYTES // 2**20))


def _read_pdf_stream(path: Path, stream) -> Document:  # type: ignore[no-untyped-def]
    from pdfminer.layout import LAParams
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager

    document = _open_pdf(path, stream)
    total = _page_count(path, document)
    if total > MAX_PAGES:
        raise DocumentError(_("{path}: {total} pages; refcli reads at most {MAX_PAGES} pages of one document "
                            "(an RC, a CCTP, an avis): give those files, not the whole DCE").format(
                                path=path, total=total, MAX_PAGES=MAX_PAGES))
    manager = PDFResourceManager(caching=True)
    # boxes_flow=None: pdfminer orders its text boxes by position, without grouping them into a hierarchy (_page_lines
    # orders them itself); the boxes are the same, their hierarchical grouping was the costly step.
    device = _bounded_aggregator()(manager, laparams=LAParams(boxes_flow=None))
    interpreter = PDFPageInterpreter(manager, device)
    progress = _progress_reporter(path) if _progress_reporter else None
    pages: list[list[Line]] = []  # per page, in reading order
    image_pages = []
    try:
        for layout in _layouts(path, document, interpreter, device):
            pages.append(_page_lines(layout))
            if sum(len(line[2]) for line in pages[-1]) < MIN_TEXT_CHARACTERS and _has_image(layout):
                image_pages.append(len(pages))
            if progress:
                progress(len(pages), total)
    finally:
        if progress:
            progress(total, total)  # done, or given up: the bar goes
    characters = sum(len(line[2]) for page in pages for line in page)
    if characters < MIN_TEXT_CHARACTERS:
        raise DocumentError(_("{path}: no text in this PDF (a scan?): it needs OCR first, e.g. "
                            "'ocrmypdf in.pdf out.pdf', then read out.pdf").format(path=path))
    margins = _repeated_margins(pages)
    paragraphs: list[Paragraph] = []
    for number, lines in enumerate(pages, start=1):
        paragraphs += _paragraphs_from_pdf_lines(_body_lines(lines, margins), number)
    return Document(path, "PDF", len(pages), tuple(paragraphs), tuple(image_pages))


def _has_image(layout) -> bool:  # type: ignore[no-untyped-def]
    """Whether a laid-out page draws an image (a scanned page is one image in a figure)."""
    from pdfminer.layout import LTFigure, LTImage

    return any(isinstance(item, LTFigure | LTImage) for item in layout)


class _TooDense(Exception):
    """A page draws more than MAX_PAGE_CHARACTERS characters."""


def _bounded_aggregator():  # type: ignore[no-untyped-def]
    from pdfminer.converter import PDFPageAggregator

    class BoundedAggregator(PDFPageAggregator):
        """pdfminer's aggregator, stopping a page that draws more than MAX_PAGE_CHARACTERS characters."""

        def begin_page(self, page, ctm):  # type: ignore[no-untyped-def]
            self.drawn = 0
            super().begin_page(page, ctm)

        def render_char(self, *arguments, **options):  # type: ignore[no-untyped-def]
            self.drawn += 1
            if self.drawn > MAX_PAGE_CHARACTERS:
                raise _TooDense
            return super().render_char(*arguments, **options)

    return BoundedAggregator


def _layouts(path: Path, document, interpreter, device):  # type: ignore[no-untyped-def]
    """Lay out each page with pdfminer.six, MAX_PAGES at most; its errors on a damaged file become one message."""
    from pdfminer.pdfpage import PDFPage

    number = 0
    try:
        for number, page in enumerate(PDFPage.create_pages(document), start=1):
            if number > MAX_PAGES:  # the page tree said fewer: the pages past the limit are not left out unsaid
                raise DocumentError(_("{path}: more than {MAX_PAGES} pages (its page count said fewer); refcli reads "
                                      "at most {MAX_PAGES} pages of one document: give the RC alone").format(
                                          path=path, MAX_PAGES=MAX_PAGES))
            interpreter.process_page(page)
            yield device.get_result()
    except DocumentError:
        raise
    except _TooDense:
        raise DocumentError(_("{path}: page {page} draws more than {count:,} characters (a dense page of an RC holds "
                              "some 5,000): not read; export the RC as PDF again, or give its text").format(
                                  path=path, page=number, count=MAX_PAGE_CHARACTERS)) from None
    except Exception as error:  # pdfminer.six raises many kinds on a damaged file, from its own code
        if not type(error).__module__.startswith(("pdfminer", "zlib", "struct")) and \
                not isinstance(error, ValueError | KeyError | TypeError | IndexError | AssertionError):
            raise
        raise DocumentError(_("{path}: a damaged PDF (page {page}: {error}); "
                              "export it as PDF again").format(path=path, page=max(number, 1),
                                                               error=type(error).__name__)) from None


def _open_pdf(path: Path, stream):  # type: ignore[no-untyped-def]
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFParser

    try:
        return PDFDocument(PDFParser(stream))
    except (PDFPasswordIncorrect, PDFEncryptionError):
        raise DocumentError(_("{path}: the PDF is encrypted (it needs a password); ask the buyer for an open copy "
                            "or print it to PDF").format(path=path)) from None
    except Exception as error:
        if type(error).__module__.startswith("pdfminer") or isinstance(error, ValueError | KeyError | TypeError):
            if "password" in str(error).casefold() or "encrypt" in str(error).casefold():
                raise DocumentError(_("{path}: the PDF is encrypted (it needs a password); ask the buyer for an open "
                                    "copy or print it to PDF").format(path=path)) from None
            raise DocumentError(_("{path}: a damaged PDF ({kind}: {error}); "
                                  "export it as PDF again").format(path=path, kind=type(error).__name__,
                                                                   error=error)) from None
        raise


def _page_count(path: Path, document) -> int:  # type: ignore[no-untyped-def]
    from pdfminer.pdftypes import resolve1

    try:
        count = resolve1(resolve1(document.catalog["Pages"])["Count"])
        return int(count)
    except Exception as error:
        if isinstance(error, KeyError | TypeError | ValueError) or type(error).__module__.startswith("pdfminer"):
            raise DocumentError(_("{path}: a damaged PDF (no page tree); export it as PDF again").format(
                path=path)) from None
        raise


_CID = re.compile(r"\(cid:\d+\)")


Line = tuple[float, int, str, int]  # top on the page, its box's number, text, its box's longest line (characters)


def _page_lines(layout) -> list[Line]:  # type: ignore[no-untyped-def]
    """The page's lines in reading order, the cells of a table row joined into one line.

    pdfminer.six cuts the page into text boxes; their order is decided here: a box that crosses the
    middle of the page (a title, a full-width paragraph, a table row) closes what is above it; above
    it, the left column's boxes come before the right column's.
    """
    from pdfminer.layout import LTTextContainer, LTTextLine

    boxes = []
    for item in layout:
        if isinstance(item, LTTextContainer):
            lines = [line for line in item if isinstance(line, LTTextLine)] or [item]
            boxes.append((float(item.x0), float(item.x1),
                          [(float(line.y0), float(line.y1), _clean(line.get_text())) for line in lines]))
    width = float(layout.width) or 595.0
    boxes = _join_rows(boxes, width)
    middle = width / 2
    ordered: list[tuple[float, float, list[tuple[float, float, str]]]] = []
    left: list = []
    right: list = []

    def flush() -> None:
        ordered.extend(left + right)
        left.clear()
        right.clear()

    for box in sorted(boxes, key=lambda box: -max(top for _bottom, top, _text in box[2])):
        x0, x1, _lines = box
        if x0 < middle - 10 and x1 > middle + 10:
            flush()
            ordered.append(box)
        else:
            (left if (x0 + x1) / 2 < middle else right).append(box)
    flush()
    result: list[Line] = []
    for number, (_x0, _x1, lines) in enumerate(ordered):
        longest = max(len(text) for _bottom, _top, text in lines)
        result += [(top, number, text, longest) for _bottom, top, text in lines if text.strip()]
    return result


def _join_rows(boxes: list, width: float) -> list:
    """Table cells side by side are boxes whose lines sit on the same baselines: one line per row, cells
    two spaces apart. Two columns of text can line up too, but neither of them is narrow."""
    narrow = width * 0.3
    groups: dict[tuple[int, ...], list[int]] = {}
    for number, (left, right, lines) in enumerate(boxes):
        if len(lines) == 1 or right - left < narrow:
            groups.setdefault(tuple(round(bottom / 3) for bottom, _top, _text in lines), []).append(number)
    joined: dict[int, tuple] = {}
    dropped: set[int] = set()
    for members in groups.values():
        if len(members) > 1 and any(len(boxes[number][2]) == 1 or boxes[number][1] - boxes[number][0] < narrow
                                    for number in members):
            members.sort(key=lambda number: boxes[number][0])
            first = boxes[members[0]][2]
            rows = [(bottom, top, "  ".join(boxes[number][2][index][2] for number in members))
                    for index, (bottom, top, _text) in enumerate(first)]
            joined[members[0]] = (min(boxes[number][0] for number in members),
                                  max(boxes[number][1] for number in members), rows)
            dropped.update(members[1:])
    return [joined.get(number, box) for number, box in enumerate(boxes) if number not in dropped]


def _clean(text: str) -> str:
    return _CID.sub(REPLACEMENT, text).replace("\n", " ").replace("\u00a0", " ").strip()


def _margin_key(line: str) -> str:
    """Fold a margin line; a page number in it does not count ('RC - page 3/12' = 'RC - page 4/12')."""
    folded = " ".join(line.casefold().split())
    if re.search(r"\bpages?\b|\bp\.\s*\d|\d+\s*(?:/|sur)\s*\d+", folded) or re.fullmatch(r"[\d\s/-]+", folded):
        return re.sub(r"\d+", "#", folded)
    return folded


_PAGE_NUMBER = re.compile(r"^(?:-\s*)?(?:page\s*)?#(?:\s*(?:/|sur|of)\s*#)?(?:\s*-)?$")
MARGIN_LINES = 2  # a running header or footer is among the two top or the two bottom lines of a page
MARGIN_LENGTH = 80  # and is short: a longer line is body text, however often it repeats


def _margin_candidates(lines: list[Line]) -> set[int]:
    """The positions of the top and bottom lines of a page, by height on the page."""
    by_height = sorted(range(len(lines)), key=lambda number: -lines[number][0])
    return set(by_height[:MARGIN_LINES]) | set(by_height[-MARGIN_LINES:])


def _repeated_margins(pages: list[list[Line]]) -> set[str]:
    """Top or bottom lines found on at least half the pages (page numbers aside): running headers and footers."""
    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({_margin_key(lines[number][2]) for number in _margin_candidates(lines)})
    needed = max(2, (len(pages) + 1) // 2)
    return {key for key, count in counts.items() if count >= needed}


def _body_lines(lines: list[Line], margins: set[str]) -> list[Line]:
    candidates = _margin_candidates(lines)
    kept = []
    for number, line in enumerate(lines):
        text = line[2]
        if number in candidates and len(text) <= MARGIN_LENGTH:
            key = _margin_key(text)
            if key in margins or _PAGE_NUMBER.match(key):
                continue
        kept.append(line)
    return kept


def _paragraphs_from_pdf_lines(lines: list[Line], page: int) -> list[Paragraph]:
    """A PDF has no paragraphs: a new box, a heading, a bullet, a row, or a short line ending one closes one.

    A heading that runs on two lines ("ARTICLE 2 - OBJET DE LA" / "CONSULTATION") is one heading.
    """
    paragraphs: list[Paragraph] = []
    current: list[str] = []
    kind = "text"
    box = -1

    def close() -> None:
        nonlocal current, kind
        if current:
            paragraphs.append(Paragraph(join_lines(current), page, kind))
        current, kind = [], "text"

    for top, line_box, line, longest in lines:
        # A new box closes the paragraph, unless the text runs on: a column or a page cut it mid-sentence.
        runs_on = bool(current) and not current[-1].rstrip().endswith((".", ":", ";", "!", "?")) \
            and line[:1].islower()
        if line_box != box and not runs_on:
            close()
        opened_box, box = line_box != box, line_box
        if "  " in line.strip():  # cells of a row
            close()
            paragraphs.append(Paragraph(re.sub(r" {2,}", "  ", line.strip()), page, "row"))
        elif is_heading(line):
            previous = paragraphs[-1] if paragraphs and not current else None
            if (previous is not None and previous.kind == "heading" and not opened_box
                    and not _starts_heading(line) and not previous.text.endswith((".", ":"))):
                paragraphs[-1] = Paragraph(f"{previous.text} {line.strip()}", page, "heading")
            else:
                close()
                paragraphs.append(Paragraph(line.strip(), page, "heading"))
        elif _BULLET.match(line):
            close()
            current, kind = [_BULLET.sub("", line, count=1)], "item"
        else:
            current.append(line)
            ends = line.rstrip().endswith((".", ":", ";"))
            if (ends and len(line) < longest * 0.8) or len(line) < longest * 0.55:
                close()
        del top
    close()
    return paragraphs


def _starts_heading(line: str) -> bool:
    """A line that opens a heading of its own: 'ARTICLE 3', '2.1 ...', not the end of the heading above."""
    text = line.strip()
    return bool(_HEADING.match(text) or _NUMBERED.match(text))


# -- Word ----------------------------------------------------------------------------------------------------


ZIP_CHUNK = 2**20


def check_zip(source: BinaryIO, path: Path, corrupt: str = N_("not a readable Word document (.docx)")) -> None:
    """Refuse a zip whose entries unpack to too much (a zip bomb) before anything reads it.

    The sizes the zip declares are checked first, then each entry is unpacked a chunk at a time, so that
    what it really unpacks to is bounded too: zipfile stops an entry at its declared size (a lying entry
    then fails its checksum) but unpacks what it reads in one go, gigabytes for a bomb's one part.
    """
    import zipfile

    try:
        with zipfile.ZipFile(source) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                raise DocumentError(_("{path}: a .docx of {count} parts, too many to be a real one; refused").format(
                    path=path, count=len(entries)))
            markup = sum(entry.file_size for entry in entries if entry.filename.endswith((".xml", ".rels")))
            if markup > MAX_MARKUP_BYTES:
                raise DocumentError(_("{path}: its text unpacks to {size} MB (a zip bomb?), more than {limit} MB; "
                                      "refused").format(path=path, size=markup // 2**20,
                                                        limit=MAX_MARKUP_BYTES // 2**20))
            unpacked = sum(entry.file_size for entry in entries)
            if unpacked > MAX_UNPACKED_BYTES:
                raise DocumentError(_("{path}: unpacks to {size} MB (a zip bomb?), more than {limit} MB; refused")
                                    .format(path=path, size=unpacked // 2**20, limit=MAX_UNPACKED_BYTES // 2**20))
            for entry in entries:
                with archive.open(entry) as part:
                    while part.read(ZIP_CHUNK):
                        pass
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError,
            zlib.error) as error:
        raise DocumentError(_("{path}: {corrupt}: {error}").format(path=path, corrupt=_(corrupt), error=error)) \
            from None
    finally:
        source.seek(0)


def open_word(path: Path, error_class: type[Exception] = DocumentError,  # type: ignore[no-untyped-def]
              stream: BinaryIO | None = None):
    """Open a .docx with python-docx after checking its zip; a broken one raises error_class naming the file.

    The file is read once (open_input, or the stream given) and python-docx reads that copy: the zip checked
    is the zip parsed.
    """
    import io
    import zipfile

    from docx import Document as open_document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        data = stream.read() if stream is not None else read_input(path, N_("the Word document"),
                                                                   MAX_FILE_BYTES["Word"])
        if not data.startswith(b"PK"):
            refuse_encrypted(path, data)
            what = describe_file(path, data)
            raise DocumentError(_("{path}: not a readable Word document (.docx): {error}").format(
                path=path, error=_(what) if what else _("not a zip archive")))
        buffer = io.BytesIO(data)
        check_zip(buffer, path)
    except DocumentError as error:
        raise error_class(str(error)) from None
    try:
        return open_document(buffer)
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError) as error:
        # lxml's XMLSyntaxError is a SyntaxError: a part that is not well-formed XML.
        raise error_class(_("{path}: not a readable Word document (.docx): {error}").format(path=path, error=error)) \
            from None


def word_structure_error(path: Path, error: Exception) -> DocumentError | None:
    """The message for a .docx whose XML is well-formed but not Word's (no body, a link to no part): python-docx
    and lxml then fail on reading it with these errors; any other error is a bug and keeps its traceback."""
    if isinstance(error, KeyError | AttributeError | ValueError | TypeError | IndexError | SyntaxError):
        return DocumentError(_("{path}: not a readable Word document (.docx): its parts are not Word's "
                               "({kind}: {error}); save it again from Word or LibreOffice").format(
                                   path=path, kind=type(error).__name__, error=error))
    return None


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
# What a paragraph's text leaves out: a text box's content (its own paragraphs, read after it: body_blocks), the
# copy of a drawing Word saves for older readers (mc:Fallback, beside the mc:Choice read), and what tracked
# changes took out (a deletion, the place a move came from).
_NOT_THE_PARAGRAPH = frozenset({_W + "txbxContent", _MC + "Fallback", _W + "del", _W + "moveFrom"})


def paragraph_text(element) -> str:  # type: ignore[no-untyped-def]
    """The text of a w:p element: its runs, tabs, breaks and non-breaking hyphens (not its text boxes')."""
    parts = []
    stack = [element]
    while stack:
        node = stack.pop()
        tag = node.tag
        if tag == _W + "t":
            parts.append(node.text or "")
        elif tag == _W + "tab":
            parts.append("\t")
        elif tag in (_W + "br", _W + "cr") and node.get(_W + "type") != "page":
            parts.append("\n")
        elif tag == _W + "noBreakHyphen":  # Word's non-breaking hyphen: "Clichy-sous-Bois"
            parts.append("-")
        elif tag not in _NOT_THE_PARAGRAPH:
            stack.extend(reversed(node))
    return "".join(parts)


def body_blocks(parent) -> Iterator:  # type: ignore[no-untyped-def]
    """The w:p and w:tbl of a body or a cell in reading order: inside content controls (w:sdt) too, and after a
    paragraph the paragraphs and tables of its text boxes (each once: not Word's fallback copy)."""
    for child in parent.iterchildren():
        tag = child.tag
        if tag == _W + "p":
            yield child
            for box in _text_boxes(child):
                yield from body_blocks(box)
        elif tag == _W + "tbl":
            yield child
        elif tag in (_W + "sdt", _W + "sdtContent", _W + "customXml"):
            yield from body_blocks(child)


def _text_boxes(paragraph) -> Iterator:  # type: ignore[no-untyped-def]
    stack = list(reversed(paragraph))
    while stack:
        node = stack.pop()
        if node.tag == _W + "txbxContent":
            yield node
        elif node.tag not in _NOT_THE_PARAGRAPH:
            stack.extend(reversed(node))


def cell_paragraphs(cell) -> Iterator:  # type: ignore[no-untyped-def]
    """A table cell's paragraphs in reading order, those of tables inside it too."""
    for block in body_blocks(cell):
        if block.tag == _W + "p":
            yield block
        else:
            for row in block.iterchildren(_W + "tr"):
                for inner in row.iterchildren(_W + "tc"):
                    yield from cell_paragraphs(inner)


def paragraph_kind(element, styles: dict[str, str]) -> str:  # type: ignore[no-untyped-def]
    """'heading' (a Heading or Titre style, an outline level), 'item' (a list style or numbering) or 'text'."""
    properties = element.find(_W + "pPr")
    style = ""
    if properties is not None:
        style_element = properties.find(_W + "pStyle")
        if style_element is not None:
            style_id = style_element.get(_W + "val") or ""
            style = styles.get(style_id, style_id)
        if properties.find(_W + "outlineLvl") is not None:
            return "heading"
    folded = style.casefold()
    if folded.startswith(("heading", "titre", "title")):
        return "heading"
    if properties is not None and properties.find(_W + "numPr") is not None:
        return "item"
    if folded.startswith(("list", "liste")) or "bullet" in folded or "puce" in folded:
        return "item"
    return "text"


def style_names(document) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Style id -> style name: a paragraph names its style by id ('ListBullet'), numbering lives in the style."""
    names = {}
    for style in document.styles.element.iterchildren(_W + "style"):
        style_id = style.get(_W + "styleId")
        name = style.find(_W + "name")
        if style_id:
            names[style_id] = name.get(_W + "val") if name is not None else style_id
    return names


def _breaks(element) -> int:  # type: ignore[no-untyped-def]
    count = 0
    for node in element.iter(_W + "br", _W + "lastRenderedPageBreak", _W + "pageBreakBefore"):
        if node.tag != _W + "br" or node.get(_W + "type") == "page":
            count += 1
    return count


def _read_word(path: Path, stream: BinaryIO) -> Document:
    document = open_word(path, stream=stream)
    try:
        return _word_paragraphs(path, document)
    except Exception as error:
        if (problem := word_structure_error(path, error)) is None:
            raise
        raise problem from None


def _word_paragraphs(path: Path, document) -> Document:  # type: ignore[no-untyped-def]
    styles = style_names(document)
    paragraphs: list[Paragraph] = []
    margins: list[Paragraph] = []
    seen: set[str] = set()
    for section in document.sections:
        for part in (section.header, section.footer):
            if part.is_linked_to_previous and section is not document.sections[0]:
                continue
            for element in part._element.iter(_W + "p"):
                text = " ".join(paragraph_text(element).split())
                if text and text not in seen:
                    seen.add(text)
                    margins.append(Paragraph(text, 0, "margin"))
    page = 1
    for child in body_blocks(document.element.body):
        if child.tag == _W + "p":
            page += _breaks(child)
            text = " ".join(paragraph_text(child).split())
            if not text:
                continue
            kind = paragraph_kind(child, styles)
            if kind == "text" and is_heading(text):
                kind = "heading"
            paragraphs.append(Paragraph(text, page, kind))
        elif child.tag == _W + "tbl":
            page += _breaks(child)
            for row in child.iterchildren(_W + "tr"):
                cells = [" ".join(" ".join(paragraph_text(p) for p in cell_paragraphs(cell)).split())
                         for cell in row.iterchildren(_W + "tc")]
                cells = [cell for cell in cells if cell]
                if cells:
                    paragraphs.append(Paragraph("  ".join(dict.fromkeys(cells)), page, "row"))
    return Document(path, "Word", page, tuple(margins + paragraphs))
