"""Read record files into raw TOML tables, locating every syntax or encoding problem."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from refcli.errors import Problem, UserError, os_reason
from refcli.frozen import frozen
from refcli.i18n import N_, _
from refcli.records.scan import DATA_VARIABLE as ENVIRONMENT_VARIABLE
from refcli.records.scan import DEFAULT_DATA

DEFAULT_FOLDER = Path(DEFAULT_DATA)

_LOCATION = re.compile(r"\(at line (\d+), column (\d+)\)")
# What rtoml reads as TOML 1.1 and tomllib (TOML 1.0) refuses: inline tables that span lines or end
# with a comma, \e and \xHH escapes, times without seconds. A text that may hold any of them (a line
# whose braces do not balance, a comma before a brace, even inside a string) goes to tomllib, so records
# stay TOML 1.0, as tomllib reads it. One-line inline tables, as `new` writes a programme, stay with rtoml.
# Checked with `in` and patterns that start with a literal: at 10,000 files, one regex with
# alternatives that start with \d cost more than rtoml's parsing. Measured: one search for \\[ex] costs
# a third of `"\\e" in text or "\\x" in text`, and half the records have no ":" to look for minutes at.
_ESCAPES = re.compile(r"\\[ex]")
_MINUTES = re.compile(r":\d\d(?!:\d)")
_TRAILING_COMMA = re.compile(r",\s*}")
# A fiche is one page: the shipped records are 5-6 KB, generated ones 2-4 KB. A larger file is refused
# before it is read (a 54 MB file of 3 million keys took 6 minutes and 1.5 GB to validate).
MAX_RECORD_BYTES = 1_000_000
# TOML nested deeper than this (arrays, inline tables, dotted keys) is refused: a record nests 3 deep.
# It is rtoml's own limit (measured: 80 levels of arrays, inline tables or tables, 79 dots in a key); tomllib,
# which reads what rtoml refuses, would recurse until RecursionError, and is held to the same limit.
MAX_DEPTH = 80
# A file modified less than this before it was read is "racy" (git's word): a later edit within the same
# timestamp tick (2 s on FAT, 1 s on some network file systems) may keep its size and mtime, so the cache
# keeps its bytes' hash and compares it (refcli/search/cache.py).
RACY_NS = 3_000_000_000


def _needs_tomllib(text: str) -> bool:
    if _ESCAPES.search(text):
        return True
    if ("{" in text or "}" in text) and (_TRAILING_COMMA.search(text) or _unbalanced_line(text)):
        return True
    return ":" in text and any(match.start() and text[match.start() - 1].isdigit()
                               for match in _MINUTES.finditer(text))


def _unbalanced_line(text: str) -> bool:
    """Whether a line holds more { than } or the reverse: an inline table that spans lines.

    If the whole text balances and so does every line with a {, the lines without one hold no } either.
    Only the lines with a { are looked at (a regex over every line cost 30 µs a record, the parse 60).
    """
    if text.count("{") != text.count("}"):
        return True
    position = text.find("{")
    while position != -1:
        start = text.rfind("\n", 0, position) + 1
        end = text.find("\n", position)
        end = len(text) if end == -1 else end
        if text.count("{", start, end) != text.count("}", start, end):
            return True
        position = text.find("{", end)
    return False


@frozen
class RawRecord:
    path: Path
    table: dict


def resolve_data_folder(option: Path | None) -> Path:
    """Return the library folder: --data, else $REFCLI_DATA, else ./data/missions."""
    if option is not None:
        folder, origin = option, "--data"
    elif os.environ.get(ENVIRONMENT_VARIABLE):
        folder, origin = Path(os.environ[ENVIRONMENT_VARIABLE]), ENVIRONMENT_VARIABLE
    else:
        folder, origin = DEFAULT_FOLDER, _("the default")
    if not folder.exists():
        raise UserError(
            _("{folder}: the mission library folder does not exist ({origin}); "
            "pass --data DIR or set {variable}").format(folder=folder, origin=origin, variable=ENVIRONMENT_VARIABLE)
        )
    if not folder.is_dir():
        raise UserError(_("{folder}: the mission library is not a folder; pass --data DIR").format(folder=folder))
    return folder


def find_record_files(folder: Path) -> list[Path]:
    """Return the .toml files under folder, sorted, without following symlinked folders (no loops): those
    scan.scan_record_files finds. A sub-folder that cannot be listed is returned too: reading it gives its
    problem (read_record_bytes)."""
    from refcli.records.scan import scan_record_files

    return [folder / relative for relative in scan_record_files(folder, stat=False)]


def unreadable_folder_error(folder: Path, error: OSError) -> UserError:
    return UserError(_("{folder}: cannot read the mission library folder: {reason}").format(
        folder=folder, reason=os_reason(error)))


def shown_path(path: Path | str) -> str:
    """The path as text that is valid UTF-8: a name that is not (bytes Python keeps as surrogates) with
    its bytes escaped, as \\xe9."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


def parse_record_bytes(path: Path, data: bytes) -> RawRecord | Problem:
    """Decode and parse one record file, or say precisely why it cannot be read."""
    name = str(path)
    if not data or data.isspace():  # as `not data.strip()`, without copying the file
        return Problem(name, "", _("the file is empty; a record needs at least id, title and client"))
    if data.startswith(b"\xef\xbb\xbf"):
        return Problem(name, "", _("the file starts with a byte-order mark (BOM); save it as UTF-8 without BOM"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return Problem(name, "", _("not UTF-8 text (byte 0x{byte:02x}); save it as UTF-8").format(
            byte=data[error.start]), line=line)
    try:
        table = parse_toml(text)
    except ValueError as error:
        message = str(error)
        location = _LOCATION.search(message)
        line = int(location.group(1)) if location else None
        column = int(location.group(2)) if location else None
        reason = _LOCATION.sub("", message).strip()
        return Problem(name, "", _("TOML syntax error: {reason}").format(reason=reason), line=line, column=column)
    # TOML writes a control character only as an escape ("\u001b"): looked for in the text, in C, first.
    if "\\" in text and _CONTROL_ESCAPE.search(text) and (problem := control_problem(name, table)) is not None:
        return problem
    return RawRecord(path, table)


def control_problem(name: str, table: dict) -> Problem | None:
    """The problem of the first string of a record that holds a control character (not a tab or a line break)."""
    found = _control_character(table)
    if found is None:
        return None
    where, character = found
    return Problem(name, where, _("holds the control character U+{code:04X}, which a terminal or Word would act on, "
                                  "not show: take it out").format(code=ord(character)))


_CONTROL_ESCAPE = re.compile(r"\\(?:u00[0189][0-9a-fA-F]|u007[fF]|U0000[0189][0-9a-fA-F]|U0000007[fF]|e"
                             r"|x[0189][0-9a-fA-F]|x7[fF]|[bf])")
# What a record's text may not hold: C0 but a tab and line breaks, DEL, C1 (import drops them from a fiche).
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _control_character(value: object, where: str = "") -> tuple[str, str] | None:
    """The key path of the first string holding a control character (not a tab or a line break), and it."""
    if isinstance(value, str):
        found = CONTROL_CHARACTERS.search(value)
        return (where, found.group()) if found else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        path = f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}" if where else str(key)
        if (found := _control_character(item, path)) is not None:
            return found
    return None


def parse_toml(text: str) -> dict:
    """Parse TOML text as tomllib would, fast: rtoml first, tomllib for the located error message.

    rtoml (Rust) parses a 10,000-record library about 7 times faster than tomllib; tests/records/test_parse.py
    checks that both give the same tables on every shipped, test and generated record. A text rtoml
    refuses is parsed again by tomllib, so the accepted language and the error messages (line and
    column) stay tomllib's; tomllib.TOMLDecodeError is a ValueError.
    """
    if not _needs_tomllib(text):
        import rtoml

        try:
            # tomllib reads a CRLF inside a multi-line string as LF; rtoml would keep the CR. Looking for
            # one character first costs a tenth of replace's search for two.
            return rtoml.loads(text.replace("\r\n", "\n") if "\r" in text else text)
        except ValueError:  # rtoml.TomlParsingError
            pass
    import tomllib

    try:
        table = tomllib.loads(text)
    except RecursionError:
        table = None
    if table is None or _deeper_than(table, MAX_DEPTH):
        raise ValueError(_("nested more than {depth} levels deep (arrays, inline tables or dotted keys)").format(
            depth=MAX_DEPTH))
    return table


def _deeper_than(table: dict, limit: int) -> bool:
    """Whether arrays and tables nest more than limit levels deep in table (without recursion)."""
    level: list = [table]
    for _round in range(limit + 1):  # after n rounds, level holds the containers n levels down
        level = [item for container in level
                 for item in (container.values() if isinstance(container, dict) else container)
                 if isinstance(item, (dict, list))]
        if not level:
            return False
    return True


def read_record_bytes(path: Path) -> bytes | Problem:
    """The record file's bytes, or why it cannot be read (then it is read again on the next run)."""
    shown = shown_path(path)
    if shown != str(path):
        return Problem(shown, "", _("the file name is not UTF-8 text; rename the file"))
    try:
        return read_limited(path, MAX_RECORD_BYTES)
    except FileTooLarge as error:
        return Problem(str(path), "", _("the file is {size:,} bytes; a record is at most {limit:,} bytes (a fiche "
                                        "is one page)").format(size=error.size, limit=MAX_RECORD_BYTES))
    except NotRegularFile as error:
        if error.kind == "a folder":  # a sub-folder the walk could not list
            return Problem(str(path), "", _("cannot read the folder: {reason}; its records are left out").format(
                reason=_listing_error(path)))
        return Problem(str(path), "", _("is {kind}, not a record file; remove it or rename it").format(
            kind=_(error.kind)))
    except OSError as error:
        if os.path.isdir(path):
            return Problem(str(path), "", _("cannot read the folder: {reason}; its records are left out").format(
                reason=os_reason(error)))
        return Problem(str(path), "", _("cannot read the file: {reason}").format(reason=os_reason(error)))


def content_digest(data: bytes, size: int = 16) -> bytes:
    """A hash of these bytes: blake2b straight from its C module, as hashlib gives it, without hashlib's
    import of OpenSSL (6 ms of every search)."""
    try:
        from _blake2 import blake2b
    except ImportError:  # an interpreter without it
        from hashlib import blake2b
    return blake2b(data, digest_size=size).digest()


def _listing_error(path: Path) -> str:
    try:
        with os.scandir(path):
            return _("it could not be listed")
    except OSError as error:
        return os_reason(error)


class FileTooLarge(OSError):
    def __init__(self, path: Path, size: int) -> None:
        super().__init__(f"{path}: {size:,} bytes")
        self.size = size


class NotRegularFile(OSError):
    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(f"{path}: {kind}, not a regular file")
        self.kind = kind


def open_regular(path: Path, limit: int) -> int:
    """Open for reading a regular file of at most limit bytes: its descriptor (else NotRegularFile or
    FileTooLarge; an OSError of the open as it comes). The one opener of every file refcli reads: a record,
    a data file, and (through search.documents.open_input) every file the user names. A FIFO, a socket or
    a device is not even opened (opening one may block, or rewind a tape); if one takes the file's place
    between the stat and the open, opening without blocking and fstat see it."""
    status = os.stat(path)
    if not stat.S_ISREG(status.st_mode):
        raise NotRegularFile(path, _file_kind(status.st_mode))
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise NotRegularFile(path, _file_kind(status.st_mode))
        if status.st_size > limit:
            raise FileTooLarge(path, status.st_size)
        return descriptor
    except BaseException:
        os.close(descriptor)
        raise


def read_limited(path: Path, limit: int) -> bytes:
    """Return the file's bytes, at most limit of them (else FileTooLarge; open_regular's refusals), as
    Path.read_bytes does, with os.open and os.read: without a buffered file object, 40% less time for a
    record file (measured: 8 µs, from 13)."""
    descriptor = open_regular(path, limit)
    try:
        chunks = []
        size = 0
        while chunk := os.read(descriptor, 1 << 16):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:  # it grew since fstat
                raise FileTooLarge(path, size)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def _file_kind(mode: int) -> str:
    kinds = {stat.S_ISDIR: N_("a folder"), stat.S_ISFIFO: N_("a named pipe (FIFO)"), stat.S_ISSOCK: N_("a socket"),
             stat.S_ISCHR: N_("a character device"), stat.S_ISBLK: N_("a block device")}
    return next((name for test, name in kinds.items() if test(mode)), N_("a special file"))
