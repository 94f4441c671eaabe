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


# The query options of `search`, shared with the commands that rank missions against a tender.
KeywordsArgument = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Argument(metavar="[TERMS]...", help='Keywords and quoted phrases: concertation "maison du projet".',
                   show_default=False),
]
TextOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--text", help="Free text to search for: the tender's object or rules, pasted.", show_default=False),
]
TenderTextOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--tender-text", metavar="FILE", help="A .txt, .md or .docx file of the tender's object or rules.",
                 show_default=False),
]
TenderOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--tender", metavar="FILE", help="A tender described in TOML (see examples/).", show_default=False),
]
CompetencyOption = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option("--competency", "-c", metavar="NAME[:LEVEL]",
                 help="A required competency, at a minimum level (1 by default); repeatable.", show_default=False),
]
SinceOption = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option("--since", metavar="YEAR", help="Window: missions that ended in or after YEAR.", show_default=False),
]
YearsOption = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option("--years", metavar="N", help="Window: missions of the last N years.", show_default=False),
]
ClientOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--client", metavar="KIND", help="Only missions for a public or a private client.",
                 show_default=False),
]
LimitOption = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option("--limit", "-n", metavar="N",
                 help="Show the N best missions (default: the tender's references, else 10).", show_default=False),
]


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


@app.command()
def search(
    terms: KeywordsArgument = None,
    text: TextOption = None,
    tender_text: TenderTextOption = None,
    tender: TenderOption = None,
    competency: CompetencyOption = None,
    since: SinceOption = None,
    years: YearsOption = None,
    client: ClientOption = None,
    limit: LimitOption = None,
    explain: Annotated[bool, typer.Option("--explain", help="Show what each query term matched and added.")] = False,
    data: DataOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Rank the missions against keywords, a tender's text, competencies and a recency window."""
    from refcli.glossary import load_glossary
    from refcli.index import build_index
    from refcli.query import build_query, load_tender
    from refcli.rank import rank_missions

    library = _load(data, quiet)
    query = build_query(
        library.vocabulary, load_glossary(library.folder),
        keywords=terms or [], text=text, text_file=tender_text, competencies=competency or [],
        since=since, years=years, client_kind=client, limit=limit,
        tender=load_tender(tender) if tender is not None else None,
    )
    matches = rank_missions(library, build_index(library), query)
    if not quiet:
        for note in query.notes:
            print_warning(note)
    if json:
        from refcli.results import search_json

        print_json("search", search_json(query, matches))
    elif matches:
        from refcli.output import stdout_console
        from refcli.results import explanation_view, results_table

        console = stdout_console()
        console.print(results_table(query, matches, library))
        if explain:
            console.print(explanation_view(query, matches, library))
    if not matches:
        raise NegativeAnswer("" if json else "no mission matches the query")


def main() -> None:
    app()
