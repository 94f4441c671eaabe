"""One syntax for a competency and its level, in every command that takes -c: NAME, NAME:LEVEL or NAME=LEVEL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from refcli.cli.commands import app

FORMS = ["concertation:3", "concertation=3", "Concertation = 3", "participation des habitants:3", "CONCERTATION : 3"]


@pytest.mark.parametrize("form", FORMS)
def test_search_check_and_list_read_every_form_alike(runner: CliRunner, library_folder: Path, form: str) -> None:
    data = ["--data", str(library_folder)]
    search = runner.invoke(app, ["search", "-c", form, "--json", *data])
    assert search.exit_code == 0, search.stderr
    assert json.loads(search.stdout)["query"]["competencies"] == {"concertation": 3}
    check = runner.invoke(app, ["check", "-c", form, "-n", "1", "--json", *data])
    assert check.exit_code in (0, 1), check.stderr
    [item] = [item for item in json.loads(check.stdout)["items"] if item["code"] == "competency.level"]
    assert (item["competency"], item["required"], item["found"]) == ("concertation", 3, 5)
    listed = runner.invoke(app, ["list", "-c", form, "--json", *data])
    assert listed.exit_code == 0, listed.stderr
    # henin-carvin-projet-urbain-social has concertation at 2: below the level asked.
    assert [mission["id"] for mission in json.loads(listed.stdout)["missions"]] == [
        "neuilly-sur-marne-amo-concertation"]


def test_list_without_a_level_takes_any_level(runner: CliRunner, library_folder: Path) -> None:
    result = runner.invoke(app, ["list", "-c", "concertation", "--json", "--data", str(library_folder)])
    assert [mission["id"] for mission in json.loads(result.stdout)["missions"]] == [
        "henin-carvin-projet-urbain-social", "neuilly-sur-marne-amo-concertation"]


@pytest.mark.parametrize("form", ["concertation:4", "concertation=4"])
def test_new_reads_both_forms(runner: CliRunner, library_folder: Path, form: str) -> None:
    result = runner.invoke(app, [
        "new", "--dry-run", "--no-input", "--data", str(library_folder), "--title", "Etude", "--mission-type", "AMO",
        "--role", "titulaire", "--client", "Ville", "--start", "2020", "--stakes", "Un enjeu.", "--content", "Un.",
        "-c", form])
    assert result.exit_code == 0, result.stderr
    assert "[components]\nconcertation = 4\n" in result.stdout


def test_build_bid_reads_the_equals_form(runner: CliRunner, library_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "annexe.docx"
    result = runner.invoke(app, ["build-bid", "-c", "concertation=3", "-n", "1", "--json", "--out", str(out),
                                 "--data", str(library_folder)])
    assert result.exit_code == 0, result.stderr
    [reference] = json.loads(result.stdout)["references"]
    assert reference["id"] == "neuilly-sur-marne-amo-concertation"


@pytest.mark.parametrize(("command", "form", "message"), [
    (["search"], "concertation 3", "--competency 'concertation 3': write the level after ':' or '=', like "
                                   "'concertation:3'"),
    (["search"], "Concertation ≥ 3", "--competency 'Concertation ≥ 3': write the level after ':' or '=', like "
                                     "'Concertation:3'"),
    (["build-bid"], "concertation:3:4", "--competency 'concertation:3:4': write the level after ':' or '=', like "
                                        "'concertation:3'"),
    (["search"], "concertation:x", "--competency 'concertation:x': the level must be a whole number from 1 to 5, "
                                   "got 'x'"),
    (["check"], "concertation=9", "--competency 'concertation=9': the level must be a whole number from 1 to 5, "
                                  "got '9'"),
    (["list"], "concertation:", "--component 'concertation:': the level must be a whole number from 1 to 5, got ''"),
    (["search"], "concertaton=2", "--competency 'concertaton=2': unknown competency; did you mean 'Concertation'?"),
    # A word that matches only a part of a long label gets no suggestion ("foo" in "Coordination").
    (["search"], "foo", "--competency 'foo': unknown competency (see "),
    (["list"], "urbanisme", "--component 'urbanisme': unknown mission component (see "),
])
def test_a_wrong_form_is_told_what_is_wrong(runner: CliRunner, library_folder: Path, command: list[str], form: str,
                                           message: str) -> None:
    result = runner.invoke(app, [*command, "-c", form, "--data", str(library_folder)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {message}")
    assert len(result.stderr.splitlines()) == 1


def test_new_asks_for_the_level(runner: CliRunner, library_folder: Path) -> None:
    result = runner.invoke(app, [
        "new", "--dry-run", "--no-input", "--data", str(library_folder), "--title", "Etude", "--mission-type", "AMO",
        "--role", "titulaire", "--client", "Ville", "--start", "2020", "--stakes", "Un enjeu.", "--content", "Un.",
        "-c", "concertation"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --component 'concertation': give the level, from 1 to 5: "
                                    "'concertation:N' or 'concertation=N'")


def test_a_competency_named_twice_is_an_error_not_the_last_level(runner: CliRunner, library_folder: Path,
                                                                   tmp_path: Path) -> None:
    # "concertation:5" then "Concertation:2" kept 2 without a word: a requirement lowered silently.
    data = ["--data", str(library_folder)]
    new = ["new", "--dry-run", "--no-input", "--title", "Etude", "--mission-type", "AMO", "--role", "titulaire",
           "--client", "Ville", "--client-kind", "public", "--start", "2020", "--stakes", "Des enjeux.",
           "--content", "Un contenu."]
    for command in (["search"], ["check"], ["list"], new):
        option = "--component" if command[0] in ("list", "new") else "-c"
        result = runner.invoke(app, [*command, option, "concertation:5", option, "Concertation:2", *data])
        assert result.exit_code == 2, (command, result.stderr)
        assert result.stderr.strip().endswith("'Concertation:2': names 'concertation' a second time"), result.stderr
    tender = tmp_path / "t.toml"
    tender.write_text('title = "x"\n[competencies]\nconcertation = 4\nConcertation = 5\n', encoding="utf-8")
    result = runner.invoke(app, ["check", "--tender", str(tender), *data])
    assert result.exit_code == 2
    assert f"{tender}: competencies.Concertation: names competency 'concertation' a second time" in result.stderr


def test_a_competency_level_that_replaces_the_tender_s_is_said(runner: CliRunner, library_folder: Path) -> None:
    tender = str(Path(__file__).parents[2] / "examples" / "tender-concertation.toml")
    result = runner.invoke(app, ["search", "--tender", tender, "-c", "concertation:2", "--json", "--data",
                                 str(library_folder)])
    assert result.exit_code == 0, result.stderr
    assert "warning: --competency concertation:2 replaces the tender's level 4" in result.stderr
    assert json.loads(result.stdout)["query"]["competencies"]["concertation"] == 2
