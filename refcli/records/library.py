"""Load a data folder into a Library: read, validate, reject duplicate ids, keep every problem.

Reading a record file (parse, validate, and for the index and the cache its words and the
illustration files its validation looked at) is one function, read_file, shared by load_library
and the cache (refcli/search/cache.py). read_files runs it over many files, across the machine's cores when
there are enough of them; its results are the serial path's, in the same order.

A search reads through read_rows, with the cache or without it: what crosses back from a worker
process is compact (each file's row: id, facts, problems, the record marshal'ed; each chunk's postings
packed), not the Mission objects, whose pickling cost more than
reading the files. The index is merged from the chunks' postings (index.merge_postings); the records a
search shows are decoded from their rows when shown.
"""

from __future__ import annotations

import contextlib
import json
import marshal
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from refcli.errors import Problem, UserError
from refcli.frozen import frozen
from refcli.i18n import _
from refcli.records.load import (
    RACY_NS,
    content_digest,
    find_record_files,
    parse_record_bytes,
    read_record_bytes,
    shown_path,
)
from refcli.records.model import Library, Mission
from refcli.records.scan import is_record_name, scan_record_files
from refcli.records.vocabulary import Vocabulary, load_vocabulary

if TYPE_CHECKING:
    from refcli.records.browse import Listing
    from refcli.search.index import Facts, MissionFacts, Packed, SearchIndex

# Below this many files, starting worker processes costs more than it saves.
PARALLEL_FROM = 500
# Files per task sent to a worker: few enough tasks to keep the overhead low, enough to share the work.
CHUNK_SIZE = 250


@frozen
class FileResult:
    """What reading one record file gave: the mission or its problems, and on demand its words and dependencies."""

    path: Path
    result: Mission | Problem | list[Problem]
    depends: list[tuple[str, bool]]  # with_depends: each illustration file looked at, and whether it existed
    unread: bool = False  # the file could not be read (permissions, not a regular file): try again next run
    digest: bytes | None = None  # with_digest: a hash of the bytes read (the cache's check of racy entries)
    table: dict | None = None  # a valid record's checked table (validate.validate_table): what the cache keeps


def read_file(folder: Path, vocabulary: Vocabulary, path: Path, *, with_depends: bool = False,
              with_digest: bool = False) -> FileResult:
    """Read, parse and validate one record file; with_depends, also the illustration files it names."""
    from refcli.records.serialize import mission_from_table
    from refcli.records.validate import validate_table  # not imported by a warm search, which validates nothing

    depends: list[tuple[str, bool]] = []
    name = path.name
    if not name.endswith(".toml") and is_record_name(name):  # "x.TOML", "x.toml ": said, not unseen
        named = name.rstrip()[:-5] + ".toml"
        return FileResult(path, Problem(str(path), "", _("the file name does not end in '.toml' as a record's does: "
                                                         "rename it {name}").format(name=named)), depends)
    data = read_record_bytes(path)
    if isinstance(data, Problem):
        return FileResult(path, data, depends, unread=True)
    digest = content_digest(data) if with_digest else None
    raw = parse_record_bytes(path, data)
    if isinstance(raw, Problem):
        return FileResult(path, raw, depends, digest=digest)
    table = validate_table(raw, vocabulary, folder)
    result = table if isinstance(table, list) else mission_from_table(table, raw.path)
    if with_depends:
        illustrations = raw.table.get("illustrations")
        if isinstance(illustrations, list):
            for item in illustrations:
                if isinstance(item, dict) and isinstance(item.get("file"), str):
                    with contextlib.suppress(OSError, ValueError):
                        target = (path.parent / item["file"]).resolve()
                        depends.append((str(target), target.is_file()))
    return FileResult(path, result, depends, digest=digest, table=None if isinstance(table, list) else table)


