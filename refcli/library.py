"""Load a data folder into a Library: read, validate, reject duplicate ids, keep every problem.

Reading a record file (parse, validate, and for the index and the cache its words and the
illustration files its validation looked at) is one function, read_file, shared by load_library
and the cache (refcli/cache.py). read_files runs it over many files, across the machine's cores when
there are enough of them; its results are the serial path's, in the same order.

The cache reads through read_rows: what crosses back from a worker process is compact (each file's
row: id, facts, problems, the record and its words as JSON; the postings of its chunk packed in a
few arrays), not the Mission objects, whose pickling cost more than reading the files. A search
without the cache makes no Mission at all (_read_for_search): its workers keep each record's words
and answer for the postings the search asks for. The records a search shows are decoded when shown.
"""

from __future__ import annotations

import contextlib
import json
import marshal
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from refcli.errors import Problem, UserError
from refcli.frozen import frozen
from refcli.load import find_record_files, read_record
from refcli.model import Library, Mission
from refcli.scan import scan_record_files
from refcli.vocabulary import Vocabulary, load_vocabulary

if TYPE_CHECKING:
    from refcli.index import Facts, MissionFacts, RecordWords, SearchIndex, Share

# Below this many files, starting worker processes costs more than it saves.
PARALLEL_FROM = 500
# Files per task sent to a worker: few enough tasks to keep the overhead low, enough to share the work.
CHUNK_SIZE = 250


@frozen
class FileResult:
    """What reading one record file gave: the mission or its problems, and on demand its words and dependencies."""

    path: Path
    result: Mission | Problem | list[Problem]
    terms: tuple[dict[str, int], dict[str, int]] | None  # index.mission_terms, with_terms and a valid record
    depends: list[tuple[str, bool]]  # with_depends: each illustration file looked at, and whether it existed


def read_file(folder: Path, vocabulary: Vocabulary, path: Path, *, with_terms: bool = False,
              with_depends: bool = False) -> FileResult:
    """Read, parse and validate one record file; with_terms, also its share of the index."""
    from refcli.validate import validate_record  # not imported by a warm search, which validates nothing

    raw = read_record(path)
    depends: list[tuple[str, bool]] = []
    if isinstance(raw, Problem):
        return FileResult(path, raw, None, depends)
    result = validate_record(raw, vocabulary, folder)
    if with_depends:
        illustrations = raw.table.get("illustrations")
        if isinstance(illustrations, list):
            for item in illustrations:
                if isinstance(item, dict) and isinstance(item.get("file"), str):
                    with contextlib.suppress(OSError, ValueError):
                        target = (path.parent / item["file"]).resolve()
                        depends.append((str(target), target.is_file()))
    terms = None
    if with_terms and isinstance(result, Mission):
        from refcli.index import mission_terms

        terms = mission_terms(result, vocabulary)
    return FileResult(path, result, terms, depends)


def read_files(folder: Path, vocabulary: Vocabulary, paths: Sequence[Path], *, with_terms: bool = False,
               with_depends: bool = False) -> list[FileResult]:
    """read_file over every path, in order; in worker processes when there are many files and cores."""
    chunks = _in_parallel(_read_chunk, (folder, vocabulary, with_terms, with_depends), paths)
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
                                         initializer=_start_worker, initargs=(work, options)) as pool:
                    return list(pool.map(_work_on_chunk, chunks))
            except (OSError, BrokenProcessPool, RuntimeError, NotImplementedError):
                pass
    return [work(options, items)]


_WORKER: tuple | None = None


def _start_worker(work: Callable, options: tuple) -> None:
    global _WORKER
    _WORKER = (work, options)


def _work_on_chunk(items: Sequence) -> list:
    assert _WORKER is not None
    work, options = _WORKER
    return work(options, items)


def _read_chunk(options: tuple, paths: Sequence[Path]) -> list[FileResult]:
    folder, vocabulary, with_terms, with_depends = options
    return [read_file(folder, vocabulary, path, with_terms=with_terms, with_depends=with_depends) for path in paths]


# --- reading for a search, and for the cache -----------------------------------------------------

