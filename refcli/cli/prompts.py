"""Ask for the fields of a new record in the terminal, with rich prompts; the answers feed 'refcli new'.

This is the interactive face of the command line: it writes its questions on stderr (stdout keeps
the path written) and reads the answers from stdin. The record is built and checked by author.py.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.prompt import IntPrompt, Prompt

from refcli.errors import UserError
from refcli.i18n import _
from refcli.records.model import ROLES, client_kind_option
from refcli.records.validate import FIRST_YEAR, LAST_YEAR
from refcli.records.vocabulary import Vocabulary
from refcli.records.written import ParseError, parse_amount

# rich's own words, when an answer is refused
Prompt.illegal_choice_message = IntPrompt.illegal_choice_message = "[prompt.invalid.choice]" + _(
    "Please select one of the available options")
IntPrompt.validate_error_message = "[prompt.invalid]" + _("Please enter a valid integer number")
Prompt.prompt_suffix = IntPrompt.prompt_suffix = _(": ")


def ask_answers(answers: dict[str, Any], vocabulary: Vocabulary, console: Console) -> dict[str, Any]:
    """Ask for every field the flags did not give; return the answers completed."""
    try:
        return _ask(dict(answers), vocabulary, console)
    except EOFError:
        raise UserError(_("stdin: the input ended before every field was answered; nothing written")) from None


def _ask(answers: dict[str, Any], vocabulary: Vocabulary, console: Console) -> dict[str, Any]:
    def missing(key: str) -> bool:
        return answers.get(key) in (None, "", [], ())

    def text(key: str, question: str, required: bool = False, default: str | None = None) -> None:
        if not missing(key):
            return
        while True:
            value = Prompt.ask(question, console=console, default=default, show_default=default is not None)
            value = (value or "").strip()
            if value or not required:
                answers[key] = value or None
                return
            console.print(f"[red]{_('This field is required.')}[/]")

    def year(key: str, question: str, required: bool = False, default: int | None = None) -> None:
        if not missing(key):
            return
        while True:
            if required:
                value = IntPrompt.ask(question, console=console, default=default)
            else:
                raw = Prompt.ask(question, console=console, default=str(default) if default else "",
                                 show_default=bool(default)).strip()
                if not raw:
                    return
                if not raw.isdigit():
                    console.print(f"[red]{_('Please enter a year, like 2019.')}[/]")
                    continue
                value = int(raw)
            start = answers.get("start") if key == "end" else None
            before = isinstance(start, int) and value is not None and value < start
            if value is not None and FIRST_YEAR <= value <= LAST_YEAR and not before:
                answers[key] = value
                return
            if before and value >= FIRST_YEAR:  # asked again, not every answer lost at the end
                console.print("[red]" + _("The end year cannot be before the start year, {start}.").format(
                    start=start) + "[/]")
                continue
            console.print("[red]" + _("Please enter a year between {first} and {last}.").format(
                first=FIRST_YEAR, last=LAST_YEAR) + "[/]")

    def lines(key: str, question: str, required: bool = False) -> None:
        if not missing(key):
            return
        console.print(f"[bold]{question}[/] [dim]{_('(one item per line; an empty line to finish)')}[/]")
        while True:
            collected = []
            while True:
                line = Prompt.ask("  ", console=console, default="", show_default=False).strip()
                if not line:
                    break
                collected.append(line)
            if collected or not required:
                answers[key] = collected
                return
            console.print(f"[red]{_('At least one line is required.')}[/]")

    def listed(key: str, question: str) -> None:
        if missing(key):
            raw = Prompt.ask(question + f" [dim]{_('(separated by commas, empty for none)')}[/]", console=console,
                             default="", show_default=False)
            answers[key] = [item.strip() for item in raw.split(",") if item.strip()]

    def amount(key: str, question: str) -> None:
        if not missing(key):
            return
        while True:
            raw = Prompt.ask(question + " [dim]" + _("(like '99 685 € HT'; empty for none)") + "[/]", console=console,
                             default="", show_default=False).strip()
            if not raw:
                return
            try:
                parse_amount(raw)
            except ParseError as error:
                console.print(f"[red]{escape(str(error))}[/]")
                continue
            answers[key] = raw
            return

    text("title", _("Title (the mission's object)"), required=True)
    text("subtitle", _("Subtitle (the line under the title: programme or client; empty for none)"))
    text("mission_type", _("Mission type (Capitalisation, Montage de projet...)"), required=True)
    text("client", _("Client (maître d'ouvrage)"), required=True)
    while missing("client_kind"):  # French or English: "privé" is "private", as --client-kind takes it
        kind = Prompt.ask(_("Client kind") + " [prompt.choices]" + escape(_("[public/private]")) + "[/]",
                          console=console, default="public")
        try:
            answers["client_kind"] = client_kind_option(kind.strip(), _("Client kind"))
        except UserError:
            console.print(f"[red]{_('Please select one of the available options')}[/]")
    text("client_category", _("Client category (commune, EPCI, bailleur social...; empty for none)"))
    if missing("role"):
        answers["role"] = Prompt.ask(_("The firm's role"), console=console, choices=list(ROLES), default="titulaire")
    year("start", _("Start year"), required=True)
    year("end", _("End year"), default=answers.get("start"))
    text("city", _("City (empty for none)"))
    listed("districts", _("Districts"))
    listed("members", _("Team members"))
    amount("project_amount", _("Project amount (Montant du projet)"))
    amount("fee", _("Mission fee (Montant de la mission)"))
    if missing("stakes"):
        console.print(f"[bold]{_('Stakes (Enjeux de la mission)')}[/] "
                      f"[dim]{_('(one paragraph per line; an empty line to finish)')}[/]")
        paragraphs: list[str] = []
        while not paragraphs:
            while True:
                line = Prompt.ask("  ", console=console, default="", show_default=False).strip()
                if not line:
                    break
                paragraphs.append(line)
            if not paragraphs:
                console.print(f"[red]{_('At least one paragraph is required.')}[/]")
        answers["stakes"] = "\n\n".join(paragraphs)
    lines("content", _("Content (Contenu de la mission)"), required=True)
    listed("partners", _("Partners (Acteurs)"))
    listed("keywords", _("Keywords"))
    if missing("components"):
        answers["components"] = _ask_components(vocabulary, console)
    return answers


def _ask_components(vocabulary: Vocabulary, console: Console) -> dict[str, int]:
    console.print(f"[bold]{_('Mission components')}[/]")
    for number, component in enumerate(vocabulary.components, start=1):
        console.print(f"  {number:>2}. {component.label}", markup=False)
    while True:
        raw = Prompt.ask(_("Components covered") + f" [dim]{_('(numbers separated by commas, empty for none)')}[/]",
                         console=console, default="", show_default=False)
        numbers = [item.strip() for item in raw.replace(" ", ",").split(",") if item.strip()]
        if all(item.isdigit() and 1 <= int(item) <= len(vocabulary.components) for item in numbers):
            break
        console.print("[red]" + _("Please give numbers from 1 to {last}.").format(
            last=len(vocabulary.components)) + "[/]")
    levels: dict[str, int] = {}
    choices = [str(level) for level in range(1, vocabulary.max_level + 1)]
    for item in dict.fromkeys(numbers):
        component = vocabulary.components[int(item) - 1]
        levels[component.id] = IntPrompt.ask(_("Level of {label}").format(label=component.label), console=console,
                                             choices=choices)
    return levels
