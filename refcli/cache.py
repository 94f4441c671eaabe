"""A cache of the parsed, validated and indexed library, in SQLite, so a search need not read 10,000 TOML files.

One database per library folder (named after a hash of its resolved path) in the user's cache folder
(platformdirs), or in --cache-dir / $REFCLI_CACHE_DIR. It holds:

- meta: refcli's version, the cache's schema version and a fingerprint of components.toml (validation
  and the index read it). Any difference and the whole cache is rebuilt;
- files: per record file, its path (relative to the library folder), size and mtime_ns, and what
  reading it gave: the record as JSON (serialize.mission_to_table) or its problems, its share of the
  index (words and pairs with their field masks) and the illustration files its validation looked at;
- blobs: the assembled index (raw numpy arrays, index.index_to_blobs), and a manifest: what a warm
  start needs of `files` (each path's size, mtime_ns, mission id, problems, dependencies) in one
  marshal blob, rewritten with the rows whenever they change; the rows stay the source of truth.

A warm search stats every file, compares with `files`, loads only the index and the handful of small
columns that cross-file checks need (ids, problems), and decodes the records of the results it shows.
A changed, added or deleted file is read again alone; the index is then reassembled from the stored
shares. A cache that cannot be read, is corrupt or comes from another version is rebuilt (into a
temporary file, renamed into place); one that cannot be written is left alone and the library read
without it. The cache never changes a result: tests/test_cache.py compares with and without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import os
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from refcli import __version__
from refcli.errors import Problem
from refcli.model import Library, Mission
from refcli.serialize import mission_from_table
from refcli.vocabulary import Vocabulary, load_vocabulary

# What a warm search does not need (reading, validating, indexing records; writing) is imported where
# it is used: every module a warm search imports adds to its start-up.

if TYPE_CHECKING:
    from refcli.index import SearchIndex

ENVIRONMENT_VARIABLE = "REFCLI_CACHE_DIR"
SCHEMA_VERSION = 2  # raise it whenever what the database holds changes shape or meaning

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (
    path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    mission_id TEXT, record TEXT, problems TEXT, terms TEXT, depends TEXT
);
CREATE TABLE blobs (name TEXT PRIMARY KEY, data BLOB NOT NULL);
"""
# Anything that a damaged, foreign or vanished cache can raise while being read: all mean "rebuild".
_UNREADABLE = (sqlite3.Error, OSError, ValueError, KeyError, TypeError, IndexError, AttributeError, EOFError)


@dataclass(frozen=True, slots=True)
class CachedLibrary:
    library: Library
    index: SearchIndex | None  # None when the library was read without the cache and no index was asked for
    note: str | None = None  # why the cache could not be used, for a quiet warning


def cache_folder(option: Path | None = None) -> Path:
    """Return where caches live: --cache-dir, else $REFCLI_CACHE_DIR, else the user's cache folder."""
    if option is not None:
        return option
    if os.environ.get(ENVIRONMENT_VARIABLE):
        return Path(os.environ[ENVIRONMENT_VARIABLE])
    import platformdirs

    return Path(platformdirs.user_cache_dir("refcli", appauthor=False))


def cache_file(folder: Path, cache_dir: Path) -> Path:
    """Return the database of one library folder: one per resolved folder path."""
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:20]
    return cache_dir / f"library-{key}.sqlite3"


def load_library_cached(folder: Path, cache_dir: Path | None = None, *, lazy: bool = False,
                        with_index: bool = False) -> CachedLibrary:
    """Load the library (and its index, with_index) through the cache, updating it for the files that changed.

    With lazy, library.missions decodes a record only when it is asked for (what search needs: the
    index plus the records it shows; build-bid: the records it names); else every record at once.
    """
    vocabulary = load_vocabulary(folder)
    files = _scan(folder)
    if not files:
        from refcli.library import no_records_error

        raise no_records_error(folder)
    database = cache_file(folder, cache_folder(cache_dir))
    meta = _meta(folder, vocabulary)
    loaded = None
    with contextlib.suppress(*_UNREADABLE):
        loaded = _load_warm(database, folder, vocabulary, meta, files, lazy, with_index)
    if loaded is not None:
        return CachedLibrary(*loaded)
    return _rebuild(database, folder, vocabulary, meta, files)


# --- reading -------------------------------------------------------------------------------------

