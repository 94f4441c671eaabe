"""Load a data folder into a Library: read, validate, reject duplicate ids, keep every problem."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from refcli.errors import Problem, UserError
from refcli.load import find_record_files, read_record
from refcli.model import Library, Mission
from refcli.validate import validate_record
from refcli.vocabulary import Vocabulary, load_vocabulary


def load_library(folder: Path, vocabulary: Vocabulary | None = None) -> Library:
    """Read every record under folder; invalid files are left out and their problems kept."""
    vocabulary = vocabulary or load_vocabulary(folder)
    files = find_record_files(folder)
    if not files:
        raise no_records_error(folder)
    results = []
    for path in files:
        raw = read_record(path)
        results.append((path, raw if isinstance(raw, Problem) else validate_record(raw, vocabulary, folder)))
    return assemble_library(folder, vocabulary, results)


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
