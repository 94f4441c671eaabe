"""Start-up: a command imports only what it uses (README, "Performance")."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer.main
from typer._click import Command

from refcli.cli import app, command_line
from tests.conftest import SHIPPED_MISSIONS

HEAVY = ("numpy", "rich", "docx", "rapidfuzz", "rtoml", "sqlite3", "platformdirs", "pydantic", "lxml")

PROBE = """
import sys
from refcli.entry import main
sys.argv = ["refcli", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
sys.stdout = sys.__stdout__
print("\\nMODULES " + " ".join(sorted(sys.modules)))
"""


def imported(*arguments: str) -> set[str]:
    result = subprocess.run([sys.executable, "-c", PROBE, *arguments], capture_output=True, text=True, check=True)
    modules = result.stdout.rsplit("MODULES ", 1)[1].split()
    return {name.split(".")[0] for name in modules} | set(modules)  # packages and every module


def test_help_imports_nothing_heavy() -> None:
    modules = imported("--help")
    assert modules & set(HEAVY) == set()
    # Nor what only a command needs: refcli's records (dataclasses: 1 ms a class), JSON, TOML.
    assert modules & {"dataclasses", "json", "tomllib"} == set()
    assert modules & {"refcli.errors", "refcli.model"} == set()


def test_search_imports_neither_word_nor_rich_for_json(cache_dir) -> None:
    modules = imported("search", "concertation", "--data", str(SHIPPED_MISSIONS), "--json", "--quiet")
    assert {"rapidfuzz", "sqlite3"} <= modules
    assert modules & {"docx", "rich", "pydantic", "lxml", "numpy"} == set()  # numpy alone costs ~100 ms
    # Nor what other commands use: the annex, the terminal views, the checklist, authoring.
    others = {"refcli.render", "refcli.template", "refcli.browse", "refcli.check", "refcli.author", "refcli.fiche",
              "refcli.prompts", "refcli.write"}
    assert modules & others == set()


# The entry point (`main`) runs command_line(), a click group that builds a command's options only when
# that command runs; typer builds `app` whole (typer.main.get_command, as typer.testing's CliRunner does).
# Both must answer alike.
def answer(group: Command, arguments: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[object, str, str]:
    with pytest.raises(SystemExit) as exit_:
        group.main(arguments, prog_name="refcli")
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


@pytest.mark.parametrize("arguments", [
    ["--help"], [], ["--version"], ["search", "--help"], ["new", "--help"], ["build-bid", "--help"],
    ["serch", "x"], ["lst"], ["nothing-like-it"], ["--bogus"], ["search", "--bogus"], ["show"],
    ["--help", "search"],
])
def test_the_entry_point_answers_as_the_whole_app(arguments: list[str], capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert answer(command_line(), arguments, capsys) == answer(typer.main.get_command(app), arguments, capsys)


@pytest.mark.parametrize("env", [
    {"_REFCLI_COMPLETE": "complete_bash", "COMP_WORDS": "refcli se", "COMP_CWORD": "1"},
    {"_REFCLI_COMPLETE": "complete_bash", "COMP_WORDS": "refcli ", "COMP_CWORD": "1"},
    {"_REFCLI_COMPLETE": "complete_bash", "COMP_WORDS": "refcli search --ten", "COMP_CWORD": "2"},
    {"_REFCLI_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "refcli "},
    {"_REFCLI_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "refcli list --c"},
])
def test_completion_is_the_whole_apps(env: dict[str, str], capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    completed = answer(command_line(), [], capsys)
    assert completed == answer(typer.main.get_command(app), [], capsys)
    assert completed[0] == 0 and completed[1] != ""


def test_listing_the_commands_builds_none_of_them(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    original = typer.main.get_command_from_info
    monkeypatch.setattr(typer.main, "get_command_from_info",
                        lambda info, **settings: built.append(info.callback.__name__) or original(info, **settings))
    for arguments in (["--help"], ["serch"], ["search", "--help"]):
        answer(command_line(), arguments, capsys)
    assert built == ["search"]


def test_the_help_lists_every_command_and_a_misspelt_one_gets_a_suggestion() -> None:
    entry_point = "import sys; sys.argv[0] = 'refcli'; from refcli.entry import main; main()"
    listed = subprocess.run([sys.executable, "-c", entry_point, "--help"], capture_output=True, text=True).stdout
    names = [line.split()[0] for line in listed.split("Commands:")[1].strip().splitlines()]
    assert names == ["validate", "list", "show", "new", "import", "build-bid", "search", "check", "tender"]
    misspelt = subprocess.run([sys.executable, "-c", entry_point, "serch", "concertation"], capture_output=True,
                              text=True)
    assert misspelt.returncode == 2
    assert "Error: No such command 'serch'. Did you mean 'search'?" in misspelt.stderr