class FileRow(NamedTuple):
    """What the cache keeps of one record file (a row of its files table)."""

    relative: str  # the path inside the library folder, with /
    size: int
    mtime: int  # st_mtime_ns
    slot: int  # the file's number in the index
    mission_id: str | None  # None: the file is not a valid record
    problems: str | None  # JSON [[key, message, line, column], ...] when it is not
    depends: str | None  # JSON [[illustration file, existed], ...]: what validation looked at
    facts: MissionFacts | None
    record: str | None = None  # the mission as JSON (serialize.mission_to_table); None: not a valid record
    terms: str | None = None  # its words and pairs as JSON (index.mission_terms)


def read_rows(folder: Path, vocabulary: Vocabulary, files: Sequence[tuple[str, int, int, int]], *,
              with_postings: bool = True) -> tuple[list[FileRow], list[Share]]:
    """Read these record files (relative path, size, mtime, slot; slots ascending) for the cache: their
    rows, in order, and (with_postings) their postings, one share per chunk; in worker processes when
    there are many."""
    chunks = _in_parallel(_read_rows_chunk, (folder, vocabulary, with_postings), files,
                          chunk_size=2000)
    return [row for rows, _ in chunks for row in rows], [share for _, share in chunks if share is not None]


def _read_rows_chunk(options: tuple, files: Sequence[tuple[str, int, int, int]]) -> tuple[list[FileRow],
                                                                                         Share | None]:
    from refcli.index import pack_share

    folder, vocabulary, with_postings = options
    rows, terms = _read_terms(folder, vocabulary, files)
    return rows, pack_share(terms) if with_postings else None


def _read_terms(folder: Path, vocabulary: Vocabulary, files: Sequence[tuple[str, int, int, int]]
                ) -> tuple[list[FileRow], list[tuple[int, tuple[dict[str, int], dict[str, int]]]]]:
    """Each file's row (with the record and its words as JSON), and each valid record's (slot, mission_terms)."""
    import gc

    from refcli.index import mission_facts, mission_terms
    from refcli.serialize import mission_to_table

    rows = []
    terms = []
    # Reading makes many small containers and frees none: the collector's passes over them are pure
    # cost (measured: 15% of validating).
    collecting = gc.isenabled()
    gc.disable()
    try:
        for relative, size, mtime, slot in files:
            result = read_file(folder, vocabulary, folder / relative, with_depends=True)
            depends = json.dumps(result.depends, ensure_ascii=False) if result.depends else None
            mission = result.result
            if isinstance(mission, Mission):
                words = mission_terms(mission, vocabulary)
                terms.append((slot, words))
                record = json.dumps(mission_to_table(mission), ensure_ascii=False, separators=(",", ":"))
                word_json = json.dumps(words, ensure_ascii=False, separators=(",", ":"))
                rows.append(FileRow(relative, size, mtime, slot, mission.id, None, depends, mission_facts(mission),
                                    record, word_json))
            else:
                rows.append(FileRow(relative, size, mtime, slot, None, problems_to_json(mission), depends, None))
    finally:
        if collecting:
            gc.enable()
    return rows, terms


# --- a search without the cache: workers that keep what they read and answer for postings --------

class _SearchRead(NamedTuple):
    """What a search without the cache keeps of some files (a worker's part, or all): plain lists and
    dicts, which marshal carries back from a worker in C."""

    ids: list[str | None]  # each file's mission id, in the order given; None: not a valid record
    problems: dict[int, str]  # a file's position in that order -> its problems (JSON) when it is not
    columns: tuple  # index.columns_of the valid records' facts
    words: set[str]  # the distinct words of the valid records


