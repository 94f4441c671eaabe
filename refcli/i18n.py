"""The interface's language: French for a French locale or REFCLI_LANG=fr, English otherwise (docs/language.md).

Messages are written in English in the code, wrapped in `_()` (or `ngettext()`), and translated through the
gettext catalog refcli/locale/fr/LC_MESSAGES/refcli.mo, compiled from its .po (docs/language.md says how).
Typer's vendored click writes its own messages (usage, errors, help headings) as plain English literals:
`use_language("fr")` translates them where click prints them, with the patterns of CLICK_PHRASES.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gettext import GNUTranslations

CATALOG = Path(__file__).parent / "locale" / "fr" / "LC_MESSAGES" / "refcli.mo"  # tools/catalog.py makes it
LANGUAGES = ("en", "fr")

_catalog: GNUTranslations | None = None  # French's; English is the code's own words
_language: str | None = None  # chosen at the first message, unless use_language chose it


def choose_language(environ: os._Environ[str] | dict[str, str] = os.environ, arguments: list[str] | None = None) -> str:
    """REFCLI_LANG (fr or en) if set, else English for a --json run among `arguments` (a script reads the same
    words on every machine), else the locale's language as gettext finds it: fr or en."""
    chosen = environ.get("REFCLI_LANG", "").strip().lower()
    if chosen:
        return "fr" if chosen.startswith("fr") else "en"
    if arguments is not None and "--json" in arguments:
        return "en"
    locale = next((environ[name] for name in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(name)), "C")
    if locale == "POSIX" or locale.split(".")[0] == "C":
        return "en"  # GNU gettext ignores LANGUAGE under the C locale
    language = environ.get("LANGUAGE") or locale  # a list, "fr_FR:en": its first language wins
    return "fr" if language.split(":")[0].lower().startswith("fr") else "en"


def use_language(language: str) -> None:
    """Speak `language` (fr or en) from now on; messages already made keep theirs."""
    global _catalog, _language
    _language = language if language in LANGUAGES else "en"
    if _language == "fr":
        from gettext import GNUTranslations

        with CATALOG.open("rb") as file:
            _catalog = GNUTranslations(file)
        _translate_click()
    else:
        _catalog = None


def catalog_identity() -> bytes:
    """What the messages refcli makes depend on (the library cache stores some): the language, and its catalog."""
    if language() == "en":
        return b"en"
    return CATALOG.read_bytes()


def language() -> str:
    """The language messages are in: fr or en."""
    if _language is None:
        use_language(choose_language())
    return _language  # type: ignore[return-value]