def _scan(folder: Path) -> dict[str, tuple[int, int]]:
    """Return, in the library's file order, each record file's relative path -> (size, mtime_ns).

    The files are find_record_files' (same rules, same order), found with os.scandir on strings:
    pathlib costs more than the stat calls at 10,000 files.
    """
    found: dict[str, tuple[int, int]] = {}

    def walk(directory: str, prefix: str) -> None:
        # Names sorted within each folder, sub-folders walked where they sort: the order of sorted(Path).
        with os.scandir(directory) as listing:
            entries = sorted((entry for entry in listing if not entry.name.startswith(".")),
                             key=lambda entry: entry.name)
        for entry in entries:
            try:
                is_directory = entry.is_dir()
            except OSError:
                is_directory = False
            if is_directory:
                if not entry.is_symlink():  # os.walk(followlinks=False): no loops
                    walk(entry.path, prefix + entry.name + "/")
            elif entry.name.endswith(".toml"):
                try:
                    status = entry.stat()
                    found[prefix + entry.name] = (status.st_size, status.st_mtime_ns)
                except OSError:
                    found[prefix + entry.name] = (-1, -1)  # read_record will say why

    walk(str(folder), "")
    return found


def _meta(folder: Path, vocabulary: Vocabulary) -> dict[str, str]:
    source = vocabulary.source
    digest = hashlib.sha256(source.read_bytes()).hexdigest() if source else ""
    return {"refcli": __version__, "schema": str(SCHEMA_VERSION), "folder": str(folder.resolve()),
            "vocabulary": f"{source.resolve() if source else ''}:{digest}"}


def _connect(database: Path, *, write: bool = False) -> sqlite3.Connection:
    if not write:
        # Read-only: a cache folder the user cannot write still serves, and nothing is created by accident.
        return sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    return sqlite3.connect(database, timeout=5)


def _load_warm(database: Path, folder: Path, vocabulary: Vocabulary, meta: dict[str, str],
               files: dict[str, tuple[int, int]], lazy: bool, with_index: bool):
    if not database.is_file():
        return None
    connection = _connect(database)
    try:
        stored_meta = dict(connection.execute("SELECT key, value FROM meta"))
        if stored_meta != meta:
            return None
        if not with_index:  # the commands that do not search need no index, and no numpy
            blobs = dict(connection.execute("SELECT name, data FROM blobs WHERE name IN ('mission_paths', 'manifest')"))
        else:
            blobs = dict(connection.execute("SELECT name, data FROM blobs"))
        stats, ids, stored_problems, depends = marshal.loads(blobs["manifest"])
        # The usual case, compared in C: every file as it was, no file that could not be stat'ed.
        if stats != files or -1 in {size for size, _ in files.values()} or \
                not all(_dependencies_hold(value) for value in depends.values()):
            changed = [relative for relative, found in files.items()
                       if stats.get(relative) != found or found[0] < 0
                       or not _dependencies_hold(depends.get(relative))]
            connection.close()
            return _update(database, folder, vocabulary, files, set(changed))
        results, order = _assemble_from_rows(folder, files, ids, stored_problems)
        paths = blobs["mission_paths"]
        index = None
        if with_index:
            from refcli.index import index_from_blobs

            index = index_from_blobs(blobs)
        if json.loads(paths) != [relative for relative, _ in order]:
            return None
        if not lazy:
            records = dict(connection.execute("SELECT path, record FROM files WHERE record IS NOT NULL"))
            missions: Sequence[Mission] = tuple(mission_from_table(json.loads(records[relative]), folder / relative)
                                                for relative, _ in order)
        else:
            missions = _LazyMissions(database, folder, order)
        problems, skipped = results
        return Library(folder, missions, vocabulary, problems, skipped), index, None
    finally:
        connection.close()


def _dependencies_hold(depends: str | None) -> bool:
    """Whether the illustration files a record's validation looked at still exist, or not, as they did."""
    if not depends:
        return True
    return all(Path(target).is_file() == existed for target, existed in json.loads(depends))


def _assemble_from_rows(folder: Path, files: dict[str, tuple[int, int]], ids: dict[str, str | None],
                        stored_problems: dict[str, str]):
    """Redo the cross-file rules (duplicate ids) on the stored ids, as assemble_library does on missions."""
    problems: list[Problem] = []
    skipped: list[str] = []
    first: dict[str, str] = {}
    for relative in files:
        mission_id = ids[relative]
        path = None if mission_id is not None and mission_id not in first else folder / relative
        if mission_id is not None:
            if mission_id not in first:
                first[mission_id] = relative
                continue
            from refcli.library import duplicate_problem

            problems.append(duplicate_problem(path, mission_id, folder / first[mission_id]))
        else:
            problems += [Problem(str(path), *problem) for problem in json.loads(stored_problems[relative])]
        skipped.append(str(path))
    order = sorted(((relative, mission_id) for mission_id, relative in first.items()), key=lambda item: item[1])
    return (tuple(problems), tuple(skipped)), order


