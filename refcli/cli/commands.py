"""The command line: parse arguments, call one core function, print, set the exit code."""

# No `from __future__ import annotations` here: typer would then evaluate every command's string
# annotations on each start, 20 ms of `refcli --help`.
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer._click import exceptions as click_exceptions  # typer's vendored click
from typer.core import TyperCommand, TyperGroup

from refcli import __version__
from refcli.cli.output import Encoded, print_error, print_json, print_warning
from refcli.i18n import _, ngettext


class _ErrorBoundary(TyperGroup):
    """Turn a user-fixable error into one line on stderr and its exit code; bugs keep their traceback."""

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        from refcli.errors import Interrupted, NegativeAnswer, UserError  # not imported for --help: dataclasses, 3 ms

        try:
            return super().invoke(ctx)
        except (UserError, NegativeAnswer) as error:
            if str(error):
                print_error(str(error))
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt as error:  # Ctrl-C; or SIGTERM, SIGHUP in a write (Interrupted, which says what)
            import sys

            code = error.exit_code if isinstance(error, Interrupted) else 130
            if code == 130 and sys.stderr.isatty():
                print(file=sys.stderr)  # off the line of the "^C"
            print_error(str(error) if isinstance(error, Interrupted) else _("{command}: interrupted (Ctrl-C)").format(
                command=" ".join(filter(None, (ctx.command_path, ctx.invoked_subcommand)))))
            raise typer.Exit(code) from None
        except BrokenPipeError:
            from refcli.cli.output import stop_on_broken_pipe

            stop_on_broken_pipe()


def _show_usage_error(self, file=None) -> None:  # type: ignore[no-untyped-def]
    """A usage error in one line, as every other error (click writes four: usage, "Try", a blank, "Error:")."""
    import sys

    from refcli.i18n import translate_click_text

    command = self.ctx.command_path if self.ctx is not None else "refcli"
    message = " ".join(translate_click_text(self.format_message()).split("\n"))
    (file if file is not None else sys.stderr).write(
        _("error:") + " " + _("{command}: {message} (see '{command} --help')").format(command=command,
                                                                                      message=message) + "\n")


click_exceptions.UsageError.show = _show_usage_error


class _Deferred(TyperCommand):
    """A command known by its name and help until it runs: then typer inspects its function and builds its options.

    The list of commands (`refcli --help`), the "did you mean" of a misspelt command and the completion of
    command names read only names and help; typer would inspect every command's signature on each start.
    """

    def __init__(self, info, *, pretty_exceptions_short: bool, rich_markup_mode) -> None:  # type: ignore[no-untyped-def]
        import inspect

        from typer.main import get_command_name

        self.info = info
        self.pretty_exceptions_short = pretty_exceptions_short
        super().__init__(  # the name and help as typer.main.get_command_from_info gives them
            info.name or get_command_name(info.callback.__name__),
            help=inspect.getdoc(info.callback) if info.help is None else inspect.cleandoc(info.help),
            short_help=info.short_help, hidden=info.hidden, deprecated=info.deprecated,
            rich_markup_mode=rich_markup_mode,
        )

    def make_context(self, info_name, args, parent=None, **extra):  # type: ignore[no-untyped-def]
        from typer.main import get_command_from_info

        command = get_command_from_info(self.info, pretty_exceptions_short=self.pretty_exceptions_short,
                                        rich_markup_mode=self.rich_markup_mode)
        return command.make_context(info_name, args, parent=parent, **extra)


class _DeferredGroup(TyperGroup):
    """A group of commands (`refcli tender`) known by its name and help until it runs, like _Deferred."""

    def __init__(self, info, *, pretty_exceptions_short: bool, rich_markup_mode) -> None:  # type: ignore[no-untyped-def]
        import inspect

        self.info = info
        self.pretty_exceptions_short = pretty_exceptions_short
        super().__init__(name=info.name, help=inspect.cleandoc(info.help),
                         rich_markup_mode=rich_markup_mode)

    def _built(self) -> TyperGroup:
        from typer.main import get_group_from_info

        return get_group_from_info(self.info, pretty_exceptions_short=self.pretty_exceptions_short,
                                   suggest_commands=True, rich_markup_mode=self.rich_markup_mode)

    def make_context(self, info_name, args, parent=None, **extra):  # type: ignore[no-untyped-def]
        return self._built().make_context(info_name, args, parent=parent, **extra)


app = typer.Typer(
    cls=_ErrorBoundary,
    name="refcli",
    help=_("Keep the firm's fiches références as TOML records, rank them against a tender, write the annex."),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: importing rich to format it costs more than the rest of start-up
    add_completion=True,
)


def _json_refusals(command: str) -> Callable[[Callable], Callable]:
    """With --json, a refusal to write (a NegativeAnswer with a code: the tender's rules, a changed selection
    record) prints {"refused": ...} on stdout, so that a script reads the same exit 1 as a document."""
    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)  # typer reads the wrapped function's signature
        def run(*args, **options):  # type: ignore[no-untyped-def]
            try:
                return function(*args, **options)
            except Exception as error:
                from refcli.errors import NegativeAnswer

                if options.get("json") and isinstance(error, NegativeAnswer) and error.code:
                    print_json(command, {"refused": error.as_json()})
                raise

        return run

    return decorate


def _folder(option: str) -> Callable[[str], Path]:
    """The parser of a folder option (--data, --cache-dir): an empty name is refused (Path('') would be the current
    folder)."""
    def parse(text: str) -> Path:
        if not text:
            from refcli.errors import UserError

            raise UserError(_("{option}: an empty folder name; pass {option} DIR ({option} . for the current folder)"
                              ).format(option=option))
        return Path(text)

    return parse


DataOption = Annotated[
    Optional[Path],  # noqa: UP045 - typer reads the annotation at run time
    typer.Option("--data", help=_("Mission library folder (default: $REFCLI_DATA, else ./data/missions)."),
                 show_default=False, parser=_folder("--data"), metavar="PATH"),
]
JsonOption = Annotated[bool, typer.Option("--json", help=_("Print one JSON document on stdout, for scripts."))]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help=_("Print no warnings or notes on stderr."))]
NoCacheOption = Annotated[
    bool, typer.Option("--no-cache", help=_("Read every record file, neither using nor updating the library cache.")),
]
CacheDirOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--cache-dir", metavar="DIR", help=_("Where the library cache lives (default: $REFCLI_CACHE_DIR, "
                 "else the user's cache folder)."), show_default=False, parser=_folder("--cache-dir")),
]


# The query options of `search`, shared with the commands that rank missions against a tender.
KeywordsArgument = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Argument(metavar="[TERMS]...", help=_('Keywords and quoted phrases: concertation "maison du projet".'),
                   show_default=False),
]
TextOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--text", help=_("Free text to search for: the tender's object or rules, pasted."),
                 show_default=False),
]
TenderTextOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--tender-text", metavar="FILE", show_default=False,
                 help=_("A .pdf, .docx, .txt or .md file of the tender's object or rules (of an RC: the mission's "
                      "sections).")),
]
TenderOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--tender", metavar="FILE", help=_("A tender described in TOML (see examples/)."), show_default=False),
]
CompetencyOption = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option("--competency", "-c", metavar="NAME[:LEVEL]",
                 help=_("A required competency, at a minimum level: concertation, concertation:3 or "
                        "concertation=3 (1 by default); repeatable."), show_default=False),
]
SinceOption = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option("--since", metavar="YEAR", help=_("Window: missions that ended in or after YEAR."),
                 show_default=False),
]
YearsOption = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option("--years", metavar="N", help=_("Window: missions of the last N years."), show_default=False),
]
ClientOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--client", metavar="KIND", help=_("Only missions for a public or a private client."),
                 show_default=False),
]
LimitOption = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option("--limit", "-n", metavar="N",
                 help=_("Show the N best missions (default: the tender's references, else 10)."), show_default=False),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"refcli {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help=_("Print the version and exit."))
    ] = False,
) -> None:
    """Keep the firm's fiches références as TOML records, rank them against a tender, write the annex."""


