"""The command line: parse arguments, call one core function, print, set the exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from refcli import __version__
from refcli.errors import NegativeAnswer, UserError
from refcli.output import print_error, print_json, print_warning


class _ErrorBoundary(TyperGroup):
    """Turn a user-fixable error into one line on stderr and its exit code; bugs keep their traceback."""

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except (UserError, NegativeAnswer) as error:
            if str(error):
                print_error(str(error))
            raise typer.Exit(error.exit_code) from None


app = typer.Typer(
    cls=_ErrorBoundary,
    name="refcli",
    help="Keep the firm's fiches références as TOML records, rank them against a tender, write the annex.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)

DataOption = Annotated[
    Optional[Path],  # noqa: UP045 - typer reads the annotation at run time
    typer.Option("--data", help="Mission library folder (default: $REFCLI_DATA, else ./data/missions).",
                 show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout, for scripts.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print no warnings or notes on stderr.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"refcli {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Keep the firm's fiches références as TOML records, rank them against a tender, write the annex."""


def _load(data: Path | None, quiet: bool):
    """Load the library; warn on stderr, file by file, about the records left out."""
    from refcli.library import load_library
    from refcli.load import resolve_data_folder

    library = load_library(resolve_data_folder(data))
    if not quiet:
        reported: set[str] = set()
        for problem in library.problems:
            if problem.path not in reported:
                reported.add(problem.path)
                print_warning(f"skipped {problem} (run 'refcli validate' for every problem)")
    return library


@app.command()
def validate(data: DataOption = None, json: JsonOption = False, quiet: QuietOption = False) -> None:
    """Check every record of the library and list every problem (exit 1 if any)."""
    from refcli.library import load_library
    from refcli.load import resolve_data_folder
    from refcli.output import stdout_console

    library = load_library(resolve_data_folder(data))
    problems = library.problems
    if json:
        print_json("validate", {
            "folder": str(library.folder),
            "valid": len(library.missions),
            "invalid": len(library.skipped_files),
            "problems": [
                {"file": p.path, "key": p.key, "line": p.line, "column": p.column, "message": p.message}
                for p in problems
            ],
        })
    else:
        console = stdout_console()
        for problem in problems:
            console.print(str(problem), markup=False)
        if not quiet:
            summary = f"{len(library.missions)} valid record(s), {len(library.skipped_files)} invalid"
            if problems:
                summary += f", {len(problems)} problem(s)"
            from refcli.output import print_note

            print_note(summary)
    if problems:
        raise typer.Exit(1)


@app.command("list")
def list_missions(
    data: DataOption = None,
    year: Annotated[Optional[int], typer.Option(help="Only missions under way in this year.")] = None,  # noqa: UP045
    since: Annotated[Optional[int], typer.Option(help="Only missions that ended in or after this year.")] = None,  # noqa: UP045
    component: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--component", "-c", help="Only missions covering this component (repeatable)."),
    ] = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """List the missions of the library in a table: id, title, client, years, fee."""
    from refcli.browse import filter_missions, mission_summary

    library = _load(data, quiet)
    missions = filter_missions(library, year=year, since=since, components=component or [])
    if json:
        print_json("list", {"missions": [mission_summary(mission) for mission in missions]})
    else:
        from refcli.browse import missions_table
        from refcli.output import stdout_console

        stdout_console().print(missions_table(missions))
    if not missions:
        raise NegativeAnswer("no mission matches these filters" if (year or since or component) else "")


@app.command()
def show(
    mission_id: Annotated[str, typer.Argument(metavar="ID", help="The id of the mission, as 'refcli list' shows.")],
    data: DataOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Show one mission's whole record, readable."""
    from refcli.browse import find_mission

    library = _load(data, quiet)
    mission = find_mission(library, mission_id)
    if json:
        from refcli.serialize import mission_to_table

        print_json("show", {"mission": mission_to_table(mission)})
    else:
        from refcli.browse import mission_view
        from refcli.output import stdout_console

        stdout_console().print(mission_view(mission, library))


@app.command("build-bid")
def build_bid(
    ids: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--ids", help="The missions to include, by id, separated by commas, in the annex's order."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="The Word file to write.")] = Path("annexe.docx"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite the output file if it exists.")] = False,
    title: Annotated[
        Optional[str], typer.Option("--title", help="The tender's title, for the annex's heading.")  # noqa: UP045
    ] = None,
    buyer: Annotated[
        Optional[str], typer.Option("--buyer", help="The tender's buyer, for the annex's heading.")  # noqa: UP045
    ] = None,
    date: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--date", help="The tender's date: YYYY-MM-DD (written in French) or any text, as written."),
    ] = None,
    template: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--template", help="The Word template (default: $REFCLI_TEMPLATE, else the firm's).",
                     show_default=False),
    ] = None,
    data: DataOption = None,
    quiet: QuietOption = False,
) -> None:
    """Write the references annex of a bid as a Word document in the firm's template."""
    from refcli.output import print_note
    from refcli.render import Heading, render_annex
    from refcli.selection import parse_ids, select_by_ids
    from refcli.template import find_template, open_template
    from refcli.write import check_writable, write_atomically

    if ids is None:
        raise UserError("build-bid: choose the references with --ids ID,ID,... ('refcli list' shows the ids)")
    library = _load(data, quiet)
    selections = select_by_ids(library, parse_ids(ids))
    opened = open_template(find_template(template))
    check_writable(out, force)
    if not quiet:
        print_note(f"{len(selections)} reference(s) in the annex, in this order:")
        for number, selection in enumerate(selections, start=1):
            print_note(f"  {number}. {selection.mission.id}: {selection.mission.title} — {selection.reason}")
    heading = Heading(title=title, buyer=buyer, date=_parse_date(date))
    document = render_annex(selections, library, heading, opened)
    write_atomically(out, document.save, force=force)
    if not quiet:
        print_note(f"wrote {out} (template {opened.path})")


def _parse_date(text: str | None):
    import datetime

    if text is None:
        return None
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        return text


def main() -> None:
    app()
