"""The validate, list and show commands end to end: exit codes, stdout and stderr apart."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from refcli.cli.commands import app
from tests.conftest import DATA, SEED_IDS


def test_validate_on_the_shipped_library_exits_0(runner: CliRunner, library_folder: Path) -> None:
    result = runner.invoke(app, ["validate", "--data", str(library_folder)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr.strip() == "5 valid record(s), 0 invalid"


def test_validate_lists_every_problem_and_exits_1(runner: CliRunner, library_folder: Path) -> None:
    (library_folder / "broken.toml").write_text('id = "x"\n', encoding="utf-8")
    (library_folder / "typo.toml").write_text("[[oops]]\na = 1\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", "--data", str(library_folder)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert f"{library_folder / 'broken.toml'}: title: missing required key (a string)" in lines
    assert any(line.startswith(f"{library_folder / 'typo.toml'}: oops: the record is an array") for line in lines)
    assert "5 valid record(s), 2 invalid" in result.stderr
    assert "Traceback" not in result.output


def test_validate_json_lists_problems_with_their_location(runner: CliRunner, library_folder: Path) -> None:
    (library_folder / "broken.toml").write_text('title = "x\n', encoding="utf-8")
    result = runner.invoke(app, ["validate", "--json", "--data", str(library_folder)])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["version"] == 1 and document["command"] == "validate"
    assert document["valid"] == 5 and document["invalid"] == 1
    [problem] = document["problems"]
    assert problem["file"] == str(library_folder / "broken.toml") and problem["line"] == 1


def test_validate_warns_of_years_after_this_year(runner: CliRunner, library_folder: Path) -> None:
    """Valid, but no reference yet: most often a typo ("2071" for "2017"); said, and the exit stays 0."""
    import datetime

    year = datetime.date.today().year
    neuilly = library_folder / "neuilly-sur-marne-amo-concertation.toml"
    antony = library_folder / "antony-point-etape-psl.toml"
    est = library_folder / "est-ensemble-amo-npru.toml"
    neuilly.write_text(neuilly.read_text(encoding="utf-8").replace("start = 2017", "start = 2071")
                       .replace("end = 2017", "end = 2071"), encoding="utf-8")
    antony.write_text(antony.read_text(encoding="utf-8").replace("end = 2012", f"end = {year + 1}"),
                      encoding="utf-8")
    est.write_text(est.read_text(encoding="utf-8").replace("end = 2021", f"end = {year + 1}\nongoing = true"),
                   encoding="utf-8")  # a mission under way, due to end next year: no warning
    result = runner.invoke(app, ["validate", "--data", str(library_folder)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"warning: {antony}: period.end: it ends in {year + 1}, after this year ({year}), and is not ongoing: correct "
        "the year if it is a typo, or add ongoing = true for a mission under way",
        f"warning: {neuilly}: period.start: it starts in 2071, after this year ({year}): a mission not started yet "
        "is no reference; correct the year if it is a typo",
        "5 valid record(s), 0 invalid"]
    document = json.loads(runner.invoke(app, ["validate", "--json", "--data", str(library_folder)]).stdout)
    assert [(warning["file"], warning["key"]) for warning in document["warnings"]] == [
        (str(antony), "period.end"), (str(neuilly), "period.start")]
    assert runner.invoke(app, ["validate", "--quiet", "--data", str(library_folder)]).stderr == ""


def test_a_missing_library_is_one_line_and_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", "--data", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "nowhere: the mission library folder does not exist" in result.stderr


def test_list_shows_the_five_missions(runner: CliRunner, library_folder: Path) -> None:
    result = runner.invoke(app, ["list", "--data", str(library_folder)], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for mission_id in SEED_IDS:
        assert mission_id in result.stdout
    assert "99\u202f685\u00a0€\u00a0HT" in result.stdout and "2018\u00a0– 2021" in result.stdout
    assert result.stderr == ""


def test_list_filters_by_year_and_component(runner: CliRunner, library_folder: Path) -> None:
    result = runner.invoke(app, ["list", "--json", "--year", "2012", "-c", "GUP", "--data", str(library_folder)])
    assert result.exit_code == 0
    assert [m["id"] for m in json.loads(result.stdout)["missions"]] == ["antony-point-etape-psl"]
    result = runner.invoke(app, ["list", "--json", "--since", "2017", "--data", str(library_folder)])
    assert [m["id"] for m in json.loads(result.stdout)["missions"]] == [
        "est-ensemble-amo-npru", "neuilly-sur-marne-amo-concertation"]


def test_list_year_keeps_a_mission_still_under_way_that_year(runner: CliRunner, library_folder: Path) -> None:
    record = library_folder / "henin-carvin-projet-urbain-social.toml"
    record.write_text(record.read_text(encoding="utf-8").replace("end = 2013\n", "end = 2013\nongoing = true\n", 1),
                      encoding="utf-8")
    for cache in ([], ["--no-cache"]):
        result = runner.invoke(app, ["list", "--json", "--year", "2020", *cache, "--data", str(library_folder)])
        assert result.exit_code == 0, result.stderr
        assert [m["id"] for m in json.loads(result.stdout)["missions"]] == ["est-ensemble-amo-npru",
                                                                       "henin-carvin-projet-urbain-social"]
    before = runner.invoke(app, ["list", "--json", "--year", "2012", "--data", str(library_folder)])
    assert "henin-carvin-projet-urbain-social" not in before.stdout  # started in 2013


def test_list_with_nothing_matching_exits_1(runner: CliRunner, library_folder: Path) -> None:
    result = runner.invoke(app, ["list", "--year", "1999", "--data", str(library_folder)])
    assert result.exit_code == 1
    assert "no mission matches these filters" in result.stderr


def test_list_with_an_unknown_component_suggests_one(runner: CliRunner, library_folder: Path) -> None:
    result = runner.invoke(app, ["list", "-c", "concertaton", "--data", str(library_folder)])
    assert result.exit_code == 2
    assert "--component 'concertaton': unknown mission component; did you mean 'Concertation'?" in result.stderr


def test_list_json_shape(runner: CliRunner, library_folder: Path) -> None:
    result = runner.invoke(app, ["list", "--json", "--data", str(library_folder)])
    document = json.loads(result.stdout)
    assert document["version"] == 1 and document["command"] == "list"
    est = next(m for m in document["missions"] if m["id"] == "est-ensemble-amo-npru")
    assert est["fee"] == {"value": 99685, "currency": "EUR", "basis": "HT", "scope": "mission"}
    neuilly = next(m for m in document["missions"] if m["id"] == "neuilly-sur-marne-amo-concertation")
    assert neuilly["fee"] == {"value": 29340, "currency": "EUR", "basis": None, "scope": "tranche ferme"}
    assert est["client_kind"] == "public" and (est["start"], est["end"]) == (2018, 2021)


def test_list_json_marks_the_values_not_on_the_fiche(runner: CliRunner, library_folder: Path) -> None:
    result = runner.invoke(app, ["list", "--json", "--data", str(library_folder)])
    neuilly = next(m for m in json.loads(result.stdout)["missions"] if m["id"] == "neuilly-sur-marne-amo-concertation")
    assert {"role", "client.kind", "components.concertation"} <= set(neuilly["unconfirmed"])
    assert list(neuilly)[-2:] == ["unconfirmed", "file"]


def test_a_filter_kept_on_a_guess_says_so(runner: CliRunner, library_folder: Path) -> None:
    """-c kept missions on levels their fiches do not mark: a warning names them (a period is never inferred)."""
    est = library_folder / "est-ensemble-amo-npru.toml"
    est.write_text("\n".join(line for line in est.read_text(encoding="utf-8").splitlines()
                             if not line.startswith(('"components.', 'components ='))) + "\n",
              encoding="utf-8")  # levels confirmed, and the grid
    result = runner.invoke(app, ["list", "-c", "conseil:4", "--data", str(library_folder)], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "est-ensemble-amo-npru" in result.stdout
    assert result.stderr.splitlines() == ["warning: 2 missions are listed on component levels not on their fiches "
                                          "([inferred]): antony-point-etape-psl, henin-carvin-projet-urbain-social; "
                                          "'refcli show ID' marks them"]
    assert runner.invoke(app, ["list", "-c", "conseil:4", "--quiet", "--data", str(library_folder)]).stderr == ""
    assert runner.invoke(app, ["list", "-c", "animation:5", "--data", str(library_folder)]).stderr == ""
    assert runner.invoke(app, ["list", "--data", str(library_folder)]).stderr == ""  # no filter, nothing relied on


def test_a_level_0_is_a_guess_where_the_whole_grid_is(runner: CliRunner, library_folder: Path) -> None:
    """The squares of the shipped fiches were lost: that Est Ensemble's record lists no concertation is a guess
    too (`components` in [inferred]). Its 0 is marked in search, its JSON, show, the matrix and check; once
    the grid is confirmed (the line deleted), the same 0 is a fact."""
    arguments = ["-c", "concertation:4", "--data", str(library_folder)]
    est = library_folder / "est-ensemble-amo-npru.toml"

    def concertation(document: dict) -> dict:
        result = next(r for r in document["results"] if r["id"] == "est-ensemble-amo-npru")
        return next(c for c in result["competencies"] if c["id"] == "concertation")

    searched = runner.invoke(app, ["search", "NPRU", *arguments, "--json"])
    assert concertation(json.loads(searched.stdout))["level"] == 0
    assert concertation(json.loads(searched.stdout))["confirmed"] is False
    explained = runner.invoke(app, ["search", "NPRU", *arguments, "--explain"], env={"COLUMNS": "200"}).stdout
    assert "✗ Concertation 0/4 [not on the fiche]" in explained
    shown = runner.invoke(app, ["show", "est-ensemble-amo-npru", "--data", str(library_folder)],
                          env={"COLUMNS": "200"}).stdout
    assert re.search(r"□□□□□  Concertation \[not on the fiche\]", shown)
    checked = runner.invoke(app, ["check", "--ids", "est-ensemble-amo-npru", *arguments], env={"COLUMNS": "300"})
    assert checked.exit_code == 1
    assert "the levels of est-ensemble-amo-npru are not on their fiches: confirm them" in checked.stdout
    assert re.search(r"Concertation ≥ 4 ✗ +·\*", checked.stdout)

    est.write_text("\n".join(line for line in est.read_text(encoding="utf-8").splitlines()
                             if not line.startswith(("components =", '"components.'))) + "\n", encoding="utf-8")
    searched = runner.invoke(app, ["search", "NPRU", *arguments, "--json"])
    assert concertation(json.loads(searched.stdout))["confirmed"] is True
    shown = runner.invoke(app, ["show", "est-ensemble-amo-npru", "--data", str(library_folder)],
                          env={"COLUMNS": "200"}).stdout
    assert re.search(r"□□□□□  Concertation *\n", shown)
    checked = runner.invoke(app, ["check", "--ids", "est-ensemble-amo-npru", *arguments], env={"COLUMNS": "300"})
    assert checked.exit_code == 1 and "not on their fiches" not in checked.stdout
    assert re.search(r"Concertation ≥ 4 ✗ +· ", checked.stdout)


def test_search_marks_a_level_not_on_the_fiche(runner: CliRunner, library_folder: Path) -> None:
    """A competency counted through a level in [inferred]: marked in the table, the explanation, the JSON and
    the coverage matrix, and the results ranked on it named on stderr; a confirmed level is not marked."""
    est = library_folder / "est-ensemble-amo-npru.toml"
    est.write_text("\n".join(line for line in est.read_text(encoding="utf-8").splitlines()
                             if not line.startswith(('"components.', 'components ='))) + "\n",
              encoding="utf-8")  # levels confirmed, and the grid
    arguments = ["search", "-c", "conseil:4", "-n", "3", "--data", str(library_folder)]
    result = runner.invoke(app, [*arguments, "--explain"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    lines, mission = {}, None
    for line in result.stdout.splitlines():  # "1. ID: score ...", then "   competencies: ..."
        found = re.match(r"\d+\. ([a-z0-9-]+): score", line)
        mission = found.group(1) if found else mission
        if line.lstrip().startswith("competencies:"):
            lines[mission] = line.rstrip()
    assert lines["est-ensemble-amo-npru"].endswith("competencies: ✓ Conseil stratégique 4/4")
    guessed = [mission for mission, line in lines.items() if line.endswith("4/4 [not on the fiche]")]
    assert len(guessed) == 2 and "est-ensemble-amo-npru" not in guessed
    table = runner.invoke(app, arguments, env={"COLUMNS": "400"}).stdout.splitlines()  # wide: no cell wraps
    rows = {mission: next(line for line in table if f" {mission} " in line) for mission in lines}
    assert [mission for mission, row in rows.items() if "✓ Conseil stratégique [not on the fiche]" in row] == guessed
    assert rows["est-ensemble-amo-npru"].rstrip().endswith("✓ Conseil stratégique")
    assert result.stderr.splitlines() == ["warning: 2 results are ranked on component levels not on their fiches "
                                          f"([inferred]): {', '.join(guessed)}; 'refcli show ID' marks them"]
    document = json.loads(runner.invoke(app, [*arguments, "--json"]).stdout)
    assert {result["id"]: result["competencies"][0]["confirmed"] for result in document["results"]} == {
        "est-ensemble-amo-npru": True, **dict.fromkeys(guessed, False)}
    assert runner.invoke(app, [*arguments, "--quiet"]).stderr == ""
    covered = runner.invoke(app, [*arguments, "--cover"], env={"COLUMNS": "200"}).stdout
    row = next(line for line in covered.splitlines() if line.lstrip().startswith("Conseil stratégique ≥ 4"))
    order = [line.split(". ", 1)[1] for line in covered.splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert row.split()[-3:] == ["■■■■□*" if mission != "est-ensemble-amo-npru" else "■■■■□" for mission in order]
    assert "*  a level not on the fiche ([inferred]): ranked on, left out of the annex" in covered
    # The words found in the components: marked where they come only from levels not on the fiche.
    words = runner.invoke(app, ["search", "animation partenariale", "--explain", "--data", str(library_folder)],
                          env={"COLUMNS": "200"}).stdout.splitlines()
    parts = [line.strip() for line in words if "composantes" in line]
    assert "composantes: animation partenariale" in parts  # est-ensemble-amo-npru's, confirmed
    assert parts.count("composantes [not on the fiche]: animation partenariale") >= 2


def test_search_names_the_results_kept_on_a_guessed_client_kind(runner: CliRunner, library_folder: Path) -> None:
    est = library_folder / "est-ensemble-amo-npru.toml"
    est.write_text("\n".join(line for line in est.read_text(encoding="utf-8").splitlines()
                             if not line.startswith('"client.kind"')) + "\n", encoding="utf-8")  # confirmed
    arguments = ["search", "concertation", "--client", "public", "-n", "3", "--data", str(library_folder), "--json"]
    result = runner.invoke(app, arguments)
    ids = [found["id"] for found in json.loads(result.stdout)["results"]]
    assert result.exit_code == 0 and "est-ensemble-amo-npru" in ids
    guessed = [mission_id for mission_id in ids if mission_id != "est-ensemble-amo-npru"]
    kept = [line for line in result.stderr.splitlines() if "client kind" in line]
    assert kept == [f"warning: {len(guessed)} results are kept on a client kind (public or "
                    f"private) not on their fiches ([inferred]): {', '.join(guessed)}; 'refcli show ID' marks them"]
    assert runner.invoke(app, [*arguments, "--quiet"]).stderr == ""
    assert "client kind" not in runner.invoke(app, arguments[:2] + arguments[4:]).stderr  # no --client: none kept


def test_list_marks_a_fee_not_on_the_fiche(runner: CliRunner, library_folder: Path) -> None:
    est = library_folder / "est-ensemble-amo-npru.toml"
    est.write_text(est.read_text(encoding="utf-8").replace(
        "[inferred]\n", '[inferred]\n"amounts.fee.value" = "from the invoice, not the fiche"\n', 1), encoding="utf-8")
    lines = runner.invoke(app, ["list", "--data", str(library_folder)], env={"COLUMNS": "400"}).stdout.splitlines()
    marked = [line for line in lines if "[not on the fiche]" in line]  # wide enough for no cell to wrap
    assert len(marked) == 1 and "est-ensemble-amo-npru" in marked[0]
    assert "99\u202f685\u00a0€\u00a0HT [not on the fiche]" in marked[0]


def test_list_shows_a_title_as_written(runner: CliRunner, library_folder: Path) -> None:
    """Brackets in a title are the firm's text, not terminal markup."""
    bagneux = library_folder / "bagneux-point-etape-cloture.toml"
    text = bagneux.read_text(encoding="utf-8")
    title = 'title = "Point d\'Etape de clôture de Bagneux'
    bagneux.write_text(text.replace(f'{title}"', f'{title} [phase 2] :house:"', 1), encoding="utf-8")
    for width in ("200", "60"):
        result = runner.invoke(app, ["list", "--data", str(library_folder)], env={"COLUMNS": width})
        assert "[phase 2] :house:" in " ".join(result.stdout.split()), width