def _load(data: Path | None, quiet: bool, no_cache: bool = False, cache_dir: Path | None = None, *,
          for_search: bool = False):
    """Load the library (through its cache unless no_cache, decoding a record only when it is used); warn on
    stderr about the records left out. for_search: return (library, index).
    """
    from refcli.records.load import resolve_data_folder

    folder = resolve_data_folder(data)
    index = note = None
    if no_cache and for_search:
        from refcli.records.library import load_library_indexed

        library, index = load_library_indexed(folder)
    elif no_cache:
        from refcli.records.library import load_library

        library = load_library(folder)
    else:
        from refcli.search.cache import load_library_cached

        loaded = load_library_cached(folder, cache_dir, with_index=for_search)
        library, index, note = loaded.library, loaded.index, loaded.note
    if not quiet:
        if note:
            print_warning(note)
        reported: set[str] = set()
        for problem in library.problems:
            if problem.path not in reported:
                reported.add(problem.path)
                print_warning(_("skipped {problem} (run 'refcli validate' for every problem)").format(problem=problem))
    if for_search:  # the cache, or the search without it, always gives the index when asked
        return library, index
    return library


@app.command()
def validate(data: DataOption = None, json: JsonOption = False, quiet: QuietOption = False,
             no_cache: NoCacheOption = False, cache_dir: CacheDirOption = None) -> None:
    """Check every record of the library and list every problem (exit 1 if any)."""
    import datetime

    from refcli.cli.output import stdout_console
    from refcli.records.browse import periods_ending_after
    from refcli.records.validate import date_warnings

    library = _load(data, True, no_cache, cache_dir)
    problems = library.problems
    year = datetime.date.today().year  # a record dated after it is valid, but no reference yet: most often a typo
    warnings = date_warnings(periods_ending_after(library, year), year)
    if json:
        print_json("validate", {
            "folder": str(library.folder),
            "valid": len(library.missions),
            "invalid": len(library.skipped_files),
            "problems": [
                {"file": p.path, "key": p.key, "line": p.line, "column": p.column, "message": p.message}
                for p in problems
            ],
            "warnings": [{"file": w.path, "key": w.key, "message": w.message} for w in warnings],
        })
    else:
        console = stdout_console()
        for problem in problems:  # in a terminal wrapped word by word at its width; piped, one line each, for grep
            console.print(str(problem), markup=False, soft_wrap=not console.is_terminal)
        if not quiet:
            for warning in warnings:
                print_warning(str(warning))
            summary = _("{valid} valid record(s), {invalid} invalid").format(valid=len(library.missions),
                                                                              invalid=len(library.skipped_files))
            if problems:
                summary += _(", {count} problem(s)").format(count=len(problems))
            from refcli.cli.output import print_note

            print_note(summary)
    if problems:
        raise typer.Exit(1)


@app.command("list")
def list_missions(
    data: DataOption = None,
    year: Annotated[Optional[int], typer.Option(help=_("Only missions under way in this year."))] = None,  # noqa: UP045
    since: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(help=_("Only missions that ended in or after this year.")),
    ] = None,
    component: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--component", "-c", metavar="NAME[:LEVEL]",
                     help=_("Only missions covering this component, at LEVEL or more: concertation, "
                            "concertation:3 or concertation=3 (repeatable).")),
    ] = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
    no_cache: NoCacheOption = False,
    cache_dir: CacheDirOption = None,
) -> None:
    """List the missions of the library in a table: id, title, client, years, fee."""
    import datetime

    from refcli.errors import NegativeAnswer, UserError
    from refcli.records.browse import filter_listings, library_listings

    this_year = datetime.date.today().year
    if since is not None and since > this_year:  # as search says of its window
        raise UserError(_("{origin}: the window starts in {since}, in the future (this year is {year})").format(
            origin="--since", since=since, year=this_year))

    library = _load(data, quiet, no_cache, cache_dir)
    listings, guessed = filter_listings(library_listings(library), library, year=year, since=since,
                                        components=component or [])
    if guessed and not quiet:
        from refcli.cli.views import few

        print_warning(ngettext("{count} mission is listed on a component level not on its fiche ([inferred]): {ids}; "
                               "'refcli show ID' marks it",
                               "{count} missions are listed on component levels not on their fiches ([inferred]): "
                               "{ids}; 'refcli show ID' marks them", len(guessed)).format(
                                   count=len(guessed), ids=few(guessed, 5)))
    if json:
        print_json("list", {"missions": [Encoded(listing.json()) for listing in listings]})
    else:
        from refcli.cli.output import print_fitted
        from refcli.records.browse import missions_table

        print_fitted(missions_table(listings))
    if not listings:
        raise NegativeAnswer(_("no mission matches these filters") if (year or since or component) else "")


@app.command()
def show(
    mission_id: Annotated[str, typer.Argument(metavar="ID", help=_("The id of the mission, as 'refcli list' shows."))],
    data: DataOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
    no_cache: NoCacheOption = False,
    cache_dir: CacheDirOption = None,
) -> None:
    """Show one mission's whole record, readable."""
    from refcli.records.browse import find_mission

    library = _load(data, quiet, no_cache, cache_dir)
    mission = find_mission(library, mission_id)
    if json:
        from refcli.records.serialize import mission_to_table

        print_json("show", {"mission": mission_to_table(mission)})
    else:
        from refcli.cli.output import stdout_console
        from refcli.records.browse import mission_view

        stdout_console().print(mission_view(mission, library))


def _stdin_is_terminal() -> bool:
    import sys

    return sys.stdin is not None and sys.stdin.isatty()


ListOption = Optional[list[str]]  # noqa: UP045 - typer reads the annotation at run time


