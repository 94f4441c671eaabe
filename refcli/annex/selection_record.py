"""The selection record written beside every annex (annexe.refcli.toml): what went into it, to rebuild or re-check it.

It names the tender (path and content hash), the options that shaped the annex, the references in
order with each record file's content hash (and, in a git work tree, the last commit of the file and
whether it had uncommitted changes), the template's hash and refcli's version, and ends with a
checksum of all that, so a hand-edited file is refused. docs/selection-record.md documents the
format. `build-bid --from` rebuilds the annex from it; `check --from` checks the selection again.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refcli import __version__
from refcli.errors import UserError
from refcli.i18n import N_, _
from refcli.records.load import parse_toml

if TYPE_CHECKING:
    from refcli.records.model import Mission
    from refcli.records.vocabulary import Vocabulary

FORMAT = 1
SUFFIX = ".refcli.toml"
HEADER = """\
# refcli selection record: what went into the annex beside it, written by `refcli build-bid`.
# `refcli build-bid --from THIS_FILE --out FILE.docx` rebuilds the annex; `refcli check --from THIS_FILE`
# checks the selection again. Do not edit it: refcli refuses a file whose checksum does not match.
# The format is documented in docs/selection-record.md.
"""


MAX_RECORD_BYTES = 10 * 2**20  # a record of 1,000 references is some 300 KB


def record_path_for(annex: Path) -> Path:
    """annexe.docx -> annexe.refcli.toml, beside it."""
    return annex.with_name(annex.stem + SUFFIX)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True, slots=True)
class RecordedReference:
    id: str
    file: Path  # the record file, resolved
    sha256: str
    illustrations: tuple[tuple[Path, str], ...] = ()  # each illustration file the annex showed, resolved, and its hash
    git_commit: str | None = None
    uncommitted: bool | None = None


@dataclass(frozen=True, slots=True)
class SelectionRecord:
    """A selection record read back: where it is, and what it says."""

    path: Path
    references: tuple[RecordedReference, ...]
    annex: Path
    annex_sha256: str | None  # None in a record written before refcli recorded it
    library: Path
    template: Path
    template_sha256: str
    inputs: tuple[tuple[str, Path, str], ...]  # ("vocabulary" | "glossary", file resolved, hash)
    tender: Path | None
    tender_sha256: str | None
    heading: dict[str, Any]  # title, buyer, date (a date, or a text as given)
    options: dict[str, Any] = field(default_factory=dict)


def git_state(folder: Path, files: list[Path]) -> tuple[str | None, dict[Path, tuple[str | None, bool]]]:
    """The work tree's HEAD commit, and per file its last commit and whether it has uncommitted changes.

    Without git, or outside a work tree, (None, {}): the record then says nothing of git.
    """
    def git(*arguments: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(folder), *arguments], capture_output=True, text=True,
                                  timeout=20, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    if git("rev-parse", "--is-inside-work-tree") != "true":
        return None, {}
    head = git("rev-parse", "HEAD") or None
    states: dict[Path, tuple[str | None, bool]] = {}
    for file in files:
        where = str(file.resolve())  # git -C resolves a relative path from the folder, not from here
        last = git("log", "-1", "--format=%H", "--", where) or None
        status = git("status", "--porcelain", "--", where)
        states[file] = (last, bool(status) or last is None)
    return head, states


def _relative(path: Path, base: Path) -> str:
    try:
        return os.path.relpath(path.resolve(), base.resolve())
    except ValueError:  # another drive (Windows)
        return str(path.resolve())


def _checksum(table: dict[str, Any]) -> str:
    content = {key: value for key, value in table.items() if key != "checksum"}
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, default=_typed)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _typed(value: Any) -> Any:
    """A TOML date or time in the checksum's JSON, told from the string of it: `date = "2026-11-21"` is an edit."""
    if isinstance(value, datetime.date | datetime.time):
        return {type(value).__name__: value.isoformat()}
    raise TypeError(f"{type(value).__name__} in a selection record")


