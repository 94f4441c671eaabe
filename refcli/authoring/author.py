"""Author records: build one from answers ('refcli new'), or import the firm's existing fiches ('refcli import').

Both validate the record as 'refcli validate' would before writing it, and never replace an
existing record unless forced. Nothing here prints: the command line reports what is returned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from refcli.authoring.fiche import DEFAULT_FIRM, FicheReadError, marked_mandataire, parse_fiche, parse_programme
from refcli.errors import Interrupted, Problem, UserError, os_reason
from refcli.i18n import N_, _, ngettext
from refcli.records.load import RawRecord, control_problem
from refcli.records.model import Mission
from refcli.records.new_files import (
    check_free,
    derive_id,
    find_duplicate,
    library_ids,
    library_tables,
    record_path,
    record_text,
    write_record_file,
)
from refcli.records.serialize import mission_to_table
from refcli.records.validate import validate_record
from refcli.records.vocabulary import Vocabulary
from refcli.records.written import ParseError, parse_amount

# Where a required key comes from on a fiche, to say what is missing in the fiche's own words.
_FICHE_SOURCES = {
    "title": N_("the title line"),
    "mission_type": "'Type de mission'",
    "client.name": "'Maître d'ouvrage'",
    "period": "'Années'",
    "period.start": "'Années'",
    "stakes": "'Enjeux de la mission'",
    "content": "'Contenu de la mission'",
}


@dataclass
class ImportReport:
    """What became of one fiche file."""

    source: Path
    status: str = "skipped"  # imported, checked (--dry-run) or skipped
    record_id: str | None = None
    target: Path | None = None
    text: str | None = None  # the record's TOML
    empty: list[str] = field(default_factory=list)
    inferred: list[str] = field(default_factory=list)
    todo: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # why it was skipped

    def as_json(self) -> dict[str, Any]:
        return {
            "file": str(self.source), "status": self.status, "id": self.record_id,
            "record": str(self.target) if self.target and self.status != "skipped" else None,
            "empty": self.empty, "inferred": self.inferred, "todo": self.todo, "reasons": self.reasons,
        }


def _problem_text(problem: Problem, from_fiche: bool) -> str:
    text = f"{problem.key}: {problem.message}" if problem.key else problem.message
    if from_fiche and _("missing required key") in problem.message and problem.key in _FICHE_SOURCES:
        text += _(" (no {what} on the fiche)").format(what=_(_FICHE_SOURCES[problem.key]))
    return text


def check_record(table: dict[str, Any], target: Path, vocabulary: Vocabulary, folder: Path,
                 from_fiche: bool = False) -> Mission | list[str]:
    """Validate the table as the record file target would be; return the Mission or the problems, as text."""
    result = validate_record(RawRecord(target, table), vocabulary, folder)
    if isinstance(result, Mission):
        problem = control_problem(str(target), table)  # what reading the file written would refuse
        if problem is None:
            return result
        result = [problem]
    return [_problem_text(problem, from_fiche) for problem in result]


def import_fiches(
    sources: Iterable[Path],
    folder: Path,
    vocabulary: Vocabulary,
    firm: str = DEFAULT_FIRM,
    client_kind: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    on_file: Callable[[Path], None] | None = None,
) -> list[ImportReport]:
    """Turn each fiche into a record in folder; a fiche that cannot be read or checked is skipped, not half-written."""
    if not dry_run:  # a folder that cannot be made is the command's problem (exit 2), not each file's
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UserError(_("{folder}: cannot create the folder: {reason}").format(
                folder=folder, reason=os_reason(error))) from None
    tables = library_tables(folder)
    ids = library_ids(folder, tables)
    reports: list[ImportReport] = []
    try:
        for source in sources:
            if on_file:
                on_file(source)
            reports.append(ImportReport(source))
            _import_one(reports[-1], folder, vocabulary, firm, client_kind, force, dry_run, tables, ids)
    except KeyboardInterrupt as error:  # Ctrl-C, or SIGTERM or SIGHUP in a write: say what was written, each whole
        raise _interrupted(error, reports) from None
    return reports


def _import_one(report: ImportReport, folder: Path, vocabulary: Vocabulary, firm: str, client_kind: str | None,
                force: bool, dry_run: bool, tables: list, ids: dict[str, Path]) -> None:
    """Read, check and write one fiche, filling its report; a record written is added to tables and ids."""
    from refcli.authoring.fiche import read_fiche_text

    source = report.source
    try:
        text = read_fiche_text(source)
    except FicheReadError as error:
        report.reasons.append(_("cannot read: {error}").format(error=error))
        return
    fiche = parse_fiche(text, firm=firm, client_kind=client_kind)
    report.empty, report.inferred, report.todo = fiche.empty, fiche.inferred, fiche.todo
    if fiche.problems:
        report.reasons += fiche.problems
        return
    city = fiche.table.get("site", {}).get("city")
    record_id = derive_id(fiche.table.get("title", ""), city) or derive_id(source.stem)
    report.record_id = record_id
    report.target = target = record_path(folder, record_id)
    result = check_record({"id": record_id, **fiche.table}, target, vocabulary, folder, from_fiche=True)
    if not isinstance(result, Mission):
        report.reasons += result
        return
    duplicate = find_duplicate(result.title, result.client.name, (result.period.start, result.period.end), tables)
    if duplicate is not None and not force:
        report.reasons.append(_("already in the library as {duplicate} (same title, client and years); "
                                "pass --force to replace that record with this fiche").format(duplicate=duplicate))
        return
    if duplicate is not None:  # --force: the fiche replaces that mission's own record, under its id and name
        held = next((table.get("id") for path, table in tables if path == duplicate), None)
        record_id = held if isinstance(held, str) and held else duplicate.stem
        target = duplicate
        report.record_id, report.target = record_id, target
        result = replace(result, id=record_id)
    elif record_id in ids or target.exists():
        # Another mission holds the id (a namesake: other years, another lot): this one gets an id of its own,
        # and --force never replaces that other mission's record.
        record_id = _free_id(record_id, folder, ids)
        target = record_path(folder, record_id)
        report.record_id, report.target = record_id, target
        result = replace(result, id=record_id)
    table = mission_to_table(result)
    report.text = record_text(table, _import_comments(source, fiche))
    try:
        check_free(record_id, target, ids, force, hint=_("; pass --force to replace it"))
        if not dry_run:
            write_record_file(target, report.text, force=force)
    except UserError as error:
        report.reasons.append(str(error).removeprefix(f"{target}: "))
        return
    report.status = "checked" if dry_run else "imported"
    ids[record_id] = target
    tables.append((target, table))  # a second copy of the fiche in the same run is a duplicate too


def _interrupted(error: KeyboardInterrupt, reports: list[ImportReport]) -> Interrupted:
    """The import stopped between two fiches, or in a record's write (which leaves that file as it was)."""
    what = str(error) if isinstance(error, Interrupted) else _("import: interrupted (Ctrl-C)")
    code = error.exit_code if isinstance(error, Interrupted) else 130
    written = [str(report.target) for report in reports if report.status == "imported"]
    if not written:
        return Interrupted(_("{what}; no record written").format(what=what), code)
    return Interrupted(ngettext("{what}; written before it, whole: {files} ({count} record); the other fiches "
                                "were not imported", "{what}; written before it, whole: {files} ({count} records); "
                                "the other fiches were not imported", len(written)).format(
        what=what, files=", ".join(written), count=len(written)), code)


