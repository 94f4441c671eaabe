"""Read record files into raw TOML tables, locating every syntax or encoding problem."""

from __future__ import annotations

import os
import re
from pathlib import Path

from refcli.errors import Problem, UserError
from refcli.frozen import frozen
from refcli.i18n import _
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
    """Return the .toml files under folder, sorted, without following symlinked folders (no loops)."""
    found = []
    for root, directories, files in os.walk(folder, followlinks=False):
        directories[:] = sorted(name for name in directories if not name.startswith("."))
        found += [Path(root) / name for name in files if name.endswith(".toml") and not name.startswith(".")]
    return sorted(found)


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
    return RawRecord(path, table)


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

    return tomllib.loads(text)


def read_record(path: Path) -> RawRecord | Problem:
    try:
        data = _read_bytes(path)
    except OSError as error:
        return Problem(str(path), "", _("cannot read the file: {reason}").format(reason=error.strerror or error))
    return parse_record_bytes(path, data)


def _read_bytes(path: Path) -> bytes:
    """Return the file's bytes, as Path.read_bytes does, with os.open and os.read: without a buffered
    file object and its fstat, 40% less time for a record file (measured: 8 µs, from 13)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(descriptor, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)
