"""Start-up: a command imports only the third-party modules it uses, within a time budget (docs/performance.md).

The probes run the `refcli` command's entry point as pyproject declares it and look only at which third-party
(and a few heavy standard) modules got imported, never at refcli's own modules, so code can move between files.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from importlib.metadata import entry_points

import pytest
import typer.main
from typer._click import Command

from refcli.cli.commands import app, command_line
from tests.conftest import SHIPPED_MISSIONS

# What typer itself brings (typer vendors click; older ones import it, and typing_extensions): all --help may import.
TYPER = {"typer", "click", "shellingham", "annotated_doc", "typing_extensions"}
# Third-party modules no start-up should pay for unless its command needs them: the Word stack, numpy (~100 ms),
# pydantic (typer 0.29 builds a validator per option), and the rest a search or the records need.
HEAVY = {"docx", "lxml", "numpy", "pydantic", "rich", "rapidfuzz", "rtoml", "platformdirs", "sqlite3", "msgspec"}
(ENTRY_POINT,) = [entry.value for entry in entry_points(group="console_scripts") if entry.name == "refcli"]

PROBE = """
import importlib, sys
module, _, function = sys.argv[1].partition(":")
main = getattr(importlib.import_module(module), function)
sys.argv = ["refcli", *sys.argv[2:]]
try:
    main()
except SystemExit:
    pass
sys.stdout.flush()
sys.stdout = sys.__stdout__
print("\\nMODULES " + " ".join(sorted(sys.modules)))
"""


def run_refcli(*arguments: str) -> tuple[str, set[str]]:
    """Run the refcli command in a fresh interpreter: its stdout and every module it imported (packages too)."""
    result = subprocess.run([sys.executable, "-c", PROBE, ENTRY_POINT, *arguments], capture_output=True, text=True,
                            check=True)
    output, modules = result.stdout.rsplit("\nMODULES ", 1)
    names = set(modules.split())
    return output, names | {name.split(".")[0] for name in names}


def third_party(modules: set[str]) -> set[str]:
    """The top-level modules that are neither the standard library's nor refcli's (nor private, like Cython's)."""
    return {name for name in modules if "." not in name and name not in sys.stdlib_module_names
            and name != "refcli" and not name.startswith("_") and name != "cython_runtime"}


def best_time(*arguments: str, runs: int = 3) -> float:
    """The fastest of a few runs of the refcli command, wall time in seconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", PROBE, ENTRY_POINT, *arguments], capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return min(times)


def test_help_imports_typer_only() -> None:
    output, modules = run_refcli("--help")
    assert "Commands" in output
    assert modules & HEAVY == set()
    assert third_party(modules) <= TYPER, third_party(modules) - TYPER
    # Nor the standard modules only a command needs: records (dataclasses: 1 ms a class), JSON, TOML.
    assert modules & {"dataclasses", "json", "tomllib"} == set()


def test_a_warm_json_search_imports_neither_word_nor_rich(cache_dir) -> None:
    search = ("search", "concertation", "--data", str(SHIPPED_MISSIONS), "--json", "--quiet")
    run_refcli(*search)  # builds the cache
    output, modules = run_refcli(*search)
    assert json.loads(output)["results"], "the probe's search found nothing"
    assert "Stemmer" in modules and "rapidfuzz" not in modules  # fuzzy matching runs only for a typo
    assert modules & {"docx", "lxml", "rich", "pydantic", "numpy"} == set()  # numpy alone costs ~100 ms


def test_a_warm_search_in_the_terminal_imports_no_word_nor_markdown(cache_dir) -> None:
    search = ("search", "concertation", "--data", str(SHIPPED_MISSIONS))
    run_refcli(*search)
    output, modules = run_refcli(*search)
    assert "best mission(s)" in output
    assert "rich" in modules
    assert modules & {"docx", "lxml", "pydantic", "numpy", "pygments", "markdown_it"} == set()
    assert modules & {"rich.markdown", "rich.syntax", "rich.traceback", "rich.progress"} == set()


def test_start_up_stays_within_a_generous_budget(cache_dir) -> None:
    # The targets are 150 ms for --help and 300 ms for a warm search at 10,000 records (bench/bench.py measures
    # them); these budgets only catch a start-up that imports something it should not, on a slow machine.
    assert best_time("--help") < 1.0
    search = ("search", "concertation", "--data", str(SHIPPED_MISSIONS), "--json", "--quiet")
    run_refcli(*search)
    assert best_time(*search) < 2.0


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
    entry_point = ("import importlib, sys; module, _, function = sys.argv[1].partition(':'); "
                   "sys.argv = ['refcli', *sys.argv[2:]]; getattr(importlib.import_module(module), function)()")
    listed = subprocess.run([sys.executable, "-c", entry_point, ENTRY_POINT, "--help"], capture_output=True,
                            text=True).stdout
    names = [line.split()[0] for line in listed.split("Commands:")[1].strip().splitlines()]
    assert names == ["validate", "list", "show", "new", "import", "build-bid", "search", "check", "tender",
                     "template"]
    misspelt = subprocess.run([sys.executable, "-c", entry_point, ENTRY_POINT, "serch", "concertation"],
                              capture_output=True, text=True)
    assert misspelt.returncode == 2
    assert misspelt.stderr == ("error: refcli: No such command 'serch'. Did you mean 'search'? "
                               "(see 'refcli --help')\n")
