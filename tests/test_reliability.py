"""The bad-input battery: one case per row, each with its exact exit code, a one-line message on
stderr naming the file and the field, no traceback, and no file created or changed.

docs/reliability.md lists these cases; test_the_docs_count_the_cases keeps the count true.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from refcli.cli.commands import app
from tests.conftest import MINIMAL_RECORD, ROOT, SHIPPED_COMPONENTS, SHIPPED_MISSIONS, TEMPLATE

IDS = "antony-point-etape-psl,neuilly-sur-marne-amo-concertation"


@dataclass
class World:
    """A temporary workspace: a copy of the shipped library, a place for tenders, templates and annexes."""

    root: Path

    @property
    def missions(self) -> Path:
        return self.root / "data" / "missions"

    def record(self, name: str, content: str | bytes) -> Path:
        path = self.missions / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return path

    def file(self, name: str, content: str | bytes) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return path


@dataclass
class Case:
    name: str
    setup: Callable[[World], list[str]]  # returns the command line, after writing its inputs
    exit_code: int
    message: Callable[[World], list[str]]  # what the one stderr line must hold (file, field, reason)
    stderr_lines: int = 1  # the number of lines stderr must have


def snapshot(root: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            files[str(path.relative_to(root))] = path.read_bytes()
    return files


def record_with(old: str, new: str, record_id: str = "bad") -> str:
    text = MINIMAL_RECORD.replace('"minimal"', f'"{record_id}"')
    assert old in text
    return text.replace(old, new, 1)


def listing(world: World, name: str, content: str | bytes) -> list[str]:
    """Write one bad record into the library and list the library: the record is skipped with a warning."""
    world.record(name, content)
    return ["list", "--json", "--data", str(world.missions)]


def docx_bytes(build: Callable[[zipfile.ZipFile], None]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        build(archive)
    return buffer.getvalue()


def template_without_styles(world: World) -> Path:
    import docx

    path = world.root / "plain.docx"
    docx.Document().save(path)
    return path


def template_with_macros(world: World) -> Path:
    path = world.root / "macros.docx"
    with zipfile.ZipFile(TEMPLATE) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro")
    return path


def build(world: World, *extra: str, out: str = "out/annexe.docx") -> list[str]:
    (world.root / "out").mkdir(exist_ok=True)
    return ["build-bid", "--ids", IDS, "--out", str(world.root / out), "--data", str(world.missions), *extra]


def search_with_tender(world: World, text: str | bytes) -> list[str]:
    tender = world.file("tender.toml", text)
    return ["search", "--tender", str(tender), "--data", str(world.missions)]


def skipped(world: World, name: str, key: str) -> list[str]:
    return [f"warning: skipped {world.missions / name}", key]


TENDER = 'title = "AMO concertation"\nkeywords = ["concertation"]\n'


def recorded(world: World, edit: Callable[[str], str] | None = None) -> Path:
    """Build an annex of the shipped library in world/rec, and return its selection record (edited if asked)."""
    (world.root / "rec").mkdir(exist_ok=True)
    result = CliRunner().invoke(app, ["build-bid", "-q", "--ids", IDS, "--out", str(world.root / "rec" / "annexe.docx"),
                                      "--data", str(world.missions)])
    assert result.exit_code == 0, result.stderr
    path = world.root / "rec" / "annexe.refcli.toml"
    if edit is not None:
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return path


def rebuild(world: World, record: Path, *extra: str) -> list[str]:
    (world.root / "out").mkdir(exist_ok=True)
    return ["build-bid", "--from", str(record), "--out", str(world.root / "out" / "again.docx"), *extra]


def edit_record(world: World, name: str, old: str, new: str) -> None:
    path = world.missions / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def big_sparse_record(world: World) -> list[str]:
    """A 54 MB record (sparse: no disk used): refused by its size before a byte is read."""
    with open(world.missions / "big.toml", "wb") as file:
        file.truncate(54_000_000)
    return ["list", "--json", "--data", str(world.missions)]


def components_with(world: World, text: str) -> list[str]:
    world.file("data/components.toml", SHIPPED_COMPONENTS.read_text(encoding="utf-8") + text)
    return ["list", "--data", str(world.missions)]


NOT_UTF8_NAME = os.fsdecode(b"caf\xe9.toml")
DEEP = "[" * 1000 + "]" * 1000
THREE_YEARS = TENDER + "references = 2\ndate = 2026-11-21\n[window]\nyears = 3\n"
def template_copy(world: World, name: str) -> Path:
    """The firm's template, copied where a user keeps it."""
    path = world.root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(TEMPLATE, path)
    return path


def linked(world: World, name: str, target: Path, hard: bool = False) -> Path:
    path = world.root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    (os.link if hard else os.symlink)(target, path)
    return path