@app.command()
def new(
    data: DataOption = None,
    record_id: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--id", help=_("The record id (default: from the title and city).")),
    ] = None,
    title: Annotated[Optional[str], typer.Option(help=_("The mission's object."))] = None,  # noqa: UP045
    subtitle: Annotated[Optional[str], typer.Option(help=_("The line under the title."))] = None,  # noqa: UP045
    mission_type: Annotated[Optional[str], typer.Option(help=_("'Type de mission'."))] = None,  # noqa: UP045
    role: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help=_("titulaire, mandataire, co-traitant or sous-traitant.")),
    ] = None,
    client: Annotated[Optional[str], typer.Option(help=_("The maître d'ouvrage."))] = None,  # noqa: UP045
    client_kind: Annotated[Optional[str], typer.Option(help=_("public or private."))] = None,  # noqa: UP045
    client_category: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help=_("commune, EPCI, bailleur social...")),
    ] = None,
    client_contact: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help=_("Who can vouch for the reference.")),
    ] = None,
    start: Annotated[Optional[int], typer.Option(help=_("The first year."))] = None,  # noqa: UP045
    end: Annotated[Optional[int], typer.Option(help=_("The last year (default: the first)."))] = None,  # noqa: UP045
    months: Annotated[Optional[int], typer.Option(help=_("The duration in months."))] = None,  # noqa: UP045
    ongoing: Annotated[bool, typer.Option(help=_("The mission is still under way."))] = False,
    city: Annotated[Optional[str], typer.Option(help=_("The city of the site."))] = None,  # noqa: UP045
    district: Annotated[ListOption, typer.Option(help=_("A district of the site (repeatable)."))] = None,
    population: Annotated[Optional[int], typer.Option(help=_("The city's inhabitants."))] = None,  # noqa: UP045
    member: Annotated[ListOption, typer.Option(help=_("A team member, firm or consultant (repeatable)."))] = None,
    mandataire: Annotated[Optional[str], typer.Option(help=_("The consortium's lead firm."))] = None,  # noqa: UP045
    director: Annotated[Optional[str], typer.Option(help=_("The directeur de mission."))] = None,  # noqa: UP045
    referent: Annotated[Optional[str], typer.Option(help=_("The référent."))] = None,  # noqa: UP045
    consultant: Annotated[ListOption, typer.Option(help=_("A consultant mobilised (repeatable)."))] = None,
    partner: Annotated[ListOption, typer.Option(help=_("A partner, 'Acteurs' (repeatable)."))] = None,
    project_amount: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help=_("The project's amount, like '167 millions € TTC'.")),
    ] = None,
    fee: Annotated[Optional[str], typer.Option(help=_("The mission fee, like '99 685 € HT'."))] = None,  # noqa: UP045
    programme: Annotated[
        ListOption,
        typer.Option(help=_("Programme figures, like '144 démolitions' (repeatable).")),
    ] = None,
    component: Annotated[
        ListOption,
        typer.Option("--component", "-c", metavar="NAME:LEVEL",
                     help=_("NAME:LEVEL or NAME=LEVEL, like concertation:4 (repeatable).")),
    ] = None,
    keyword: Annotated[ListOption, typer.Option(help=_("A keyword (repeatable)."))] = None,
    stakes: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help=_("'Enjeux de la mission'; blank lines separate paragraphs.")),
    ] = None,
    content: Annotated[ListOption, typer.Option(help=_("An item of 'Contenu de la mission' (repeatable)."))] = None,
    sources: Annotated[Optional[str], typer.Option(help=_("'Sources', as written."))] = None,  # noqa: UP045
    certificate: Annotated[
        Optional[bool],  # noqa: UP045
        typer.Option("--certificate/--no-certificate", help=_("An attestation de bonne exécution exists."),
                     show_default=False),
    ] = None,
    interactive: Annotated[
        bool,
        typer.Option("--interactive", "-i", help=_("Ask for the missing fields even when stdin is not a terminal.")),
    ] = False,
    no_input: Annotated[
        bool,
        typer.Option("--no-input", help=_("Never ask; a missing required field is an error.")),
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run",
                                          help=_("Print the record's TOML instead of writing it."))] = False,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Create a valid record from flags, or by asking for each field in a terminal."""
    from refcli.authoring.author import REQUIRED_ANSWERS, create_record, new_record_table
    from refcli.cli.output import print_note, stderr_console
    from refcli.errors import UserError
    from refcli.records.load import resolve_data_folder
    from refcli.records.model import client_kind_option
    from refcli.records.vocabulary import load_vocabulary

    if client_kind is not None:
        client_kind = client_kind_option(client_kind, "--client-kind")
    folder = resolve_data_folder(data)
    vocabulary = load_vocabulary(folder)
    answers: dict = {
        "id": record_id, "title": title, "subtitle": subtitle, "mission_type": mission_type, "role": role,
        "client": client, "client_kind": client_kind, "client_category": client_category,
        "client_contact": client_contact, "start": start, "end": end, "months": months, "ongoing": ongoing,
        "city": city, "districts": district, "population": population, "members": member,
        "mandataire": mandataire, "director": director, "referent": referent, "consultants": consultant,
        "partners": partner, "project_amount": project_amount, "fee": fee, "programme": programme,
        "components": component, "keywords": keyword, "stakes": stakes, "content": content,
        "sources": sources, "certificate": certificate,
    }
    missing = [key for key in REQUIRED_ANSWERS if answers.get(key) in (None, "", [])]
    if missing and not no_input and (interactive or _stdin_is_terminal()):
        from refcli.authoring.author import parse_component_levels
        from refcli.cli.prompts import ask_answers

        if component:
            answers["components"] = parse_component_levels(component, vocabulary)
        try:
            answers = ask_answers(answers, vocabulary, stderr_console())
        except KeyboardInterrupt:  # the error boundary's own line would not say that nothing was written
            from refcli.errors import Interrupted

            raise Interrupted(_("new: interrupted (Ctrl-C); no record written"), 130) from None
    else:
        missing = [key for key in REQUIRED_ANSWERS if key != "client_kind" and answers.get(key) in (None, "", [])]
        if missing:
            flags = ", ".join("--" + key.replace("_", "-") for key in missing)
            raise UserError(_("new: missing required field(s): {flags} (or run it in a terminal to be asked)")
                            .format(flags=flags))
    assumed = not answers["client_kind"]  # a public buyer reads the kind: an assumed one is marked, not stated
    answers["client_kind"] = answers["client_kind"] or "public"
    table = new_record_table(answers, vocabulary)
    if assumed:
        table.setdefault("inferred", {})["client.kind"] = _("not given: public assumed by refcli new "
                                                            "(--client-kind says it)")
    path, text = create_record(table, folder, vocabulary, dry_run=dry_run)
    if assumed and not quiet:  # once the record is made: a refused one needs no note
        print_note(_("client.kind: not given, public assumed and listed in [inferred]; pass --client-kind"))
    if json:
        print_json("new", {"id": path.stem, "path": str(path), "dry_run": dry_run,
                           **({"toml": text} if dry_run else {})})
    elif dry_run:
        import sys

        sys.stdout.write(text)
    else:
        typer.echo(str(path))


@app.command("import")
def import_fiches(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help=_("Fiches as .txt, .md or .docx."),
                                                exists=True, dir_okay=False)],
    out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--out", help=_("Folder to write the records in (default: the library folder)."),
                     show_default=False),
    ] = None,
    data: DataOption = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help=_("Print the records' TOML instead of writing them.")),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help=_("Replace a record file that exists."))] = False,
    firm: Annotated[
        str,
        typer.Option(help=_("The firm's name, kept whole when splitting the team.")),
    ] = "Perspectives Urbaines et Sociales",
    client_kind: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help=_("public or private (default: public, reported as inferred).")),
    ] = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Turn the firm's existing fiches (.txt, .md, .docx) into records; report each file (exit 1 if any skipped)."""
    import sys

    from refcli.authoring.author import import_fiches as run_import
    from refcli.cli.output import stderr_console
    from refcli.errors import NegativeAnswer, UserError
    from refcli.records.load import resolve_data_folder
    from refcli.records.model import client_kind_option
    from refcli.records.vocabulary import load_vocabulary

    if client_kind is not None:
        client_kind = client_kind_option(client_kind, "--client-kind")
    folder = out if out is not None else resolve_data_folder(data)
    if folder.exists() and not folder.is_dir():
        raise UserError(_("{folder}: --out is not a folder").format(folder=folder))
    vocabulary = load_vocabulary(folder)
    console = stderr_console()
    options = {"firm": firm, "client_kind": client_kind, "force": force, "dry_run": dry_run}
    if len(files) > 3 and console.is_terminal and not quiet and not json:
        from rich.progress import Progress

        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(_("Importing"), total=len(files))
            reports = run_import(files, folder, vocabulary,
                                 on_file=lambda path: progress.update(task, advance=1, description=path.name),
                                 **options)
    else:
        reports = run_import(files, folder, vocabulary, **options)
    skipped = [report for report in reports if report.status == "skipped"]
    if json:
        print_json("import", {"folder": str(folder), "dry_run": dry_run,
                              "files": [{**report.as_json(), **({"toml": report.text} if dry_run else {})}
                                        for report in reports]})
    else:
        for report in reports:
            if report.status == "checked":
                sys.stdout.write(f"# ==> {report.target} (from {report.source}) <==\n{report.text}\n")
            elif report.status == "imported":
                typer.echo(str(report.target))
        if not quiet:
            from refcli.authoring.author import report_lines
            from refcli.cli.output import print_note

            for line in report_lines(reports, dry_run):
                print_note(line)
    if skipped:
        raise NegativeAnswer("")