# What the recorded heading and options may hold (key -> the types refcli writes there): a record whose checksum
# was recomputed after an edit is read as far as these, and refused with the key's name beyond them.
_HEADING = {"title": (str,), "buyer": (str,), "date": (str, datetime.date)}
_OPTIONS = {"ids": (list,), "terms": (list,), "text": (str,), "tender_text": (str,), "competencies": (dict,),
            "since": (int,), "client": (str,), "limit": (int,), "cover": (bool,), "allow_outside_window": (bool,),
            "outside_window": (list,), "from": (str,), "use_current": (bool,)}


def _checked(path: Path, table: dict[str, Any], key: str, types: dict[str, tuple[type, ...]]) -> dict[str, Any]:
    found = table.get(key, {})
    if not isinstance(found, dict):
        raise UserError(_("{path}: {key}: expected a table").format(path=path, key=key))
    for name, value in found.items():
        allowed = types.get(name)
        wrong = allowed is None or not isinstance(value, allowed) or (bool not in allowed and isinstance(value, bool))
        if not wrong and name == "competencies":
            wrong = not all(isinstance(level, int) and not isinstance(level, bool) and level >= 1
                            for level in value.values())
        if not wrong and name == "client":
            wrong = value not in ("public", "private")
        if not wrong and name in ("since", "limit"):
            wrong = value < 1
        if wrong:
            raise UserError(_("{path}: {key}.{name}: not what refcli build-bid writes there; build the annex again")
                            .format(path=path, key=key, name=name))
    return dict(found)


def selection_record_text(*, record_path: Path, annex: Path, annex_sha256: str, library_folder: Path,
                          references: list[tuple[str, Path, list[Path]]], template: Path, tender: Path | None,
                          vocabulary: Path | None, glossary: Path | None, heading: dict[str, Any],
                          options: dict[str, Any], left_out: dict[str, list[str]],
                          texts: list[tuple[str, Path]] = ()) -> bytes:
    """Return the TOML of the selection record for an annex about to be written at annex, whose bytes hash to
    annex_sha256 (so that an annex swapped or edited since is told from the one refcli wrote). Each reference
    comes with its record file and the illustration files the annex shows; vocabulary and glossary are the
    files that shaped the annex too (the components' labels and squares, the ranking); texts, the documents whose
    text the query read (("--tender-text" or "text_file", path)), recorded with their hashes."""
    import tomli_w

    base = record_path.parent
    files = [file for _, file, _illustrations in references]
    head, states = git_state(library_folder, files)
    table: dict[str, Any] = {
        "format": FORMAT,
        "refcli": __version__,
        "written": datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "annex": _relative(annex, base),
        "annex_sha256": annex_sha256,
    }
    if tender is not None:
        table["tender"] = {"path": _relative(tender, base), "sha256": file_digest(tender)}
    if texts:
        table["texts"] = [{"as": origin, "path": _relative(path, base), "sha256": file_digest(path)}
                          for origin, path in texts]
    table["heading"] = {key: value for key, value in heading.items() if value is not None}
    table["options"] = {key: value for key, value in options.items() if value not in (None, [], {})}
    for key in ("tender_text", "from"):  # paths: relative to this file's folder, as every path here
        if key in table["options"]:
            table["options"][key] = _relative(Path(table["options"][key]), base)
    table["template"] = {"path": _relative(template, base), "sha256": file_digest(template)}
    for key, source in (("vocabulary", vocabulary), ("glossary", glossary)):
        if source is not None:
            table[key] = {"path": _relative(source, base), "sha256": file_digest(source)}
    table["library"] = {"folder": _relative(library_folder, base), **({"git_commit": head} if head else {})}
    rows = []
    for mission_id, file, illustrations in references:
        row: dict[str, Any] = {"id": mission_id, "file": _relative(file, base), "sha256": file_digest(file)}
        if illustrations:
            row["illustrations"] = [{"file": _relative(picture, base), "sha256": file_digest(picture)}
                                    for picture in illustrations]
        if file in states:
            commit, dirty = states[file]
            if commit:
                row["git_commit"] = commit
            row["uncommitted"] = dirty
        if left_out.get(mission_id):
            row["left_out"] = left_out[mission_id]
        rows.append(row)
    table["references"] = rows
    try:
        table["checksum"] = _checksum(table)
        return (HEADER + tomli_w.dumps(table)).encode("utf-8")
    except UnicodeEncodeError as error:  # a name or an argument in bytes that are not UTF-8: lone surrogates
        text = error.object  # the JSON or TOML text: the string holding the surrogate is between quotes
        value = text[text.rfind('"', 0, error.start) + 1:text.find('"', error.end)]
        shown = value.encode("utf-8", "surrogateescape")
        raise UserError(_("{path}: cannot record '{value}': a file name or an argument that is not UTF-8 text, "
                          "which the selection record (UTF-8 TOML) cannot hold; rename the file or retype the "
                          "argument").format(path=record_path, value=shown.decode("utf-8", "backslashreplace"))) \
            from None


