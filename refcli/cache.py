"""A cache of the parsed, validated and indexed library, in SQLite, so a search need not read 10,000 TOML files.

One database per library folder (named after a hash of its resolved path) in the user's cache folder
(platformdirs), or in --cache-dir / $REFCLI_CACHE_DIR. It holds:

- meta: refcli's version, the cache's schema version, the folder and a fingerprint of components.toml
  (validation and the index read it). Any difference and the whole cache is rebuilt;
- files: per record file, its path (relative to the library folder), size and mtime_ns, its slot
  (its number in the index), and what reading it gave: the record as JSON (serialize.mission_to_table)
  or its problems, its facts, its words and pairs with their field masks, and the illustration files
  its validation looked at;
- postings: per word and per pair of words, the slots it occurs in and its field masks (index.py);
- blobs: `words`, the distinct words (what fuzzy matching runs over), and `manifest`, what a warm start
  needs of `files` (each path's size, mtime_ns, slot, mission id, problems, dependencies, facts) in one
  marshal blob, rewritten from the rows whenever they change.

A warm search stats every file, compares with the manifest, and then reads only what it uses: the
words, the postings of the words it matched, and the records of the results it shows. A changed,
added or deleted file is read again alone, and the postings of its words alone are patched.

Nothing in it is trusted: a cache that cannot be read, is corrupt or comes from another version is
rebuilt (into a temporary file, renamed into place); damage found later, in a posting or a record a
search fetches, makes the search read the files instead (the same slots, so nothing it has ranked so
far changes) and rebuild the cache. One that cannot be written is left alone and the library read
without it. The cache never changes a result: tests/test_cache.py compares with and without it.
"""

from __future__ import annotations

import contextlib
import json
import marshal
import os
import sqlite3
from array import array
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from refcli import __version__
from refcli.frozen import frozen
from refcli.library import FileRow, LazyMissions, keep_first
from refcli.model import Library, Mission
from refcli.scan import scan_record_files, take_early_scan
from refcli.serialize import mission_from_table
from refcli.vocabulary import Vocabulary, load_vocabulary

# What a warm search does not need (reading, validating, indexing records; writing) is imported where
# it is used: every module a warm search imports adds to its start-up.

if TYPE_CHECKING:
    from refcli.index import Posting, SearchIndex, Share