CoverOption = Annotated[
    bool,
    typer.Option("--cover",
                 help=_("Choose a set of references covering every required competency (docs/checklists.md).")),
]
DEFAULT_REFERENCES = 5  # build-bid and check, when neither the tender nor --limit says how many


def _show_document_progress(quiet: bool) -> None:
    """A progress bar on stderr while a long PDF is read, once reading it has taken more than a second."""
    import time

    from refcli.cli.output import stderr_console
    from refcli.search.documents import set_progress_reporter

    console = stderr_console()
    if quiet or not console.is_terminal:
        set_progress_reporter(None)
        return

    def reporter(path: Path):  # type: ignore[no-untyped-def]
        started = time.monotonic()
        shown: list = []

        def advance(done: int, total: int) -> None:
            if not shown and time.monotonic() - started > 1 and done < total:
                from rich.progress import Progress

                progress = Progress(console=console, transient=True)
                progress.start()
                shown.append((progress, progress.add_task(_("Reading {name}").format(name=path.name), total=total)))
            if shown:
                progress, task = shown[0]
                progress.update(task, completed=done)
                if done >= total:
                    progress.stop()

        return advance

    set_progress_reporter(reporter)


def _build_query(library, *, terms, text, tender_text, tender, competency, since, years, client, limit,
                 default_limit: int | None = None, quiet: bool = False, rules: bool = False):
    """The query of search, check and build-bid: the tender file, then the options over it. rules (check,
    build-bid): say that a --tender-text's rules are not read, when no tender file states them."""
    from refcli.search.glossary import load_glossary
    from refcli.search.query import build_query, load_tender

    if tender_text is not None:
        _show_document_progress(quiet)
    loaded = load_tender(tender) if tender is not None else None
    if limit is None and default_limit is not None and not (loaded is not None and loaded.references):
        limit = default_limit
    if rules and tender_text is not None and loaded is None and not quiet:
        print_warning(_("--tender-text {file}: its words are searched, its rules are not read (the number of "
                        "references, the window, the clients); 'refcli tender read {file}' drafts a tender file "
                        "that states them, for --tender").format(file=tender_text))
    return build_query(
        library.vocabulary, load_glossary(library.folder),
        keywords=terms or [], text=text, text_file=tender_text, competencies=competency or [],
        since=since, years=years, client_kind=client, limit=limit, tender=loaded,
    )


def _print_notes(query, quiet: bool) -> None:
    if not quiet:
        for note in query.notes:
            print_warning(note)


def _warn_guessed(matches, query, library, quiet: bool) -> None:
    """Name the results ranked on what their fiche does not show ([inferred]): a component level counted for a
    competency, a client kind the query kept them on (--client, or the tender's)."""
    from refcli.cli.views import few, guessed_levels
    from refcli.records.provenance import is_unconfirmed

    if quiet or not matches:
        return
    guessed = guessed_levels(matches, library)
    kept = [match.id for match in matches if query.client_kind and is_unconfirmed(match.mission, "client.kind")]
    for ids, message in (
            (guessed, ngettext("{count} result is ranked on a component level not on its fiche ([inferred]): {ids}; "
                               "'refcli show ID' marks it",
                               "{count} results are ranked on component levels not on their fiches ([inferred]): "
                               "{ids}; 'refcli show ID' marks them", len(guessed))),
            (kept, ngettext("{count} result is kept on a client kind (public or private) not on its fiche "
                            "([inferred]): {ids}; 'refcli show ID' marks it",
                            "{count} results are kept on a client kind (public or private) not on their fiches "
                            "([inferred]): {ids}; 'refcli show ID' marks them", len(kept)))):
        if ids:
            print_warning(message.format(count=len(ids), ids=few(ids, 5)))


AllowOutsideOption = Annotated[
    bool,
    typer.Option("--allow-outside-window", help=_("Take references that ended before the tender's window (only if "
                 "the buyer accepts older ones); the stderr summary names them.")),
]
FromOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--from", metavar="FILE.refcli.toml", help=_("A selection record written beside an annex: rebuild "
                 "(build-bid) or check (check) that selection."), show_default=False),
]
UseCurrentOption = Annotated[
    bool,
    typer.Option("--use-current", help=_("With --from: use the records' current versions when they changed since "
                 "(without it, refcli names them and refuses).")),
]


def _warn_against_tender(query, count: int, without_illustration: list[str]) -> None:
    """Say where the annex departs from what the tender file asks (--ids, --limit, --client, too few matches,
    references without the illustration it requires)."""
    tender = query.tender if query is not None else None
    if tender is None:
        return
    if tender.references is not None and count != tender.references:
        print_warning(_("the tender asks for {asked} reference(s); the annex holds {count}").format(
            asked=tender.references, count=count))
    if tender.client_kind is not None and query.client_kind != tender.client_kind:
        print_warning(_("the tender asks for {kind} clients; --client {option} overrides it").format(
            kind=_(tender.client_kind), option=query.client_kind))
    if tender.require_illustrations and without_illustration:
        print_warning(_("the tender asks for an illustration of every reference (require_illustrations); "
                        "none for {ids}: add [[illustrations]] to their records").format(
                            ids=", ".join(without_illustration)))


def _warn_unstated_facts(selections) -> None:
    """Say which references the annex states without a fee, or without its tax basis, or with years after this
    one: what `check` fails on."""
    from refcli.search.check import entitled_item

    for selection in selections:
        for part in entitled_item(selection.mission).parts:
            if part.code in ("reference.amount", "reference.basis", "reference.date") and part.advice:
                print_warning(_("{id}: {detail}; {advice}").format(id=selection.mission.id, detail=part.detail,
                                                                   advice=part.advice))


def _warn_stale_ongoing(selections, query) -> None:
    """Say which references the window takes in only as ongoing, though their last year is before it."""
    from refcli.search.check import ongoing_before

    stale = ongoing_before([selection.mission for selection in selections], query.since if query else None)
    if stale:
        print_warning(stale)


def _print_left_out(selections, quiet: bool) -> dict:
    """Say on stderr which values the annex leaves out of which reference; return them by id."""
    from refcli.records.provenance import describe_unconfirmed, unconfirmed_paths

    left_out = {selection.mission.id: unconfirmed_paths(selection.mission) for selection in selections
                if selection.mission.inferred}
    if not quiet:
        for mission_id, paths in left_out.items():
            print_warning(_("left out of {id}, not on its fiche ([inferred]): {values}").format(
                id=mission_id, values=describe_unconfirmed(paths)))
    return left_out


