"""A cache of the parsed, validated and indexed library, in SQLite, so a search need not read 10,000 TOML files.

One database per library folder (named after a hash of its resolved path) in the user's cache folder
(platformdirs), or in --cache-dir / $REFCLI_CACHE_DIR. It holds:

- meta: the cache's identity (see _identity: derived from refcli's version, the source of the modules
  that shape what is stored, and the components file), and the folder. Any difference: rebuilt;
- files: per record file, its path (relative to the library folder), size and mtime_ns, its slot
  (its number in the index), and what reading it gave (library.FileRow): the record (its table, marshal'ed) or its
  problems, its facts, and the illustration files its validation looked at (a changed file's old
  share of the index is worked out again from its stored record, to take it out of the postings);
- postings: per stem and per pair of stems, its posting (index.Posting), cut into blocks of BLOCK slots,
  a row per block, marshal'ed: an edited file's patch rewrites the blocks that hold its slot, not whole
  postings (10,000 copies of the shipped fiches: 0.9 MB instead of 9 MB);
- blobs: `words`, the surface words and their stems; `repairs`, the broken words (U+FFFD) and the
  stems they were read as; `manifest`, what a warm start needs of `files` (each path's size,
  mtime_ns, slot, mission id, problems, dependencies, facts) in one marshal blob.

A warm search stats every file, compares with the manifest, and then reads only what it uses: the
postings of the keys its query reads, and the records of the results it shows. A changed, added or
deleted file is read again alone, and the postings of its keys alone are patched.

Timestamps can lie: an edit within the same mtime tick, or by a tool that restores mtimes, keeps size
and mtime. As git does for its index, a file modified less than load.RACY_NS before it was read is
"racy": the manifest keeps its bytes' hash (also in its row's digest), and each warm start compares it,
until the file is old enough for its mtime to be trusted. A file that could not be read is stored as
(-1, -1), never as known: it is read again on every run. A killed build's temporary files are removed
by a later run (remove_leftovers).

Only real damage means a rebuild, with a one-line note: a database that cannot be opened or read
(sqlite3.Error, OSError), another identity, or content that does not decode (Damaged). A programming
error is not damage: it propagates. One that cannot be written is left alone and the library read
without it. The cache never changes a result: tests/search/test_cache.py compares with and without it.
"""

from __future__ import annotations

import bisect
import contextlib
import marshal
import os
import re
import sqlite3
import time
from array import array
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from refcli import __version__
from refcli.errors import UserError, os_reason
from refcli.frozen import frozen
from refcli.i18n import _, catalog_identity, language
from refcli.records.library import FileRow, LazyMissions, decode_listings, decode_records, keep_first
from refcli.records.load import RACY_NS, content_digest, read_limited, shown_path
from refcli.records.model import Library, Mission
from refcli.records.scan import scan_record_files, take_early_scan
from refcli.records.vocabulary import Vocabulary, load_vocabulary

if TYPE_CHECKING:
    from refcli.records.browse import Listing
    from refcli.search.glossary import Glossary
    from refcli.search.index import Packed, Posting, SearchIndex