def claimed_sizes(data: bytes, part: str, size: int) -> bytes:
    """A zip whose directory says part unpacks to size bytes (a zip bomb declares gigabytes)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert part in archive.namelist()
    changed = bytearray(data)
    start = 0
    while (start := changed.find(b"PK\x01\x02", start)) != -1:  # each central directory entry
        name_length = int.from_bytes(changed[start + 28:start + 30], "little")
        if changed[start + 46:start + 46 + name_length] == part.encode():
            changed[start + 24:start + 28] = size.to_bytes(4, "little")
        start += 46
    return bytes(changed)


def encrypted_word_file() -> bytes:
    """What Word writes for a .docx saved with a password: an OLE compound file (a .doc's container) whose
    streams are EncryptionInfo and EncryptedPackage (MS-OFFCRYPTO), laid out sector by sector."""
    import struct

    header = bytearray(b"\xff" * 512)
    header[:76] = bytes(76)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)  # version 3, 512-byte sectors
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    struct.pack_into("<I", header, 76, 0)  # the FAT is sector 0
    fat = bytearray(b"\xff" * 512)
    struct.pack_into("<III", fat, 0, 0xFFFFFFFD, 0xFFFFFFFE, 0xFFFFFFFE)  # FAT, directory, the package
    directory = bytearray()
    for name, kind, size in (("Root Entry", 5, 0), ("EncryptionInfo", 2, 0), ("EncryptedPackage", 2, 512)):
        entry = bytearray(128)
        encoded = (name + "\0").encode("utf-16-le")
        entry[:len(encoded)] = encoded
        struct.pack_into("<HB", entry, 64, len(encoded), kind)
        struct.pack_into("<III", entry, 68, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
        struct.pack_into("<II", entry, 116, 2 if size else 0xFFFFFFFE, size)
        directory += entry
    directory += bytes(512 - len(directory))
    return bytes(header + fat + directory + bytes(range(256)) * 2)


def word_without_body(world: World) -> Path:
    """A .docx whose XML is well-formed but not Word's: its document has no body."""
    import docx

    path = world.root / "rc.docx"
    document = docx.Document()
    document.add_paragraph("Mission de concertation")
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = data[:data.index(b"<w:body>")] + b"</w:document>"
            target.writestr(item, data)
    return path


def tender_in_folder(world: World, text_file: str) -> list[str]:
    tender = world.file("tenders/tender.toml", f'title = "AMO"\ntext_file = "{text_file}"\n')
    world.file("secret.txt", "concertation confidentielle")
    return ["search", "--json", "--tender", str(tender), "--data", str(world.missions)]


BAD_INFERRED = (MINIMAL_RECORD.replace('"minimal"', '"bad"')
                + '\n[site]\ncity = "X"\n\n[inferred]\n"site.cty" = "guessed"\n')

CASES = [
    # --- records: skipped with a one-line warning by every command but validate -------------------
    Case("record: TOML syntax error", lambda w: listing(w, "bad.toml", 'id = "bad"\ntitle = \n'), 0,
         lambda w: [f"{w.missions / 'bad.toml'}:2:", "TOML syntax error"]),
    Case("record: wrong type", lambda w: listing(w, "bad.toml", record_with("start = 2020", 'start = "2020"')), 0,
         lambda w: skipped(w, "bad.toml", "period.start: expected a whole number, got a string")),
    Case("record: unknown key", lambda w: listing(w, "bad.toml", record_with("stakes =", 'stake = "x"\nstakes =')),
         0, lambda w: skipped(w, "bad.toml", "stake: unknown key; did you mean 'stakes'?")),
    Case("record: missing field", lambda w: listing(w, "bad.toml", record_with('title = "Etude urbaine minimale"\n',
                                                                              "")), 0,
         lambda w: skipped(w, "bad.toml", "title: missing required key")),
    Case("record: duplicate id", lambda w: listing(w, "zz-dup.toml", record_with('"bad"', '"antony-point-etape-psl"')),
         0, lambda w: skipped(w, "zz-dup.toml", "id: duplicate id 'antony-point-etape-psl'")),
    Case("record: non-UTF-8 bytes", lambda w: listing(w, "bad.toml", MINIMAL_RECORD.encode() + b'sources = "\xe9"\n'),
         0, lambda w: [f"{w.missions / 'bad.toml'}:14", "not UTF-8 text (byte 0xe9)"]),
    Case("record: byte-order mark", lambda w: listing(w, "bad.toml", b"\xef\xbb\xbf" + MINIMAL_RECORD.encode()), 0,
         lambda w: skipped(w, "bad.toml", "byte-order mark")),
    Case("record: empty file", lambda w: listing(w, "bad.toml", ""), 0,
         lambda w: skipped(w, "bad.toml", "the file is empty")),
    Case("record: array of tables", lambda w: listing(w, "bad.toml", '[[mission]]\nid = "x"\n'), 0,
         lambda w: skipped(w, "bad.toml", "mission: the record is an array of tables")),
    Case("record: huge text field", lambda w: listing(w, "bad.toml", record_with('"Un enjeu."',
                                                                                 '"' + "x" * 100_000 + '"')), 0,
         lambda w: skipped(w, "bad.toml", "stakes: is 100,000 characters long; the limit is 20,000")),
    Case("record: unknown component", lambda w: listing(w, "bad.toml", MINIMAL_RECORD.replace('"minimal"', '"bad"')
                                                        + "\n[components]\nconcertaion = 2\n"), 0,
         lambda w: skipped(w, "bad.toml", "components.concertaion: unknown mission component")),
    Case("record: level out of range", lambda w: listing(w, "bad.toml", MINIMAL_RECORD.replace('"minimal"', '"bad"')
                                                         + "\n[components]\ngup = 9\n"), 0,
         lambda w: skipped(w, "bad.toml", "components.gup: level must be from 1 to 5")),
    Case("record: end before start", lambda w: listing(w, "bad.toml", record_with("start = 2020",
                                                                                  "start = 2020\nend = 2019")), 0,
         lambda w: skipped(w, "bad.toml", "period.end: end year 2019 is before start year 2020")),
    Case("record: negative amount", lambda w: listing(w, "bad.toml", MINIMAL_RECORD.replace('"minimal"', '"bad"')
                                                      + "\n[amounts.fee]\nvalue = -1\n"), 0,
         lambda w: skipped(w, "bad.toml", "amounts.fee.value: must not be negative")),
    Case("record: illustration escapes the library",
         lambda w: listing(w, "bad.toml", MINIMAL_RECORD.replace('"minimal"', '"bad"')
                           + '\n[[illustrations]]\nfile = "../../../etc/passwd"\ncaption = "x"\n'), 0,
         lambda w: skipped(w, "bad.toml", "illustrations[0].file: '../../../etc/passwd' points outside")),
    Case("record: illustration absolute path",
         lambda w: listing(w, "bad.toml", MINIMAL_RECORD.replace('"minimal"', '"bad"')
                           + '\n[[illustrations]]\nfile = "/etc/passwd"\ncaption = "x"\n'), 0,
         lambda w: skipped(w, "bad.toml", "illustrations[0].file: must be a path relative")),
    Case("record: validate lists the problem and exits 1",
         lambda w: (w.record("bad.toml", record_with('kind = "public"', 'kind = "publique"')),
                    ["validate", "--quiet", "--data", str(w.missions)])[1], 1,
         lambda w: [], stderr_lines=0),
    Case("library: folder missing", lambda w: ["list", "--data", str(w.root / "nowhere")], 2,
         lambda w: [str(w.root / "nowhere"), "does not exist", "--data DIR"]),
    Case("library: no records", lambda w: (w.file("empty/readme.txt", "x"),
                                           ["list", "--data", str(w.root / "empty")])[1], 2,
         lambda w: [str(w.root / "empty"), "no mission records"]),
    Case("library: symlink loop", lambda w: (os.symlink(w.missions, w.missions / "loop"),
                                             ["list", "--json", "--data", str(w.missions)])[1], 0,
         lambda w: [], stderr_lines=0),
    Case("library: components.toml broken", lambda w: (w.file("data/components.toml", "max_level = 0\n"),
                                                       ["list", "--data", str(w.missions)])[1], 2,
         lambda w: [str(w.root / "data" / "components.toml"), "max_level"]),
    # --- tenders -----------------------------------------------------------------------------------
    Case("tender: file missing", lambda w: ["search", "--tender", str(w.root / "none.toml"),
                                            "--data", str(w.missions)], 2,
         lambda w: [str(w.root / "none.toml")]),
    Case("tender: not TOML", lambda w: search_with_tender(w, "title = AMO concertation\n"), 2,
         lambda w: [str(w.root / "tender.toml"), "TOML syntax error"]),
    Case("tender: not UTF-8", lambda w: search_with_tender(w, b'title = "caf\xe9"\n'), 2,
         lambda w: [str(w.root / "tender.toml"), "not UTF-8"]),
    Case("tender: unknown competency", lambda w: search_with_tender(w, TENDER + "[competencies]\nConcertaion = 3\n"),
         2, lambda w: [str(w.root / "tender.toml"), "Concertaion", "did you mean 'Concertation'"]),
    Case("tender: competency level out of range",
         lambda w: search_with_tender(w, TENDER + "[competencies]\nConcertation = 0\n"), 2,
         lambda w: [str(w.root / "tender.toml"), "competencies.Concertation"]),
    Case("tender: window in the future", lambda w: search_with_tender(w, TENDER + "[window]\nsince = 2099\n"), 2,
         lambda w: [str(w.root / "tender.toml"), "since", "2099"]),
    Case("tender: unknown key", lambda w: search_with_tender(w, TENDER + "refrences = 3\n"), 2,
         lambda w: [str(w.root / "tender.toml"), "refrences: unknown key"]),
    Case("tender: wrong type", lambda w: search_with_tender(w, TENDER + 'references = "three"\n'), 2,
         lambda w: [str(w.root / "tender.toml"), "references"]),
    Case("tender: is a folder", lambda w: ["search", "--tender", str(w.missions), "--data", str(w.missions)], 2,
         lambda w: [str(w.missions)]),
    Case("tender: TOML nested 1,000 deep", lambda w: search_with_tender(w, TENDER + "x = " + "[" * 1000 + "]" * 1000),
         2, lambda w: [str(w.root / "tender.toml"), "nested"]),
    Case("tender: text_file outside the tender's folder", lambda w: tender_in_folder(w, "../secret.txt"), 2,
         lambda w: [str(w.root / "tenders" / "tender.toml"), "text_file: '../secret.txt' is outside the tender's "
                    "folder", "--tender-text"]),
    Case("tender: text_file a symlink out of the tender's folder",
         lambda w: (linked(w, "tenders/rc.txt", w.root / "secret.txt"), tender_in_folder(w, "rc.txt"))[1], 2,
         lambda w: [str(w.root / "tenders" / "tender.toml"), "text_file: 'rc.txt' is outside the tender's folder"]),
    Case("tender: --tender-text over the size limit",
         lambda w: ["search", "--tender-text", str(w.file("dce.txt", b"concertation " * (2**22 // 13 + 1))),
                    "--data", str(w.missions)], 2,
         lambda w: [str(w.root / "dce.txt"), "the document is 4194307 bytes, more than refcli reads (4 MB at most)"]),
    Case("tender: --tender-text .docx whose XML is not Word's",
         lambda w: ["search", "--tender-text", str(word_without_body(w)), "--data", str(w.missions)], 2,
         lambda w: [str(w.root / "rc.docx"), "not a readable Word document (.docx): its parts are not Word's"]),
    Case("tender: --tender-text password-protected",
         lambda w: ["search", "--tender-text", str(w.file("rc.docx", encrypted_word_file())),
                    "--data", str(w.missions)], 2,
         lambda w: [str(w.root / "rc.docx"), "is password-protected: save it without a password"]),
    Case("check: unknown competency, --json", lambda w: ["check", "--json", "--data", str(w.missions), "--tender",
                                                          str(w.file("t.toml", TENDER + "[competencies]\nGUPP = 2\n"))],
         2, lambda w: [str(w.root / "t.toml"), "GUPP"]),
    Case("check: window in the future", lambda w: ["check", "--data", str(w.missions), "--tender",
                                                   str(w.file("t.toml", TENDER + "[window]\nsince = 2077\n"))], 2,
         lambda w: [str(w.root / "t.toml"), "2077"]),
    Case("check: not TOML, --json", lambda w: ["check", "--json", "--data", str(w.missions), "--tender",
                                               str(w.file("t.toml", "[[[\n"))], 2,
         lambda w: [str(w.root / "t.toml"), "TOML syntax error"]),
    Case("search: negative limit", lambda w: ["search", "concertation", "--limit", "-1", "--data", str(w.missions)],
         2, lambda w: ["--limit"]),
    Case("search: empty query", lambda w: ["search", "--data", str(w.missions)], 2, lambda w: ["query"]),
    Case("search: unknown competency", lambda w: ["search", "-c", "concertaton", "--data", str(w.missions)], 2,
         lambda w: ["concertaton", "did you mean 'Concertation'"]),
    # --- templates -----------------------------------------------------------------------------------
    Case("template: missing", lambda w: build(w, "--template", str(w.root / "none.docx")), 2,
         lambda w: [str(w.root / "none.docx"), "does not exist"]),
    Case("template: not a zip", lambda w: build(w, "--template", str(w.file("t.docx", "not a zip"))), 2,
         lambda w: [str(w.root / "t.docx"), "not a zip archive"]),
    Case("template: zip of something else",
         lambda w: build(w, "--template", str(w.file("t.docx", docx_bytes(lambda z: z.writestr("a.txt", "a"))))), 2,
         lambda w: [str(w.root / "t.docx"), "not a Word document"]),
    Case("template: .docx without the styles", lambda w: build(w, "--template", str(template_without_styles(w))), 2,
         lambda w: [str(w.root / "plain.docx"), "missing style(s) 'Ref Title'", "'Ref Facts Table'"]),
    Case("template: .docx with macros", lambda w: build(w, "--template", str(template_with_macros(w))), 2,
         lambda w: [str(w.root / "macros.docx"), "macros"]),
    Case("template: truncated .docx",
         lambda w: build(w, "--template", str(w.file("t.docx", TEMPLATE.read_bytes()[:4000]))), 2,
         lambda w: [str(w.root / "t.docx")]),
    Case("template: password-protected", lambda w: build(w, "--template", str(w.file("t.docx", encrypted_word_file()))),
         2, lambda w: [str(w.root / "t.docx"), "is password-protected: save it without a password"]),
    Case("template: .docx whose XML is not Word's", lambda w: build(w, "--template", str(word_without_body(w))), 2,
         lambda w: [str(w.root / "rc.docx"), "not a readable Word document (.docx): its parts are not Word's"]),
    Case("template: a zip bomb", lambda w: build(w, "--template", str(w.file(
        "t.docx", claimed_sizes(TEMPLATE.read_bytes(), "word/document.xml", 2**32 - 1)))), 2,
         lambda w: [str(w.root / "t.docx"), "(a zip bomb?)", "refused"]),
    # --- outputs -------------------------------------------------------------------------------------
    Case("output: exists", lambda w: (w.file("out/annexe.docx", b"previous annex"), build(w))[1], 2,
         lambda w: [str(w.root / "out" / "annexe.docx"), "exists", "--force"]),
    Case("output: folder missing", lambda w: build(w, out="missing/annexe.docx"), 2,
         lambda w: [str(w.root / "missing" / "annexe.docx"), "does not exist"]),
    Case("output: path is a directory", lambda w: (w.file("out/dir.docx/keep", "x"), build(w, out="out/dir.docx"))[1],
         2, lambda w: [str(w.root / "out" / "dir.docx"), "is a folder"]),
    Case("output: --out is the template",
         lambda w: build(w, "--template", str(template_copy(w, "out/firm.docx")), "--force", out="out/firm.docx"), 2,
         lambda w: [f"{w.root / 'out' / 'firm.docx'}: is the template", "--force or not", "another --out"]),
    Case("output: --out a symlink to the template",
         lambda w: build(w, "--template", str(template := template_copy(w, "firm.docx")), "--force",
                         out=str(linked(w, "out/link.docx", template).relative_to(w.root))), 2,
         lambda w: [f"{w.root / 'out' / 'link.docx'}: is the template"]),
    Case("output: --out a hard link to a record",
         lambda w: build(w, "--force", out=str(linked(w, "out/x.docx", w.missions / "antony-point-etape-psl.toml",
                                                      hard=True).relative_to(w.root))), 2,
         lambda w: [f"{w.root / 'out' / 'x.docx'}: is the record of antony-point-etape-psl"]),
    Case("output: --out is a record", lambda w: build(w, "--force", out="data/missions/antony-point-etape-psl.toml"),
         2, lambda w: [str(w.missions / "antony-point-etape-psl.toml"), "inside the mission library"]),
    Case("output: --out inside the library", lambda w: build(w, out="data/missions/annexe.toml"), 2,
         lambda w: [str(w.missions / "annexe.toml"), "inside the mission library", "another --out"]),
    Case("output: --out is the components vocabulary", lambda w: build(w, "--force", out="data/components.toml"), 2,
         lambda w: [f"{w.root / 'data' / 'components.toml'}: is the components vocabulary"]),
    Case("output: --out is the tender file",
         lambda w: build(w, "--tender", str(w.file("out/t.toml", TENDER)), "--force", out="out/t.toml"), 2,
         lambda w: [f"{w.root / 'out' / 't.toml'}: is the tender file"]),
    Case("output: the selection record would replace --from's",
         lambda w: ["build-bid", "--from", str(recorded(w)), "--out", str(w.root / "rec" / "annexe.docx"), "--force"],
         2, lambda w: [f"{w.root / 'rec' / 'annexe.refcli.toml'}: is the selection record of --from"]),
    Case("output: tender read --out is the document it reads",
         lambda w: ["tender", "read", str(w.file("rc.txt", "Objet de la consultation : concertation.\n")),
                    "--out", str(w.root / "rc.txt"), "--force"], 2,
         lambda w: [f"{w.root / 'rc.txt'}: is a document it reads"]),
    Case("selection: unknown id", lambda w: ["build-bid", "--ids", "antony-point-etape-psl,nowhere", "--out",
                                             str(w.root / "annexe.docx"), "--data", str(w.missions)], 2,
         lambda w: ["'nowhere'"]),
    # --- provenance, amounts, the tender's rules, selection records ----------------------------------
    Case("record: inferred key names no key", lambda w: listing(w, "bad.toml", BAD_INFERRED), 0,
         lambda w: skipped(w, "bad.toml", "inferred.site.cty: names no key of the record ('site.cty'); "
                           "did you mean 'site.city'?")),
    Case("record: inferred key, build-bid --ids", lambda w: (w.record("bad.toml", BAD_INFERRED),
                                                          ["build-bid", "--ids", "bad", "--out",
                                                           str(w.root / "annexe.docx"), "--data", str(w.missions)])[1],
         2,
         lambda w: [str(w.missions / "bad.toml"), "inferred.site.cty", "the record of 'bad' is left out"],
         stderr_lines=2),
    Case("record: basis outside the allowed words",
         lambda w: listing(w, "bad.toml", MINIMAL_RECORD.replace('"minimal"', '"bad"')
                           + '\n[amounts.fee]\nvalue = 5\nbasis = "TF"\n'), 0,
         lambda w: skipped(w, "bad.toml", 'amounts.fee.basis: "TF" is the tranche ferme')),
    Case("build-bid: too few references inside the window",
         lambda w: ["build-bid", "--tender", str(w.file("t.toml", THREE_YEARS)), "--out",
                    str(w.root / "annexe.docx"), "--data", str(w.missions)], 1,
         lambda w: ["2 reference(s) asked, that ended in 2023 or later", "0 qualify",
                    "est-ensemble-amo-npru (ended 2021)", "nothing written", "--allow-outside-window"]),
    Case("build-bid: --ids outside the window", lambda w: build(w, "--years", "3"), 1,
         lambda w: ["--ids: outside the window", "antony-point-etape-psl (ended 2012)", "nothing written"]),
    Case("build-bid: --ids of another client kind", lambda w: build(w, "--client", "private"), 1,
         lambda w: ["--ids: private clients asked; not one", "antony-point-etape-psl"]),
    Case("selection record: not TOML", lambda w: rebuild(w, w.file("rec/x.refcli.toml", "format = [\n")), 2,
         lambda w: [str(w.root / "rec" / "x.refcli.toml"), "not a selection record: not TOML"]),
    Case("selection record: from another refcli version",
         lambda w: rebuild(w, recorded(w, lambda text: text.replace('refcli = "', 'refcli = "0.0.0-', 1))), 2,
         lambda w: [str(w.root / "rec" / "annexe.refcli.toml"), "refcli: written by refcli 0.0.0-"]),
    Case("selection record: edited by hand",
         lambda w: rebuild(w, recorded(w, lambda text: text.replace('id = "antony', 'id = "bagneux', 1))), 2,
         lambda w: [str(w.root / "rec" / "annexe.refcli.toml"), "checksum: the file was changed"]),
    Case("selection record: names a record that no longer exists",
         lambda w: (record := recorded(w), (w.missions / "antony-point-etape-psl.toml").unlink(),
                    rebuild(w, record))[2], 2,
         lambda w: [str(w.root / "rec" / "annexe.refcli.toml"), "'antony-point-etape-psl'", "no longer exists"]),
    Case("selection record: a record changed since",
         lambda w: (record := recorded(w), edit_record(w, "antony-point-etape-psl.toml", "conseil = 4", "conseil = 3"),
                    rebuild(w, record))[2], 1,
         lambda w: [str(w.root / "rec" / "annexe.refcli.toml"), "changed since the annex was written",
                    "antony-point-etape-psl", "--use-current"]),
    Case("selection record: check --from, not TOML",
         lambda w: ["check", "--json", "--from", str(w.file("rec/x.refcli.toml", "[[[\n"))], 2,
         lambda w: [str(w.root / "rec" / "x.refcli.toml"), "not TOML"]),
    # --- limits and hostile files (issue 18) ----------------------------------------------------------
    Case("record: larger than the size limit", big_sparse_record, 0,
         lambda w: [f"skipped {w.missions / 'big.toml'}: the file is 54,000,000 bytes; "
                    "a record is at most 1,000,000 bytes"]),
    Case("record: nested too deep", lambda w: listing(w, "bad.toml", MINIMAL_RECORD + f"sources = {DEEP}\n"), 0,
         lambda w: skipped(w, "bad.toml", "TOML syntax error: nested more than 80 levels deep")),
    Case("record: too many keys", lambda w: listing(w, "bad.toml", record_with("[client]", "".join(
        f"key{number} = 1\n" for number in range(600)) + "[client]")), 0,
         lambda w: skipped(w, "bad.toml", "bad.toml: holds 608 keys; the limit is 500")),
    Case("record: number beyond 64 bits", lambda w: listing(w, "bad.toml", MINIMAL_RECORD.replace('"minimal"', '"bad"')
                                                            + "\n[amounts.fee]\nvalue = 1" + "0" * 400 + "\n"), 0,
         lambda w: skipped(w, "bad.toml", "amounts.fee.value: must be at most 1,000,000,000,000 "
                           "(got a number of 401 digits)")),
    Case("record: file name not UTF-8", lambda w: listing(w, NOT_UTF8_NAME, MINIMAL_RECORD.replace('"minimal"', '"b"')),
         0, lambda w: [f"warning: skipped {w.missions}/caf\\xe9.toml: the file name is not UTF-8 text"]),
    Case("library: --data empty", lambda w: ["list", "--data", ""], 2,
         lambda w: ["--data: an empty folder name"]),
    Case("library: --cache-dir empty", lambda w: ["list", "--cache-dir", ""], 2,
         lambda w: ["--cache-dir: an empty folder name"]),
    Case("library: components.toml names an id twice",
         lambda w: components_with(w, '\n[[component]]\nid = "gup"\nlabel = "Encore la GUP"\n'), 2,
         lambda w: [f"{w.root / 'data' / 'components.toml'}: component[", "].id: 'gup' is the id of an earlier"]),
    Case("library: components.toml nested too deep", lambda w: components_with(w, f"deep = {DEEP}\n"), 2,
         lambda w: [str(w.root / "data" / "components.toml"), "nested more than 80 levels deep"]),
    Case("check: --ids unknown id", lambda w: ["check", "--ids", "antony-point-etape-psl,nowhere",
                                               "--data", str(w.missions)], 2,
         lambda w: [str(w.missions), "no mission with id 'nowhere'"]),
]


@pytest.fixture
def world(tmp_path: Path) -> World:
    shutil.copytree(SHIPPED_MISSIONS, tmp_path / "data" / "missions")
    shutil.copy(SHIPPED_COMPONENTS, tmp_path / "data" / "components.toml")
    shutil.copy(ROOT / "data" / "glossary.toml", tmp_path / "data" / "glossary.toml")
    return World(tmp_path)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input(case: Case, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(world.root)
    arguments = case.setup(world)
    before = snapshot(world.root)
    result = CliRunner().invoke(app, arguments)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.exit_code == case.exit_code, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == case.stderr_lines, lines
    for fragment in case.message(world):
        assert fragment in result.stderr, (fragment, result.stderr)
    assert snapshot(world.root) == before, "a file was created or changed"
    if "--json" in arguments and case.exit_code == 2:
        assert result.stdout == "", "never a JSON document with half its fields"


def test_the_docs_count_the_cases() -> None:
    page = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    count = len(CASES) + len(EXTRA_CASES)
    assert f"**{count} cases**" in page, f"docs/reliability.md should say **{count} cases**"
    for name in [case.name for case in CASES] + EXTRA_CASES:
        assert f"| {name} |" in page, f"{name} is missing from the table of docs/reliability.md"


# The cases below need more than a command line; each is a test of its own.
EXTRA_CASES = [
    "library: 5,000 files with one bad file",
    "output: read-only folder",
    "output: disk full",
    "interrupt: build killed mid-write",
    "record: a FIFO or other special file named .toml",
    "library: a sub-folder that cannot be read",
    "cache: an edit that keeps size and mtime, within 3 s of the cache's read (racy)",
    "output: the reader stops early (`\\| head -1`)",  # tests/cli/test_cli.py
    "cache: a record unreadable once, readable again",
    "cache: leftovers of a killed build",
    "interrupt: search killed, its workers die with it",
]


def test_library_of_5000_files_with_one_bad_file(tmp_path: Path) -> None:
    missions = tmp_path / "data" / "missions"
    missions.mkdir(parents=True)
    shutil.copy(SHIPPED_COMPONENTS, tmp_path / "data" / "components.toml")
    for number in range(5000):
        record_id = f"mission-{number:04d}"
        (missions / f"{record_id}.toml").write_text(MINIMAL_RECORD.replace('"minimal"', f'"{record_id}"'),
                                                    encoding="utf-8")
    bad = missions / "mission-2718.toml"
    bad.write_text(bad.read_text(encoding="utf-8").replace("start = 2020", "start = 2020\nend = 1999"),
                   encoding="utf-8")
    before = snapshot(tmp_path)
    result = CliRunner().invoke(app, ["list", "--json", "--data", str(missions)])
    assert result.exit_code == 0
    import json

    assert len(json.loads(result.stdout)["missions"]) == 4999
    [line] = result.stderr.splitlines()
    assert f"warning: skipped {bad}: period.end: end year 1999 is before start year 2020" in line
    validate = CliRunner().invoke(app, ["validate", "--data", str(missions)])
    assert validate.exit_code == 1
    assert validate.stdout.splitlines() == [f"{bad}: period.end: end year 1999 is before start year 2020"]
    assert snapshot(tmp_path) == before


def test_output_read_only_folder(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root in CI, where chmod cannot make a folder read-only: the OS's answer is simulated.
    import refcli.write

    (world.root / "out").mkdir()
    real_access = os.access
    monkeypatch.setattr(refcli.write.os, "access",
                        lambda path, mode: False if Path(path) == world.root / "out" else real_access(path, mode))
    before = snapshot(world.root)
    result = CliRunner().invoke(app, build(world))
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert f"{world.root / 'out' / 'annexe.docx'}: the folder {world.root / 'out'} is not writable" in line
    assert snapshot(world.root) == before


def test_output_read_only_folder_found_only_when_writing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import tempfile

    import refcli.write

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    (world.root / "out").mkdir()
    monkeypatch.setattr(refcli.write.tempfile, "mkstemp", refuse)
    before = snapshot(world.root)
    result = CliRunner().invoke(app, build(world, "--quiet"))
    monkeypatch.setattr(refcli.write.tempfile, "mkstemp", tempfile.mkstemp)
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert f"{world.root / 'out' / 'annexe.docx'}: cannot write in {world.root / 'out'}: permission denied" in line
    assert snapshot(world.root) == before


def test_output_disk_full(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import refcli.write

    def full(descriptor: int) -> None:  # the annex's bytes went to the page cache; the disk has no room for them
        raise OSError(errno.ENOSPC, "No space left on device")

    previous = world.file("out/annexe.docx", b"the previous annex")
    monkeypatch.setattr(refcli.write.os, "fsync", full)
    before = snapshot(world.root)
    result = CliRunner().invoke(app, build(world, "--force", "--quiet"))
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert f"{previous}: cannot write the file: no space left on the disk" in line
    assert snapshot(world.root) == before  # the previous annex intact, no temporary file left


KILLED_BUILD = """
import sys, time
import refcli.write
def slow_fsync(descriptor):  # the annex's bytes written to its temporary file, not yet on disk: killed there
    time.sleep(60)
refcli.write.os.fsync = slow_fsync
from refcli.cli.commands import main
sys.argv = ["refcli"] + sys.argv[1:]
main()
"""


def test_interrupt_build_killed_mid_write(world: World) -> None:
    import signal
    import subprocess
    import sys
    import time

    import docx

    first = CliRunner().invoke(app, build(world))
    assert first.exit_code == 0, first.stderr
    annex = world.root / "out" / "annexe.docx"
    previous = annex.read_bytes()
    process = subprocess.Popen([sys.executable, "-c", KILLED_BUILD, *build(world, "--force")[0:],
                                ], cwd=world.root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list((world.root / "out").glob(".annexe.docx.*.tmp")):
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "the build never started writing"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stderr.close()
    assert annex.read_bytes() == previous
    assert len(docx.Document(annex).paragraphs) > 0  # still a Word document that opens


def test_the_template_xml_is_parsed_without_resolving_external_entities(world: World) -> None:
    """A template whose document.xml declares an external entity cannot pull a file into the annex."""
    secret = world.file("secret.txt", "TOP-SECRET-CONTENT")
    template = world.root / "xxe.docx"
    with zipfile.ZipFile(TEMPLATE) as source, zipfile.ZipFile(template, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                declaration = f'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file://{secret}">]>'.encode()
                data = data.replace(b"?>", b"?>" + declaration, 1).replace(b"{{ANNEXE_REFERENCES}}", b"&xxe;")
            target.writestr(item, data)
    result = CliRunner().invoke(app, build(world, "--template", str(template), "--quiet"))
    annex = world.root / "out" / "annexe.docx"
    if result.exit_code == 0:
        with zipfile.ZipFile(annex) as archive:
            for name in archive.namelist():
                assert b"TOP-SECRET-CONTENT" not in archive.read(name), name
    else:
        assert result.exit_code == 2 and "Traceback" not in result.output and not annex.exists()


def test_a_fifo_named_toml_is_skipped_never_opened_for_reading(world: World) -> None:
    import subprocess
    import sys

    fifo = world.missions / "pipe.toml"
    os.mkfifo(fifo)
    environment = {**os.environ, "REFCLI_CACHE_DIR": str(world.root / "cache")}
    for arguments, code in ((["validate"], 1), (["search", "concertation"], 0),
                            (["search", "concertation", "--no-cache"], 0), (["list"], 0)):
        result = subprocess.run([sys.executable, "-m", "refcli", *arguments, "--data", str(world.missions)],
                                capture_output=True, text=True, timeout=60, cwd=ROOT, env=environment)
        assert result.returncode == code, (arguments, result.stderr)
        assert "Traceback" not in result.stderr
        message = f"{fifo}: is a named pipe (FIFO), not a record file; remove it or rename it"
        assert message in (result.stdout if arguments == ["validate"] else result.stderr), (arguments, result)
    new = subprocess.run([sys.executable, "-m", "refcli", "new", "--dry-run", "--title", "Etude test", "--client",
                          "Ville de X", "--client-kind", "public", "--start", "2020", "--mission-type", "Etude",
                          "--role", "titulaire", "--stakes", "Un enjeu.", "--content", "Un contenu.",
                          "--data", str(world.missions)], capture_output=True, text=True, timeout=60, cwd=ROOT,
                         env=environment)  # new reads every record's id, to refuse a taken one
    assert new.returncode == 0 and 'title = "Etude test"' in new.stdout, new.stderr


def test_a_sub_folder_that_cannot_be_read_is_a_problem_of_the_library(world: World,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root, whom chmod 000 does not stop: the OS's answer to listing the folder is simulated.
    import errno

    locked = world.missions / "archives"
    locked.mkdir()
    (locked / "old.toml").write_text(MINIMAL_RECORD, encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path=".", *args):
        if os.fspath(path) == str(locked):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_scandir(path, *args)

    monkeypatch.setattr(os, "scandir", scandir)
    message = f"{locked}: cannot read the folder: permission denied; its records are left out"
    for arguments in (["list"], ["search", "concertation", "--no-cache"], ["search", "concertation"]):
        result = CliRunner().invoke(app, [*arguments, "--data", str(world.missions)])
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert result.exit_code == 0, (arguments, result.stderr)
        [line] = [line for line in result.stderr.splitlines() if "skipped" in line]  # the shipped levels: said too
        assert f"warning: skipped {message}" in line
    validate = CliRunner().invoke(app, ["validate", "--data", str(world.missions)])
    assert validate.exit_code == 1
    assert message in validate.stdout
    locked = world.missions  # the library folder itself: nothing to serve, exit 2
    for arguments in (["list"], ["search", "concertation", "--no-cache"], ["validate"]):
        result = CliRunner().invoke(app, [*arguments, "--data", str(world.missions)])
        assert result.exit_code == 2, (arguments, result.stderr, result.exception)
        assert result.stderr == f"error: {locked}: cannot read the mission library folder: permission denied\n"


def test_the_cache_sees_an_edit_that_keeps_size_and_mtime(world: World) -> None:
    """Git's "racy" entries: a file modified shortly before the cache read it is checked by its content."""
    path = world.record("racy.toml", record_with('"Etude urbaine minimale"', '"Etude urbaine AAAAAAAA"', "racy"))
    shown = CliRunner().invoke(app, ["show", "racy", "--data", str(world.missions)])
    assert "Etude urbaine AAAAAAAA" in shown.stdout, shown.stderr
    before = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace("AAAAAAAA", "BBBBBBBB"), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # as a tool that restores mtimes, or a coarse tick
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    shown = CliRunner().invoke(app, ["show", "racy", "--data", str(world.missions)])
    assert "Etude urbaine BBBBBBBB" in shown.stdout, shown.stderr
    searched = CliRunner().invoke(app, ["search", "BBBBBBBB", "--json", "--data", str(world.missions)])
    assert '"racy"' in searched.stdout, searched.stderr


def test_the_cache_sees_an_edit_that_keeps_size_and_mtime_when_another_file_changes_too(world: World) -> None:
    # The update for the other file used to skip the content check of the racy one, for that run.
    path = world.record("racy.toml", record_with('"Etude urbaine minimale"', '"Etude urbaine AAAAAAAA"', "racy"))
    other = world.record("other.toml", record_with('"Etude urbaine minimale"', '"Etude urbaine autre"', "other"))
    shown = CliRunner().invoke(app, ["show", "racy", "--data", str(world.missions)])
    assert "Etude urbaine AAAAAAAA" in shown.stdout, shown.stderr
    before = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace("AAAAAAAA", "BBBBBBBB"), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    other.write_text(other.read_text(encoding="utf-8") + "\n# another size\n", encoding="utf-8")
    shown = CliRunner().invoke(app, ["show", "racy", "--data", str(world.missions)])
    assert "Etude urbaine BBBBBBBB" in shown.stdout, shown.stderr


def test_the_cache_forgets_a_record_it_could_not_read(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # chmod 000 does not stop root: the refusal of the read is simulated where the file is opened.
    import errno

    path = world.record("locked.toml", MINIMAL_RECORD.replace('"minimal"', '"locked"'))
    real_open = os.open

    def refuse(file, flags, *args, **kwargs):
        if os.fspath(file) == str(path):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(file))
        return real_open(file, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    first = CliRunner().invoke(app, ["show", "locked", "--data", str(world.missions)])
    assert first.exit_code == 2
    assert f"skipped {path}: cannot read the file: permission denied" in first.stderr
    monkeypatch.setattr(os, "open", real_open)  # the permission is fixed; the file's size and mtime are the same
    again = CliRunner().invoke(app, ["show", "locked", "--data", str(world.missions)])
    assert again.exit_code == 0, again.stderr
    assert again.stderr == ""


def test_the_cache_removes_the_leftovers_of_a_killed_build(world: World, cache_dir: Path) -> None:
    import time

    from refcli.search.cache import cache_file

    key = cache_file(world.missions, cache_dir).name
    stale = [cache_dir / f"{key}.k3j_9x2a.tmp", cache_dir / f"{key}.k3j_9x2a.tmp-journal"]
    fresh = cache_dir / f"{key}.u8vw1b0q.tmp"  # a build writing now, in another process
    foreign = cache_dir / "notes.tmp"  # not the cache's: never touched
    old = time.time_ns() - 3600 * 10**9  # an hour ago: older than the 5 minutes a leftover is given
    for path in [*stale, fresh, foreign]:
        path.write_bytes(b"SQLite format 3\0")
        if path != fresh:
            os.utime(path, ns=(old, old))
    result = CliRunner().invoke(app, ["list", "--data", str(world.missions)])
    assert result.exit_code == 0, result.stderr
    assert not any(path.exists() for path in stale)
    assert fresh.exists() and foreign.exists()
    assert (cache_dir / key).is_file()


SLOW_WORKERS = """
import sys, time
import refcli.records.library as library
def slow_chunk(options, files):
    print("worker", flush=True)
    time.sleep(120)
library._read_rows_chunk = slow_chunk
library._cores = lambda: 2  # the pool even on a machine of one core
from refcli.cli.commands import main
sys.argv = ["refcli"] + sys.argv[1:]
main()
"""


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to find the workers")
def test_search_killed_its_workers_die_with_it(tmp_path: Path) -> None:
    """SIGKILL, as the OOM killer sends it: the worker processes reading the files must not live on."""
    import signal
    import subprocess
    import sys
    import time

    from refcli.records.library import PARALLEL_FROM

    missions = tmp_path / "missions"
    missions.mkdir()
    shutil.copy(SHIPPED_COMPONENTS, tmp_path / "components.toml")
    for number in range(PARALLEL_FROM + 10):
        (missions / f"m{number:04d}.toml").write_text(MINIMAL_RECORD.replace('"minimal"', f'"m{number:04d}"'),
                                                      encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-c", SLOW_WORKERS, "search", "concertation", "--no-cache",
                                "--data", str(missions)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    workers: set[int] = set()
    try:
        assert process.stdout is not None
        assert b"worker" in process.stdout.readline(), "the search ended before its workers read a file"
        deadline = time.monotonic() + 30
        while len(workers) < 2 and time.monotonic() < deadline:
            workers = _children(process.pid)
            time.sleep(0.05)
        assert workers, "no worker process started"
        process.send_signal(signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 5
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in workers), "a worker outlived its parent"
    finally:
        for pid in workers:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        process.kill()
        process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


EXTRA_CASES += [
    "input: a named pipe or a device as any input file",
    "input: a .docx whose parts unpack to more than they declare",
    "interrupt: Ctrl-C, SIGTERM or SIGHUP while the annex is written",
    "output: standard output closed",
    "output: standard output on a full disk",
    "input: standard input closed",
    "output: a terminal 10 columns wide",
    "output: an argument or a file name that is not UTF-8",
]


def _fifo(world: World, name: str) -> str:
    path = world.root / name
    os.mkfifo(path)
    return str(path)


NON_REGULAR_INPUTS = {
    "--tender": lambda w: ["search", "--tender", _fifo(w, "t.toml"), "--data", str(w.missions)],
    "--tender-text": lambda w: ["search", "--tender-text", _fifo(w, "rc.pdf"), "--data", str(w.missions)],
    "--template": lambda w: build(w, "--template", _fifo(w, "firm.docx")),
    "tender read": lambda w: ["tender", "read", _fifo(w, "rc.txt")],
    "import": lambda w: ["import", _fifo(w, "fiche.docx"), "--dry-run", "--data", str(w.missions)],
    "--from": lambda w: ["build-bid", "--from", _fifo(w, "a.refcli.toml"), "--out", str(w.root / "a.docx")],
    "a device behind a symlink": lambda w: ["search", "--tender-text", str(linked(w, "zero.txt", Path("/dev/zero"))),
                                            "--data", str(w.missions)],
}


@pytest.mark.parametrize("option", NON_REGULAR_INPUTS)
def test_a_named_pipe_or_a_device_as_any_input_file(option: str, world: World,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    monkeypatch.chdir(world.root)
    arguments = NON_REGULAR_INPUTS[option](world)

    def hung(number, frame):
        raise AssertionError(f"{option}: refcli waits on the pipe")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(20)
    try:
        result = CliRunner().invoke(app, arguments)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == (1 if option == "import" else 2), result.stderr
    kind = "a character device" if "device" in option else "a named pipe (FIFO)"
    assert f"is {kind}, not a regular file" in result.stderr
    if option != "import":  # import reports each file on lines of its own
        [line] = result.stderr.splitlines()
        assert arguments[arguments.index(option) + 1 if option.startswith("--") else 2].split("/")[-1] in line


@pytest.mark.parametrize("reader", ["template", "--tender-text", "import"])
def test_a_docx_whose_parts_unpack_to_more_than_they_declare(reader: str, world: World) -> None:
    """A bomb that lies about its sizes: what is really unpacked is bounded too, not only what is declared."""
    import tracemalloc

    from refcli.annex.template import open_template
    from refcli.authoring.fiche import FicheReadError, read_fiche_text
    from refcli.errors import UserError
    from refcli.search.documents import read_document

    buffer = io.BytesIO()
    with zipfile.ZipFile(TEMPLATE) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"</w:body>", b" " * 64 * 2**20 + b"</w:body>")  # 64 MB, some 64 KB packed
            target.writestr(item.filename, data)
    path = world.file("bomb.docx", claimed_sizes(buffer.getvalue(), "word/document.xml", 100_000))
    read = {"template": open_template, "--tender-text": read_document, "import": read_fiche_text}[reader]
    tracemalloc.start()
    with pytest.raises((UserError, FicheReadError), match="Bad CRC-32"):
        read(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 16 * 2**20, f"{peak // 2**20} MB unpacked"


SLOW_BUILD = """
import signal, sys, time
# Ctrl-C as in a terminal: a shell that starts the tests in the background has the children ignore SIGINT.
signal.signal(signal.SIGINT, signal.default_int_handler)
import refcli.write
def slow_fsync(descriptor):  # the annex's bytes in its temporary file: the signal's handler raises out of the sleep
    time.sleep(60)
refcli.write.os.fsync = slow_fsync
from refcli.cli.commands import main
sys.argv = ["refcli"] + sys.argv[1:]
main()
"""


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_interrupted_while_the_annex_is_written(name: str, world: World) -> None:
    import signal
    import subprocess
    import sys
    import time

    number = getattr(signal, name)
    first = CliRunner().invoke(app, build(world, "--quiet"))
    assert first.exit_code == 0, first.stderr
    annex = world.root / "out" / "annexe.docx"
    before = snapshot(world.root)
    process = subprocess.Popen([sys.executable, "-c", SLOW_BUILD, *build(world, "--force", "--quiet")],
                               cwd=world.root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list((world.root / "out").glob(".annexe.docx.*.tmp")):
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "the build never started writing"
        time.sleep(0.02)
    time.sleep(0.3)  # in the sync of the annex's temporary file
    process.send_signal(number)
    stderr = process.communicate(timeout=60)[1].decode()
    assert process.returncode == 128 + number, stderr
    assert stderr.splitlines() == [f"error: {annex}: interrupted ({'Ctrl-C' if name == 'SIGINT' else name}) while "
                                   "writing it; nothing written, the file is as it was"]
    assert snapshot(world.root) == before  # the previous annex and its record intact, no temporary file


def _refcli_shell(redirection: str, *arguments: str) -> subprocess.CompletedProcess:
    import subprocess
    import sys

    return subprocess.run(["sh", "-c", f'"$0" -m refcli "$@" {redirection}', sys.executable, *arguments],
                          stdout=subprocess.PIPE if ">" not in redirection else None, stderr=subprocess.PIPE,
                          timeout=60, cwd=ROOT)


NEW_FLAGS = ["--title", "Etude X", "--mission-type", "Etude", "--role", "titulaire", "--client", "Ville",
             "--start", "2020", "--stakes", "Un enjeu.", "--content", "Un contenu.", "--city", "Sceaux"]


@pytest.mark.parametrize("command", [["list"], ["list", "--json"], ["new", *NEW_FLAGS]])
def test_output_standard_output_closed(command: list[str], world: World) -> None:
    before = snapshot(world.root)
    result = _refcli_shell(">&-", *command, "--data", str(world.missions))
    assert result.returncode == 2
    assert result.stderr.decode().splitlines() == [
        "error: standard output is closed: refcli writes its results there; run it with an output (a terminal, "
        "a pipe or > FILE)"]
    assert snapshot(world.root) == before  # new wrote no record it could not report


@pytest.mark.parametrize("command", [["list"], ["list", "--json"], ["show", "antony-point-etape-psl"]])
def test_output_standard_output_on_a_full_disk(command: list[str], world: World) -> None:
    result = _refcli_shell(">/dev/full", *command, "--data", str(world.missions))
    assert result.returncode == 2
    assert result.stderr.decode().splitlines() == ["error: cannot write: no space left on the disk"]


def test_input_standard_input_closed(world: World) -> None:
    before = snapshot(world.root)
    result = _refcli_shell("<&-", "new", "--interactive", "--data", str(world.missions))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr.decode()
    assert result.stderr.decode().splitlines()[-1].endswith(
        "error: stdin: the input ended before every field was answered; nothing written")
    assert snapshot(world.root) == before


@pytest.mark.parametrize("command", [["list"], ["search", "concertation"], ["show", "antony-point-etape-psl"]])
def test_output_a_terminal_10_columns_wide(command: list[str], world: World) -> None:
    arguments = [*command, "--data", str(world.missions)]
    narrow = CliRunner().invoke(app, arguments, env={"COLUMNS": "10"})
    assert narrow.exit_code == 0
    assert "antony" in narrow.stdout.casefold() or "neuilly" in narrow.stdout  # not columns squeezed to nothing
    assert narrow.stdout == CliRunner().invoke(app, arguments, env={"COLUMNS": "40"}).stdout  # as at 40 columns


def test_output_an_argument_or_a_file_name_that_is_not_utf8(world: World) -> None:
    """Bytes that are not UTF-8 reach Python as lone surrogates: --json stays valid UTF-8 and gives them back,
    a table shows them escaped, and a name the selection record cannot hold is refused before anything is
    written."""
    import json
    import sys

    word = os.fsdecode(b"concertation\xe9")  # as Python gets a Latin-1 argument
    result = CliRunner().invoke(app, ["search", word, "--json", "--data", str(world.missions)])
    assert result.exit_code == 0, result.stderr
    text = result.stdout_bytes.decode("utf-8")  # valid UTF-8
    assert json.loads(text)["query"]["terms"][0]["text"] == word  # and the same string back
    shown = subprocess.run([sys.executable, "-m", "refcli", "search", os.fsencode(word), "--explain",
                            "--data", str(world.missions)], capture_output=True, timeout=60, cwd=ROOT)
    assert shown.returncode == 0 and b"Traceback" not in shown.stderr, shown.stderr
    assert b"concertation\\udce9" in shown.stdout
    template = world.root / os.fsdecode(b"mod\xe8le.docx")
    shutil.copy(TEMPLATE, template)
    before = snapshot(world.root)
    for arguments in (build(world, "--quiet", out=os.fsdecode(b"out/annexe-\xe9.docx")),
                      build(world, "--quiet", "--template", str(template))):
        result = CliRunner().invoke(app, arguments)
        assert result.exit_code == 2
        [line] = result.stderr.splitlines()
        assert "not UTF-8 text" in line and ("annexe-\\xe9.docx" in line or "mod\\xe8le.docx" in line), line
    assert snapshot(world.root) == before