def _load_recorded(from_record: Path, data: Path | None, *, template: Path | None = None, writes_annex: bool,
                   use_current: bool, refusal: str, quiet: bool, no_cache: bool, cache_dir: Path | None):
    """--from: the selection record, the library it names (--data overrides) and what changed since; refused
    when its inputs changed since (unless use_current, which says what it takes in its current version).
    build-bid (writes_annex) rebuilds with --template, else with the recorded template, which must then be
    unchanged; check reads no template, and needs the recorded tender unchanged."""
    from refcli.annex.selection_record import annex_note, read_selection_record, require_unchanged
    from refcli.records.load import resolve_data_folder

    recorded = read_selection_record(from_record)
    if not quiet and (note := annex_note(recorded)):
        print_warning(note)
    folder = resolve_data_folder(data) if data is not None else recorded.library
    changed = require_unchanged(recorded, folder, template, use_current=use_current, with_tender=not writes_annex,
                                refusal=refusal)
    if changed and not quiet:
        from refcli.cli.output import print_note

        print_note(_("--use-current: the current versions of {changed}").format(changed="; ".join(changed)))
    return recorded, _load(folder, quiet, no_cache, cache_dir), changed


@app.command("build-bid")
@_json_refusals("build-bid")
def build_bid(
    terms: KeywordsArgument = None,
    ids: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--ids", help=_("The missions to include, by id, separated by commas, in the annex's order.")),
    ] = None,
    tender: TenderOption = None,
    text: TextOption = None,
    tender_text: TenderTextOption = None,
    competency: CompetencyOption = None,
    since: SinceOption = None,
    years: YearsOption = None,
    client: ClientOption = None,
    limit: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--limit", "-n", metavar="N",
                     help=_("How many references (default: the tender's references, else {count}).")
                     .format(count=DEFAULT_REFERENCES),
                     show_default=False),
    ] = None,
    cover: CoverOption = False,
    allow_outside_window: AllowOutsideOption = False,
    from_record: FromOption = None,
    use_current: UseCurrentOption = False,
    out: Annotated[Path, typer.Option("--out", "-o", help=_("The Word file to write."))] = Path("annexe.docx"),
    force: Annotated[bool, typer.Option("--force", help=_("Overwrite the output file if it exists."))] = False,
    title: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--title", help=_("The tender's title, for the annex's heading (default: the tender's).")),
    ] = None,
    buyer: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--buyer", help=_("The tender's buyer, for the annex's heading (default: the tender's).")),
    ] = None,
    date: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--date", help=_("The tender's date: YYYY-MM-DD (written in French) or any text, as written.")),
    ] = None,
    template: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--template", help=_("The Word template (default: $REFCLI_TEMPLATE, else the firm's)."),
                     show_default=False),
    ] = None,
    data: DataOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
    no_cache: NoCacheOption = False,
    cache_dir: CacheDirOption = None,
) -> None:
    """Write the references annex of a bid as a Word document in the firm's template, and its selection record."""
    import hashlib
    import io

    from refcli.annex.render import Heading, render_annex
    from refcli.annex.selection_record import record_path_for, selection_record_text
    from refcli.annex.template import find_template, open_template
    from refcli.cli.output import print_note, stderr_console
    from refcli.errors import UserError
    from refcli.write import check_writable, refuse_inputs, write_all_atomically

    if out.is_dir():
        check_writable(out, force)  # says it is a folder, and which name to give ("", ".")

    ranking_given = any(option not in (None, []) for option in (terms, text, tender_text, competency, limit))
    rules_given = any(option is not None for option in (tender, since, years, client))
    query_given = ranking_given or rules_given
    if from_record is not None and (ids is not None or query_given or cover or allow_outside_window
                                    or any(option is not None for option in (title, buyer, date))):
        raise UserError(_("build-bid: --from rebuilds the recorded selection with its recorded heading; give no --ids, "
                        "query, window, --title, --buyer or --date option with it"))
    if use_current and from_record is None:
        raise UserError(_("build-bid: --use-current goes with --from"))
    if ids is not None and (ranking_given or cover):
        raise UserError(_("build-bid: --ids chooses the references itself; give --ids or a query "
                        "(terms, --text, -c...), not both (--tender, --years, --since and --client may go with "
                        "--ids: the tender's rules)"))
    if ids is None and from_record is None and not query_given:
        raise UserError(_("build-bid: choose the references with --ids ID,ID,... ('refcli list' shows the ids), "
                        "with a query: --tender FILE, keywords, --text, -c NAME..., or --from FILE.refcli.toml"))
    query = None
    matches = []
    outside = []
    recorded = None
    ranked = ids is None and from_record is None  # chosen by a query: its competencies name the fiche's relevance
    if from_record is not None:
        from refcli.search.selection import selections_from_record

        recorded, library, changed = _load_recorded(
            from_record, data, template=template, writes_annex=True, use_current=use_current, quiet=quiet,
            no_cache=no_cache, cache_dir=cache_dir,
            refusal=_("nothing written; pass --use-current to build it with the current versions"))
        selections = selections_from_record(recorded, library)
        if changed:  # the current versions still under the recorded rules (window, client kind)
            from refcli.search.selection import check_recorded_within_rules

            outside = check_recorded_within_rules(selections, recorded)
        if template is None:
            template = recorded.template
    elif ids is not None:
        from refcli.search.query import rules_query, rules_year
        from refcli.search.selection import check_ids_within_rules, parse_ids, select_by_ids

        library = _load(data, quiet, no_cache, cache_dir)
        selections = select_by_ids(library, parse_ids(ids))
        query = rules_query(tender=tender, since=since, years=years, client=client, count=len(selections))
        outside = check_ids_within_rules(selections, query, allow_outside_window, rules_year(query))
    else:
        from refcli.search.selection import choose_by_query, selections_from_matches

        library, index = _load(data, quiet, no_cache, cache_dir, for_search=True)
        query = _build_query(library, terms=terms, text=text, tender_text=tender_text, tender=tender,
                             competency=competency, since=since, years=years, client=client, limit=limit,
                             default_limit=DEFAULT_REFERENCES, quiet=quiet, rules=True)
        _print_notes(query, quiet)
        count_asked = limit is not None or bool(query.tender is not None and query.tender.references)
        candidates, matches, taken_outside = choose_by_query(library, index, query, cover, count_asked,
                                                             allow_outside_window)
        outside = [match.mission for match in taken_outside]
        selections = selections_from_matches(matches, library, covering=cover)
        if count_asked and len(matches) < query.limit and not quiet:  # no window to enforce: written, and said
            from refcli.search.check import confirm_guessed_zeros

            confirm = confirm_guessed_zeros(library, query, candidates)
            print_warning(_("{found} of the {count} references asked: the query reaches no more").format(
                found=len(matches), count=query.limit) + (_("; ") + confirm if confirm else ""))
    opened = open_template(find_template(template))
    record_file = record_path_for(out)
    from refcli.records.vocabulary import find_vocabulary_file
    from refcli.search.glossary import find_glossary_file

    inputs = [(_("the template"), opened.path), (_("the tender file"), tender),
              (_("the tender text file"), tender_text),
              (_("the tender's text file"), query.tender.text_file if query is not None and query.tender else None),
              (_("the selection record of --from"), from_record),
              (_("the recorded tender"), recorded and recorded.tender),
              (_("the components vocabulary"), find_vocabulary_file(library.folder)),
              (_("the glossary"), find_glossary_file(library.folder)),
              *[(_("the record of {id}").format(id=selection.mission.id), selection.mission.path)
                for selection in selections]]
    for target in (out, record_file):
        refuse_inputs(target, inputs, folders=[library.folder])
    if out.suffix.lower() != ".docx":  # "newdir/", "-", "a.txt": no Word document's name
        raise UserError(_("{out}: --out: give a .docx file name (refcli writes a Word document)").format(out=out))
    check_writable(out, force)
    if record_file.is_dir():  # its name follows --out's: suggesting a name inside it would misplace the annex
        raise UserError(_("{path}: is a folder, where the annex's selection record goes (its name follows --out): "
                          "rename that folder, or give another --out").format(path=record_file))
    check_writable(record_file, force)
    if not quiet:
        print_note(_("{count} reference(s) in the annex, in this order:").format(count=len(selections)))
        from rich.text import Text

        from refcli.cli.views import hanging_lines

        stderr_console().print(hanging_lines(
            [(Text(f"  {number}. "), Text(f"{selection.mission.id}: {selection.mission.title} — {selection.reason}"))
             for number, selection in enumerate(selections, start=1)]))
        if ranked and (cover or query.competencies):
            from refcli.cli.views import coverage_view

            stderr_console().print(coverage_view(matches, query, library))
    if ids is not None and query is not None:  # hand-picked: a client kind the tender's rule kept them on is said too
        from refcli.search.check import matches_for

        _warn_guessed(matches_for([selection.mission for selection in selections], query), query, library, quiet)
    else:
        _warn_guessed(matches, query, library, quiet)  # none when chosen by --from
    if outside and not quiet:  # each with the year it ended, which the window reads
        print_warning(_("outside the window (ended before {year}), taken because of --allow-outside-window: ")
                      .format(year=query.since if query is not None else recorded.options.get("since"))
                      + ", ".join(f"{mission.id} ({mission.period.end})" for mission in outside))
    if not quiet:
        _warn_against_tender(query, len(selections),
                             [selection.mission.id for selection in selections if not selection.mission.illustrations])
        _warn_unstated_facts(selections)
        _warn_stale_ongoing(selections, query)
    left_out = _print_left_out(selections, quiet)
    loaded_tender = query.tender if query is not None else None
    if recorded is not None:
        heading = Heading(**{key: recorded.heading.get(key) for key in ("title", "buyer", "date")})
    else:
        heading = Heading(
            title=title if title is not None else (loaded_tender.title if loaded_tender else None),
            buyer=buyer if buyer is not None else (loaded_tender.buyer if loaded_tender else None),
            date=_parse_date(date) if date is not None else (loaded_tender.date if loaded_tender else None),
        )
    document = render_annex(selections, library, heading, opened)
    annex = io.BytesIO()
    document.save(annex)
    if recorded is not None:
        options = {**recorded.options, "from": str(from_record), "use_current": bool(changed) or None}
        if isinstance(options.get("tender_text"), str):  # written relative to the recorded file's folder
            options["tender_text"] = str(recorded.path.parent / options["tender_text"])
        tender_file = recorded.tender if recorded.tender is not None and recorded.tender.is_file() else None
    else:
        options = {
            "ids": [selection.mission.id for selection in selections] if ids is not None else None,
            "terms": list(terms or []), "text": text, "tender_text": str(tender_text) if tender_text else None,
            "competencies": dict(query.competencies) if ranked else None,
            "since": query.since if query is not None else None,
            "client": query.client_kind if query is not None else None,
            "limit": query.limit if query is not None and ids is None else None,
            "cover": cover, "allow_outside_window": allow_outside_window,
            "outside_window": [mission.id for mission in outside],
        }
        tender_file = loaded_tender.source if loaded_tender is not None else None
    record_bytes = selection_record_text(
        record_path=record_file, annex=out, annex_sha256=hashlib.sha256(annex.getvalue()).hexdigest(),
        library_folder=library.folder,
        references=[(selection.mission.id, selection.mission.path,
                     [(selection.mission.path.parent / picture.file).resolve()
                      for picture in selection.mission.illustrations]) for selection in selections],
        template=opened.path, tender=tender_file, vocabulary=find_vocabulary_file(library.folder),
        glossary=find_glossary_file(library.folder),
        texts=[(origin, path) for origin, path in (
            ("--tender-text", tender_text),
            ("text_file", query.tender.text_file if query is not None and query.tender is not None else None))
            if path is not None and recorded is None],
        heading={"title": heading.title, "buyer": heading.buyer, "date": heading.date},
        options=options, left_out=left_out)
    write_all_atomically([(out, annex.getvalue()), (record_file, record_bytes)], force=force)  # both, or neither
    if json:
        since = query.since if query is not None else (recorded.options.get("since") if recorded else None)
        ranking = {match.id: match for match in matches}
        payload = {
            "out": str(out), "template": str(opened.path), "selection_record": str(record_file),
            "query": query.describe() if query is not None else None,
            "cover": bool(recorded.options.get("cover")) if recorded is not None else cover,
            "references": [{"rank": number, **_reference(selection.mission, ranking, since),
                            "reason": selection.reason, "relevance": selection.relevance,
                            "left_out": left_out.get(selection.mission.id, [])}
                           for number, selection in enumerate(selections, start=1)],
            "outside_window": [mission.id for mission in outside],
        }
        if ranked:
            from refcli.cli.views import coverage_guessed, coverage_json

            payload["coverage"] = coverage_json(matches, query, library)
            payload["coverage_guessed"] = coverage_guessed(matches, payload["coverage"])
        print_json("build-bid", payload)
    if not quiet:
        print_note(_("wrote {out} and its selection record {record} (template {template})").format(
            out=out, record=record_file, template=opened.path))


