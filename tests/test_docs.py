"""Docs cannot drift: every command has help and is in the README; every record key is in docs/records.md;
the README's record example is valid."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from refcli.cli.commands import app
from refcli.records import validate
from refcli.records.load import RawRecord
from refcli.records.validate import Spec, validate_record
from refcli.records.vocabulary import load_vocabulary
from tests.conftest import ROOT, SHIPPED_MISSIONS

README = (ROOT / "README.md").read_text(encoding="utf-8")
RECORDS = (ROOT / "docs" / "records.md").read_text(encoding="utf-8")


def command_names() -> list[str]:
    import typer.main

    group = typer.main.get_command(app)
    return sorted(group.commands)


@pytest.mark.parametrize("name", command_names())
def test_every_command_has_help_and_is_in_the_readme(name: str) -> None:
    import typer.main

    command = typer.main.get_command(app).commands[name]
    assert command.help and command.help.strip(), f"{name} has no help text"
    # The README is the front door: its table of commands lists them all.
    assert f"| `refcli {name}" in README, f"refcli {name} is missing from the README's table of commands"


def key_paths(specs: dict[str, Spec], prefix: str = "") -> list[str]:
    """Every key a record may hold, by its full dotted path (a list of tables' items under the list's name)."""
    paths = []
    for key, spec in specs.items():
        paths.append(prefix + key)
        paths.extend(key_paths(spec.children, prefix + key + "."))
    return paths


def undocumented_keys(specs: dict[str, Spec], docs: str) -> list[str]:
    """The key paths docs/records.md does not write out, whole, in backticks (`site.city`; `city` or
    `site.*` are not enough)."""
    return [path for path in key_paths(specs) if f"`{path}`" not in docs]


def test_every_schema_key_is_documented_in_the_records_page() -> None:
    assert undocumented_keys(validate.SCHEMA, RECORDS) == []


def test_an_undocumented_key_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    site = validate.SCHEMA["site"]
    children = {**site.children, "name": Spec("str")}
    schema = {**validate.SCHEMA, "site": Spec(site.kind, children=children), "reviewed_by": Spec("str")}
    monkeypatch.setattr(validate, "SCHEMA", schema)
    assert undocumented_keys(validate.SCHEMA, RECORDS) == ["site.name", "reviewed_by"]
    with pytest.raises(AssertionError):
        test_every_schema_key_is_documented_in_the_records_page()


def test_the_readme_record_example_is_a_valid_record(tmp_path: Path) -> None:
    example = re.search(r"A complete example.*?```toml\n(.*?)```", README, re.S).group(1)
    example = example.replace("...", "")
    table = tomllib.loads(example)
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "antony-plan-masse.png").write_bytes(b"\x89PNG")
    result = validate_record(RawRecord(tmp_path / "example.toml", table), load_vocabulary(SHIPPED_MISSIONS), tmp_path)
    assert not isinstance(result, list), [str(problem) for problem in result]


def test_the_readme_links_to_every_docs_page() -> None:
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert f"](docs/{page.name})" in README, f"the README does not link to docs/{page.name}"


def test_relative_links_in_the_docs_lead_to_files() -> None:
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" not in target:
                assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"


def daily_job() -> list[tuple[list[str], list[str]]]:
    """The README's daily job: each command, as arguments, with the output lines shown under it."""
    block = re.search(r"## The daily job.*?```console\n(.*?)```", README, re.S).group(1)
    steps: list[tuple[list[str], list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ refcli "):
            steps.append((shlex.split(line.removeprefix("$ refcli "), comments=True), []))
        elif line.strip():
            steps[-1][1].append(line.rstrip())
    return steps


def shown_as_run(shown: str, real: list[str]) -> bool:
    """Whether a line the README shows is a line of the real output; `...` in it stands for anything."""
    pattern = re.compile(".*?".join(re.escape(part) for part in shown.split("...")))
    return any(pattern.fullmatch(line) for line in real)


@pytest.mark.parametrize(("arguments", "shown"), daily_job(), ids=lambda step: " ".join(step)[:40])
def test_the_readme_daily_job_prints_what_it_shows(arguments: list[str], shown: list[str], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch, cache_dir: Path) -> None:
    monkeypatch.chdir(ROOT)  # the commands name the shipped data, examples and template by relative paths
    monkeypatch.setenv("COLUMNS", "80")  # the README shows an 80-column terminal
    out = tmp_path / "annexe.docx"
    arguments = [str(out) if argument == "annexe.docx" else argument for argument in arguments]
    result = CliRunner().invoke(app, arguments)
    # A step the README says exits 1 ("# exits 1" after the command) must; the others succeed.
    expected = 1 if any(line.startswith(f"$ refcli {shlex.join(arguments[:2])}") and "# exits 1" in line
                        for line in README.splitlines()) else 0
    assert result.exit_code == expected, result.stderr
    real = [line.rstrip().replace(str(out), "annexe.docx") for line in (result.stdout + result.stderr).splitlines()]
    # Table rows (columns padded with runs of spaces) wrap with the terminal's width: only the other lines are
    # compared, each to a whole line of the real output.
    for line in shown:
        if line != "..." and not re.search(r"\S {3,}\S|─", line):
            assert shown_as_run(line, real), f"README shows {line!r}; `refcli {' '.join(arguments)}` printed:\n" + \
                "\n".join(real)


def test_the_tender_file_page_shows_the_example_tender_as_it_is() -> None:
    page = (ROOT / "docs" / "tender-file.md").read_text(encoding="utf-8")
    shown = tomllib.loads(re.search(r"```toml\n(.*?)```", page, re.DOTALL).group(1))
    assert shown == tomllib.loads((ROOT / "examples" / "tender-concertation.toml").read_text(encoding="utf-8"))