def read_files(folder: Path, vocabulary: Vocabulary, paths: Sequence[Path], *,
               with_depends: bool = False) -> list[FileResult]:
    """read_file over every path, in order; in worker processes when there are many files and cores."""
    chunks = _in_parallel(_read_chunk, (folder, vocabulary, with_depends), paths)
    return [result for chunk in chunks for result in chunk]


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _in_parallel(work: Callable[[tuple, Sequence], list], options: tuple, items: Sequence,
                 chunk_size: int = CHUNK_SIZE) -> list:
    """[work(options, chunk) for each chunk of items, in order]: in forked worker processes when there
    are many items and cores, else (or if the pool cannot be used) in this process, as one chunk."""
    workers = _cores()
    if len(items) > PARALLEL_FROM and workers > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        # Forked, not spawned: spawning a fresh interpreter per worker costs more than it saves.
        if "fork" in multiprocessing.get_all_start_methods():
            size = max(1, min(chunk_size, -(-len(items) // (workers * 4))))
            chunks = [items[start:start + size] for start in range(0, len(items), size)]
            try:
                with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                                         initializer=_start_worker, initargs=(work, options, os.getpid())) as pool:
                    return list(pool.map(_work_on_chunk, chunks))
            except (OSError, BrokenProcessPool) as error:  # the machine's limits, a worker killed
                import warnings

                warnings.warn(PoolWarning(_("the worker processes failed ({kind}: {error}); "
                                            "the files were read in one process").format(kind=type(error).__name__,
                                                                                         error=error)), stacklevel=2)
    return [work(options, items)]


class PoolWarning(UserWarning):
    """Reading across cores failed and the files were read in one process: slower, same results."""


_WORKER: tuple | None = None


def _start_worker(work: Callable, options: tuple, parent: int) -> None:
    global _WORKER
    _WORKER = (work, options)
    _die_with(parent)


def _die_with(parent: int) -> None:
    """Make this worker die when its parent does, even by SIGKILL (the OOM killer): a worker waits for
    tasks on a pipe its siblings also hold open, so it would never see the end of it and live on, orphaned.

    On Linux, prctl(PR_SET_PDEATHSIG) has the kernel kill it; elsewhere a thread watches the parent's pid.
    Either way, a parent gone before this ran is seen at once."""
    import signal

    watched = False
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            watched = ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0) == 0  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)
    if not watched:
        import threading
        import time

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(1)
            os._exit(1)

        threading.Thread(target=watch, name="refcli-parent-watch", daemon=True).start()


def _work_on_chunk(items: Sequence) -> list:
    assert _WORKER is not None
    work, options = _WORKER
    return work(options, items)


def _read_chunk(options: tuple, paths: Sequence[Path]) -> list[FileResult]:
    folder, vocabulary, with_depends = options
    return [read_file(folder, vocabulary, path, with_depends=with_depends) for path in paths]


# --- reading for a search, and for the cache -----------------------------------------------------

class FileRow(NamedTuple):
    """What reading one record file gives a search and the cache (a row of the cache's files table)."""

    relative: str  # the path inside the library folder, with /
    size: int
    mtime: int  # st_mtime_ns
    slot: int  # the file's number in the index
    mission_id: str | None  # None: the file is not a valid record
    problems: str | None  # JSON [[key, message, line, column], ...] when it is not
    depends: str | None  # JSON [[illustration file, existed], ...]: what validation looked at
    facts: MissionFacts | None
    record: bytes | None = None  # the mission's checked table (FileResult.table), marshal'ed; None: not valid
    digest: bytes | None = None  # the bytes' hash, for a file modified too recently to trust its mtime (RACY_NS)
    listing: bytes | None = None  # what `list` shows of it (browse.Listing, without its file), marshal'ed


def read_rows(folder: Path, vocabulary: Vocabulary, files: Sequence[tuple[str, int, int, int]], concepts: Sequence = (),
              *, with_records: bool = True) -> tuple[list[FileRow], list[tuple[Packed, dict[str, str]]]]:
    """Read these record files (relative path, size, mtime, slot; slots ascending) into rows, in order, and
    each chunk's postings (index.Indexer.packed) with its surface words; in worker processes when there are
    many. concepts: the glossary's, which the index marks in each mission. Without with_records, the rows
    hold no record (a search without the cache reads the few it shows again)."""
    chunks = _in_parallel(_read_rows_chunk, (folder, vocabulary, tuple(concepts), with_records), files,
                          chunk_size=2000)
    return [row for rows, _ in chunks for row in rows], [part for _, part in chunks]