def _reference(mission, ranking: dict, since) -> dict:
    """A reference of build-bid --json: with its score and matched terms when a query ranked it."""
    from refcli.records.browse import reference_json
    from refcli.search.check import in_window

    match = ranking.get(mission.id)
    if match is None:
        return reference_json(mission, in_window(mission, since))
    return reference_json(mission, match.in_window, match.score, match.matched_terms())


def _parse_date(text: str | None):
    import datetime

    if text is None:
        return None
    import re

    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text.strip()):  # a date written wrong, not words ("mars 2025")
            from refcli.errors import UserError

            raise UserError(_("--date: {text!r} is no date of the calendar; give YYYY-MM-DD, or the date in words")
                            .format(text=text)) from None
        return text


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
    cover: CoverOption = False,
    explain: Annotated[bool, typer.Option("--explain", help=_("Show what each query term matched and added."))] = False,
    data: DataOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
    no_cache: NoCacheOption = False,
    cache_dir: CacheDirOption = None,
) -> None:
    """Rank the missions against keywords, a tender's text, competencies and a recency window."""
    from refcli.errors import NegativeAnswer
    from refcli.search.cover import choose_matches, rank_candidates
    from refcli.search.rank import rank_missions

    library, index = _load(data, quiet, no_cache, cache_dir, for_search=True)
    query = _build_query(library, terms=terms, text=text, tender_text=tender_text, tender=tender,
                         competency=competency, since=since, years=years, client=client, limit=limit, quiet=quiet)
    if cover:
        matches = choose_matches(rank_candidates(library, index, query), query, cover=True)
    else:
        matches = rank_missions(library, index, query)
    _print_notes(query, quiet)
    _warn_guessed(matches, query, library, quiet)
    if json:
        from refcli.cli.views import search_json

        payload = search_json(query, matches, library)
        if cover:
            from refcli.cli.views import coverage_guessed, coverage_json
            from refcli.search.cover import uncovered_competencies

            payload["coverage"] = coverage_json(matches, query, library)
            payload["coverage_guessed"] = coverage_guessed(matches, payload["coverage"])
            payload["uncovered"] = uncovered_competencies(matches, query.competencies)
        print_json("search", payload)
    elif matches:
        from refcli.cli.output import print_fitted, stdout_console
        from refcli.cli.views import coverage_view, explanation_view, results_table

        console = stdout_console()
        print_fitted(results_table(query, matches, library), console)
        if cover:
            console.print(coverage_view(matches, query, library))
        if explain:
            console.print(explanation_view(query, matches, library))
            if tender_text is not None:
                from rich.markup import escape

                from refcli.search.tender_reading import explain_selection, selection_of

                console.print(_("Sections of {file} (--tender-text):").format(file=escape(str(tender_text))))
                for line in explain_selection(selection_of(tender_text, "--tender-text")):
                    console.print(f"  {escape(line)}")
    if not matches:
        raise NegativeAnswer("" if json else _("no mission matches the query"))


