"""refcli new: from flags, from answers to prompts (stdin fed by CliRunner), never overwriting, validated first."""

from __future__ import annotations

import tomllib
from pathlib import Path

from refcli.cli.commands import app
from refcli.records.library import load_library

FLAGS = [
    "--title", "Diagnostic partagé du quartier des Tilleuls", "--mission-type", "Accompagnement social",
    "--role", "titulaire", "--client", "Ville du Blanc-Mesnil", "--client-kind", "public",
    "--start", "2020", "--end", "2021", "--city", "Le Blanc-Mesnil", "--district", "quartier des Tilleuls",
    "--stakes", "Un quartier en renouvellement urbain.", "--content", "Entretiens", "--content", "Ateliers",
    "--fee", "99 685 € HT", "--component", "concertation=5", "-c", "Animation partenariale=3",
    "--programme", "144 démolitions, 351 constructions",
]
EXPECTED_ID = "diagnostic-partage-du-quartier-des-tilleuls-le-blanc-mesnil"


def test_new_from_flags(runner, library: Path) -> None:
    result = runner.invoke(app, ["new", "--data", str(library), *FLAGS])
    assert result.exit_code == 0, result.stderr
    path = library / f"{EXPECTED_ID}.toml"
    assert result.stdout == f"{path}\n"
    assert result.stderr == ""
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    assert list(table)[:5] == ["id", "title", "mission_type", "role", "stakes"]
    assert table["amounts"]["fee"] == {"value": 99685, "currency": "EUR", "basis": "HT", "as_written": "99 685 € HT"}
    assert table["components"] == {"animation": 3, "concertation": 5}
    assert table["programme"] == [{"label": "démolitions", "count": 144}, {"label": "constructions", "count": 351}]
    mission = load_library(library).missions[0]
    assert mission.period.end == 2021 and mission.site.districts == ("quartier des Tilleuls",)