def _read_rows_chunk(options: tuple, files: Sequence[tuple[str, int, int, int]]
                     ) -> tuple[list[FileRow], tuple[Packed, dict[str, str]]]:
    """Each file's row, with the record marshal'ed; and the chunk's postings, packed (what crosses back from a
    worker is compact: pickling Missions cost more than reading the files)."""
    import gc
    import time

    from refcli.records.browse import mission_listing
    from refcli.search.index import Indexer, mission_facts

    folder, vocabulary, concepts, with_records = options
    indexer = Indexer(vocabulary, concepts)
    rows = []
    # Reading makes many small containers and frees none: the collector's passes over them are pure
    # cost (measured: 15% of validating).
    collecting = gc.isenabled()
    gc.disable()
    try:
        for relative, size, mtime, slot in files:
            # Racy (as git calls it): modified so shortly before it is read that a later edit may keep the
            # same size and mtime. Its bytes' hash is kept; the cache compares it on the next runs.
            racy = mtime + RACY_NS > time.time_ns()
            result = read_file(folder, vocabulary, folder / relative, with_depends=True, with_digest=racy)
            if result.unread:  # not known: read again on the next run
                size = mtime = -1
            depends = json.dumps(result.depends, ensure_ascii=False) if result.depends else None
            mission = result.result
            if isinstance(mission, Mission):
                lengths = indexer.add(slot, mission)
                # marshal: read back 5 times faster than JSON
                record = listing = None
                if with_records:
                    record = marshal.dumps(result.table)
                    listing = marshal.dumps(mission_listing(mission)[:-1])  # without the file
                rows.append(FileRow(relative, size, mtime, slot, mission.id, None, depends,
                                    mission_facts(mission, lengths), record, result.digest, listing))
            else:
                rows.append(FileRow(relative, size, mtime, slot, None, problems_to_json(mission), depends, None,
                                    None, result.digest))
        return rows, (indexer.packed(), indexer.surfaces)
    finally:
        if collecting:
            gc.enable()


def problems_to_json(result: Problem | list[Problem]) -> str:
    listed = [result] if isinstance(result, Problem) else result
    return json.dumps([[problem.key, problem.message, problem.line, problem.column] for problem in listed],
                      ensure_ascii=False)


def problems_from_json(path: Path, problems: str) -> list[Problem]:
    return [Problem(shown_path(path), *problem) for problem in json.loads(problems)]


@frozen
class Kept:
    """Which files of a library a search sees: the first valid file with each id; the others' problems."""

    order: list[tuple[str, str]]  # (relative path, mission id) of the missions, by id
    problems: tuple[Problem, ...]
    skipped: tuple[str, ...]

    def facts(self, columns: tuple, slots: Callable[[], Mapping[str, int]]) -> Facts:
        """The facts a search reads, from every valid file's columns (index.columns_of), its ids limited to
        the missions kept; slots() gives each path's slot, asked for only when a valid file was left out."""
        from refcli.search.index import Facts

        searchable = None
        if len(self.order) != len(columns[0]):  # some valid files are left out: duplicate ids
            slot_of = slots()
            searchable = {slot_of[relative] for relative, _ in self.order}
        return Facts.from_columns(columns, searchable)


def keep_first(folder: Path, paths: Sequence[str], ids: Sequence[str | None], stored: dict[str, str]) -> Kept:
    """From each file's relative path and mission id (None: not a valid record), in file order, and the
    problems (JSON) of the invalid ones by path: of the files with one id, the one named after it keeps it
    (`x.toml`, not the `x - Copie.toml` a copy left, which sorts first), else the first; the others are left
    out with a problem."""
    if None not in ids and len(set(ids)) == len(ids):  # the usual case, in C: every file valid, no id twice
        return Kept(sorted(zip(paths, ids, strict=True), key=itemgetter(1)), (), ())  # type: ignore[arg-type]
    first: dict[str, str] = {}
    for relative, mission_id in zip(paths, ids, strict=True):
        if mission_id is not None and (mission_id not in first or (
                not _named_after(first[mission_id], mission_id) and _named_after(relative, mission_id))):
            first[mission_id] = relative
    problems: list[Problem] = []
    skipped: list[str] = []
    for relative, mission_id in zip(paths, ids, strict=True):
        if mission_id is not None and first[mission_id] == relative:
            continue
        path = folder / relative  # only for the files left out: a Path each costs more than the loop
        if mission_id is None:
            problems += problems_from_json(path, stored.get(relative) or "[]")
        else:
            problems.append(duplicate_problem(path, mission_id, folder / first[mission_id]))
        skipped.append(str(path))
    order = sorted(((relative, mission_id) for mission_id, relative in first.items()), key=itemgetter(1))
    return Kept(order, tuple(problems), tuple(skipped))