@app.command()
@_json_refusals("check")
def check(
    terms: KeywordsArgument = None,
    tender: TenderOption = None,
    text: TextOption = None,
    tender_text: TenderTextOption = None,
    competency: CompetencyOption = None,
    since: SinceOption = None,
    years: YearsOption = None,
    client: ClientOption = None,
    limit: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--limit", "-n", metavar="N",
                     help=_("How many references the bid needs (default: the tender's references, else "
                          "{count}; with --ids, their number).").format(count=DEFAULT_REFERENCES),
                     show_default=False),
    ] = None,
    ids: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--ids", help=_("Check these missions (by id, separated by commas) instead of choosing them.")),
    ] = None,
    from_record: FromOption = None,
    use_current: UseCurrentOption = False,
    data: DataOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
    no_cache: NoCacheOption = False,
    cache_dir: CacheDirOption = None,
) -> None:
    """Check that the library can meet a tender: references in the window, competencies, amounts (exit 1 if not)."""
    from refcli.errors import NegativeAnswer, UserError
    from refcli.search.check import check_selection, check_tender, matches_for

    query_given = any(option not in (None, []) for option in
                      (terms, text, tender_text, tender, competency, since, years, client, limit))
    if from_record is not None and (ids is not None or query_given):
        raise UserError(_("check: --from checks the recorded selection under the recorded rules; give no --ids or "
                        "query option with it"))
    if use_current and from_record is None:
        raise UserError(_("check: --use-current goes with --from"))
    if from_record is not None:
        from refcli.annex.selection_record import recorded_competencies, recorded_missions
        from refcli.search.query import Query, load_tender, tender_competencies

        recorded, library, _changed = _load_recorded(
            from_record, data, writes_annex=False, use_current=use_current, quiet=quiet, no_cache=no_cache,
            cache_dir=cache_dir, refusal=_("pass --use-current to check the selection with the current versions"))
        missions = recorded_missions(recorded, library.folder, library.vocabulary)
        tender_file = recorded.tender if recorded.tender is not None and recorded.tender.is_file() else None
        options = recorded.options
        loaded = load_tender(tender_file) if tender_file else None
        # The tender's rules, not the overrides that built the annex (--ids, --limit): its number of references and
        # its competencies, with those the command line added (-c) over them.
        competencies = {**(tender_competencies(library.vocabulary, loaded) if loaded else {}),
                        **recorded_competencies(recorded, library.vocabulary)}
        count = loaded.references if loaded is not None and loaded.references else options.get("limit") or len(missions)
        query = Query((), competencies, options.get("since"), options.get("client"), count, (), loaded)
        selected = matches_for(missions, query)
        checklist = check_selection(library, query, selected, selected)
    elif ids is not None:
        from refcli.search.selection import parse_ids, select_by_ids

        library = _load(data, quiet, no_cache, cache_dir)
        missions = [selection.mission for selection in select_by_ids(library, parse_ids(ids))]
        if any(option not in (None, []) for option in (terms, text, tender_text, competency)) or tender is not None:
            query = _build_query(library, terms=terms, text=text, tender_text=tender_text, tender=tender,
                                 competency=competency, since=since, years=years, client=client, limit=limit,
                                 default_limit=len(missions), quiet=quiet, rules=True)
        else:
            from refcli.search.query import rules_query

            query = rules_query(tender=None, since=since, years=years, client=client, count=limit or len(missions))
            if query is None:
                from refcli.search.query import Query

                query = Query((), {}, None, None, limit or len(missions))
        selected = matches_for(missions, query)
        checklist = check_selection(library, query, selected, selected)
    else:
        library, index = _load(data, quiet, no_cache, cache_dir, for_search=True)
        query = _build_query(library, terms=terms, text=text, tender_text=tender_text, tender=tender,
                             competency=competency, since=since, years=years, client=client, limit=limit,
                             default_limit=DEFAULT_REFERENCES, quiet=quiet, rules=True)
        checklist = check_tender(library, index, query)
    _print_notes(query, quiet)
    if json:
        from refcli.cli.views import checklist_json

        print_json("check", checklist_json(checklist, library, ranked=from_record is None and ids is None))
    else:
        from refcli.cli.output import stdout_console
        from refcli.cli.views import checklist_view, coverage_view

        console = stdout_console()
        console.print(checklist_view(checklist))
        if checklist.selected:
            console.print(coverage_view(list(checklist.selected), query, library))
    if not checklist.passed:
        names = _("; ").join(item.name for item in checklist.failures)  # a name may hold commas
        raise NegativeAnswer("" if json or quiet else _("check failed: {names}").format(names=names))


TENDER_HELP = _("Read a consultation's documents (RC, CCTP, avis) into a draft tender file.")
tender_app = typer.Typer(help=TENDER_HELP, no_args_is_help=True, rich_markup_mode=None)
app.add_typer(tender_app, name="tender", help=TENDER_HELP)


