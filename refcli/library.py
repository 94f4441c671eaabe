"""Load a data folder into a Library: read, validate, reject duplicate ids, keep every problem."""

from __future__ import annotations

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
        raise UserError(
            f"{folder}: no mission records (*.toml) in the library folder; "
            "add one with 'refcli new' or 'refcli import', or pass --data DIR"
        )
    problems: list[Problem] = []
    skipped: list[str] = []
    missions: dict[str, Mission] = {}
    for path in files:
        raw = read_record(path)
        result = raw if isinstance(raw, Problem) else validate_record(raw, vocabulary, folder)
        if isinstance(result, Mission):
            first = missions.get(result.id)
            if first is not None:
                result = [Problem(str(path), "id", f"duplicate id {result.id!r}, already used by {first.path}")]
            else:
                missions[result.id] = result
                continue
        problems += [result] if isinstance(result, Problem) else result
        skipped.append(str(path))
    ordered = tuple(sorted(missions.values(), key=lambda mission: mission.id))
    return Library(folder, ordered, vocabulary, tuple(problems), tuple(skipped))