def _named_after(relative: str, mission_id: str) -> bool:
    return relative.rpartition("/")[2] == f"{mission_id}.toml"


class LazyMissions(Sequence):
    """A library's missions, in id order, decoded only when asked for (a search shows ten of ten thousand).

    load takes relative paths and returns their Missions; the cache decodes them from its rows, a
    search without the cache reads the files again.
    """

    def __init__(self, order: list[tuple[str, str]], load: Callable[[list[str]], dict[str, Mission]],
                 load_listings: Callable[[list[str]], dict[str, Listing]] | None = None,
                 facts: Callable[[], Facts] | None = None) -> None:
        self.paths = list(map(itemgetter(0), order))
        self.numbers = dict(zip(map(itemgetter(1), order), range(len(order)), strict=True))
        self.load = load
        self.load_listings = load_listings  # the cache's: what `list` shows, without decoding the records
        self.facts = facts  # what a search reads of them (their last years...), without decoding them
        self.decoded: dict[int, Mission] = {}

    def paths_by_id(self) -> dict[str, str]:
        """Each mission's id -> its file's relative path, decoding none."""
        return dict(zip(self.numbers, self.paths, strict=True))

    def find(self, mission_id: str) -> Mission | None:
        """Return the mission with this id, decoding only it; None if there is none (Library.get)."""
        number = self.numbers.get(mission_id)
        return None if number is None else self[number]

    def find_all(self, mission_ids: Iterable[str]) -> dict[str, Mission]:
        """The missions with these ids (each in the library), decoded in one read (a search's results)."""
        numbers = self._decode([self.numbers[mission_id] for mission_id in mission_ids])
        return {mission.id: mission for mission in map(self.decoded.__getitem__, numbers)}

    def _decode(self, numbers: list[int]) -> list[int]:
        """Decode those of these missions not decoded yet, at once; return the numbers."""
        missing = [number for number in numbers if number not in self.decoded]
        if missing:
            loaded = self.load([self.paths[number] for number in missing])
            for number in missing:
                self.decoded[number] = loaded[self.paths[number]]
        return numbers

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, position):  # type: ignore[no-untyped-def, override]
        if isinstance(position, slice):
            return tuple(self[number] for number in range(*position.indices(len(self))))
        return self.decoded[self._decode([range(len(self.paths))[position]])[0]]

    def __iter__(self) -> Iterator[Mission]:
        return map(self.decoded.__getitem__, self._decode(list(range(len(self.paths)))))


def library_from_rows(folder: Path, vocabulary: Vocabulary, rows: Iterable[FileRow],
                      load: Callable[[list[str]], dict[str, Mission]]) -> tuple[Library, Facts]:
    """The library of these rows (missions decoded by load when used), and the facts of its missions."""
    from refcli.search.index import columns_of

    rows = list(rows)
    kept = keep_first(folder, [row.relative for row in rows], [row.mission_id for row in rows],
                      {row.relative: row.problems for row in rows if row.problems is not None})
    # The facts of every valid file, searchable or left out (a duplicate id), as the cache's manifest holds them.
    columns = columns_of((row.slot, row.facts) for row in rows if row.facts is not None)
    facts = kept.facts(columns, lambda: {row.relative: row.slot for row in rows})
    listings = {row.relative: row.listing for row in rows}
    missions = LazyMissions(kept.order, load, (lambda wanted: decode_listings(folder, listings, wanted))
                            if any(listings.values()) else None, lambda: facts)
    return Library(folder, missions, vocabulary, kept.problems, kept.skipped), facts


def load_library(folder: Path, vocabulary: Vocabulary | None = None) -> Library:
    """Read every record under folder; invalid files are left out and their problems kept."""
    return _load(folder, vocabulary)[0]