@tender_app.command("read")
def tender_read(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help=_("The consultation's documents: .pdf, "
                                                ".docx, .txt or .md."), exists=True, dir_okay=False)],
    out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--out", "-o", help=_("The tender file to write (default: print it on stdout)."),
                     show_default=False),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help=_("Overwrite the tender file if it exists."))] = False,
    data: DataOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Read an RC, a CCTP or an avis into a draft tender file, each value with the sentence it came from."""
    from refcli.errors import UserError
    from refcli.records.load import resolve_data_folder
    from refcli.records.vocabulary import load_vocabulary
    from refcli.search.glossary import load_glossary
    from refcli.search.tender_reading import check_draft, read_tender, reading_json, render_draft
    from refcli.write import check_writable, refuse_inputs, write_atomically

    try:
        folder = resolve_data_folder(data)
    except UserError:
        if data is not None:
            raise
        folder = None  # no library here: the vocabularies shipped with refcli
    vocabulary, glossary = load_vocabulary(folder), load_glossary(folder)
    if out is not None:
        refuse_inputs(out, [*[(_("a document it reads"), file) for file in files],
                            (_("the components vocabulary"), vocabulary.source), (_("the glossary"), glossary.source)],
                      folders=[folder] if folder else [])
        check_writable(out, force, "tender.toml")
    _show_document_progress(quiet or json)
    reading = read_tender(list(files), vocabulary, glossary)
    if not quiet:
        for line in reading.selection.unread:
            print_warning(line)
    draft = render_draft(reading, vocabulary, out)
    check_draft(draft, out or Path("tender.toml"))
    if out is not None:
        write_atomically(out, draft.encode("utf-8"), force=force)
    if json:
        print_json("tender read", {**reading_json(reading, vocabulary), "out": str(out) if out else None,
                                   "toml": draft})
    elif out is None:
        typer.echo(draft, nl=False)
    if out is not None and not quiet:
        from refcli.cli.output import print_note

        missing = [name for name, finding in reading.findings.items() if finding.value is None]
        print_note(_("wrote {out}: check each value against its quoted sentence").format(out=out)
                   + (_("; not found: {names}").format(names=", ".join(missing)) if missing else ""))
        print_note(_("then: refcli check --tender {out}").format(out=out))


TEMPLATE_HELP = _("Make the firm's own Word document a template for the annex, and check a template.")
template_app = typer.Typer(help=TEMPLATE_HELP, no_args_is_help=True, rich_markup_mode=None)
app.add_typer(template_app, name="template", help=TEMPLATE_HELP)


@template_app.command("adopt")
def template_adopt(
    file: Annotated[Path, typer.Argument(metavar="FIRM.docx", help=_("The firm's Word document: its letterhead, "
                                         "header, footer, fonts (.docx or .dotx, from Word or LibreOffice)."))],
    out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--out", "-o", help=_("The template to write (default: FIRM-refcli.docx beside FIRM.docx)."),
                     show_default=False),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help=_("Overwrite the output file if it exists."))] = False,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Copy into a copy of the firm's document every style the annex needs that it lacks; the firm's own stay."""
    from refcli.annex.adopt import adopt_styles, describe_template
    from refcli.annex.template import PLACEHOLDER, adopted_name, open_document, shipped_template
    from refcli.errors import UserError
    from refcli.write import check_writable, write_atomically

    out = out if out is not None else adopted_name(file)
    if out.suffix.lower() != ".docx":
        raise UserError(_("{out}: --out: give a .docx file name (refcli writes a Word document)").format(out=out))
    if out.resolve() == file.resolve():
        raise UserError(_("{out}: --out is the firm's document itself; refcli never changes it: give another name")
                        .format(out=out))
    document = open_document(file, from_option=False)
    check_writable(out, force, adopted_name(file).name)
    state = describe_template(document)
    if state.misplaced:  # the copy would be refused by build-bid: say it now, before writing it
        raise UserError(_("{file}: {placeholder} is {where}: it must stand once, as a paragraph of its own in the "
                          "body; move it in Word or LibreOffice, then run refcli template adopt again").format(
                              file=file, placeholder=PLACEHOLDER, where=state.misplaced))
    kept = state.present  # the firm's own definitions: never replaced
    added = adopt_styles(document, open_document(shipped_template()), file)
    write_atomically(out, document.save, force=force)
    placeholder = describe_template(document).placeholder
    if json:
        print_json("template adopt", {"file": str(file), "out": str(out), "added": added, "kept": kept,
                                      "placeholder": placeholder})
    if quiet or json:
        return
    from refcli.cli.output import print_note

    print_note(_("wrote {out}, a copy of {file} with {count} style(s) added from refcli's template: {styles}").format(
        out=out, file=file, count=len(added), styles=", ".join(added)) if added else
        _("wrote {out}, a copy of {file} with no style to add").format(out=out, file=file))
    if kept:
        print_note(_("kept as {file} defines them: {styles}").format(file=file, styles=", ".join(kept)))
    if not placeholder:
        print_note(_("no {placeholder} paragraph: the annex goes at the end of the body (type it where it goes)")
                   .format(placeholder=PLACEHOLDER))
    print_note(_("then: refcli build-bid --template {out} ...").format(out=out))


@template_app.command("check")
def template_check(
    file: Annotated[Path, typer.Argument(metavar="FILE", help=_("The Word template (.docx or .dotx) to check."))],
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Say which styles of the annex a Word template has and lacks (exit 1 if it lacks any)."""
    from refcli.annex.adopt import describe_template
    from refcli.annex.template import PLACEHOLDER, REQUIRED_STYLES, adopt_command, open_document
    from refcli.errors import NegativeAnswer

    state = describe_template(open_document(file, from_option=False))
    kinds = dict(REQUIRED_STYLES)
    if json:
        print_json("template check", {
            "file": str(file), "ok": state.complete, "present": state.present, "missing": state.missing,
            "wrong_type": [{"name": name, "type": kind, "expected": expected} for name, kind, expected in state.wrong],
            "placeholder": state.placeholder, "placeholder_misplaced": state.misplaced,
        })
    else:
        lines = [_("{file}: {count} of the {total} styles the annex needs").format(
            file=file, count=len(state.present), total=len(REQUIRED_STYLES))]
        if state.present:
            lines.append(_("present: {styles}").format(styles=", ".join(state.present)))
        if state.missing:
            lines.append(_("missing: {styles}").format(
                styles=", ".join(f"{name} ({_(kinds[name])})" for name in state.missing)))
        lines += [_("wrong type: {name} is a {kind} style, refcli needs a {expected} style").format(
            name=name, kind=_(kind), expected=_(expected)) for name, kind, expected in state.wrong]
        if state.misplaced:
            lines.append(_("placeholder: {placeholder} is {where}: it must stand once, as a paragraph of its own "
                           "in the body, else the annex leaves it as written").format(placeholder=PLACEHOLDER,
                                                                                     where=state.misplaced))
        else:
            lines.append((_("placeholder: {placeholder} found: the annex goes there") if state.placeholder
                          else _("placeholder: {placeholder} not found: the annex goes at the end of the body"))
                         .format(placeholder=PLACEHOLDER))
        typer.echo("\n".join(lines))
    if state.complete:
        return
    if state.misplaced and not state.missing and not state.wrong:
        raise NegativeAnswer("" if json or quiet else _("{file}: move the placeholder in Word or LibreOffice").format(
            file=file))
    remedy = _("rename or delete the styles of the wrong type in Word or LibreOffice, then ") if state.wrong else ""
    raise NegativeAnswer("" if json or quiet else
                         _("{file}: not a template for the annex yet; to make one, {remedy}run: {command}").format(
                             file=file, remedy=remedy, command=adopt_command(file)))


def command_line() -> TyperGroup:
    """`app` as a click group whose commands are built only when they run (typer.main.get_command builds all)."""
    import copy
    import inspect

    bare = copy.copy(app)
    bare.registered_commands = []
    bare.registered_groups = []
    group = typer.main.get_command(bare)  # the group's own options: --version, completion, --help
    assert isinstance(group, TyperGroup)
    for info in [*app.registered_commands, *tender_app.registered_commands, *template_app.registered_commands]:
        info.help = _(inspect.getdoc(info.callback)) if info.help is None else info.help  # the docstring, translated
    for info in app.registered_commands:
        group.add_command(_Deferred(info, pretty_exceptions_short=app.pretty_exceptions_short,
                                    rich_markup_mode=group.rich_markup_mode))
    for group_info in app.registered_groups:
        group.add_command(_DeferredGroup(group_info, pretty_exceptions_short=app.pretty_exceptions_short,
                                         rich_markup_mode=group.rich_markup_mode))
    return group


def _report_warnings() -> None:
    """A warning refcli raises for the user (a failed process pool) is one line on stderr, like the others."""
    import warnings

    shown = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
        if isinstance(message, UserWarning) and type(message).__module__.startswith("refcli"):
            print_warning(str(message))
        else:
            shown(message, category, filename, lineno, file, line)

    warnings.showwarning = show


def main() -> None:
    import gc

    from refcli.cli.output import prepare_standard_streams, stop_on_output_failure

    prepare_standard_streams()
    group = command_line()
    _report_warnings()
    # What start-up made (modules, classes, typer's objects, some 17,000) lives until the process ends:
    # frozen, the collector walks it neither during the command nor at exit (12 ms of `refcli --help`).
    gc.freeze()
    try:
        group()
    except OSError as error:
        stop_on_output_failure(error)