class _LazyMissions(Sequence):
    """The library's missions, in id order, decoded from the cache only when asked for."""

    def __init__(self, database: Path, folder: Path, order: list[tuple[str, str]]) -> None:
        self.database, self.folder = database, folder
        self.paths = [relative for relative, _ in order]
        self.numbers = {mission_id: number for number, (_, mission_id) in enumerate(order)}
        self.decoded: dict[int, Mission] = {}

    def find(self, mission_id: str) -> Mission | None:
        """Return the mission with this id, decoding only it; None if there is none (Library.get)."""
        number = self.numbers.get(mission_id)
        return None if number is None else self[number]

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, position):  # type: ignore[no-untyped-def, override]
        if isinstance(position, slice):
            return tuple(self[number] for number in range(*position.indices(len(self))))
        number = range(len(self.paths))[position]
        if number not in self.decoded:
            relative = self.paths[number]
            connection = _connect(self.database)
            try:
                (record,) = connection.execute("SELECT record FROM files WHERE path = ?", (relative,)).fetchone()
            finally:
                connection.close()
            self.decoded[number] = mission_from_table(json.loads(record), self.folder / relative)
        return self.decoded[number]

    def __iter__(self) -> Iterator[Mission]:
        connection = _connect(self.database)
        try:
            records = dict(connection.execute("SELECT path, record FROM files WHERE record IS NOT NULL"))
        finally:
            connection.close()
        for number, relative in enumerate(self.paths):
            if number not in self.decoded:
                self.decoded[number] = mission_from_table(json.loads(records[relative]), self.folder / relative)
            yield self.decoded[number]


# --- writing -------------------------------------------------------------------------------------

@dataclass(slots=True)
class _FileEntry:
    relative: str
    path: Path
    size: int
    mtime: int
    result: Mission | Problem | list[Problem]
    terms: tuple[dict[str, int], dict[str, int]] | None
    depends: list[tuple[str, bool]]


def _read_files(folder: Path, vocabulary: Vocabulary, found: list[tuple[str, int, int]]) -> list[_FileEntry]:
    """Read these record files (relative path, size, mtime) with library.read_files: in parallel when many."""
    from refcli.library import read_files

    results = read_files(folder, vocabulary, [folder / relative for relative, _, _ in found],
                         with_terms=True, with_depends=True)
    return [_FileEntry(relative, result.path, size, mtime, result.result, result.terms, result.depends)
            for (relative, size, mtime), result in zip(found, results, strict=True)]


def _row(entry: _FileEntry) -> tuple:
    from refcli.serialize import mission_to_table

    result = entry.result
    if isinstance(result, Mission):
        record, problems = json.dumps(mission_to_table(result), ensure_ascii=False, separators=(",", ":")), None
        mission_id = result.id
    else:
        listed = [result] if isinstance(result, Problem) else result
        record, mission_id = None, None
        problems = json.dumps([[problem.key, problem.message, problem.line, problem.column] for problem in listed],
                              ensure_ascii=False)
    terms = json.dumps(entry.terms, ensure_ascii=False, separators=(",", ":")) if entry.terms else None
    depends = json.dumps(entry.depends, ensure_ascii=False) if entry.depends else None
    return entry.relative, entry.size, entry.mtime, mission_id, record, problems, terms, depends


def _build(folder: Path, vocabulary: Vocabulary, entries: list[_FileEntry]):
    """Assemble the library and its index from every file's entry, in file order."""
    from refcli.index import assemble_index
    from refcli.library import assemble_library

    library = assemble_library(folder, vocabulary, [(entry.path, entry.result) for entry in entries])
    terms = {entry.path: entry.terms for entry in entries if entry.terms is not None}
    index = assemble_index(library.missions, [terms[mission.path] for mission in library.missions], vocabulary)
    return library, index