def read_selection_record(path: Path) -> SelectionRecord:
    """Read and check a selection record; any problem is a one-line UserError naming the file and the key."""
    from refcli.search.documents import read_input

    if not path.exists() and not path.is_symlink():
        raise UserError(_("{path}: no such selection record").format(path=path))
    data = read_input(path, N_("the selection record"), MAX_RECORD_BYTES)
    try:
        table = parse_toml(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise UserError(_("{path}: not a selection record: not UTF-8 text").format(path=path)) from None
    except ValueError as error:  # tomllib.TOMLDecodeError, or nested too deep
        raise UserError(_("{path}: not a selection record: not TOML ({error})").format(path=path, error=error)) \
            from None
    base = path.parent

    def need(key: str, kind: type | tuple[type, ...], inside: dict[str, Any] = table, prefix: str = "") -> Any:
        value = inside.get(key)
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            raise UserError(_("{path}: {prefix}{key}: missing or of the wrong type; is it a selection record "
                            "written by refcli build-bid?").format(path=path, prefix=prefix, key=key))
        return value

    if "format" not in table and "references" not in table:
        raise UserError(_("{path}: format: not a selection record (no format key); refcli build-bid writes them "
                        "beside the annex, as annexe.refcli.toml").format(path=path))
    if need("format", int) != FORMAT:
        raise UserError(_("{path}: format: format {format} is not the one this refcli reads ({expected})").format(
            path=path, format=table["format"], expected=FORMAT))
    version = need("refcli", str)
    if version != __version__:
        raise UserError(_("{path}: refcli: written by refcli {version}, this is refcli {__version__}; rebuild it "
                        "with refcli {version}, or build the annex again").format(path=path, version=version,
                                                                                   __version__=__version__))
    if need("checksum", str) != _checksum(table):
        raise UserError(_("{path}: checksum: the file was changed after refcli wrote it (edited by hand?); "
                        "refcli only rebuilds what it recorded: build the annex again instead").format(path=path))
    references = []
    for index, row in enumerate(need("references", list)):
        where = f"references[{index}]."
        if not isinstance(row, dict):
            raise UserError(_("{path}: references[{index}]: expected a table").format(path=path, index=index))
        pictures = row.get("illustrations", [])
        if not isinstance(pictures, list) or not all(isinstance(picture, dict) for picture in pictures):
            raise UserError(_("{path}: references[{index}].illustrations: expected a list of tables").format(
                path=path, index=index))
        references.append(RecordedReference(
            id=need("id", str, row, where), file=(base / need("file", str, row, where)).resolve(),
            sha256=need("sha256", str, row, where),
            illustrations=tuple(((base / need("file", str, picture, f"{where}illustrations.")).resolve(),
                                 need("sha256", str, picture, f"{where}illustrations.")) for picture in pictures),
            git_commit=row.get("git_commit"), uncommitted=row.get("uncommitted")))
    if not references:
        raise UserError(_("{path}: references: no reference recorded").format(path=path))
    template = need("template", dict)
    library = need("library", dict)
    tender = table.get("tender")
    if tender is not None and not isinstance(tender, dict):
        raise UserError(_("{path}: tender: expected a table").format(path=path))
    return SelectionRecord(
        path=path,
        references=tuple(references),
        annex=(base / need("annex", str)).resolve(),
        annex_sha256=table["annex_sha256"] if isinstance(table.get("annex_sha256"), str) else None,  # written since
        library=(base / need("folder", str, library, "library.")).resolve(),
        template=(base / need("path", str, template, "template.")).resolve(),
        template_sha256=need("sha256", str, template, "template."),
        inputs=tuple((key, (base / need("path", str, table[key], f"{key}.")).resolve(),
                      need("sha256", str, table[key], f"{key}.")) for key in ("vocabulary", "glossary")
                     if isinstance(table.get(key), dict)),
        tender=(base / need("path", str, tender, "tender.")).resolve() if tender else None,
        tender_sha256=need("sha256", str, tender, "tender.") if tender else None,
        heading=_checked(path, table, "heading", _HEADING),
        options=_checked(path, table, "options", _OPTIONS),
    )


def changed_inputs(record: SelectionRecord, library_folder: Path, template: Path | None = None,
                   with_tender: bool = False) -> list[str]:
    """What changed since the record was written: each reference whose file changed, the template (unless
    another one is given; check, with_tender, renders none), and with_tender the tender (its rules: check --from
    reads them).

    A reference whose record file no longer exists is a UserError (exit 2): there is nothing to rebuild from.
    """
    changed = []
    for reference in record.references:
        file = recorded_file(record, reference, library_folder)
        if file_digest(file) != reference.sha256:
            changed.append(f"{reference.id} ({file})")
        for picture, digest in reference.illustrations:
            picture = _moved(picture, record.library, library_folder)
            if not picture.is_file() or file_digest(picture) != digest:
                changed.append(_("an illustration of {id} ({file})").format(id=reference.id, file=picture))
    from refcli.records.vocabulary import find_vocabulary_file
    from refcli.search.glossary import find_glossary_file

    current = {"vocabulary": find_vocabulary_file(library_folder), "glossary": find_glossary_file(library_folder)}
    names = {"vocabulary": _("the components vocabulary ({file})"), "glossary": _("the glossary ({file})")}
    for key, recorded, digest in record.inputs:
        file = current[key]
        if file is None or file_digest(file) != digest:
            changed.append(names[key].format(file=file or recorded))
    if template is not None or not with_tender:  # check (with_tender) renders no annex: its template is not read
        template_file = template or record.template
        if not template_file.is_file():
            raise UserError(_("{path}: template.path: the template {template_file} no longer exists; "
                            "pass --template FILE").format(path=record.path, template_file=template_file))
        if template is None and file_digest(template_file) != record.template_sha256:
            changed.append(_("the template ({file})").format(file=template_file))
    if with_tender and record.tender is not None:
        if not record.tender.is_file():
            changed.append(_("the tender ({file}, gone)").format(file=record.tender))
        elif file_digest(record.tender) != record.tender_sha256:
            changed.append(_("the tender ({file})").format(file=record.tender))
    return changed


def annex_note(record: SelectionRecord) -> str | None:
    """What to say of the annex beside the record, when it is not the one refcli wrote with it (edited in Word
    since, or replaced by another build that did not finish): the record describes the annex as written."""
    if record.annex_sha256 is None or not record.annex.is_file() or file_digest(record.annex) == record.annex_sha256:
        return None
    return _("{annex}: not the annex {path} was written with (edited since, in Word or LibreOffice, or written by "
             "another build); the record describes the annex as refcli wrote it").format(annex=record.annex,
                                                                                       path=record.path)


def _moved(file: Path, recorded_library: Path, library_folder: Path) -> Path:
    """Where a file recorded inside the library is once the library moved (--data): the same place in it."""
    if library_folder.resolve() != recorded_library and file.is_relative_to(recorded_library):
        return library_folder.resolve() / file.relative_to(recorded_library)
    return file


def recorded_file(record: SelectionRecord, reference: RecordedReference, library_folder: Path) -> Path:
    """Where a recorded reference's file is now: the same place in library_folder when the library moved (--data);
    else, when it was renamed or moved within the library (into a folder by year, say), the record file that holds
    the very bytes recorded; a UserError (exit 2) when none does."""
    file = _moved(reference.file, record.library, library_folder)
    if not file.is_file() and library_folder.is_dir():
        file = _same_bytes(library_folder, reference.sha256) or file
    if not file.is_file():
        raise UserError(_("{path}: references: the record {id!r} ({file}) no longer exists; "
                        "build the annex again with the references the library has").format(
                            path=record.path, id=reference.id, file=file))
    return file


def _same_bytes(library_folder: Path, digest: str) -> Path | None:
    """The record file of the library whose bytes hash to digest (the first, in the library's order), if any."""
    from refcli.records.scan import scan_record_files

    for relative in scan_record_files(library_folder, stat=False):
        candidate = library_folder / relative
        try:
            if candidate.is_file() and file_digest(candidate) == digest:
                return candidate.resolve()
        except OSError:
            continue
    return None


def recorded_missions(record: SelectionRecord, library_folder: Path, vocabulary: Vocabulary) -> list[Mission]:
    """The recorded references, each read from the file the record names (not whichever file of the library holds
    its id now): what its hash was checked against, read again, never the cache's copy."""
    from refcli.records.library import read_file
    from refcli.records.model import Mission

    missions = []
    for reference in record.references:
        file = recorded_file(record, reference, library_folder)
        result = read_file(library_folder, vocabulary, file).result
        if not isinstance(result, Mission):
            problems = result if isinstance(result, list) else [result]
            raise UserError(_("{path}: references: the record {id!r} is no longer valid: {problem}").format(
                path=record.path, id=reference.id, problem=problems[0]))
        if result.id != reference.id:
            raise UserError(_("{path}: references: {file} now holds the record {found!r}, not {id!r}; build the "
                            "annex again").format(path=record.path, file=file, found=result.id, id=reference.id))
        missions.append(result)
    return missions


def recorded_competencies(record: SelectionRecord, vocabulary: Vocabulary) -> dict[str, int]:
    """The recorded competencies (component id -> minimum level), each a component of the vocabulary."""
    competencies = dict(record.options.get("competencies") or {})
    for component in competencies:
        if component not in vocabulary.ids():
            raise UserError(_("{path}: options.competencies.{component}: not a component of {vocabulary}; build the "
                            "annex again").format(path=record.path, component=component, vocabulary=vocabulary.source))
    return competencies


def require_unchanged(record: SelectionRecord, library_folder: Path, template: Path | None, *, use_current: bool,
                      with_tender: bool, refusal: str) -> list[str]:
    """Refuse (NegativeAnswer, exit 1) a record whose inputs changed since, naming them, unless use_current;
    return what changed (what use_current takes in its current version)."""
    from refcli.errors import NegativeAnswer

    changed = changed_inputs(record, library_folder, template, with_tender=with_tender)
    if changed and not use_current:
        raise NegativeAnswer(_("{path}: changed since the annex was written: {changed}; {refusal}").format(
            path=record.path, changed="; ".join(changed), refusal=refusal), "selection.changed")
    return changed
