"""Where output goes: results on stdout (rich or JSON), messages on stderr, colours only on a terminal."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

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
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


def print_error(message: str) -> None:
    """Write a one-line error on stderr."""
    one_line = " ".join(message.split("\n"))
    stderr_console().print(f"[bold red]error:[/] {_escape(one_line)}")


def print_warning(message: str) -> None:
    stderr_console().print(f"[yellow]warning:[/] {_escape(message)}")


def print_note(message: str) -> None:
    stderr_console().print(_escape(message))


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