def test_a_client_kind_not_given_is_assumed_public_and_listed_in_inferred(runner, library: Path) -> None:
    # The buyer reads the kind: public assumed is a guess, marked as one, so check and the annex do not state it.
    flags = [flag for flag in FLAGS if flag not in ("--client-kind", "public")]
    result = runner.invoke(app, ["new", "--data", str(library), *flags, "--no-input"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "client.kind: not given, public assumed and listed in [inferred]; pass --client-kind\n"
    table = tomllib.loads((library / f"{EXPECTED_ID}.toml").read_text(encoding="utf-8"))
    assert table["client"]["kind"] == "public"
    assert table["inferred"] == {"client.kind": "not given: public assumed by refcli new (--client-kind says it)"}
    quiet = runner.invoke(app, ["new", "--data", str(library), *flags, "--id", "other", "--quiet"])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    refused = runner.invoke(app, ["new", "--data", str(library), *flags, "--no-input"])  # its file exists now
    assert refused.exit_code == 2
    assert refused.stderr.count("\n") == 1 and refused.stderr.startswith("error: ")  # no note for a record not made


def test_new_with_an_id(runner, library: Path) -> None:
    result = runner.invoke(app, ["new", "--data", str(library), *FLAGS, "--id", "tilleuls"])
    assert result.exit_code == 0
    assert (library / "tilleuls.toml").is_file()


def test_new_never_overwrites(runner, library: Path) -> None:
    assert runner.invoke(app, ["new", "--data", str(library), *FLAGS]).exit_code == 0
    before = (library / f"{EXPECTED_ID}.toml").read_text(encoding="utf-8")
    again = runner.invoke(app, ["new", "--data", str(library), *FLAGS, "--stakes", "Autre chose."])
    assert again.exit_code == 2
    assert again.stdout == ""
    assert "the file exists" in again.stderr
    assert (library / f"{EXPECTED_ID}.toml").read_text(encoding="utf-8") == before


def test_new_refuses_an_id_another_file_uses(runner, library: Path) -> None:
    (library / "elsewhere.toml").write_text('id = "tilleuls"\n', encoding="utf-8")
    result = runner.invoke(app, ["new", "--data", str(library), *FLAGS, "--id", "tilleuls"])
    assert result.exit_code == 2
    assert "'tilleuls' is already the id of" in result.stderr
    assert sorted(path.name for path in library.iterdir()) == ["elsewhere.toml"]


def test_new_validation_failure_writes_nothing(runner, library: Path) -> None:
    result = runner.invoke(app, ["new", "--data", str(library), *FLAGS, "--end", "2001"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "the record is not valid, nothing written" in result.stderr
    assert "period.end: end year 2001 is before start year 2020" in result.stderr
    assert list(library.iterdir()) == []


def test_new_bad_component_and_bad_fee(runner, library: Path) -> None:
    result = runner.invoke(app, ["new", "--data", str(library), *FLAGS, "-c", "concertaton=9"])
    assert result.exit_code == 2
    assert "unknown mission component; did you mean 'Concertation'?" in result.stderr
    result = runner.invoke(app, ["new", "--data", str(library), *FLAGS, "--fee", "à voir"])
    assert result.exit_code == 2
    assert "--fee: cannot read the amount 'à voir'" in result.stderr
    assert list(library.iterdir()) == []


def test_new_without_input_names_the_missing_fields(runner, library: Path) -> None:
    result = runner.invoke(app, ["new", "--data", str(library), "--title", "X", "--no-input"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "--mission-type, --role, --client, --start, --stakes, --content" in result.stderr
    assert list(library.iterdir()) == []


def test_new_not_a_terminal_does_not_prompt(runner, library: Path) -> None:
    result = runner.invoke(app, ["new", "--data", str(library), "--title", "X"], input="anything\n")
    assert result.exit_code == 2
    assert "missing required field(s)" in result.stderr


ANSWERS = "\n".join([
    "Diagnostic partagé du quartier des Tilleuls",  # title
    "",  # subtitle
    "Accompagnement social",  # mission type
    "Ville du Blanc-Mesnil",  # client
    "",  # client kind: public
    "commune",  # category
    "",  # role: titulaire
    "2020",  # start
    "",  # end: the start year
    "Le Blanc-Mesnil",  # city
    "quartier des Tilleuls",  # districts
    "Perspectives Urbaines et Sociales, Atelier Ville",  # members
    "",  # project amount
    "beaucoup",  # fee, unreadable: asked again
    "48 500 € HT",  # fee
    "Un quartier en renouvellement urbain.", "La ville veut associer les habitants.", "",  # stakes
    "Entretiens avec les acteurs", "Ateliers avec les habitants", "",  # content
    "Ville, bailleurs",  # partners
    "diagnostic, concertation",  # keywords
    "11, 3",  # components
    "6", "5",  # level of Concertation: 6 is refused
    "3",  # level of Animation partenariale
]) + "\n"


def test_new_interactive(runner, library: Path) -> None:
    result = runner.invoke(app, ["new", "--data", str(library), "--interactive"], input=ANSWERS)
    assert result.exit_code == 0, result.stderr
    path = library / f"{EXPECTED_ID}.toml"
    assert result.stdout == f"{path}\n"
    assert "Title (the mission's object):" in result.stderr
    assert "cannot read the amount 'beaucoup'" in result.stderr
    assert "11. Concertation" in result.stderr
    mission = load_library(library).missions[0]
    assert mission.stakes == "Un quartier en renouvellement urbain.\n\nLa ville veut associer les habitants."
    assert mission.content == ("Entretiens avec les acteurs", "Ateliers avec les habitants")
    assert mission.period.start == mission.period.end == 2020
    assert mission.client.kind == "public" and mission.client.category == "commune"
    assert mission.role == "titulaire"
    assert mission.fee.value == 48500
    assert mission.components == {"animation": 3, "concertation": 5}
    assert mission.partners == ("Ville", "bailleurs")


def test_an_end_year_before_the_start_is_asked_again_not_every_answer_lost(runner, library: Path) -> None:
    answers = ANSWERS.replace("\n2020\n\n", "\n2020\n2019\n2021\n", 1)
    assert answers != ANSWERS
    result = runner.invoke(app, ["new", "--data", str(library), "--interactive"], input=answers)
    assert result.exit_code == 0, result.stderr
    assert "The end year cannot be before the start year, 2020." in result.stderr
    mission = load_library(library).missions[0]
    assert (mission.period.start, mission.period.end) == (2020, 2021)


def test_new_prompts_when_stdin_is_a_terminal(runner, library: Path, monkeypatch) -> None:
    monkeypatch.setattr("refcli.cli.commands._stdin_is_terminal", lambda: True)
    flags = [flag for flag in FLAGS if flag not in ("--title", "Diagnostic partagé du quartier des Tilleuls")]
    # Only the fields no flag gave are asked: title, subtitle, client category, members, project amount,
    # partners, keywords.
    answers = "\n".join(["Diagnostic partagé du quartier des Tilleuls", "", "", "", "", "", ""]) + "\n"
    result = runner.invoke(app, ["new", "--data", str(library), *flags], input=answers)
    assert result.exit_code == 0, result.stderr
    assert "Mission type" not in result.stderr
    assert (library / f"{EXPECTED_ID}.toml").is_file()


def test_new_input_ends_early(runner, library: Path) -> None:
    result = runner.invoke(app, ["new", "--data", str(library), "--interactive"], input="Titre\n")
    assert result.exit_code == 2
    assert "the input ended before every field was answered; nothing written" in result.stderr
    assert list(library.iterdir()) == []


def test_new_dry_run(runner, library: Path) -> None:
    result = runner.invoke(app, ["new", "--data", str(library), *FLAGS, "--dry-run"])
    assert result.exit_code == 0
    assert result.stdout.startswith("# Fiche référence: Diagnostic partagé du quartier des Tilleuls.\nid = ")
    assert list(library.iterdir()) == []


def test_a_client_kind_is_taken_in_french_as_flag_and_as_answer(runner, library: Path) -> None:
    # A French bid manager types "privé": --client-kind and the prompt take it as --client does.
    flags = [*FLAGS[:FLAGS.index("--client-kind")], *FLAGS[FLAGS.index("--client-kind") + 2:]]
    result = runner.invoke(app, ["new", "--data", str(library), *flags, "--client-kind", "Privée", "--id", "a"])
    assert result.exit_code == 0, result.stderr
    assert load_library(library).missions[0].client.kind == "private"
    refused = runner.invoke(app, ["new", "--data", str(library), *flags, "--client-kind", "associatif", "--id", "b"])
    assert (refused.exit_code, refused.stderr) == (
        2, "error: --client-kind: 'associatif': expected public or private\n")
    answers = ANSWERS.replace("Ville du Blanc-Mesnil\n\n", "Ville du Blanc-Mesnil\nassociatif\nprivé\n", 1)
    assert answers != ANSWERS
    result = runner.invoke(app, ["new", "--data", str(library), "--interactive", "--id", "c"], input=answers)
    assert result.exit_code == 0, result.stderr
    assert "Client kind [public/private] (public):" in result.stderr
    assert "Please select one of the available options" in result.stderr
    assert {mission.id: mission.client.kind for mission in load_library(library).missions} == {
        "a": "private", "c": "private"}


def test_ctrl_c_at_a_question_says_nothing_was_written(runner, library: Path, monkeypatch) -> None:
    """typer would end a KeyboardInterrupt with 130 and not a word."""
    import refcli.cli.prompts

    before = sorted(library.iterdir())

    def interrupted(*_arguments):
        raise KeyboardInterrupt

    monkeypatch.setattr(refcli.cli.prompts, "ask_answers", interrupted)
    result = runner.invoke(app, ["new", "--data", str(library), "--interactive"], input="Titre\n")
    assert result.exit_code == 130
    assert result.stderr == "error: new: interrupted (Ctrl-C); no record written\n"
    assert sorted(library.iterdir()) == before


def test_a_member_marked_mandataire_is_the_mandataire(runner, library: Path) -> None:
    """"Espacité (mandataire)" in the team, as a fiche writes it and import reads it: not a member so named."""
    flags = [*FLAGS, "--member", "Perspectives Urbaines et Sociales", "--member", "Espacité (mandataire)",
             "--role", "co-traitant"]
    result = runner.invoke(app, ["new", "--data", str(library), *flags, "--dry-run"])
    assert result.exit_code == 0, result.stderr
    team = tomllib.loads(result.stdout)["team"]
    assert team == {"members": ["Perspectives Urbaines et Sociales", "Espacité"], "mandataire": "Espacité"}