def _free_id(record_id: str, folder: Path, ids: dict[str, Path]) -> str:
    """record_id-2, -3...: the first that no record uses and no file holds."""
    number = 2
    while f"{record_id}-{number}" in ids or record_path(folder, f"{record_id}-{number}").exists():
        number += 1
    return f"{record_id}-{number}"


def _import_comments(source: Path, fiche: Any) -> list[str]:
    comments = [_("Imported by 'refcli import' from {file}.").format(file=source.name)]
    if fiche.inferred:
        comments.append(_("[inferred] lists the values not on the fiche: refcli leaves them out of the annex until "
                          "you confirm each by deleting its line."))
    if fiche.empty:
        comments.append(_("Empty on the fiche, left out: ") + ", ".join(fiche.empty))
    comments += [_("To do: {item}").format(item=item) for item in fiche.todo]
    return comments


# -- refcli new ---------------------------------------------------------------------------------------------------

REQUIRED_ANSWERS = ("title", "mission_type", "role", "client", "client_kind", "start", "stakes", "content")


def parse_component_levels(items: Iterable[str], vocabulary: Vocabulary) -> dict[str, int]:
    """Return {component id: level} for 'NAME=LEVEL' or 'NAME:LEVEL' items; an unknown name or a bad level is an
    error."""
    return vocabulary.parse_levels(items, "--component", default=None, what=N_("mission component"))


