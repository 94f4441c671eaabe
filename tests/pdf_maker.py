"""Write small PDFs by hand, for tests and bench/bench_pdf.py: text placed where a real RC puts it.

A page is a list of (x, y, text, size) runs in Helvetica (WinAnsi, so French accents are kept),
written to the content stream in the order given: a two-column page can be written line by line
across both columns, as some generators do, to see which reader puts the text back in order.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path

Run = tuple[float, float, str, float]  # x, y (from the bottom), text, font size
PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points


def _escape(text: str) -> bytes:
    # A U+FFFD is written as a byte WinAnsi leaves undefined: readers give it back as U+FFFD, a broken accent.
    data = b"\x81".join(part.encode("cp1252", errors="replace") for part in text.split("\ufffd"))
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _content(runs: Sequence[Run]) -> bytes:
    parts = []
    for x, y, text, size in runs:
        parts.append(b"BT /F1 %d Tf %.1f %.1f Td (" % (size, x, y) + _escape(text) + b") Tj ET")
    return b"\n".join(parts)


def write_pdf(path: Path, pages: Sequence[Sequence[Run] | None | bytes], compress: bool = True,
              encrypted: bool = False) -> Path:
    """Write pages of runs to path; a page given as None is a scan: one grey image, no text; a page given as
    bytes is its content stream, already deflated (a PDF bomb).

    encrypted: the trailer names a standard security handler whose user password is not empty, as
    a PDF protected by a password to open it is (the content itself is left plain: no reader gets that far).
    """
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below, once the page tree's number is known
    pages_number = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    kids = []
    for page in pages:
        resources = b"<< /Font << /F1 %d 0 R >> >>" % font
        if page is None:
            pixels = zlib.compress(bytes([128]) * (100 * 100))
            image = add(b"<< /Type /XObject /Subtype /Image /Width 100 /Height 100 /ColorSpace /DeviceGray "
                        b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % len(pixels)
                        + pixels + b"\nendstream")
            resources = b"<< /XObject << /Im1 %d 0 R >> >>" % image
            stream = b"q 500 0 0 700 40 60 cm /Im1 Do Q"
        elif isinstance(page, bytes):
            stream = b""
        else:
            stream = _content(page)
        if isinstance(page, bytes):
            content = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(page) + page + b"\nendstream")
        elif compress:
            data = zlib.compress(stream)
            content = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream")
        else:
            content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Resources %s /Contents %d 0 R >>"
                        % (pages_number, PAGE_WIDTH, PAGE_HEIGHT, resources, content)))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_number
    objects[pages_number - 1] = (b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % kid for kid in kids)
                                 + b"] /Count %d >>" % len(kids))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    extra = b""
    if encrypted:
        extra = (b" /Encrypt << /Filter /Standard /V 1 /R 2 /O <" + b"ab" * 32 + b"> /U <" + b"cd" * 32
                 + b"> /P -4 >> /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>]")
    out += b"trailer\n<< /Size %d /Root %d 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, catalog, extra, xref)
    path.write_bytes(bytes(out))
    return path


def text_page(lines: Sequence[str], header: str | None = None, footer: str | None = None,
              top: float = 780, size: float = 10, left: float = 56) -> list[Run]:
    """One column of lines, with a running header and footer."""
    runs: list[Run] = []
    if header:
        runs.append((left, 810, header, 8))
    for number, line in enumerate(lines):
        runs.append((left, top - number * (size + 4), line, size))
    if footer:
        runs.append((left, 30, footer, 8))
    return runs


def two_column_page(left_lines: Sequence[str], right_lines: Sequence[str], header: str | None = None,
                    footer: str | None = None, interleaved: bool = True) -> list[Run]:
    """Two columns; interleaved writes line 1 of the left column, then line 1 of the right, and so on."""
    runs: list[Run] = []
    if header:
        runs.append((56, 810, header, 8))
    left = [(56, 780 - number * 14, line, 10) for number, line in enumerate(left_lines)]
    right = [(310, 780 - number * 14, line, 10) for number, line in enumerate(right_lines)]
    if interleaved:
        for number in range(max(len(left), len(right))):
            runs += left[number:number + 1] + right[number:number + 1]
    else:
        runs += left + right
    if footer:
        runs.append((56, 30, footer, 8))
    return runs