ENVIRONMENT_VARIABLE = "REFCLI_CACHE_DIR"
# The modules whose code shapes what the cache stores: a change to any of them is a new identity.
SHAPING_MODULES = ("search/cache.py", "search/glossary.py", "search/index.py", "records/library.py",
                   "records/load.py", "records/model.py", "records/serialize.py", "search/text.py",
                   "records/validate.py", "records/vocabulary.py", "records/browse.py", "annex/formatting.py",
                   "records/provenance.py", "records/written.py")

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (
    path TEXT PRIMARY KEY, slot INTEGER NOT NULL UNIQUE, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    mission_id TEXT, problems TEXT, depends TEXT, facts BLOB, record BLOB, digest BLOB, listing BLOB
);
CREATE TABLE postings (key TEXT NOT NULL, block INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (key, block));
CREATE TABLE blobs (name TEXT PRIMARY KEY, data BLOB NOT NULL);
"""
_COLUMNS = "path, slot, size, mtime_ns, mission_id, problems, depends, facts, record, digest, listing"


class Damaged(Exception):
    """What the cache holds does not decode: it is rebuilt."""


# What a database that is not there, not readable or not ours raises: all mean "rebuild".
_UNREADABLE = (sqlite3.Error, OSError, Damaged)


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
    return cache_dir / f"library-{key}{'' if language() == 'en' else '-' + language()}.sqlite3"  # Problems are in it


def load_library_cached(folder: Path, cache_dir: Path | None = None, *, with_index: bool = False) -> CachedLibrary:
    """Load the library (and its index, with_index) through the cache, updating it for the files that changed.

    library.missions decodes a record only when it is asked for (a search shows ten, build-bid names some;
    `list` reads the listings instead).
    """
    from refcli.search.glossary import load_glossary

    scan = _Scan(folder)
    vocabulary = load_vocabulary(folder)
    try:
        glossary = load_glossary(folder)  # the cache's identity and its index read the glossary's concepts
    except UserError as error:
        if with_index:  # a search needs it: its error is the command's
            raise
        from refcli.records.library import load_library  # list, show, validate do not: read as without the cache

        return CachedLibrary(load_library(folder, vocabulary), None,
                             _("cache not used ({error}); the library was read without it").format(error=error))
    cache = _Cache(cache_file(folder, cache_folder(cache_dir)), folder, vocabulary, glossary, scan)
    try:
        return _load_cached(cache, with_index)
    finally:
        remove_leftovers(cache.database.parent)


def _load_cached(cache: _Cache, with_index: bool) -> CachedLibrary:
    note = None
    for attempt in range(2):
        try:
            found = cache.load_warm(with_index, just_read=attempt > 0)
        except _UNREADABLE as error:
            note = _("cache rebuilt ({reason})").format(reason=_reason(error))
            break
        if isinstance(found, CachedLibrary):
            return found
        if found is None or attempt:
            break
        # Some files changed (found is their set): patch the cache for them, then load it warm.
        try:
            note = cache.update(found)
        except _UNREADABLE as error:
            note = _("cache rebuilt ({reason})").format(reason=_reason(error))
            break
        except NeedsRebuild:  # what a patch cannot do: no damage, nothing to say
            break
        if note:
            return cache.read_without(note, with_index)
    return cache.rebuild(with_index, note)


# What a cache build killed before it renamed its database into place leaves: the temporary database
# (write's mkstemp name) and SQLite's journal of it. A build writes its temporary file for a few seconds.
_LEFTOVER = re.compile(r"library-[0-9a-f]{20}\.sqlite3\.[A-Za-z0-9_]+\.tmp(-journal)?")
LEFTOVER_AGE_NS = 5 * 60 * 10**9


def remove_leftovers(cache_dir: Path) -> None:
    """Remove the cache's own leftovers older than LEFTOVER_AGE_NS from its folder (a killed build's)."""
    oldest = time.time_ns() - LEFTOVER_AGE_NS
    with contextlib.suppress(OSError), os.scandir(cache_dir) as listing:
        for entry in listing:
            if _LEFTOVER.fullmatch(entry.name):
                with contextlib.suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_mtime_ns < oldest:
                        os.unlink(entry.path)


class _Scan:
    """scan_record_files(folder): what the entry point's early scan found (refcli/records/scan.py), else scanned
    in a thread while the vocabulary and the manifest are read; result() waits for it."""

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

    def __init__(self, database: Path, folder: Path, vocabulary: Vocabulary, glossary: Glossary, scan: _Scan) -> None:
        self.database, self.folder, self.vocabulary, self._scan = database, folder, vocabulary, scan
        self.concepts = glossary.concepts
        self._files: dict[str, tuple[int, int]] | None = None
        self.meta = {"identity": _identity(vocabulary, glossary), "folder": str(folder.resolve())}
        self.slots: dict[str, int] = {}  # each file's slot, as the warm load found them
        self.repaired: tuple[dict[str, Posting], dict[str, str], dict[str, str | None]] | None = None
        self.manifest: tuple = _empty_manifest()  # as load_warm read it
        self.note: str | None = None

    @property
    def files(self) -> dict[str, tuple[int, int]]:
        """The record files found, by relative path -> (size, mtime_ns), in the library's order."""
        if self._files is None:
            self._files = self._scan.result()
            if not self._files:
                from refcli.records.library import no_records_error

                raise no_records_error(self.folder)
        return self._files

    @contextlib.contextmanager
    def connect(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection, closed on every path; read-only unless write (a cache folder the user cannot
        write still serves, and nothing is created by accident)."""
        if write:
            connection = sqlite3.connect(self.database, timeout=5)
        else:
            connection = sqlite3.connect(f"{self.database.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            yield connection
        finally:
            connection.close()

    # --- reading ---------------------------------------------------------------------------------

    def load_warm(self, with_index: bool, just_read: bool = False) -> CachedLibrary | set[str] | None:
        """The library from the database if every file is as it was; else the set of files that changed
        (or None: no database yet). A file that could not be read is never as it was, unless just_read
        (the update that read it again has just run)."""
        if not self.database.is_file():
            return None
        with self.connect() as connection:
            if dict(connection.execute("SELECT key, value FROM meta")) != self.meta:
                return None  # made by another refcli or for other components: rebuilt, nothing to say
            self.manifest = stats, slots, ids, problems, depends, columns, racy = _loads(_blob(connection, "manifest"))
        files = self.files
        changed: set[str] = set()
        # The usual case, compared in C: every file as it was, no file that could not be stat'ed.
        if stats != files or (-1, -1) in files.values() or \
                not all(_dependencies_hold(value) for value in depends.values()):
            changed = {relative for relative, found in files.items()
                       if (stats.get(relative) != found or found[0] < 0) and not (just_read and stats.get(relative)
                                                                                  == (-1, -1))
                       or not _dependencies_hold(depends.get(relative))} | (stats.keys() - files.keys())
        if racy and not just_read:  # with the files that changed, not after them: the update reads all at once
            changed |= {relative for relative, digest in racy.items()
                        if relative not in changed and _digest_of(self.folder / relative) != digest}
        if changed:
            return changed
        if racy and not just_read:
            self._settle(racy)
        kept = keep_first(self.folder, list(files), ids, problems)
        self.slots = dict(zip(files, slots, strict=True))
        library = Library(self.folder, LazyMissions(kept.order, self.records, self.listings,
                                                    lambda: kept.facts(columns, lambda: self.slots)),
                          self.vocabulary, kept.problems, kept.skipped)
        index = None
        if with_index:
            from refcli.search.index import SearchIndex

            index = SearchIndex(library.missions.facts(), self.words, self.postings)
        return CachedLibrary(library, index)

    def _settle(self, racy: dict[str, bytes]) -> None:
        """Forget the racy files that are now clearly older than this check of their content: a later edit
        will change their mtime. Best effort: a cache that cannot be written checks them again next time."""
        now = time.time_ns()
        settled = {relative for relative in racy if self.files[relative][1] + RACY_NS < now}
        if not settled:
            return
        stats, slots, ids, problems, depends, columns, _ = self.manifest
        self.manifest = (stats, slots, ids, problems, depends, columns,
                         {relative: digest for relative, digest in racy.items() if relative not in settled})
        with contextlib.suppress(sqlite3.Error, OSError), self.connect(write=True) as connection, connection:
            _put_blob(connection, "manifest", marshal.dumps(self.manifest))

    # What a warm search fetches as it goes. Damage found there is repaired on the spot: the files are
    # read again with the slots this search has ranked with, the cache rebuilt, and the search goes on.

    def words(self) -> dict[str, str]:
        if self.repaired is None:
            try:
                with self.connect() as connection:
                    return _loads(_blob(connection, "words"))
            except _UNREADABLE as error:
                self.repair(error)
        assert self.repaired is not None
        return self.repaired[1]

    def postings(self, keys: list[str]) -> dict[str, Posting]:
        """These keys' postings."""
        if self.repaired is None:
            try:
                with self.connect() as connection:
                    return {key: _posting(blocks) for key, blocks in _stored_postings(connection, keys).items()}
            except _UNREADABLE as error:
                self.repair(error)
        assert self.repaired is not None
        postings = self.repaired[0]
        return {key: postings[key] for key in keys if key in postings}

    def records(self, relatives: list[str]) -> dict[str, Mission]:
        if self.repaired is None:
            try:
                return self._decoded(decode_records, self._stored("record", relatives), relatives)
            except _UNREADABLE as error:
                self.repair(error)
        assert self.repaired is not None
        return decode_records(self.folder, self.repaired[2], relatives)

    def listings(self, relatives: list[str]) -> dict[str, Listing]:
        if self.repaired is None:
            try:
                return self._decoded(decode_listings, self._stored("listing", relatives), relatives)
            except _UNREADABLE as error:
                self.repair(error)
        from refcli.records.browse import mission_listing

        return {relative: mission_listing(mission) for relative, mission in self.records(relatives).items()}

    def _stored(self, column: str, relatives: list[str]) -> dict[str, bytes | None]:
        """This column of these files' rows (every row's, read at once, when they are many)."""
        wanted = set(relatives)
        with self.connect() as connection:
            if len(wanted) <= 500:
                rows = connection.execute(f"SELECT path, {column} FROM files WHERE path IN "
                                          f"({', '.join('?' * len(wanted))})", sorted(wanted))
            else:
                rows = connection.execute(f"SELECT path, {column} FROM files")
            return {relative: data for relative, data in rows if relative in wanted}

    def _decoded(self, decode, stored: Mapping[str, bytes | None], relatives: list[str]):  # type: ignore[no-untyped-def]
        """decode_records or decode_listings: what the rows hold, decoded; bytes that are not a record's are damage."""
        try:
            return decode(self.folder, stored, relatives)
        except (KeyError, ValueError, TypeError, AttributeError, EOFError) as error:  # missing, or not a record
            raise Damaged(_("a record does not decode: {error}").format(error=error)) from None

    def repair(self, error: BaseException) -> None:
        """Read every file again with the slots of the warm load, rewrite the cache, serve from memory."""
        from refcli.records.library import read_rows
        from refcli.search.index import merge_postings

        rows, parts = read_rows(self.folder, self.vocabulary, [(relative, size, mtime, self.slots[relative])
                                                               for relative, (size, mtime) in self.files.items()],
                                self.concepts)
        postings, surfaces, repairs = merge_postings(parts)
        self.note = self.write(rows, postings, surfaces, repairs) or _("cache rebuilt ({reason})").format(
            reason=_reason(error))
        self.repaired = postings, surfaces, {row.relative: row.record for row in rows}

    def read_without(self, note: str, with_index: bool) -> CachedLibrary:
        """Read every file, as without the cache; note says why."""
        if with_index:
            from refcli.records.library import load_library_indexed

            library, index = load_library_indexed(self.folder, self.vocabulary)
            return CachedLibrary(library, index, note)
        from refcli.records.library import load_library

        return CachedLibrary(load_library(self.folder, self.vocabulary), None, note)

    # --- writing ---------------------------------------------------------------------------------

    def rebuild(self, with_index: bool, note: str | None = None) -> CachedLibrary:
        """Read every file, then write a fresh database beside the old one and rename it into place."""
        from refcli.records.library import library_from_rows, read_rows
        from refcli.search.index import memory_index, merge_postings

        rows, parts = read_rows(self.folder, self.vocabulary, [(relative, size, mtime, number) for number, (
            relative, (size, mtime)) in enumerate(self.files.items())], self.concepts)
        postings, surfaces, repairs = merge_postings(parts)
        note = self.write(rows, postings, surfaces, repairs) or note
        records = {row.relative: row.record for row in rows}
        library, facts = library_from_rows(self.folder, self.vocabulary, rows,
                                           lambda wanted: decode_records(self.folder, records, wanted))
        return CachedLibrary(library, memory_index(facts, postings, surfaces) if with_index else None, note)

    def write(self, rows: list[FileRow], postings: dict[str, Posting], surfaces: dict[str, str],
              repairs: dict[str, str]) -> str | None:
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
                    self._write_new(connection, rows, postings, surfaces, repairs)
                finally:
                    connection.close()
                os.replace(temporary, self.database)
            except BaseException:
                for leftover in (temporary, temporary + "-journal"):
                    with contextlib.suppress(OSError):
                        os.unlink(leftover)
                raise
        except (OSError, sqlite3.Error) as error:
            return _("cache not written ({folder}: {reason}); the library was read without it").format(
                folder=self.database.parent, reason=os_reason(error))
        return None

    def _write_new(self, connection: sqlite3.Connection, rows: list[FileRow], postings: dict[str, Posting],
                   surfaces: dict[str, str], repairs: dict[str, str]) -> None:
        # A fresh file, renamed into place once whole: no journal, no flush to disk (a cache lost to a crash
        # reads as damage and is rebuilt); postings inserted in their key's order, as the table is sorted.
        connection.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + _SCHEMA)
        with connection:
            connection.executemany("INSERT INTO meta VALUES (?, ?)", self.meta.items())
            connection.executemany(f"INSERT INTO files ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                   map(_file_values, _storable(rows)))
            connection.executemany("INSERT INTO postings VALUES (?, ?, ?)",
                                   ((key, block, data) for key, posting in sorted(postings.items())
                                    for block, data in _blocks(posting)))
            _put_blob(connection, "words", marshal.dumps(surfaces))
            _put_blob(connection, "repairs", marshal.dumps(repairs))
            _put_blob(connection, "manifest", _patched_manifest(_empty_manifest(), self.files, rows))

    def update(self, changed: set[str]) -> str | None:
        """Read again the files that changed (or appeared), forget the ones gone, patch the postings of
        their keys; return why the cache could not be updated, if it could not."""
        from refcli.records.library import read_rows

        try:
            with self.connect(write=True) as connection, connection:
                wanted = [relative for relative in sorted(changed | (self.manifest[0].keys() - self.files.keys()))
                          if relative.isascii() or shown_path(relative) == relative]
                old = {}
                for start in range(0, len(wanted), 500):
                    part = wanted[start:start + 500]
                    old.update((relative, (slot, record)) for relative, slot, record in connection.execute(
                        f"SELECT path, slot, record FROM files WHERE path IN ({', '.join('?' * len(part))})", part))
                (next_slot,) = connection.execute("SELECT coalesce(max(slot), -1) + 1 FROM files").fetchone()
                items = []
                for relative, (size, mtime) in self.files.items():
                    if relative in changed:
                        if relative in old:
                            slot = old[relative][0]
                        else:
                            slot, next_slot = next_slot, next_slot + 1
                        items.append((relative, size, mtime, slot))
                rows, parts = read_rows(self.folder, self.vocabulary, items, self.concepts)
                # What the files held before: their share of the index, from their stored records.
                from refcli.search.index import Indexer

                indexer = Indexer(self.vocabulary, self.concepts)
                gone = {relative: record for relative, (_, record) in old.items() if record is not None}
                decoded = self._decoded(decode_records, gone, list(gone))
                removed = [(old[relative][0], indexer.terms(mission)) for relative, mission in decoded.items()]
                self._patch(connection, removed, parts)
                connection.executemany("DELETE FROM files WHERE path = ?",
                                       [(relative,) for relative in old if relative not in self.files])
                connection.executemany(f"INSERT OR REPLACE INTO files ({_COLUMNS}) "
                                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", map(_file_values, _storable(rows)))
                _put_blob(connection, "manifest", _patched_manifest(self.manifest, self.files, rows))
        except sqlite3.OperationalError as error:  # cannot write (read-only, locked, disk full): do without
            return _("cache not updated ({error}); the library was read without it").format(error=error)
        return None

    def _patch(self, connection: sqlite3.Connection, removed: list[tuple[int, tuple]],
               added: list[tuple[Packed, dict[str, str]]]) -> None:
        """Take the slots read again out of their old keys' postings, and file them under their new ones.

        A broken word (U+FFFD) is filed where the build filed it (the repairs blob), a new one repaired
        against the library's words as the build does."""
        from refcli.search.index import repair_words

        new_words = {word: found for _, words in added for word, found in words.items()}
        surfaces: dict[str, str] = _loads(_blob(connection, "words"))
        repairs: dict[str, str] = _loads(_blob(connection, "repairs"))
        surfaces.update({word: found for word, found in new_words.items() if "\ufffd" not in word})
        broken = {word: found for word, found in new_words.items() if "\ufffd" in word and word not in repairs}
        if broken:
            repairs.update(repair_words({**surfaces, **broken}, _StoredPostings(connection)))
            # A broken word nothing fits stays a word of the library, as the build keeps it.
            surfaces.update({word: found for word, found in broken.items() if word not in repairs})

        def filed(key: str) -> str:
            return " ".join(repairs.get(part, part) for part in key.split(" ")) if "\ufffd" in key else key

        # (key, block) -> field -> slot -> count (None: gone)
        changes: dict[tuple[str, int], dict[int, dict[int, int | None]]] = {}
        for slot, (words, pairs, *_rest) in removed:
            for tables in (words, pairs):
                for field, table in enumerate(tables):
                    for key in table:
                        changes.setdefault((filed(key), slot // BLOCK), {}).setdefault(field, {})[slot] = None
        for packed, _words in added:
            for key, fields in packed.items():
                name = filed(key)
                for field, (slot_bytes, count_bytes) in fields.items():
                    slots, counts = array("i"), array("H")
                    slots.frombytes(slot_bytes)
                    counts.frombytes(count_bytes)
                    for slot, count in zip(slots, counts, strict=True):
                        column = changes.setdefault((name, slot // BLOCK), {}).setdefault(field, {})
                        column[slot] = (column.get(slot) or 0) + count
        stored = _stored_blocks(connection, list(changes))
        replaced, deleted = [], []
        for (key, block), fields in changes.items():
            posting = _posting([stored[key, block]]) if (key, block) in stored else {}
            for field, column in fields.items():
                slots, counts = posting.get(field) or (array("i"), array("H"))
                for slot, count in sorted(column.items()):  # in place: a changed file moves few entries
                    position = bisect.bisect_left(slots, slot)
                    present = position < len(slots) and slots[position] == slot
                    if count is None:
                        if present:
                            del slots[position], counts[position]
                    elif present:
                        counts[position] = count
                    else:
                        slots.insert(position, slot)
                        counts.insert(position, count)
                if slots:
                    posting[field] = (slots, counts)
                else:
                    posting.pop(field, None)
            if posting:
                replaced.append((key, block, _dump_posting(posting)))
            else:
                deleted.append((key, block))
        connection.executemany("INSERT OR REPLACE INTO postings VALUES (?, ?, ?)", replaced)
        connection.executemany("DELETE FROM postings WHERE key = ? AND block = ?", deleted)
        # The words whose stem no record holds any more leave the library's words, as a build leaves them out
        # (a typo taken out of a fiche would stay a word the library writes: never corrected, reaching nothing).
        gone = {key for key, _block in deleted if " " not in key}
        if gone:
            left = set()
            candidates = sorted(gone)
            for start in range(0, len(candidates), 500):
                part = candidates[start:start + 500]
                left.update(key for (key,) in connection.execute(
                    f"SELECT DISTINCT key FROM postings WHERE key IN ({', '.join('?' * len(part))})", part))
            dropped = gone - left
            if dropped:
                surfaces = {word: found for word, found in surfaces.items() if found not in dropped}
        _check_repairs(connection, surfaces, repairs, {key for key, _block in changes})
        _put_blob(connection, "words", marshal.dumps(surfaces))
        _put_blob(connection, "repairs", marshal.dumps(repairs))


class NeedsRebuild(Exception):
    """A patch cannot give what a build would: the cache is built again (silently: no damage)."""


def _check_repairs(connection: sqlite3.Connection, surfaces: dict[str, str], repairs: dict[str, str],
                   patched: set[str]) -> None:
    """A broken word (U+FFFD) is read as the library's most spread word that fits it: when the patch changed the
    postings of a word that fits one, that reading may change, which moves postings a patch cannot separate
    (the broken word's and the clean word's, filed under one key): NeedsRebuild if it does."""
    from refcli.search.index import REPLACEMENT, broken_pattern, repair_words

    broken = [word for word in [*repairs, *surfaces] if REPLACEMENT in word]
    if not broken:  # the usual library
        return
    stems = set(surfaces.values())
    clean = {surface: found for surface, found in surfaces.items() if REPLACEMENT not in surface}
    touched = [surface for surface, found in clean.items() if found in patched]
    for word in broken:
        pattern = broken_pattern(word)
        near = any(len(word) <= len(surface) <= len(word) + 2 and pattern.fullmatch(surface) for surface in touched)
        if not near and not (word in repairs and repairs[word] not in stems):
            continue
        if repair_words({**clean, word: word}, _StoredPostings(connection)).get(word) != repairs.get(word):
            raise NeedsRebuild(word)


# A posting is stored as blocks of this many slots: a file's patch rewrites one block of each of its keys
# (measured on 10,000 copies of the shipped fiches: 0.9 MB written instead of 9 MB), a search reads them all.
BLOCK = 1024


def _stored_postings(connection: sqlite3.Connection, keys: list[str]) -> dict[str, list[bytes]]:
    """These keys' stored postings, undecoded, each as its blocks in order: one query per 500 keys (SQLite's
    count of parameters)."""
    found: dict[str, list[bytes]] = {}
    for start in range(0, len(keys), 500):
        part = keys[start:start + 500]
        for key, data in connection.execute(f"SELECT key, data FROM postings WHERE key IN "
                                            f"({', '.join('?' * len(part))}) ORDER BY key, block", part):
            found.setdefault(key, []).append(data)
    return found


def _stored_blocks(connection: sqlite3.Connection, blocks: list[tuple[str, int]]) -> dict[tuple[str, int], bytes]:
    """These blocks of postings, undecoded, by (key, block): one query per 250 blocks."""
    found: dict[tuple[str, int], bytes] = {}
    for start in range(0, len(blocks), 250):
        part = blocks[start:start + 250]
        rows = connection.execute(f"SELECT key, block, data FROM postings WHERE (key, block) IN "
                                  f"(VALUES {', '.join(['(?, ?)'] * len(part))})", [value for pair in part
                                                                                    for value in pair])
        found.update(((key, block), data) for key, block, data in rows)
    return found


class _StoredPostings(Mapping):
    """The postings of a database, read one key at a time (what repairing a few words reads)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __getitem__(self, key: str) -> Posting:
        blocks = _stored_postings(self.connection, [key])
        if not blocks:
            raise KeyError(key)
        return _posting(blocks[key])

    def __iter__(self) -> Iterator[str]:
        return (key for (key,) in self.connection.execute("SELECT DISTINCT key FROM postings"))

    def __len__(self) -> int:
        return self.connection.execute("SELECT count(DISTINCT key) FROM postings").fetchone()[0]


def _identity(vocabulary: Vocabulary, glossary: Glossary) -> str:
    """What shapes the cache's content, as one digest: refcli's version, the source of the modules that
    read, check, index and store records, the components file (validation and the index read it) and the
    glossary's concepts (the index marks them in each mission)."""
    here = Path(__file__).parents[1]  # refcli/
    parts = [__version__.encode(), catalog_identity()]
    for name in SHAPING_MODULES:
        parts.append((here / name).read_bytes())
    source = vocabulary.source
    parts.append(source.read_bytes() if source else b"")
    parts.append(repr([(concept.name, concept.kind, concept.stems) for concept in glossary.concepts]).encode())
    parts.append(repr(sorted(glossary.acronyms)).encode())  # kept whole by the stemmer: the index's keys
    return _digest(b"\0".join(parts))


def _reason(error: BaseException) -> str:
    if isinstance(error, Damaged):
        return str(error)
    return f"{type(error).__name__}: {error}"


def _digest(data: bytes) -> str:
    """A hex digest (blake2b)."""
    return content_digest(data, 20).hex()


def _loads(data: bytes):  # type: ignore[no-untyped-def]
    """marshal.loads, its failures on damaged bytes told as Damaged."""
    try:
        return marshal.loads(data)
    except (ValueError, EOFError, TypeError) as error:
        raise Damaged(_("a stored value does not decode ({error})").format(error=error)) from None


def _blob(connection: sqlite3.Connection, name: str) -> bytes:
    row = connection.execute("SELECT data FROM blobs WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise Damaged(_("no {name} in the cache").format(name=name))
    return row[0]


def _put_blob(connection: sqlite3.Connection, name: str, data: bytes) -> None:
    connection.execute("INSERT OR REPLACE INTO blobs VALUES (?, ?)", (name, data))


def _dump_posting(posting: Posting) -> bytes:
    return marshal.dumps({field: (slots.tobytes(), counts.tobytes()) for field, (slots, counts) in posting.items()})


def _blocks(posting: Posting) -> list[tuple[int, bytes]]:
    """A posting cut into its blocks of BLOCK slots: (block, its stored bytes), each as _dump_posting."""
    block = next(iter(posting.values()))[0][0] // BLOCK
    if all(slots[0] // BLOCK == block == slots[-1] // BLOCK for slots, _ in posting.values()):  # most keys
        return [(block, _dump_posting(posting))]
    parts: dict[int, Posting] = {}
    for field, (slots, counts) in posting.items():
        start = 0
        while start < len(slots):
            block = slots[start] // BLOCK
            end = bisect.bisect_left(slots, (block + 1) * BLOCK, start)
            parts.setdefault(block, {})[field] = (slots[start:end], counts[start:end])
            start = end
    return [(block, _dump_posting(part)) for block, part in sorted(parts.items())]


def _posting(blocks: list[bytes]) -> Posting:
    """A posting from its stored blocks, in order, checked: as many counts as slots, slots ascending."""
    posting: Posting = {}
    for data in blocks:
        stored = _loads(data)
        if not isinstance(stored, dict) or not stored:
            raise Damaged(_("a damaged posting"))
        for field, (slot_bytes, count_bytes) in stored.items():
            slots, counts = array("i"), array("H")
            try:
                slots.frombytes(slot_bytes)
                counts.frombytes(count_bytes)
            except (TypeError, ValueError) as error:
                raise Damaged(_("a damaged posting ({error})").format(error=error)) from None
            if len(slots) != len(counts) or not slots:
                raise Damaged(_("a damaged posting"))
            if field in posting:
                posting[field][0].extend(slots)
                posting[field][1].extend(counts)
            else:
                posting[field] = (slots, counts)
    for slots, _counts in posting.values():
        listed = slots.tolist()
        if listed != sorted(listed):  # ascending, within and across blocks, checked in C
            raise Damaged(_("a damaged posting"))
    return posting


def _digest_of(path: Path) -> bytes | None:
    """The digest of a file's bytes as load.read_record_bytes reads them; None if it cannot be read."""
    from refcli.records.load import MAX_RECORD_BYTES

    try:
        return content_digest(read_limited(path, MAX_RECORD_BYTES))
    except OSError:
        return None


def _dependencies_hold(depends: str | None) -> bool:
    """Whether the illustration files a record's validation looked at still exist, or not, as they did."""
    if not depends:
        return True
    import json

    return all(Path(target).is_file() == existed for target, existed in json.loads(depends))


def _file_values(row: FileRow) -> tuple:
    facts = marshal.dumps(row.facts) if row.facts is not None else None
    return (row.relative, row.slot, row.size, row.mtime, row.mission_id, row.problems, row.depends, facts,
            row.record, row.digest, row.listing)


def _storable(rows: list[FileRow]) -> list[FileRow]:
    """The rows SQLite can store: a file name that is not UTF-8 (never a valid record) is in the manifest
    only, and read again on each run."""
    return [row for row in rows if row.relative.isascii() or shown_path(row.relative) == row.relative]


def _empty_manifest() -> tuple:
    """A manifest with no file: a rebuild's manifest is this one patched with every row."""
    return {}, [], [], {}, {}, ([], [], [], [], [], {}, []), {}


def _patched_manifest(manifest: tuple, order: dict[str, tuple[int, int]], rows: list[FileRow]) -> bytes:
    """What a warm start reads of the files, as one marshal blob in the library's file order: each file's
    (size, mtime_ns) by path, then columns: slots, mission ids, problems and dependencies by path (the few
    files that have them), and the valid records' facts (index.columns_of). Made from the old manifest and
    the rows of the files read again (every file, for a rebuild)."""
    from refcli.search.index import Facts, columns_of

    old_stats, old_slots, old_ids, old_problems, old_depends, columns, old_racy = manifest
    edited = _edited_in_place(manifest, order, rows)
    if edited is not None:
        return edited
    slot_of = dict(zip(old_stats, old_slots, strict=True))
    id_of = dict(zip(old_stats, old_ids, strict=True))
    facts = Facts(dict(zip(columns[0], columns[1], strict=True)), columns)
    facts_of = {slot: facts.of(slot) for slot in columns[0]}
    problems = {relative: value for relative, value in old_problems.items() if relative in order}
    depends = {relative: value for relative, value in old_depends.items() if relative in order}
    for row in rows:
        old_slot = slot_of.get(row.relative)
        if old_slot is not None:
            facts_of.pop(old_slot, None)
        slot_of[row.relative], id_of[row.relative] = row.slot, row.mission_id
        problems.pop(row.relative, None)
        depends.pop(row.relative, None)
        if row.problems is not None:
            problems[row.relative] = row.problems
        if row.depends:
            depends[row.relative] = row.depends
        if row.facts is not None:
            facts_of[row.slot] = row.facts
    kept = [slot_of[relative] for relative in order]
    valid = set(kept)
    return marshal.dumps((_stats(order, rows), kept, [id_of[relative] for relative in order], problems, depends,
                          columns_of((slot, facts_of[slot]) for slot in kept if slot in facts_of and slot in valid),
                          _racy(old_racy, order, rows)))


def _stats(order: dict[str, tuple[int, int]], rows: list[FileRow]) -> dict[str, tuple[int, int]]:
    """Each file's (size, mtime_ns) as found, but (-1, -1) for a file that could not be read: it is not
    known, and is read again on the next run (a permission fixed is seen)."""
    stats = dict(order)
    stats.update((row.relative, (-1, -1)) for row in rows if row.size < 0)
    return stats


def _racy(old: dict[str, bytes], order: dict[str, tuple[int, int]], rows: list[FileRow]) -> dict[str, bytes]:
    """The racy files' digests (load.RACY_NS), by path: the old ones not read again, and the rows'."""
    racy = {relative: digest for relative, digest in old.items() if relative in order}
    for row in rows:
        racy.pop(row.relative, None)
        if row.digest is not None:
            racy[row.relative] = row.digest
    return racy


def _edited_in_place(manifest: tuple, order: dict[str, tuple[int, int]], rows: list[FileRow]) -> bytes | None:
    """The usual update, done in place: the same files, valid before and after, only edited. None otherwise."""
    stats, slots, ids, problems, depends, columns, racy = manifest
    if stats.keys() != order.keys() or any(row.facts is None or row.relative in problems for row in rows):
        return None
    position = {slot: number for number, slot in enumerate(columns[0])}
    index_of = {relative: number for number, relative in enumerate(stats)}
    ongoing, public, levels, lengths = set(columns[3]), set(columns[4]), columns[5], columns[6]
    width = len(lengths) // len(columns[0]) if columns[0] else 0
    for row in rows:
        number = position.get(row.slot)
        if number is None or slots[index_of[row.relative]] != row.slot:
            return None
        mission_id, end, is_ongoing, is_public, covered, field_lengths = row.facts
        ids[index_of[row.relative]] = mission_id
        columns[1][number], columns[2][number] = mission_id, end
        (ongoing.add if is_ongoing else ongoing.discard)(row.slot)
        (public.add if is_public else public.discard)(row.slot)
        for component in list(levels):
            component_slots, component_levels = levels[component]
            if row.slot in component_slots:
                where = component_slots.index(row.slot)
                del component_slots[where], component_levels[where]
        for component, level in covered.items():
            component_slots, component_levels = levels.setdefault(component, ([], []))
            where = bisect.bisect_left([position[slot] for slot in component_slots], number)
            component_slots.insert(where, row.slot)
            component_levels.insert(where, level)
        lengths[number * width:(number + 1) * width] = list(field_lengths)
        if row.depends:
            depends[row.relative] = row.depends
        else:
            depends.pop(row.relative, None)
    in_order = [slot for slot in columns[0]]
    columns = (columns[0], columns[1], columns[2], [slot for slot in in_order if slot in ongoing],
               [slot for slot in in_order if slot in public], {component: pair for component, pair in levels.items()
                                                             if pair[0]}, lengths)
    return marshal.dumps((_stats(order, rows), slots, ids, problems, depends, columns, _racy(racy, order, rows)))