def _read_for_search(folder: Path, vocabulary: Vocabulary, files: Sequence[tuple[str, int, int, int]]
                     ) -> tuple[_SearchRead, RecordWords]:
    """What a search without the cache keeps of these files, and the valid records' words.

    read_file's reading and validation, without making the Mission (validate_table, then the index's
    record_fields and record_facts read the checked table): the search shows ten missions and reads
    their files again for them.
    """
    import gc

    from refcli.index import RecordWords, columns_of, record_facts, record_fields, record_words
    from refcli.validate import validate_table

    ids: list[str | None] = []
    problems = {}
    facts = []
    words = RecordWords()
    collecting = gc.isenabled()
    gc.disable()  # as in _read_terms
    try:
        for position, (relative, _, _, slot) in enumerate(files):
            raw = read_record(folder / relative)
            result = raw if isinstance(raw, Problem) else validate_table(raw, vocabulary, folder)
            if isinstance(result, dict):
                words.add(slot, record_words(record_fields(result, vocabulary)))
                ids.append(result["id"])
                facts.append((slot, record_facts(result)))
            else:
                ids.append(None)
                problems[position] = problems_to_json(result)
    finally:
        if collecting:
            gc.enable()
    return _SearchRead(ids, problems, columns_of(facts), words.distinct()), words


def _merge_reads(reads: Sequence[_SearchRead]) -> _SearchRead:
    """The reads of consecutive parts of the files as one read of them all (as _read_for_search gives)."""
    ids: list[str | None] = []
    problems: dict[int, str] = {}
    columns: tuple = ([], [], [], [], [], {})
    for read in reads:
        problems.update({len(ids) + position: found for position, found in read.problems.items()})
        ids += read.ids
        for column, part in zip(columns[:5], read.columns[:5], strict=True):
            column += part
        for component, (slots, levels) in read.columns[5].items():
            column = columns[5].setdefault(component, ([], []))
            column[0].extend(slots)
            column[1].extend(levels)
    return _SearchRead(ids, problems, columns, set().union(*(read.words for read in reads)))


def _serve(connection, folder: Path, vocabulary: Vocabulary, files: Sequence[tuple[str, int, int, int]]) -> None:
    """A worker: read its files, send back what a search keeps of them (_SearchRead), then answer for postings
    until told to stop."""
    try:
        read, words = _read_for_search(folder, vocabulary, files)
        connection.send(("read", marshal.dumps(tuple(read))))  # marshal: ~5 times faster than pickle here
        while True:
            keys = connection.recv()
            if keys is None:  # done: exit now, not after freeing every record's words one by one (~40 ms)
                connection.close()
                os._exit(0)
            connection.send(words.postings(keys))
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        pass
    except BaseException as error:  # a bug: the main process raises it
        with contextlib.suppress(Exception):
            connection.send(("error", error))
    finally:
        connection.close()