def _amount(option: str, text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        amount = parse_amount(text)
    except ParseError as error:
        raise UserError(_("{option}: {error}").format(option=option, error=error)) from None
    if option == "--project-amount":
        amount.pop("scope", None)  # the project's total cost: its place says what it covers
    return amount


def _lines(text: str) -> str:
    """Records hold LF line breaks: a CRLF pasted from Windows would not survive TOML's multi-line strings."""
    return text.replace("\r\n", "\n")


def new_record_table(answers: dict[str, Any], vocabulary: Vocabulary) -> dict[str, Any]:
    """Build a record table from the answers of 'refcli new' (flags or prompts); the id is derived unless given."""
    def text(key: str) -> str | None:
        value = answers.get(key)
        return _lines(value.strip()) if isinstance(value, str) and value.strip() else None

    def strings(key: str) -> list[str]:
        return [_lines(item.strip()) for item in answers.get(key) or [] if item and item.strip()]

    table: dict[str, Any] = {}
    title = text("title")
    table["id"] = text("id") or derive_id(title or "", text("city"))
    for key in ("title", "subtitle", "mission_type", "role"):
        if text(key):
            table[key] = text(key)
    if strings("keywords"):
        table["keywords"] = strings("keywords")
    if text("stakes"):
        table["stakes"] = text("stakes")
    if strings("content"):
        table["content"] = strings("content")
    if strings("partners"):
        table["partners"] = strings("partners")
    if text("sources"):
        table["sources"] = text("sources")
    if answers.get("certificate") is not None:
        table["certificate"] = answers["certificate"]
    client = {key: text(answer) for key, answer in (("name", "client"), ("kind", "client_kind"),
                                                      ("category", "client_category"), ("contact", "client_contact"))}
    table["client"] = {key: value for key, value in client.items() if value}
    if answers.get("start") is not None:
        period: dict[str, Any] = {"start": answers["start"], "end": answers.get("end") or answers["start"]}
        if answers.get("months"):
            period["duration_months"] = answers["months"]
        if answers.get("ongoing"):
            period["ongoing"] = True
        table["period"] = period
    site = {"city": text("city"), "districts": strings("districts"), "population": answers.get("population")}
    site = {key: value for key, value in site.items() if value}
    if site:
        table["site"] = site
    members, marked = marked_mandataire(strings("members"))  # "Espacité (mandataire)", as a fiche writes it
    team = {"members": members, "mandataire": text("mandataire") or marked, "director": text("director"),
            "referent": text("referent"), "consultants": strings("consultants")}
    team = {key: value for key, value in team.items() if value}
    if team:
        table["team"] = team
    amounts = {key: _amount(option, answers.get(answer)) for key, option, answer in
               (("project", "--project-amount", "project_amount"), ("fee", "--fee", "fee"))}
    amounts = {key: value for key, value in amounts.items() if value}
    if amounts:
        table["amounts"] = amounts
    programme = []
    for item in strings("programme"):
        try:
            programme += parse_programme(item)
        except ParseError as error:
            raise UserError(_("--programme: {error}").format(error=error)) from None
    if programme:
        table["programme"] = programme
    components = answers.get("components") or {}
    if not isinstance(components, dict):
        components = parse_component_levels(components, vocabulary)
    if components:
        table["components"] = components
    return table


def create_record(table: dict[str, Any], folder: Path, vocabulary: Vocabulary, force: bool = False,
                  dry_run: bool = False) -> tuple[Path, str]:
    """Validate the table and write it as folder/<id>.toml; return the path and the TOML text."""
    record_id = table.get("id") if isinstance(table.get("id"), str) else ""
    target = record_path(folder, record_id or "record")
    result = check_record(table, target, vocabulary, folder)
    if not isinstance(result, Mission):
        raise UserError(_("{path}: the record is not valid, nothing written: ").format(path=target) + "; ".join(result))
    text = record_text(mission_to_table(result), [f"Fiche référence: {result.title}."])
    check_free(result.id, target, library_ids(folder), force, hint=_("; pass another --id, or edit that record"))
    if not dry_run:
        write_record_file(target, text, force=force)
    return target, text


def report_lines(reports: list[ImportReport], dry_run: bool = False) -> list[str]:
    """The per-file report of an import, as plain lines: imported, left empty, inferred, to do, skipped."""
    lines = []
    done = _("checked (dry run, not written)") if dry_run else _("imported")
    for report in reports:
        if report.status == "skipped":
            lines.append(_("{file}: skipped, nothing written:").format(file=report.source))
            lines += [f"  - {reason}" for reason in report.reasons]
            continue
        lines.append(_("{file}: {done} as {target}").format(file=report.source, done=done, target=report.target))
        if report.empty:
            lines.append("  " + _("empty on the fiche, left out: ") + ", ".join(report.empty))
        lines += [f"  {item}" for item in report.inferred]
        lines += [f"  {item}" for item in report.todo]
    counts = {status: sum(report.status == status for report in reports) for status in ("imported", "checked",
                                                                                          "skipped")}
    summary = (_("{count} checked") if dry_run else _("{count} imported")).format(
        count=counts["checked"] if dry_run else counts["imported"])
    lines.append(_("{summary}, {skipped} skipped, of {total} file(s)").format(
        summary=summary, skipped=counts["skipped"], total=len(reports)))
    return lines