def _(message: str) -> str:
    """`message` in the interface's language."""
    if _language is None:
        use_language(choose_language())
    return message if _catalog is None else _catalog.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or the plural of a message, as `count` asks, in the interface's language."""
    if _language is None:
        use_language(choose_language())
    if _catalog is None:
        return singular if count == 1 else plural
    return _catalog.ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark `message` for the catalog; it is translated where it is used (gettext's gettext_noop)."""
    return message


# The headings of click's help.
CLICK_HEADINGS = (N_("Options:"), N_("Commands:"), N_("Arguments:"))
# Click's own English, as typer's vendored click writes it: (pattern, message of the catalog, with the
# pattern's named groups as its placeholders). Only the parts of a line that match are translated.
CLICK_PHRASES = (
    (r"^Try '(?P<command>[^']*)' for help\.$", N_("Try '{command}' for help.")),
    (r"^Error: ", N_("Error: ")),
    (r"Show this message and exit\.", N_("Show this message and exit.")),
    (r"Install completion for the current shell\.", N_("Install completion for the current shell.")),
    (r"Show completion for the current shell, to copy it or customize the installation\.",
     N_("Show completion for the current shell, to copy it or customize the installation.")),
    (r"\[default: (?P<default>[^\]]*)\]", N_("[default: {default}]")),
    (r"\[required\]", N_("[required]")),
    (r"No such option: (?P<name>\S+)", N_("No such option: {name}")),
    (r"No such command '(?P<name>[^']*)'\.", N_("No such command '{name}'.")),
    (r"\(Possible options: (?P<options>[^)]*)\)", N_("(Possible options: {options})")),
    (r"Did you mean (?P<possibility>\S+?)\?", N_("Did you mean {possibility}?")),
    (r"Missing option '(?P<name>[^']*)'\.", N_("Missing option '{name}'.")),
    (r"Missing argument '(?P<name>[^']*)'\.", N_("Missing argument '{name}'.")),
    (r"Missing parameter '(?P<name>[^']*)'\.", N_("Missing parameter '{name}'.")),
    (r"Missing command\.", N_("Missing command.")),
    (r"Invalid value for (?P<name>'[^']*'(?: / '[^']*')*):", N_("Invalid value for {name}:")),
    (r"^Invalid value: ", N_("Invalid value: ")),
    (r"'(?P<value>[^']*)' is not a valid int(?:eger)?\.", N_("'{value}' is not a valid integer.")),
    (r"'(?P<value>[^']*)' is not a valid float\.", N_("'{value}' is not a valid float.")),
    (r"'(?P<value>[^']*)' is not a valid boolean\.", N_("'{value}' is not a valid boolean.")),
    (r"Recognized values: ", N_("Recognized values: ")),
    (r"'(?P<value>[^']*)' is not one of (?P<choices>.*)\.$", N_("'{value}' is not one of {choices}.")),
    (r"Option '(?P<name>[^']*)' requires an argument\.", N_("Option '{name}' requires an argument.")),
    (r"Option '(?P<name>[^']*)' requires (?P<count>\d+) arguments\.",
     N_("Option '{name}' requires {count} arguments.")),
    (r"Got unexpected extra argument\(s\) \((?P<arguments>.*)\)", N_("Got unexpected extra argument(s) ({arguments})")),
    (r"'(?P<value>[^']*)' is not in the range (?P<range>\S+)\.", N_("'{value}' is not in the range {range}.")),
    (r"(?P<kind>File|Directory|Path) '(?P<name>[^']*)' does not exist\.", N_("{kind} '{name}' does not exist.")),
    (r"File '(?P<name>[^']*)' is a directory\.", N_("File '{name}' is a directory.")),
    (r"(?P<kind>Directory|Path) '(?P<name>[^']*)' is a file\.", N_("{kind} '{name}' is a file.")),
    (r"(?P<kind>File|Directory|Path) '(?P<name>[^']*)' is not writable\.", N_("{kind} '{name}' is not writable.")),
    (r"(?P<kind>File|Directory|Path) '(?P<name>[^']*)' is not readable\.", N_("{kind} '{name}' is not readable.")),
)
_compiled: list[tuple[re.Pattern[str], str]] = []


def translate_click_text(text: str) -> str:
    """Click's English in `text` (help or an error), line by line, in the interface's language."""
    if _language != "fr":
        return text
    if not _compiled:
        _compiled.extend((re.compile(pattern), message) for pattern, message in CLICK_PHRASES)
    lines = []
    for line in text.split("\n"):
        for pattern, message in _compiled:
            line = pattern.sub(lambda found, message=message: _(message).format(**found.groupdict()), line)
        lines.append(line)
    return "\n".join(lines)


def _translate_click() -> None:
    """Make typer's vendored click write its help (before wrapping it) and its errors in French (once); a usage
    error's one line (refcli.cli.commands._show_usage_error) translates click's words itself."""
    import io

    from typer._click import exceptions, formatting

    formatter = formatting.HelpFormatter
    if getattr(formatter, "translated", False):
        return
    usage, definitions = formatter.write_usage, formatter.write_dl

    def write_usage(self, prog, args="", prefix=None):  # type: ignore[no-untyped-def]
        usage(self, prog, args, _("Usage: ") if prefix is None else prefix)

    def write_dl(self, rows, *arguments, **options):  # type: ignore[no-untyped-def]
        definitions(self, [(term, translate_click_text(text)) for term, text in rows], *arguments, **options)

    def translated_show(show):  # type: ignore[no-untyped-def]
        def show_translated(self, file=None):  # type: ignore[no-untyped-def]
            import sys

            written = io.StringIO()
            show(self, written)
            (file if file is not None else sys.stderr).write(translate_click_text(written.getvalue()))

        return show_translated

    formatter.write_usage, formatter.write_dl = write_usage, write_dl
    formatter.write_heading = lambda self, name: self.write(f"{'':>{self.current_indent}}{_(name + ':')}\n")
    formatter.translated = True
    exceptions.ClickException.show = translated_show(exceptions.ClickException.show)


def few(names: list[str], shown: int) -> str:
    """The first `shown` names, and how many more: 'a, b +3 more'."""
    more = len(names) - shown
    return ", ".join(names[:shown]) + (_(" +{count} more").format(count=more) if more > 0 else "")
