"""Make new record files: derive an id, lay the table out as the shipped records, write without overwriting.

The writer is atomic: the text goes to a hidden temporary file in the target folder, is flushed to
disk, then linked to its name (which fails if the name exists) or, with force, renamed over it. A
reader never sees half a record, and an interrupted write leaves no temporary file behind.
"""

from __future__ import annotations

import errno
import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from refcli.errors import UserError
from refcli.load import find_record_files
from refcli.text import slugify

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
    return slug.strip("-")


def record_text(table: dict[str, Any], comments: list[str] = ()) -> str:
    """Return the TOML text of a record: comment lines first, then tomli-w's layout of the table."""
    import tomli_w

    header = "".join(f"# {line}\n" for comment in comments for line in comment.splitlines())
    return header + tomli_w.dumps(table, multiline_strings=True)


def library_ids(folder: Path) -> dict[str, Path]:
    """Return the id of every record file under folder, valid or not (a record file that cannot be read has none)."""
    ids: dict[str, Path] = {}
    if not folder.is_dir():
        return ids
    for path in find_record_files(folder):
        try:
            record_id = tomllib.loads(path.read_text(encoding="utf-8-sig")).get("id")
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        if isinstance(record_id, str):
            ids.setdefault(record_id, path)
    return ids


def check_free(record_id: str, target: Path, ids: dict[str, Path], force: bool, hint: str = "") -> None:
    """Refuse an existing file unless forced, and an id another record file uses (even forced)."""
    if target.exists() and not force:
        raise UserError(f"{target}: the file exists{hint}")
    owner = ids.get(record_id)
    if owner is not None and owner.resolve() != target.resolve():
        raise UserError(f"{target}: id: {record_id!r} is already the id of {owner}; choose another id")


def write_record_file(path: Path, text: str, force: bool = False) -> None:
    """Write text to path atomically; without force, never replace an existing file."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor, temporary_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise UserError(f"{path}: cannot write the record: {error.strerror or error}") from None
    temporary = Path(temporary_name)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            os.fchmod(handle.fileno(), 0o666 & ~_umask())  # mkstemp makes it private; a record is not
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if force:
            os.replace(temporary, path)
        else:
            _link_exclusive(temporary, path)
        _sync_folder(folder)
    except FileExistsError:
        raise UserError(f"{path}: the file exists (written meanwhile by someone else)") from None
    except OSError as error:
        raise UserError(f"{path}: cannot write the record: {error.strerror or error}") from None
    finally:
        # Also on KeyboardInterrupt: the temporary file never outlives the write.
        temporary.unlink(missing_ok=True)


def _link_exclusive(temporary: Path, path: Path) -> None:
    """Give the written file its name, failing with FileExistsError if the name is taken."""
    try:
        os.link(temporary, path)
    except OSError as error:
        if isinstance(error, FileExistsError) or error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV,
                                                                      errno.EMLINK, errno.ENOSYS):
            raise
        # No hard links on this file system: claim the name with O_EXCL, then rename over the claim.
        claim = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        os.close(claim)
        os.replace(temporary, path)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _sync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def record_path(folder: Path, record_id: str) -> Path:
    return folder / f"{record_id}.toml"