ENVIRONMENT_VARIABLE = "REFCLI_CACHE_DIR"
SCHEMA_VERSION = 4  # raise it whenever what the database holds changes shape or meaning

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (
    path TEXT PRIMARY KEY, slot INTEGER NOT NULL UNIQUE, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    mission_id TEXT, problems TEXT, depends TEXT, facts TEXT, record TEXT, terms TEXT
);
CREATE TABLE postings (key TEXT PRIMARY KEY, slots BLOB NOT NULL, masks BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE blobs (name TEXT PRIMARY KEY, data BLOB NOT NULL);
"""
_COLUMNS = "path, slot, size, mtime_ns, mission_id, problems, depends, facts, record, terms"
# Anything that a damaged, foreign or vanished cache can raise while being read: all mean "rebuild".
_UNREADABLE = (sqlite3.Error, OSError, ValueError, KeyError, TypeError, IndexError, AttributeError, EOFError,
               RecursionError)


@frozen
class CachedLibrary:
    library: Library
    index: SearchIndex | None  # None when no index was asked for
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
    key = _digest(str(folder.resolve()).encode())[:20]
    return cache_dir / f"library-{key}.sqlite3"


def load_library_cached(folder: Path, cache_dir: Path | None = None, *, lazy: bool = False,
                        with_index: bool = False) -> CachedLibrary:
    """Load the library (and its index, with_index) through the cache, updating it for the files that changed.

    With lazy, library.missions decodes a record only when it is asked for (what search needs: the
    index plus the records it shows; build-bid: the records it names); else every record at once.
    """
    # The scan (10,000 stat calls, the kernel's time, not Python's) runs in a thread while this one reads
    # the vocabulary and the cache's manifest: ~20 ms of a warm search at 10,000 records.
    scan = _Scan(folder)
    vocabulary = load_vocabulary(folder)
    cache = _Cache(cache_file(folder, cache_folder(cache_dir)), folder, vocabulary, scan)
    for attempt in range(2):
        found = None
        with contextlib.suppress(*_UNREADABLE):
            found = cache.load_warm(lazy, with_index)
        if isinstance(found, CachedLibrary):
            return found
        if found is None or attempt:
            break
        # Some files changed (found is their set): patch the cache for them, then load it warm. Damage
        # found while patching (a row that does not decode) means a rebuild, as damage found earlier.
        try:
            note = cache.update(found)
        except _UNREADABLE:
            break
        if note:
            return cache.read_without(note, lazy, with_index)
    return cache.rebuild(lazy, with_index)


class _Scan:
    """scan_record_files(folder): what the entry point's early scan found (refcli/scan.py), else scanned
    in a thread; result() waits for it (and raises what it raised)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.found = take_early_scan(folder)
        self.error: BaseException | None = None
        self.thread = None
        if self.found is None:
            import threading

            self.thread = threading.Thread(target=self._run, name="refcli-scan", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        try:
            self.found = scan_record_files(self.folder)
        except BaseException as error:  # raised again in the thread that waits for the result
            self.error = error

    def result(self) -> dict[str, tuple[int, int]]:
        if self.thread is not None:
            self.thread.join()
        if self.error is not None:
            raise self.error
        assert self.found is not None
        return self.found


class _Cache:
    """One library folder's database, and what this run found in the folder (files) to compare it with."""

    def __init__(self, database: Path, folder: Path, vocabulary: Vocabulary, scan: _Scan) -> None:
        self.database, self.folder, self.vocabulary, self._scan = database, folder, vocabulary, scan
        self._files: dict[str, tuple[int, int]] | None = None
        source = vocabulary.source
        digest = _digest(source.read_bytes()) if source else ""
        self.meta = {"refcli": __version__, "schema": str(SCHEMA_VERSION), "folder": str(folder.resolve()),
                     "vocabulary": f"{source.resolve() if source else ''}:{digest}"}

    @property
    def files(self) -> dict[str, tuple[int, int]]:
        """The record files found, by relative path -> (size, mtime_ns), in the library's order."""
        if self._files is None:
            self._files = self._scan.result()
            if not self._files:
                from refcli.library import no_records_error

                raise no_records_error(self.folder)
        return self._files

    def connect(self, *, write: bool = False) -> sqlite3.Connection:
        if not write:
            # Read-only: a cache folder the user cannot write still serves, and nothing is created by accident.
            return sqlite3.connect(f"{self.database.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        return sqlite3.connect(self.database, timeout=5)

    # --- reading ---------------------------------------------------------------------------------

    def load_warm(self, lazy: bool, with_index: bool) -> CachedLibrary | set[str] | None:
        """The library from the database if every file is as it was; else the set of files that changed
        (or None: no usable database)."""
        if not self.database.is_file():
            return None
        connection = self.connect()
        keep_open = False
        try:
            if dict(connection.execute("SELECT key, value FROM meta")) != self.meta:
                return None
            (manifest,) = connection.execute("SELECT data FROM blobs WHERE name = 'manifest'").fetchone()
            stats, slots, ids, problems, depends, columns = marshal.loads(manifest)
            files = self.files
            # The usual case, compared in C: every file as it was, no file that could not be stat'ed.
            if stats != files or (-1, -1) in files.values() or \
                    not all(_dependencies_hold(value) for value in depends.values()):
                return {relative for relative, found in files.items()
                        if stats.get(relative) != found or found[0] < 0
                        or not _dependencies_hold(depends.get(relative))} | (stats.keys() - files.keys())
            kept = keep_first(self.folder, list(files), ids, problems)
            stored = _Stored(self, connection, files, slots)
            if lazy or with_index:
                missions: Sequence[Mission] = LazyMissions(kept.order, stored.records)
                keep_open = True
            else:
                decoded = stored.records([relative for relative, _ in kept.order])
                missions = tuple(decoded[relative] for relative, _ in kept.order)
            library = Library(self.folder, missions, self.vocabulary, kept.problems, kept.skipped)
            index = None
            if with_index:
                from refcli.index import SearchIndex

                (words,) = connection.execute("SELECT data FROM blobs WHERE name = 'words'").fetchone()
                terms = words.decode().split("\n") if words else []
                stored.terms = terms
                index = SearchIndex(kept.facts(columns, lambda: stored.slots), terms, stored.posting,
                                    stored.postings)
            return CachedLibrary(library, index)
        finally:
            if not keep_open:
                connection.close()

    def read_without(self, note: str, lazy: bool, with_index: bool) -> CachedLibrary:
        """Read every file, as without the cache; note says why."""
        if with_index:
            from refcli.library import load_library_indexed

            library, index = load_library_indexed(self.folder, self.vocabulary)
            return CachedLibrary(library, index, note)
        from refcli.library import load_library

        return CachedLibrary(load_library(self.folder, self.vocabulary), None, note)

    # --- writing ---------------------------------------------------------------------------------

    def rebuild(self, lazy: bool, with_index: bool) -> CachedLibrary:
        """Read every file, then write a fresh database beside the old one and rename it into place."""
        rows, shares = self.read_all()
        note = self.write(rows, shares)
        return self.from_rows(rows, shares, lazy, with_index, note)

    def read_all(self, slots: dict[str, int] | None = None) -> tuple[list[FileRow], list[Share]]:
        """Read every file. slots: keep these slot numbers (a search that found damage has ranked with
        them), else number the files in their order."""
        return _read(self, [(relative, size, mtime, slots[relative] if slots else number)
                            for number, (relative, (size, mtime)) in enumerate(self.files.items())])

    def from_rows(self, rows: list[FileRow], shares: list[Share], lazy: bool, with_index: bool,
                  note: str | None = None) -> CachedLibrary:
        from refcli.index import memory_index
        from refcli.library import library_from_rows

        records = {row.relative: row.record for row in rows}
        library, facts = library_from_rows(self.folder, self.vocabulary, rows,
                                           lambda wanted: _decode(self.folder, records, wanted))
        if not (lazy or with_index):
            library = Library(library.folder, tuple(library.missions), library.vocabulary, library.problems,
                              library.skipped_files)
        return CachedLibrary(library, memory_index(facts, shares) if with_index else None, note)

    def write(self, rows: list[FileRow], shares: list[Share]) -> str | None:
        """Write a fresh database into a temporary file and rename it into place; say why not, if not."""
        import tempfile

        try:
            self.database.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=self.database.name + ".", suffix=".tmp",
                                                 dir=self.database.parent)
            os.close(handle)
            try:
                connection = sqlite3.connect(temporary)
                try:
                    self._write_new(connection, rows, shares)
                finally:
                    connection.close()
                os.replace(temporary, self.database)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except (OSError, sqlite3.Error) as error:
            return f"cache not written ({self.database.parent}: {getattr(error, 'strerror', None) or error}); " \
                   "the library was read without it"
        return None

    def _write_new(self, connection: sqlite3.Connection, rows: list[FileRow], shares: list[Share]) -> None:
        from refcli.index import merge_shares

        connection.executescript(_SCHEMA)
        with connection:
            connection.executemany("INSERT INTO meta VALUES (?, ?)", self.meta.items())
            connection.executemany(f"INSERT INTO files ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                   map(_file_values, rows))
            postings = merge_shares(shares)
            connection.executemany("INSERT INTO postings VALUES (?, ?, ?)",
                                   ((key, slots.tobytes(), masks.tobytes()) for key, (slots, masks)
                                    in postings.items()))
            words = sorted(key for key in postings if " " not in key)
            connection.execute("INSERT INTO blobs VALUES ('words', ?)", ("\n".join(words).encode(),))
            connection.execute("INSERT INTO blobs VALUES ('manifest', ?)", (_manifest(connection, self.files),))

    def update(self, changed: set[str]) -> str | None:
        """Read again the files that changed (or appeared), forget the ones gone, patch the postings of
        their words; return why the cache could not be updated, if it could not."""
        connection = None
        try:
            connection = self.connect(write=True)
            with connection:
                old = {relative: (slot, terms) for relative, slot, terms in connection.execute(
                    "SELECT path, slot, terms FROM files")
                    if relative in changed or relative not in self.files}
                (next_slot,) = connection.execute("SELECT coalesce(max(slot), -1) + 1 FROM files").fetchone()
                items = []
                for relative, (size, mtime) in self.files.items():
                    if relative in changed:
                        if relative in old:
                            slot = old[relative][0]
                        else:
                            slot, next_slot = next_slot, next_slot + 1
                        items.append((relative, size, mtime, slot))
                rows, _ = _read(self, items, with_postings=False)  # the rows' words patch the postings
                removed: dict[str, set[int]] = {}
                for slot, terms in old.values():
                    for table in json.loads(terms) if terms else ():
                        for key in table:
                            removed.setdefault(key, set()).add(slot)
                added: dict[str, dict[int, int]] = {}
                for row in rows:
                    for table in json.loads(row.terms) if row.terms else ():
                        for key, mask in table.items():
                            added.setdefault(key, {})[row.slot] = mask
                self._patch_postings(connection, removed, added)
                connection.executemany("DELETE FROM files WHERE path = ?",
                                       [(relative,) for relative in old if relative not in self.files])
                connection.executemany(f"INSERT OR REPLACE INTO files ({_COLUMNS}) "
                                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", map(_file_values, rows))
                connection.execute("INSERT OR REPLACE INTO blobs VALUES ('manifest', ?)",
                                   (_manifest(connection, self.files),))
        except sqlite3.OperationalError as error:  # cannot write (read-only, locked, disk full): do without
            return f"cache not updated ({error}); the library was read without it"
        finally:
            if connection is not None:
                connection.close()
        return None

    def _patch_postings(self, connection: sqlite3.Connection, removed: dict[str, set[int]],
                        added: dict[str, dict[int, int]]) -> None:
        """Take the slots read again out of their old words' postings, and file them under their new ones."""
        (words_blob,) = connection.execute("SELECT data FROM blobs WHERE name = 'words'").fetchone()
        words = set(words_blob.decode().split("\n")) if words_blob else set()
        for key in removed.keys() | added.keys():
            row = connection.execute("SELECT slots, masks FROM postings WHERE key = ?", (key,)).fetchone()
            entries = dict(zip(*_posting(row), strict=True)) if row else {}
            for slot in removed.get(key, ()):
                entries.pop(slot, None)
            entries.update(added.get(key, {}))
            if entries:
                slots = sorted(entries)
                connection.execute("INSERT OR REPLACE INTO postings VALUES (?, ?, ?)",
                                   (key, array("i", slots).tobytes(),
                                    array("H", [entries[slot] for slot in slots]).tobytes()))
            else:
                connection.execute("DELETE FROM postings WHERE key = ?", (key,))
            if " " not in key:
                (words.add if entries else words.discard)(key)
        connection.execute("INSERT OR REPLACE INTO blobs VALUES ('words', ?)", ("\n".join(sorted(words)).encode(),))


class _Stored:
    """What a warm search fetches from the database as it goes: postings and records, each checked.

    Damage found there (a posting or a record that does not decode) is repaired on the spot: the
    files are read again with the slots this search has ranked with, the cache is rebuilt, and the
    search goes on from memory.
    """

    def __init__(self, cache: _Cache, connection: sqlite3.Connection, paths: Iterable[str], slots: list[int]) -> None:
        self.cache, self.connection = cache, connection
        self._paths, self._slots = paths, slots
        self._slot_of: dict[str, int] | None = None
        self.terms: list[str] = []
        self.repaired: tuple[SearchIndex, dict[str, str | None]] | None = None

    @property
    def slots(self) -> dict[str, int]:
        """Each file's slot, by path: for the rare case that needs it (damage, duplicate ids)."""
        if self._slot_of is None:
            self._slot_of = dict(zip(self._paths, self._slots, strict=True))
        return self._slot_of

    def posting(self, key: str) -> Posting | None:
        if self.repaired is None:
            with contextlib.suppress(*_UNREADABLE):
                row = self.connection.execute("SELECT slots, masks FROM postings WHERE key = ?", (key,)).fetchone()
                if row is not None:
                    return _posting(row)
                if " " in key or key not in set(self.terms):
                    return None  # a pair or a word the library does not hold: rank asks only for its words
                raise ValueError(f"no posting for the word {key!r}")
            self.repair()
        assert self.repaired is not None
        return self.repaired[0].posting(key)

    def postings(self, keys: list[str]) -> dict[str, Posting | None]:
        """Several keys' postings in one query; a key it cannot give (or damage) is left to posting()."""
        if self.repaired is None and len(keys) <= 500:  # within SQLite's count of parameters
            with contextlib.suppress(*_UNREADABLE):
                rows = self.connection.execute(
                    f"SELECT key, slots, masks FROM postings WHERE key IN ({', '.join('?' * len(keys))})", keys)
                return {key: _posting((slots, masks)) for key, slots, masks in rows}
        return {}

    def records(self, relatives: list[str]) -> dict[str, Mission]:
        if self.repaired is None:
            with contextlib.suppress(*_UNREADABLE):
                wanted = set(relatives)
                if len(wanted) <= 100:
                    rows = self.connection.execute(
                        f"SELECT path, record FROM files WHERE path IN ({', '.join('?' * len(wanted))})",
                        sorted(wanted))
                else:
                    rows = self.connection.execute("SELECT path, record FROM files")
                return _decode(self.cache.folder, {relative: record for relative, record in rows
                                                   if relative in wanted}, relatives)
            self.repair()
        assert self.repaired is not None
        return _decode(self.cache.folder, self.repaired[1], relatives)

    def repair(self) -> None:
        from refcli.index import memory_index
        from refcli.library import library_from_rows

        with contextlib.suppress(sqlite3.Error):
            self.connection.close()
        rows, shares = self.cache.read_all(self.slots)
        self.cache.write(rows, shares)
        _, facts = library_from_rows(self.cache.folder, self.cache.vocabulary, rows, dict)  # type: ignore[arg-type]
        self.repaired = memory_index(facts, shares), {row.relative: row.record for row in rows}


def _read(cache: _Cache, items: list[tuple[str, int, int, int]], with_postings: bool = True
          ) -> tuple[list[FileRow], list[Share]]:
    from refcli.library import read_rows

    return read_rows(cache.folder, cache.vocabulary, items, with_postings=with_postings)


def _decode(folder: Path, records: dict[str, str | None], relatives: Iterable[str]) -> dict[str, Mission]:
    missions = {}
    for relative in relatives:
        record = records[relative]
        if record is None:
            raise ValueError(f"{relative}: no record")
        missions[relative] = mission_from_table(json.loads(record), folder / relative)
    return missions


def _digest(data: bytes) -> str:
    """A hex digest: blake2b straight from its C module, as hashlib gives it, without hashlib's import of
    OpenSSL (6 ms of every search)."""
    try:
        from _blake2 import blake2b
    except ImportError:  # an interpreter without it
        from hashlib import blake2b
    return blake2b(data, digest_size=20).hexdigest()


def _posting(row: tuple[bytes, bytes]) -> Posting:
    """A posting from its row, checked: as many masks as slots, slots ascending."""
    slots, masks = array("i"), array("H")
    slots.frombytes(row[0])
    masks.frombytes(row[1])
    listed = slots.tolist()  # ascending and distinct, checked in C: sorted() and set() of a list
    if len(slots) != len(masks) or not slots or listed != sorted(listed) or len(set(listed)) != len(listed):
        raise ValueError("a damaged posting")
    return slots, masks


def _dependencies_hold(depends: str | None) -> bool:
    """Whether the illustration files a record's validation looked at still exist, or not, as they did."""
    if not depends:
        return True
    return all(Path(target).is_file() == existed for target, existed in json.loads(depends))


def _file_values(row: FileRow) -> tuple:
    facts = json.dumps(row.facts, ensure_ascii=False) if row.facts is not None else None
    return (row.relative, row.slot, row.size, row.mtime, row.mission_id, row.problems, row.depends, facts,
            row.record, row.terms)


def _manifest(connection: sqlite3.Connection, order: Iterable[str]) -> bytes:
    """What a warm start reads of the files table, as one blob, in the library's file order: each file's
    (size, mtime_ns) by path, then columns: slots, mission ids, problems and dependencies by path
    (the few files that have them), and the valid records' facts (index.columns_of)."""
    from refcli.index import columns_of

    found = {row[0]: row for row in connection.execute(
        "SELECT path, slot, size, mtime_ns, mission_id, problems, depends, facts FROM files")}
    stats, slots, ids, problems, depends, facts = {}, [], [], {}, {}, []
    for relative in order:
        _, slot, size, mtime, mission_id, stored_problems, stored_depends, stored_facts = found[relative]
        stats[relative] = (size, mtime)
        slots.append(slot)
        ids.append(mission_id)
        if stored_problems is not None:
            problems[relative] = stored_problems
        if stored_depends:
            depends[relative] = stored_depends
        if stored_facts:
            facts.append((slot, json.loads(stored_facts)))
    return marshal.dumps((stats, slots, ids, problems, depends, columns_of(facts)))