class _Readers:
    """The files of a search without the cache, read by forked workers (one contiguous part each) that keep
    each record's words: the main process gets the rows and the distinct words, then asks the workers
    for the postings of the words a search matched. Nothing else crosses back; no index is built."""

    def __init__(self, folder: Path, vocabulary: Vocabulary, files: Sequence[tuple[str, int, int, int]],
                 workers: int) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        size = -(-len(files) // workers)
        self.connections = []
        self.processes = []
        try:
            for start in range(0, len(files), size):
                parent, child = context.Pipe()
                process = context.Process(target=_serve, args=(child, folder, vocabulary, files[start:start + size]),
                                          daemon=True)
                process.start()
                child.close()
                self.connections.append(parent)
                self.processes.append(process)
            answers = [connection.recv() for connection in self.connections]
        except BaseException:
            self.close()
            raise
        for answer in answers:
            if answer[0] == "error":
                self.close()
                raise answer[1]
        self.read = _merge_reads([_SearchRead(*marshal.loads(answer[1])) for answer in answers])

    def postings(self, keys: list[str]) -> dict[str, tuple[list[int], list[int]]]:
        for connection in self.connections:
            connection.send(keys)
        parts = [connection.recv() for connection in self.connections]
        return {key: ([slot for part in parts for slot in part[key][0]],
                      [mask for part in parts for mask in part[key][1]]) for key in keys}

    def close(self) -> None:
        for connection in self.connections:
            with contextlib.suppress(OSError, ValueError):
                connection.send(None)
            connection.close()
        for process in self.processes:
            process.join(timeout=2)
            if process.is_alive():
                process.kill()
                process.join()
        self.connections, self.processes = [], []


def _search_index(folder: Path, vocabulary: Vocabulary, files: Sequence[tuple[str, int, int, int]]
                  ) -> tuple[_SearchRead, Callable[[list[str]], dict[str, tuple[list[int], list[int]]]]]:
    """Read the files for a search: what it keeps of them, and a function giving keys' postings (in
    worker processes above PARALLEL_FROM files and with more than one core, else here)."""
    import weakref

    workers = _cores()
    if len(files) > PARALLEL_FROM and workers > 1:
        import multiprocessing

        if "fork" in multiprocessing.get_all_start_methods():
            with contextlib.suppress(OSError, EOFError):  # no fork, or a worker that died: read here
                readers = _Readers(folder, vocabulary, files, workers)

                def postings(keys: list[str]) -> dict[str, tuple[list[int], list[int]]]:
                    return readers.postings(keys)

                weakref.finalize(postings, readers.close)  # when the index is done with, or at exit
                return readers.read, postings
    read, words = _read_for_search(folder, vocabulary, files)
    return read, words.postings


def problems_to_json(result: Problem | list[Problem]) -> str:
    listed = [result] if isinstance(result, Problem) else result
    return json.dumps([[problem.key, problem.message, problem.line, problem.column] for problem in listed],
                      ensure_ascii=False)


def problems_from_json(path: Path, problems: str) -> list[Problem]:
    return [Problem(str(path), *problem) for problem in json.loads(problems)]


@frozen
class Kept:
    """Which files of a library a search sees: the first valid file with each id; the others' problems."""

    order: list[tuple[str, str]]  # (relative path, mission id) of the missions, by id
    problems: tuple[Problem, ...]
    skipped: tuple[str, ...]

    def facts(self, columns: tuple, slots: Callable[[], Mapping[str, int]]) -> Facts:
        """The facts a search reads, from every valid file's columns (index.columns_of), its ids limited to
        the missions kept; slots() gives each path's slot, asked for only when a valid file was left out."""
        from refcli.index import Facts

        searchable = None
        if len(self.order) != len(columns[0]):  # some valid files are left out: duplicate ids
            slot_of = slots()
            searchable = {slot_of[relative] for relative, _ in self.order}
        return Facts.from_columns(columns, searchable)


def keep_first(folder: Path, paths: Sequence[str], ids: Sequence[str | None], stored: dict[str, str]) -> Kept:
    """From each file's relative path and mission id (None: not a valid record), in file order, and the
    problems (JSON) of the invalid ones by path: the first file with an id keeps it, a later one is left
    out with a problem."""
    if None not in ids and len(set(ids)) == len(ids):  # the usual case, in C: every file valid, no id twice
        return Kept(sorted(zip(paths, ids, strict=True), key=itemgetter(1)), (), ())  # type: ignore[arg-type]
    files = zip(paths, ids, [stored.get(relative) for relative in paths], strict=True)
    problems: list[Problem] = []
    skipped: list[str] = []
    first: dict[str, str] = {}
    for relative, mission_id, stored_problems in files:
        if mission_id is not None and mission_id not in first:
            first[mission_id] = relative
            continue
        path = folder / relative  # only for the files left out: a Path each costs more than the loop
        if mission_id is None:
            problems += problems_from_json(path, stored_problems or "[]")
        else:
            problems.append(duplicate_problem(path, mission_id, folder / first[mission_id]))
        skipped.append(str(path))
    order = sorted(((relative, mission_id) for mission_id, relative in first.items()), key=itemgetter(1))
    return Kept(order, tuple(problems), tuple(skipped))


class LazyMissions(Sequence):
    """A library's missions, in id order, decoded only when asked for (a search shows ten of ten thousand).

    load takes relative paths and returns their Missions; the cache decodes them from its rows, a
    search without the cache reads the files again.
    """

    def __init__(self, order: list[tuple[str, str]], load: Callable[[list[str]], dict[str, Mission]]) -> None:
        self.paths = list(map(itemgetter(0), order))
        self.numbers = dict(zip(map(itemgetter(1), order), range(len(order)), strict=True))
        self.load = load
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
            self.decoded[number] = self.load([relative])[relative]
        return self.decoded[number]

    def __iter__(self) -> Iterator[Mission]:
        missing = [number for number in range(len(self.paths)) if number not in self.decoded]
        if missing:
            loaded = self.load([self.paths[number] for number in missing])
            for number in missing:
                self.decoded[number] = loaded[self.paths[number]]
        return (self.decoded[number] for number in range(len(self.paths)))


def library_from_rows(folder: Path, vocabulary: Vocabulary, rows: Iterable[FileRow],
                      load: Callable[[list[str]], dict[str, Mission]]) -> tuple[Library, Facts]:
    """The library of these rows (missions decoded by load when used), and the facts of its missions."""
    from refcli.index import Facts

    rows = list(rows)
    kept = keep_first(folder, [row.relative for row in rows], [row.mission_id for row in rows],
                      {row.relative: row.problems for row in rows if row.problems is not None})
    wanted = {relative for relative, _ in kept.order}
    facts = Facts.gather((row.slot, row.facts) for row in rows if row.relative in wanted)  # type: ignore[misc]
    library = Library(folder, LazyMissions(kept.order, load), vocabulary, kept.problems, kept.skipped)
    return library, facts


def reread(folder: Path, vocabulary: Vocabulary) -> Callable[[list[str]], dict[str, Mission]]:
    """A LazyMissions loader that reads the files again (the search without the cache kept no Missions)."""

    def load(relatives: list[str]) -> dict[str, Mission]:
        results = read_files(folder, vocabulary, [folder / relative for relative in relatives])
        missions = {}
        for relative, result in zip(relatives, results, strict=True):
            if not isinstance(result.result, Mission):
                raise UserError(f"{folder / relative}: the record changed while it was being searched; "
                                "run the command again")
            missions[relative] = result.result
        return missions

    return load


def load_library(folder: Path, vocabulary: Vocabulary | None = None) -> Library:
    """Read every record under folder; invalid files are left out and their problems kept."""
    return _load(folder, vocabulary, with_terms=False)[0]


def load_library_indexed(folder: Path, vocabulary: Vocabulary | None = None) -> tuple[Library, SearchIndex]:
    """The library as a search without the cache sees it, and its index, in one pass over the files.

    Its missions are decoded when used (the files are read again): a search shows ten. The index
    builds no postings: a word's is gathered from the records' words when the search asks for it.
    """
    from array import array

    from refcli.index import SearchIndex

    vocabulary = vocabulary or load_vocabulary(folder)
    files = scan_record_files(folder, stat=False)  # nothing is cached: the names are enough
    if not files:
        raise no_records_error(folder)
    relatives = list(files)
    read, postings = _search_index(folder, vocabulary, [(relative, 0, 0, slot)
                                                        for slot, relative in enumerate(relatives)])
    # The slots are the files' positions; the first valid file with an id keeps it (keep_first).
    kept = keep_first(folder, relatives, read.ids, {relatives[position]: found
                                                    for position, found in read.problems.items()})
    library = Library(folder, LazyMissions(kept.order, reread(folder, vocabulary)), vocabulary, kept.problems,
                      kept.skipped)
    facts = kept.facts(read.columns, lambda: {relative: slot for slot, relative in enumerate(relatives)})
    words = read.words

    def fetch_many(keys: list[str]):
        return {key: (array("i", slots), array("H", masks)) if slots else None
                for key, (slots, masks) in postings(keys).items()}

    def fetch(key: str):
        return fetch_many([key])[key]

    return library, SearchIndex(facts, lambda: sorted(words), fetch, fetch_many)


def _load(folder: Path, vocabulary: Vocabulary | None, *, with_terms: bool) -> tuple[Library, list[FileResult]]:
    vocabulary = vocabulary or load_vocabulary(folder)
    files = find_record_files(folder)
    if not files:
        raise no_records_error(folder)
    results = read_files(folder, vocabulary, files, with_terms=with_terms)
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
    return Problem(str(path), "id", f"duplicate id {mission_id!r}, already used by {first}")


def no_records_error(folder: Path) -> UserError:
    return UserError(
        f"{folder}: no mission records (*.toml) in the library folder; "
        "add one with 'refcli new' or 'refcli import', or pass --data DIR"
    )
