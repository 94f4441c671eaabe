"""Where output goes: results on stdout (rich or JSON), messages on stderr, colours only on a terminal."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from refcli.i18n import _

if TYPE_CHECKING:
    from rich.console import Console

    from refcli.records.browse import Fitted

JSON_VERSION = 1


# A terminal narrower than this (COLUMNS=10) gets the layout of this width, which the terminal wraps: rich would
# squeeze a table's columns to nothing. From 40 columns (a split pane, a laptop's side window) every table has a
# layout of its own (views, browse: the id on its line, the title and client under it) and fits.
MIN_WIDTH = 40


def stdout_console() -> Console:
    from rich.console import Console

    # rich turns colours off when stdout is not a terminal and honours NO_COLOR.
    console = Console(soft_wrap=True, highlight=False)
    console.on_broken_pipe = stop_on_broken_pipe  # type: ignore[method-assign]  # rich's exits 1: "no match"
    return _wide_enough(console)


BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports of a program its reader stopped (`| head -1`)


def stop_on_broken_pipe() -> None:
    """The reader of stdout stopped early: end quietly with BROKEN_PIPE (not 1, which says "no match"); what is
    left to flush goes nowhere."""
    import contextlib
    import os

    with contextlib.suppress(OSError, ValueError, AttributeError):  # no descriptor: a test's captured stdout
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    raise SystemExit(BROKEN_PIPE)


def print_fitted(fitted: Fitted, console: Console | None = None) -> None:
    """Print a table on stdout: without colours (piped, NO_COLOR), its lines drawn (browse.Grid) are written as they
    are; rich's printing of their segments took ≈ 0.2 s for 10,000 missions."""
    console = console or stdout_console()
    lines = fitted.plain_lines(console) if console.color_system is None and not console.record else None
    if lines is None:
        console.print(fitted)
    else:
        console.file.write("\n".join(lines) + "\n")


def stderr_console() -> Console:
    """Messages: in a terminal, wrapped word by word at its width (the terminal would cut words); piped
    elsewhere, each one line, for grep and scripts."""
    from rich.console import Console

    console = Console(stderr=True, soft_wrap=True, highlight=False)
    console.soft_wrap = not console.is_terminal
    return _wide_enough(console)


def _wide_enough(console: Console) -> Console:
    if console.width < MIN_WIDTH:
        console.width = MIN_WIDTH
    _keep_no_break_spaces()
    return console


# What rich wraps text into: runs of non-space characters with the white space after them, where a no-break
# space (U+00A0, before « : » and « ; » in French, inside « »), a narrow one (U+202F, between the thousands of
# 29 340 €) and a figure space are no white space: a line is never broken there. rich's own pattern, \s*\S+\s*,
# breaks at them (github.com/Textualize/rich/issues/4196, open).
NO_BREAK_WORD = r"[^\S\u00a0\u202f\u2007]*[\S\u00a0\u202f\u2007]+[^\S\u00a0\u202f\u2007]*"


def _keep_no_break_spaces() -> None:
    import re

    import rich._wrap

    if getattr(rich._wrap, "re_word", None) is not None:  # the name words() reads, in rich 13 to 15
        rich._wrap.re_word = re.compile(NO_BREAK_WORD)


def print_json(command: str, payload: dict[str, Any]) -> None:
    """Write one JSON document on stdout: {"version": 1, "command": ..., **payload}."""
    import json  # not for --help

    document = {"version": JSON_VERSION, "command": command, **payload}
    text = _dumps(document, json) + "\n"
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        # A file name or an argument that is not UTF-8 reaches Python as lone surrogates (U+DC80-U+DCFF),
        # which UTF-8 cannot encode: written as JSON escapes, the document stays valid UTF-8 and json.loads
        # gives the same string back (os.fsencode then gives the name's bytes).
        import re

        data = re.sub("[\ud800-\udfff]", lambda match: f"\\u{ord(match.group()):04x}", text).encode("utf-8")
    stream = sys.stdout
    stream.flush()
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # a text-only stream (a test's): what it holds is text
        stream.write(data.decode("utf-8"))
    else:
        buffer.write(data)  # UTF-8 whatever the locale's encoding
        buffer.flush()


class Encoded(str):
    """An item of a top-level list already written as JSON (browse.Listing.json): written as it is."""


def _dumps(document: dict[str, Any], json: Any) -> str:
    """One top-level key a line, each item of a top-level list on a line of its own: readable, and written by
    json's C encoder (indent= makes json use its Python one: 1.2 s for `list --json` of 10,000 records)."""
    encode = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., ensure_ascii=False) makes one a call
    lines = []
    for key, value in document.items():
        if isinstance(value, list) and value:
            items = ",\n    ".join(item if isinstance(item, Encoded) else encode(item) for item in value)
            text = f"[\n    {items}\n  ]"
        else:
            text = encode(value)
        lines.append(f"  {encode(key)}: {text}")
    return "{\n" + ",\n".join(lines) + "\n}"


def print_error(message: str) -> None:
    """Write a one-line error on stderr."""
    _say(" ".join(message.split("\n")), _("error:"), "bold red")


def print_warning(message: str) -> None:
    _say(message, _("warning:"), "yellow")


def print_note(message: str) -> None:
    _say(message)


def _say(message: str, label: str = "", style: str = "") -> None:
    """A message on stderr, as written (no markup), its label styled."""
    from rich.text import Text

    shown = Text(f"{label} {message}" if label else message)
    if label:
        shown.stylize(style, 0, len(label))
    stderr_console().print(shown)


def prepare_standard_streams() -> None:
    """Check stdin and stdout before a command runs: one closed at start is a clear error or /dev/null."""
    if sys.stdout is None:  # started with descriptor 1 closed (`refcli list >&-`): nothing would be shown
        if sys.stderr is not None:
            print_error(_("standard output is closed: refcli writes its results there; run it with an output "
                          "(a terminal, a pipe or > FILE)"))
        raise SystemExit(2)
    # An argument or a file name that is not UTF-8 (a surrogate in Python's str) is shown escaped, never a crash.
    sys.stdout.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    if sys.stdin is None:  # descriptor 0 closed (`<&-`): /dev/null takes it, so that no file refcli opens does
        import os

        descriptor = os.open(os.devnull, os.O_RDONLY)
        if descriptor != 0:
            os.dup2(descriptor, 0)
            os.close(descriptor)
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 - for the process's life


def stop_on_output_failure(error: OSError) -> None:
    """A full disk or a dead device under stdout (click handles a closed pipe): one line and exit 2; else re-raise."""
    import errno
    import os

    if error.errno not in (errno.ENOSPC, errno.EIO, errno.EDQUOT):
        raise error
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # what is left unflushed goes nowhere, without a second error
    from refcli.errors import os_reason

    print_error(_("cannot write: {reason}").format(reason=os_reason(error)))
    raise SystemExit(2) from None