def load_library_indexed(folder: Path, vocabulary: Vocabulary | None = None) -> tuple[Library, SearchIndex]:
    """The library and its index, read from the files without the cache: the same read and the same
    index as the cache's, held in memory."""
    from refcli.search.index import memory_index, merge_postings

    vocabulary = vocabulary or load_vocabulary(folder)
    files = scan_record_files(folder, stat=False)  # nothing is cached: the names are enough
    if not files:
        raise no_records_error(folder)
    from refcli.search.glossary import load_glossary

    concepts = load_glossary(folder).concepts
    rows, parts = read_rows(folder, vocabulary, [(relative, 0, 0, slot) for slot, relative in enumerate(files)],
                            concepts, with_records=False)
    library, facts = library_from_rows(folder, vocabulary, rows, lambda wanted: _read_again(folder, vocabulary, wanted))
    postings, surfaces, _ = merge_postings(parts)
    return library, memory_index(facts, postings, surfaces)


def _read_again(folder: Path, vocabulary: Vocabulary, relatives: list[str]) -> dict[str, Mission]:
    """The Missions of these files, read again (a search without the cache shows ten of ten thousand)."""
    missions = {}
    for relative in relatives:
        result = read_file(folder, vocabulary, folder / relative).result
        if not isinstance(result, Mission):
            raise UserError(_("{path}: the record changed while it was being searched; "
                            "run the command again").format(path=folder / relative))
        missions[relative] = result
    return missions


def decode_records(folder: Path, records: Mapping[str, bytes | None], relatives: Iterable[str]) -> dict[str, Mission]:
    """The Missions of these files from their rows' checked tables (FileRow.record)."""
    from refcli.records.serialize import mission_from_table

    missions = {}
    for relative in relatives:
        record = records[relative]
        if record is None:
            raise ValueError(f"{relative}: no record")
        missions[relative] = mission_from_table(marshal.loads(record), folder / relative)
    return missions


def decode_listings(folder: Path, listings: Mapping[str, bytes | None], relatives: Iterable[str]
                    ) -> dict[str, Listing]:
    """The listings of these files from their rows (FileRow.listing), each with its file."""
    from refcli.records.browse import Listing

    prefix = str(folder / "x")[:-1]  # str(folder / relative) without a Path each: relatives are clean, with /
    found = {}
    for relative in relatives:
        listing = listings[relative]
        if listing is None:
            raise ValueError(f"{relative}: no listing")
        found[relative] = Listing(*marshal.loads(listing), prefix + relative)
    return found


def _load(folder: Path, vocabulary: Vocabulary | None) -> tuple[Library, list[FileResult]]:
    vocabulary = vocabulary or load_vocabulary(folder)
    files = find_record_files(folder)
    if not files:
        raise no_records_error(folder)
    results = read_files(folder, vocabulary, files)
    return assemble_library(folder, vocabulary, [(result.path, result.result) for result in results]), results


def assemble_library(folder: Path, vocabulary: Vocabulary,
                     results: Iterable[tuple[Path, Mission | Problem | list[Problem]]]) -> Library:
    """Gather each file's result, in path order: the first file with an id keeps it, a later one is left
    out (keep_first, the rule the cache and the search apply to their rows)."""
    relatives: list[str] = []
    ids: list[str | None] = []
    missions: dict[str, Mission] = {}
    problems: dict[str, str] = {}
    for path, result in results:
        relative = path.relative_to(folder).as_posix()
        relatives.append(relative)
        if isinstance(result, Mission):
            ids.append(result.id)
            missions[relative] = result
        else:
            ids.append(None)
            problems[relative] = problems_to_json(result)
    kept = keep_first(folder, relatives, ids, problems)
    return Library(folder, tuple(missions[relative] for relative, _ in kept.order), vocabulary, kept.problems,
                   kept.skipped)


def duplicate_problem(path: Path, mission_id: str, first: Path | None) -> Problem:
    return Problem(str(path), "id", _("duplicate id {mission_id!r}, already used by {first}")
                                    .format(mission_id=mission_id, first=first))


def no_records_error(folder: Path) -> UserError:
    return UserError(
        _("{folder}: no mission records (*.toml) in the library folder; "
        "add one with 'refcli new' or 'refcli import', or pass --data DIR").format(folder=folder)
    )
