"""Make new record files: derive an id, lay the table out as the shipped records, write without overwriting.

The writer is atomic: the text goes to a hidden temporary file in the target folder, is flushed to
disk, then linked to its name (which fails if the name exists) or, with force, renamed over it. A
reader never sees half a record, and an interrupted write leaves no temporary file behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from refcli.errors import UserError, os_reason
from refcli.i18n import _
from refcli.records.load import MAX_RECORD_BYTES, find_record_files, parse_toml, read_limited
from refcli.search.text import slugify
from refcli.write import write_atomically

MAX_ID_LENGTH = 60
# Words an id should not end on once cut: "...-du-montage-operationnel-et" reads better without "-et".
_DANGLING_WORDS = {"a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "ou", "par", "pour",
                   "sur", "via", "dans", "avec"}


def derive_id(title: str, city: str | None = None, limit: int = MAX_ID_LENGTH) -> str:
    """Return a record id from the title and the city (unless the title names it), cut on a word boundary."""
    slug = slugify(title)
    city_slug = slugify(city or "")
    if city_slug and city_slug not in slug:
        slug = f"{slug}-{city_slug}" if slug else city_slug
    if len(slug) > limit:
        cut = slug[: limit + 1]
        slug = cut[: cut.rfind("-")] if "-" in cut else slug[:limit]
        words = slug.split("-")
        while len(words) > 1 and words[-1] in _DANGLING_WORDS:
            words.pop()
        slug = "-".join(words)
    slug = slug.strip("-")
    if not slug:
        # A title with no Latin letter or digit ("Ζωή", ":"): a stable id from its text rather than none.
        import hashlib

        slug = "mission-" + hashlib.sha1(f"{title}|{city or ''}".encode()).hexdigest()[:8]
    return slug


def record_text(table: dict[str, Any], comments: list[str] = ()) -> str:
    """Return the TOML text of a record: comment lines first, then tomli-w's layout of the table."""
    import tomli_w

    # A TOML comment may not hold control characters: they are shown escaped, as the values are.
    header = "".join(f"# {_printable(line)}\n" for comment in comments for line in comment.splitlines())
    return header + tomli_w.dumps(table, multiline_strings=True)


def library_tables(folder: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Return every record file under folder with its raw table, valid or not (a file that cannot be read has none)."""
    tables: list[tuple[Path, dict[str, Any]]] = []
    if not folder.is_dir():
        return tables
    for path in find_record_files(folder):
        table = _raw_table(path)
        if table is not None:
            tables.append((path, table))
    return tables


def _raw_table(path: Path) -> dict[str, Any] | None:
    """The file's TOML table, or None if it is not one (read as records are: within their limits, never
    from a FIFO or a device)."""
    try:
        return parse_toml(read_limited(path, MAX_RECORD_BYTES).decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError):  # tomllib.TOMLDecodeError is a ValueError
        return None


def library_ids(folder: Path, tables: list[tuple[Path, dict[str, Any]]] | None = None) -> dict[str, Path]:
    """Return the id of every record file under folder, valid or not (a record file that cannot be read has none).

    Without tables, the valid records' ids come from the library's cache (a warm read of 10,000 records
    takes a tenth of a second), and only the files it left out are parsed again."""
    if tables is None:
        return _cached_ids(folder)
    ids: dict[str, Path] = {}
    for path, table in tables:
        record_id = table.get("id")
        if isinstance(record_id, str):
            ids.setdefault(record_id, path)
    return ids


DUPLICATE_TITLE = 90  # rapidfuzz ratio of the folded titles, out of 100: "Point d'Etape" / "Point d'étape"
DUPLICATE_CLIENT = 85  # of the folded client names


def find_duplicate(title: str, client: str, years: tuple[int, int],
                   tables: list[tuple[Path, dict[str, Any]]]) -> Path | None:
    """Return the record file of the same mission: same years, title and client alike once accents and case are
    folded (rapidfuzz), or None."""
    import re

    from rapidfuzz import fuzz

    from refcli.search.text import fold

    numbers = re.findall(r"\d+", title)  # "Lot 1" and "Lot 2", "ANRU" and "ANRU 2": alike, and not the same
    for path, table in tables:
        period = table.get("period") if isinstance(table.get("period"), dict) else {}
        start = period.get("start")
        other_client = table.get("client", {}).get("name") if isinstance(table.get("client"), dict) else None
        other_title = table.get("title")
        if not (isinstance(start, int) and isinstance(other_title, str) and isinstance(other_client, str)):
            continue
        if (start, period.get("end", start)) != years or re.findall(r"\d+", other_title) != numbers:
            continue
        if (fuzz.ratio(title, other_title, processor=fold) >= DUPLICATE_TITLE
                and fuzz.ratio(client, other_client, processor=fold) >= DUPLICATE_CLIENT):
            return path
    return None


def check_free(record_id: str, target: Path, ids: dict[str, Path], force: bool, hint: str = "") -> None:
    """Refuse an existing file unless forced, and an id another record file uses (even forced)."""
    if target.exists() and not force:
        raise UserError(_("{target}: the file exists{hint}").format(target=target, hint=hint))
    owner = ids.get(record_id)
    if owner is not None and owner.resolve() != target.resolve():
        raise UserError(_("{target}: id: {record_id!r} is already the id of {owner}; choose another id")
                        .format(target=target, record_id=record_id, owner=owner))


def write_record_file(path: Path, text: str, force: bool = False) -> None:
    """Write a record's text to path atomically, creating its folder; without force, never replace a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(_("{path}: cannot create the folder {folder}: {reason}").format(
            path=path, folder=path.parent, reason=os_reason(error))) from None
    write_atomically(path, text.encode("utf-8"), force=force)


def record_path(folder: Path, record_id: str) -> Path:
    return folder / f"{record_id}.toml"


def _printable(text: str) -> str:
    return "".join(char if char == "\t" or (ord(char) >= 32 and ord(char) != 127) else f"\\u{ord(char):04x}"
                   for char in text)


def _cached_ids(folder: Path) -> dict[str, Path]:
    from refcli.errors import UserError
    from refcli.search.cache import load_library_cached

    if not folder.is_dir():
        return {}
    try:
        library = load_library_cached(folder).library
    except UserError:  # no record yet, or a components file it cannot read: nothing to collide with
        return library_ids(folder, library_tables(folder))
    missions = library.missions
    if hasattr(missions, "paths_by_id"):  # the cache's lazy missions: their ids without decoding them
        ids = {mission_id: folder / relative for mission_id, relative in missions.paths_by_id().items()}
    else:
        ids = {mission.id: mission.path or folder for mission in missions}
    for skipped in library.skipped_files:
        path = Path(skipped)
        record_id = (_raw_table(path) or {}).get("id")
        if isinstance(record_id, str):
            ids.setdefault(record_id, path)
    return ids