def _manifest(rows: Iterator[tuple]) -> bytes:
    """What a warm start reads of the files table (path, size, mtime, id, problems, depends), as one blob."""
    stats: dict[str, tuple[int, int]] = {}
    ids: dict[str, str | None] = {}
    problems: dict[str, str] = {}
    depends: dict[str, str] = {}
    for path, size, mtime, mission_id, stored_problems, stored_depends in rows:
        stats[path] = (size, mtime)
        ids[path] = mission_id
        if stored_problems is not None:
            problems[path] = stored_problems
        if stored_depends:
            depends[path] = stored_depends
    return marshal.dumps((stats, ids, problems, depends))


_MANIFEST_QUERY = "SELECT path, size, mtime_ns, mission_id, problems, depends FROM files"


def _index_blobs(library: Library, index: SearchIndex, folder: Path) -> dict[str, bytes]:
    from refcli.index import index_to_blobs

    blobs = index_to_blobs(index)
    paths = [mission.path.relative_to(folder).as_posix() for mission in library.missions]  # type: ignore[union-attr]
    blobs["mission_paths"] = json.dumps(paths, ensure_ascii=False).encode()
    return blobs


def _rebuild(database: Path, folder: Path, vocabulary: Vocabulary, meta: dict[str, str],
             files: dict[str, tuple[int, int]]) -> CachedLibrary:
    """Read every file, then write a fresh database beside the old one and rename it into place."""
    import tempfile

    entries = _read_files(folder, vocabulary, [(relative, *found) for relative, found in files.items()])
    library, index = _build(folder, vocabulary, entries)
    note = None
    try:
        database.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=database.name + ".", suffix=".tmp", dir=database.parent)
        os.close(handle)
        try:
            connection = sqlite3.connect(temporary)
            try:
                connection.executescript(_SCHEMA)
                with connection:
                    connection.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
                    connection.executemany("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?)", map(_row, entries))
                    connection.executemany("INSERT INTO blobs VALUES (?, ?)",
                                           _index_blobs(library, index, folder).items())
                    connection.execute("INSERT INTO blobs VALUES ('manifest', ?)",
                                       (_manifest(connection.execute(_MANIFEST_QUERY)),))
            finally:
                connection.close()
            os.replace(temporary, database)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except (OSError, sqlite3.Error) as error:
        note = f"cache not written ({database.parent}: {getattr(error, 'strerror', None) or error}); " \
               "the library was read without it"
    return CachedLibrary(library, index, note)


def _update(database: Path, folder: Path, vocabulary: Vocabulary, files: dict[str, tuple[int, int]],
            changed: set[str]):
    """Read again the files that changed, reuse the others' stored results, write the difference."""
    connection = _connect(database)
    try:
        stored = {row[0]: row for row in connection.execute(
            "SELECT path, size, mtime_ns, mission_id, record, problems, terms, depends FROM files")}
    finally:
        connection.close()
    fresh = iter(_read_files(folder, vocabulary, [(relative, size, mtime) for relative, (size, mtime) in files.items()
                                                  if relative in changed or relative not in stored]))
    entries = []
    for relative, (size, mtime) in files.items():
        path = folder / relative
        if relative in changed or relative not in stored:
            entries.append(next(fresh))
            continue
        _, _, _, _, record, problems, terms, depends = stored[relative]
        if record is not None:
            result: Mission | list[Problem] = mission_from_table(json.loads(record), path)
            words, pairs = json.loads(terms)
            entry_terms = (words, pairs)
        else:
            result = [Problem(str(path), *problem) for problem in json.loads(problems)]
            entry_terms = None
        entries.append(_FileEntry(relative, path, size, mtime, result, entry_terms,
                                  [tuple(item) for item in json.loads(depends)] if depends else []))
    library, index = _build(folder, vocabulary, entries)
    note = None
    try:
        connection = _connect(database, write=True)
        try:
            with connection:
                fresh = [entry for entry in entries if entry.relative in changed or entry.relative not in stored]
                connection.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                       map(_row, fresh))
                gone = [(relative,) for relative in stored if relative not in files]
                connection.executemany("DELETE FROM files WHERE path = ?", gone)
                connection.executemany("INSERT OR REPLACE INTO blobs VALUES (?, ?)",
                                       _index_blobs(library, index, folder).items())
                connection.execute("INSERT OR REPLACE INTO blobs VALUES ('manifest', ?)",
                                   (_manifest(connection.execute(_MANIFEST_QUERY)),))
        finally:
            connection.close()
    except sqlite3.Error as error:
        note = f"cache not updated ({error}); the library was read without it"
    return library, index, note

