"""Where output goes: results on stdout (rich or JSON), messages on stderr, colours only on a terminal."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from refcli.i18n import _

if TYPE_CHECKING:
    from rich.console import Console

JSON_VERSION = 1


def stdout_console() -> Console:
    from rich.console import Console

    # rich turns colours off when stdout is not a terminal and honours NO_COLOR.
    return Console(soft_wrap=True, highlight=False)


def stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True, highlight=False)


def print_json(command: str, payload: dict[str, Any]) -> None:
    """Write one JSON document on stdout: {"version": 1, "command": ..., **payload}."""
    import json  # not for --help

    document = {"version": JSON_VERSION, "command": command, **payload}
    sys.stdout.write(_dumps(document, json) + "\n")


def _dumps(document: dict[str, Any], json: Any) -> str:
    """One top-level key a line, each item of a top-level list on a line of its own: readable, and written by
    json's C encoder (indent= makes json use its Python one: 1.2 s for `list --json` of 10,000 records)."""
    lines = []
    for key, value in document.items():
        if isinstance(value, list) and value:
            items = ",\n".join("    " + json.dumps(item, ensure_ascii=False) for item in value)
            text = f"[\n{items}\n  ]"
        else:
            text = json.dumps(value, ensure_ascii=False)
        lines.append(f"  {json.dumps(key, ensure_ascii=False)}: {text}")
    return "{\n" + ",\n".join(lines) + "\n}"


def print_error(message: str) -> None:
    """Write a one-line error on stderr."""
    one_line = " ".join(message.split("\n"))
    stderr_console().print(f"[bold red]{_('error:')}[/] {_escape(one_line)}")


def print_warning(message: str) -> None:
    stderr_console().print(f"[yellow]{_('warning:')}[/] {_escape(message)}")


def print_note(message: str) -> None:
    stderr_console().print(_escape(message))


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
