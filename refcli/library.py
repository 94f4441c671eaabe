"""Load a data folder into a Library: read, validate, reject duplicate ids, keep every problem.

Reading a record file (parse, validate, and for the index and the cache its words and the
illustration files its validation looked at) is one function, read_file, shared by load_library,
the cache (refcli/cache.py) and the search without the cache. read_files runs it over many files,
across the machine's cores when there are enough of them; its results are the serial path's, in
the same order.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from refcli.errors import Problem, UserError
from refcli.load import find_record_files, read_record
from refcli.model import Library, Mission
from refcli.validate import validate_record
from refcli.vocabulary import Vocabulary, load_vocabulary

if TYPE_CHECKING:
    from refcli.index import SearchIndex

# Below this many files, starting worker processes costs more than it saves.
PARALLEL_FROM = 500
# Files per task sent to a worker: few enough tasks to keep the overhead low, enough to share the work.
CHUNK_SIZE = 250


@dataclass(frozen=True, slots=True)
class FileResult:
    """What reading one record file gave: the mission or its problems, and on demand its words and dependencies."""

    path: Path
    result: Mission | Problem | list[Problem]
    terms: tuple[dict[str, int], dict[str, int]] | None  # index.mission_terms, with_terms and a valid record
    depends: list[tuple[str, bool]]  # with_depends: each illustration file looked at, and whether it existed


def read_file(folder: Path, vocabulary: Vocabulary, path: Path, *, with_terms: bool = False,
              with_depends: bool = False) -> FileResult:
    """Read, parse and validate one record file; with_terms, also its share of the index."""
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
    options = (folder, vocabulary, with_terms, with_depends)
    workers = _cores()
    if len(paths) > PARALLEL_FROM and workers > 1:
        results = _read_in_parallel(options, paths, workers)
        if results is not None:
            return results
    return _read_chunk_with(options, paths)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _read_in_parallel(options: tuple, paths: Sequence[Path], workers: int) -> list[FileResult] | None:
    """Read the files in chunks in forked worker processes; None if the pool cannot be used (then serially)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    if "fork" not in multiprocessing.get_all_start_methods():
        return None  # spawning a fresh interpreter per worker costs more than it saves
    size = max(1, min(CHUNK_SIZE, -(-len(paths) // (workers * 4))))
    chunks = [paths[start:start + size] for start in range(0, len(paths), size)]
    results: list[FileResult] = []
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                                 initializer=_start_worker, initargs=(options,)) as pool:
            for chunk_results in pool.map(_read_chunk, chunks):
                results += chunk_results
    except (OSError, BrokenProcessPool, RuntimeError, NotImplementedError):
        return None
    return results


_WORKER_OPTIONS: tuple | None = None


def _start_worker(options: tuple) -> None:
    global _WORKER_OPTIONS
    _WORKER_OPTIONS = options


def _read_chunk(paths: Sequence[Path]) -> list[FileResult]:
    assert _WORKER_OPTIONS is not None
    return _read_chunk_with(_WORKER_OPTIONS, paths)


def _read_chunk_with(options: tuple, paths: Sequence[Path]) -> list[FileResult]:
    folder, vocabulary, with_terms, with_depends = options
    return [read_file(folder, vocabulary, path, with_terms=with_terms, with_depends=with_depends) for path in paths]


def load_library(folder: Path, vocabulary: Vocabulary | None = None) -> Library:
    """Read every record under folder; invalid files are left out and their problems kept."""
    return _load(folder, vocabulary, with_terms=False)[0]


def load_library_indexed(folder: Path, vocabulary: Vocabulary | None = None) -> tuple[Library, SearchIndex]:
    """load_library and the library's index, each record's words taken in the same pass as its reading."""
    from refcli.index import assemble_index

    library, results = _load(folder, vocabulary, with_terms=True)
    terms = {result.path: result.terms for result in results if result.terms is not None}
    index = assemble_index(library.missions, [terms[mission.path] for mission in library.missions],  # type: ignore[misc]
                           library.vocabulary)
    return library, index


def _load(folder: Path, vocabulary: Vocabulary | None, *, with_terms: bool) -> tuple[Library, list[FileResult]]:
    vocabulary = vocabulary or load_vocabulary(folder)
    files = find_record_files(folder)
    if not files:
        raise no_records_error(folder)
    results = read_files(folder, vocabulary, files, with_terms=with_terms)
    return assemble_library(folder, vocabulary, [(result.path, result.result) for result in results]), results


def assemble_library(folder: Path, vocabulary: Vocabulary,
                     results: Iterable[tuple[Path, Mission | Problem | list[Problem]]]) -> Library:
    """Gather each file's result, in path order: the first file with an id keeps it, a later one is left out."""
    problems: list[Problem] = []
    skipped: list[str] = []
    missions: dict[str, Mission] = {}
    for path, result in results:
        if isinstance(result, Mission):
            first = missions.get(result.id)
            if first is not None:
                result = [duplicate_problem(path, result.id, first.path)]
            else:
                missions[result.id] = result
                continue
        problems += [result] if isinstance(result, Problem) else result
        skipped.append(str(path))
    ordered = tuple(sorted(missions.values(), key=lambda mission: mission.id))
    return Library(folder, ordered, vocabulary, tuple(problems), tuple(skipped))


def duplicate_problem(path: Path, mission_id: str, first: Path | None) -> Problem:
    return Problem(str(path), "id", f"duplicate id {mission_id!r}, already used by {first}")


def no_records_error(folder: Path) -> UserError:
    return UserError(
        f"{folder}: no mission records (*.toml) in the library folder; "
        "add one with 'refcli new' or 'refcli import', or pass --data DIR"
    )