def test_commands_skip_invalid_records_with_a_warning_naming_the_file(
    runner: CliRunner, library_folder: Path
) -> None:
    (library_folder / "broken.toml").write_text('id = "x"\n', encoding="utf-8")
    result = runner.invoke(app, ["list", "--json", "--data", str(library_folder)])
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)["missions"]) == 5
    assert f"warning: skipped {library_folder / 'broken.toml'}" in result.stderr
    quiet = runner.invoke(app, ["list", "--json", "--quiet", "--data", str(library_folder)])
    assert quiet.stderr == ""


def test_show_prints_the_whole_record(runner: CliRunner, library_folder: Path) -> None:
    result = runner.invoke(app, ["show", "antony-point-etape-psl", "--data", str(library_folder)],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for text in ("Point d'Etape et Plan Stratégique Local d'Antony", "167\u202f000\u202f000\u00a0€\u00a0TTC",
                 "144 démolitions", "Enjeux de la mission", "▶ Restitution élargie des résultats ;",
                 "■■■■■  Capitalisation", "□□□□□  Planification", "Lucie Melas"):
        assert text in result.stdout, text


def test_show_json_gives_the_record_table(runner: CliRunner, library_folder: Path) -> None:
    result = runner.invoke(app, ["show", "est-ensemble-amo-npru", "--json", "--data", str(library_folder)])
    assert result.exit_code == 0
    mission = json.loads(result.stdout)["mission"]
    assert mission["amounts"]["fee"] == {"value": 99685, "currency": "EUR", "basis": "HT", "as_written": "99 685 € HT"}
    assert mission["team"]["director"] == "Valérie Embize"


def test_show_an_unknown_id_suggests_one(runner: CliRunner, library_folder: Path) -> None:
    result = runner.invoke(app, ["show", "antony", "--data", str(library_folder)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "no mission with id 'antony'; did you mean 'antony-point-etape-psl'?" in result.stderr


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("refcli ")


@pytest.mark.parametrize("arguments", [["list"], ["search", "concertation", "--explain"],
                                       ["show", "antony-point-etape-psl"]])
def test_a_reader_that_stops_early_ends_the_command_with_141_quietly(arguments, tmp_path):
    # `| head -1`: rich and click end with 1 there, which says "no match"; a shell reports 141 (SIGPIPE).
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "refcli", *arguments, "--data", str(DATA / "missions"),
                                "--cache-dir", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before anything is written
    stderr = process.stderr.read()
    process.stderr.close()
    assert process.wait(timeout=60) == 141
    assert b"Traceback" not in stderr and b"Error" not in stderr


def test_show_of_a_record_left_out_says_why_not_that_there_is_no_such_mission(data_copy: Path) -> None:
    record = data_copy / "antony-point-etape-psl.toml"
    record.write_text(record.read_text(encoding="utf-8").replace('title = "', 'title = 5 # "', 1), encoding="utf-8")
    for extra in ((), ("--no-cache",)):
        for arguments in (["show", "antony-point-etape-psl"], ["build-bid", "--ids", "antony-point-etape-psl",
                                                                "--out", str(data_copy.parent / "a.docx")]):
            result = CliRunner().invoke(app, [*arguments, "--data", str(data_copy), "--quiet", *extra])
            assert result.exit_code == 2
            assert result.stderr == (f"error: {record}: title: expected a string, got a number (the record of "
                                     "'antony-point-etape-psl' is left out: 'refcli validate' lists every problem)\n")


def test_list_since_a_year_to_come_is_refused_as_search_refuses_it() -> None:
    for command in (["list"], ["search", "concertation"]):
        result = CliRunner().invoke(app, [*command, "--since", "2099", "--data", str(DATA / "missions")])
        assert result.exit_code == 2
        assert result.stderr.startswith("error: --since: the window starts in 2099, in the future (this year is ")


def test_validate_wraps_problems_word_by_word_in_a_terminal_and_keeps_them_whole_piped(
        runner: CliRunner, library_folder: Path, monkeypatch) -> None:
    monkeypatch.chdir(library_folder)  # paths as short as a user's: a word longer than the width is cut anyway
    record = library_folder / "neuilly-sur-marne-amo-concertation.toml"
    record.write_text(record.read_text(encoding="utf-8").replace("mission_type =", "mision_type =", 1),
                      encoding="utf-8")
    message = "neuilly-sur-marne-amo-concertation.toml: mision_type: unknown key; did you mean 'mission_type'?"
    piped = runner.invoke(app, ["validate", "--data", "."])
    assert piped.exit_code == 1 and message in piped.stdout.splitlines()
    terminal = CliRunner(env={"FORCE_COLOR": "1", "COLUMNS": "80"}).invoke(app, ["validate", "--data", "."])
    lines = terminal.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert " ".join(" ".join(lines).split()) == " ".join(" ".join(piped.stdout.splitlines()).split())
    words = set(piped.stdout.split())
    assert all(word in words for line in lines for word in line.split())  # no word cut in two


def test_show_piped_writes_whole_lines_without_a_grid_s_padding(runner: CliRunner) -> None:
    # Padded to its widest value, each fact ran to some 500 columns: `show ID > fiche.txt` or `| less` read blank.
    result = runner.invoke(app, ["show", "antony-point-etape-psl"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "Type de mission   Capitalisation" in lines
    assert not [line for line in lines if line != line.rstrip()]


def test_show_marks_which_values_of_a_line_are_not_on_the_fiche(runner: CliRunner) -> None:
    # Only the client's kind and category are inferred: its name is on the fiche, and the line says so.
    shown = runner.invoke(app, ["show", "neuilly-sur-marne-amo-concertation"]).stdout.splitlines()
    assert ("Maître d'ouvrage       Ville de Neuilly-sur-Marne — public, commune [not on the fiche: client.kind, "
            "client.category]") in shown
    assert "Rôle                   titulaire [not on the fiche]" in shown  # the whole value is inferred


@pytest.mark.parametrize(("options", "said"), [
    (["-c", "concertation:2", "--ids", "antony-point-etape-psl,bagneux-point-etape-cloture"],
     "neuilly-sur-marne-amo-concertation does (level 5, not on the fiche)"),
    (["-c", "concertation:5", "-c", "finance:5", "-n", "1"],
     "covered by neuilly-sur-marne-amo-concertation (5, not on the fiche), not among the 1 chosen"),
    (["-c", "capitalisation:5", "--since", "2016"],
     "covered only outside the window, by antony-point-etape-psl (2012, level 5, not on the fiche)"),
    (["-c", "coordination:4"], "(highest: est-ensemble-amo-npru, level 3, not on the fiche)"),
])
def test_check_says_a_level_it_names_is_a_guess(runner: CliRunner, options: list[str], said: str) -> None:
    """Every message of check that names a reference's level says when the level is not on the fiche: its advice
    sends the user to that reference."""
    result = runner.invoke(app, ["check", *options, "--data", str(DATA / "missions")], env={"COLUMNS": "400"})
    assert result.exit_code == 1 and said in result.stdout, result.stdout


@pytest.mark.parametrize(("arguments", "said"), [
    (["show"], "error: refcli show: Missing argument 'ID'. (see 'refcli show --help')"),
    (["--bogus"], "error: refcli: No such option: --bogus (see 'refcli --help')"),
    (["list", "--year", "abc", "--json"],
     "error: refcli list: Invalid value for '--year': 'abc' is not a valid int. (see 'refcli list --help')"),
    (["check", "--bogus", "--json"], "error: refcli check: No such option: --bogus (see 'refcli check --help')"),
    (["tender", "read", "missing.pdf", "--json", "--out", "t.toml"],
     "error: refcli tender read: Invalid value for 'FILE...': File 'missing.pdf' does not exist. "
     "(see 'refcli tender read --help')"),
])
def test_a_usage_error_is_one_line_like_every_other_error(tmp_path, monkeypatch, arguments, said):
    # Click wrote four lines (usage, "Try ...", a blank, "Error: ..."): the README promises one.
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, arguments)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", said + "\n")



@pytest.mark.parametrize("command", ["search", "tender"])
def test_ctrl_c_is_one_line_naming_the_command(runner: CliRunner, library_folder: Path, tmp_path: Path, monkeypatch,
                                               command: str) -> None:
    """typer would end a KeyboardInterrupt with 130 and not a word."""
    import refcli.cli.commands
    import refcli.search.tender_reading

    def interrupted(*_arguments, **_options):
        raise KeyboardInterrupt

    monkeypatch.setattr(refcli.cli.commands, "_load", interrupted)
    monkeypatch.setattr(refcli.search.tender_reading, "read_tender", interrupted)
    (tmp_path / "rc.txt").write_text("Objet : AMO concertation", encoding="utf-8")
    arguments = (["search", "concertation", "--data", str(library_folder)] if command == "search" else
                 ["tender", "read", str(tmp_path / "rc.txt"), "--out", str(tmp_path / "tender.toml")])
    result = runner.invoke(app, arguments)
    assert result.exit_code == 130
    assert result.stderr == f"error: refcli {command}: interrupted (Ctrl-C)\n"
    assert not (tmp_path / "tender.toml").exists()


def test_validate_finds_a_late_year_in_the_cache_without_decoding_every_record(runner: CliRunner, library_folder: Path,
                                                                              monkeypatch, tmp_path: Path) -> None:
    """The warm validate reads the cache's facts (each mission's last year): it decodes only the late ones."""
    import refcli.search.cache

    henin = library_folder / "henin-carvin-projet-urbain-social.toml"
    henin.write_text(henin.read_text(encoding="utf-8").replace("end = 2013", "end = 2099"), encoding="utf-8")
    cache = ["--cache-dir", str(tmp_path / "cache")]
    assert runner.invoke(app, ["validate", "--data", str(library_folder), *cache]).exit_code == 0  # builds it
    decoded: list[str] = []
    records = refcli.search.cache._Cache.records

    def counted(self, relatives):
        decoded.extend(relatives)
        return records(self, relatives)

    monkeypatch.setattr(refcli.search.cache._Cache, "records", counted)
    result = runner.invoke(app, ["validate", "--data", str(library_folder), *cache])
    assert result.exit_code == 0, result.output
    assert f"warning: {henin}: period.end: it ends in 2099" in result.stderr
    assert decoded == ["henin-carvin-projet-urbain-social.toml"]
