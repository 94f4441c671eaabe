"""`refcli check`, `--cover`, the JSON interface of every command, colours, and the example checklist script."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys

import docx
import pytest
from typer.testing import CliRunner

from refcli.cli.commands import app
from tests.conftest import DATA, ROOT, record_text

MISSIONS = str(DATA / "missions")
PASSING = str(ROOT / "examples" / "tender-amo-npru.toml")
FAILING = str(ROOT / "examples" / "tender-coordination.toml")


def run(*arguments, env=None, data=MISSIONS):
    return CliRunner(env=env).invoke(app, [*arguments, "--data", str(data)])


def test_a_tender_the_library_meets_passes_with_exit_0(confirmed_missions):
    result = run("check", "--tender", PASSING, data=confirmed_missions)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert "✓ Concertation ≥ 4: covered by neuilly-sur-marne-amo-concertation (5)" in result.stdout
    assert "check passed" in result.stdout
    assert "Coverage: competencies by reference" in result.stdout


def test_a_rule_passed_on_values_not_on_the_fiches_says_so_in_its_own_line():
    # The shipped fiches' client kinds and component levels are [inferred]: a ✓ on them is no fact yet.
    result = run("check", "--tender", str(ROOT / "examples" / "tender-concertation.toml"))
    assert result.exit_code == 1
    assert ("✓ public clients only: every chosen reference has a public client (not on the fiche: "
            "neuilly-sur-marne-amo-concertation, est-ensemble-amo-npru)") in result.stdout
    assert "covered by neuilly-sur-marne-amo-concertation (5, not on the fiche)" in " ".join(result.stdout.split())


def test_a_reference_that_ended_in_the_window_s_first_year_is_named_to_check_its_month():
    # Records give years: a mission that ended in 2017 may be more than the window's years old in 2017's terms.
    result = run("check", "--ids", "neuilly-sur-marne-amo-concertation,est-ensemble-amo-npru", "--since", "2017")
    window = " ".join(result.stdout.split("✓")[0].split())
    assert window == ("i window: references that ended in 2017 or later, or are ongoing; "
                      "neuilly-sur-marne-amo-concertation ended in 2017, its first year: check the month they ended "
                      "against the tender's rule")
    later = run("check", "--ids", "est-ensemble-amo-npru", "--since", "2017")
    assert "its first year" not in later.stdout


def test_a_reference_inside_the_window_only_as_ongoing_with_an_old_last_year_is_named_by_check_and_build_bid(
        data_copy, tmp_path):
    # A record marked ongoing and never updated would state a mission ended long ago as recent: both say so.
    record = data_copy / "henin-carvin-projet-urbain-social.toml"
    record.write_text(record.read_text(encoding="utf-8").replace("end = 2013\n", "end = 2013\nongoing = true\n", 1),
                      encoding="utf-8")
    ids = "henin-carvin-projet-urbain-social,est-ensemble-amo-npru"
    said = ("henin-carvin-projet-urbain-social (2013) is counted as ongoing (period.ongoing), though its last year is "
            "before 2021: confirm the mission is still under way, or set ongoing = false and the year it ended")
    checked = run("check", "--ids", ids, "--since", "2021", data=data_copy)
    assert said in " ".join(checked.stdout.split("✓")[0].split())
    built = run("build-bid", "--ids", ids, "--since", "2021", "--out", str(tmp_path / "a.docx"),
                data=data_copy)
    assert built.exit_code == 0, built.stderr
    assert f"warning: {said}" in " ".join(built.stderr.split())
    assert "counted as ongoing" not in run("check", "--ids", ids, "--since", "2013", data=data_copy
                                ).stdout.split("✓")[0]


def test_an_uncovered_competency_fails_with_exit_1_naming_it():
    result = run("check", "--tender", FAILING)
    assert result.exit_code == 1
    shown = " ".join(result.stdout.split())  # a long item wraps at the terminal's width (80 under CliRunner)
    assert "✗ Coordination inter-chantiers ≥ 4: no reference covers Coordination inter-chantiers" in shown
    assert "→ add a reference covering Coordination inter-chantiers ≥ 4" in shown
    assert "3 missing" in shown
    assert result.stderr.startswith("error: check failed: 4 reference(s) inside the window; "  # names hold commas
                                    "Coordination inter-chantiers ≥ 4; Gestion urbaine de proximité ≥ 2; "
                                    "est-ensemble-amo-npru: amount, date, client; ")
    assert result.stderr.count("\n") == 1


def test_quiet_keeps_the_checklist_and_drops_the_message():
    result = run("check", "--tender", FAILING, "--quiet")
    assert result.exit_code == 1
    assert result.stderr == ""
    assert "✗ Coordination inter-chantiers ≥ 4" in result.stdout


@pytest.mark.parametrize("tender, code", [(PASSING, 0), (FAILING, 1)])
def test_json_is_the_only_thing_on_stdout(tender, code, confirmed_missions):
    result = run("check", "--tender", tender, "--json", data=confirmed_missions)
    assert result.exit_code == code
    assert result.stderr == ""
    document = json.loads(result.stdout)
    assert document["version"] == 1 and document["command"] == "check"
    assert document["passed"] is (code == 0)
    assert set(document) >= {"query", "wanted", "candidates", "selected", "items", "coverage", "uncoverable"}
    for item in document["items"]:
        assert set(item) >= {"code", "ok", "mission", "competency", "required", "found", "message",
                             "name", "status", "passed", "detail", "advice"}
    if code:
        assert document["uncoverable"] == ["coordination"]
        assert document["coverage"]["coordination"]["est-ensemble-amo-npru"] == 3


def test_check_output_parses_with_json_tool(confirmed_missions):
    # The "done when": refcli check --tender ... --json | python -m json.tool
    check = subprocess.run([sys.executable, "-m", "refcli", "check", "--tender", PASSING, "--json",
                            "--data", str(confirmed_missions)], capture_output=True, check=False)
    assert check.returncode == 0, check.stderr
    parsed = subprocess.run([sys.executable, "-m", "json.tool"], input=check.stdout, capture_output=True, check=False)
    assert parsed.returncode == 0


def _bad_tenders(tmp_path):
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('title = "AMO"\n[competencies]\nconcertaton_x = 2\n', encoding="utf-8")
    future = tmp_path / "future.toml"
    future.write_text('title = "AMO"\n[window]\nsince = 2999\n', encoding="utf-8")
    broken = tmp_path / "broken.toml"
    broken.write_text('title = "AMO\n', encoding="utf-8")
    return {"unknown competency": (unknown, "unknown competency"),
            "window in the future": (future, "in the future"),
            "not TOML": (broken, "TOML syntax error")}


@pytest.mark.parametrize("case", ["unknown competency", "window in the future", "not TOML"])
@pytest.mark.parametrize("as_json", [False, True])
def test_bad_tender_is_one_line_and_exit_2_never_half_a_document(tmp_path, case, as_json):
    tender, message = _bad_tenders(tmp_path)[case]
    result = run("check", "--tender", str(tender), *(["--json"] if as_json else []))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {tender}") and message in result.stderr
    assert result.stderr.count("\n") == 1


def test_cover_finds_a_covering_set_where_the_top_n_does_not(write_library):
    library = write_library({
        "alpha": record_text("alpha", "Concertation des habitants", keywords=("concertation",),
                             components="concertation = 5"),
        "beta": record_text("beta", "Concertation et maison du projet", keywords=("concertation",),
                            components="concertation = 4"),
        "gamma": record_text("gamma", "Montage financier", components="finance = 4"),
    })
    options = ["concertation", "-c", "concertation:3", "-c", "finance:3", "-n", "2", "--data", str(library.folder),
               "--json"]
    top = json.loads(CliRunner().invoke(app, ["search", *options]).stdout)
    assert [item["id"] for item in top["results"]] == ["alpha", "beta"]
    result = CliRunner().invoke(app, ["search", *options, "--cover"])
    assert result.exit_code == 0
    covered = json.loads(result.stdout)
    assert [item["id"] for item in covered["results"]] == ["alpha", "gamma"]
    assert covered["coverage"] == {"concertation": {"alpha": 5, "gamma": 0}, "finance": {"alpha": 0, "gamma": 4}}
    assert covered["uncovered"] == []
    table = CliRunner().invoke(app, ["search", *options[:-1], "--cover"])
    assert "Coverage: competencies by reference" in table.stdout and "Ingénierie financière ≥ 3 ✓" in table.stdout
    check = CliRunner().invoke(app, ["check", *options[:-1]])
    assert "✓ Ingénierie financière ≥ 3: covered by gamma (4)" in check.stdout  # check uses the cover too


@pytest.mark.parametrize("arguments", [
    ["validate"], ["list"], ["show", "est-ensemble-amo-npru"], ["search", "concertation"],
    ["check", "--tender", PASSING],
])
def test_every_result_command_prints_one_versioned_json_document(arguments, confirmed_missions):
    result = run(*arguments, "--json", data=confirmed_missions)
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["version"] == 1 and document["command"] == arguments[0]


def test_new_json_gives_the_path(tmp_path, library):
    result = CliRunner().invoke(app, [
        "new", "--data", str(library), "--json", "--no-input", "--title", "Diagnostic partagé",
        "--mission-type", "Etude", "--role", "titulaire", "--client", "Ville", "--start", "2020",
        "--city", "Bondy", "--stakes", "Enjeux.", "--content", "Entretiens"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["command"] == "new" and document["dry_run"] is False
    assert (library / f"{document['id']}.toml").exists() and document["path"].endswith(".toml")


def test_every_command_takes_quiet():
    import typer.main

    for name, command in typer.main.get_command(app).commands.items():
        for sub_name, sub_command in getattr(command, "commands", {}).items() or [(name, command)]:
            options = {option for parameter in sub_command.params for option in getattr(parameter, "opts", [])}
            assert "--quiet" in options, f"{name} {sub_name}"


@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {}])
def test_no_colour_codes_when_stdout_is_not_a_terminal(env):
    for arguments in (["check", "--tender", FAILING], ["search", "concertation", "--cover", "-c", "concertation"],
                      ["list"]):
        result = run(*arguments, env=env)
        assert "\x1b[" not in result.stdout and "\x1b[" not in result.stderr


def _script(tmp_path, tender, annex, data=MISSIONS):
    env = {**os.environ, "REFCLI": f"{sys.executable} -m refcli", "REFCLI_DATA": str(data)}
    return subprocess.run(["sh", str(ROOT / "examples" / "bid-checklist.sh"), str(tender), str(annex)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, check=False)


def test_the_checklist_script_builds_the_annex_only_when_the_check_passes(tmp_path, confirmed_missions):
    annex = tmp_path / "annexe.docx"
    shipped = _script(tmp_path, PASSING, annex)  # the shipped records' guesses are not confirmed yet
    assert shipped.returncode == 1 and "values not on the fiche" in shipped.stdout and not annex.exists()
    passed = _script(tmp_path, PASSING, annex, data=confirmed_missions)
    assert passed.returncode == 0, passed.stderr
    assert "check passed" in passed.stdout
    text = "\n".join(paragraph.text for paragraph in docx.Document(str(annex)).paragraphs)
    assert "AMO en vue de la coordination" in text and "AMO pour la mise en place de la concertation" in text

    refused = tmp_path / "refused.docx"
    failed = _script(tmp_path, FAILING, refused)
    assert failed.returncode == 1
    assert "✗ Coordination inter-chantiers ≥ 4" in failed.stdout
    assert "the check failed" in failed.stderr and not refused.exists()

    broken = tmp_path / "broken.toml"
    broken.write_text("title = \n", encoding="utf-8")
    errored = _script(tmp_path, broken, refused)
    assert errored.returncode == 2
    assert "TOML syntax error" in errored.stderr and not refused.exists()


def test_a_tender_text_s_rules_are_said_not_read_by_check_and_build_bid(tmp_path):
    # An RC's "trois références de moins de trois ans" reaches neither: they say so, and how to read them.
    text = str(ROOT / "examples" / "tender-object.txt")
    said = (f"warning: --tender-text {text}: its words are searched, its rules are not read (the number of "
            f"references, the window, the clients); 'refcli tender read {text}' drafts a tender file that states "
            "them, for --tender")
    assert said in " ".join(run("check", "--tender-text", text).stderr.split())
    built = run("build-bid", "--tender-text", text, "--out", str(tmp_path / "a.docx"))
    assert said in " ".join(built.stderr.split())
    assert "rules are not read" not in run("search", "--tender-text", text).stderr
    assert "rules are not read" not in run("check", "--tender", FAILING).stderr  # a tender file states them


def test_a_reference_whose_record_runs_after_this_year_fails_its_date_and_build_bid_says_so(data_copy, tmp_path):
    # A service not provided yet (or a typo in its years) is no reference: check fails its date, build-bid warns.
    year = datetime.date.today().year
    record = data_copy / "neuilly-sur-marne-amo-concertation.toml"
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace("end = 2017\n", "end = 2099\n", 1), encoding="utf-8")
    result = run("check", "--ids", "neuilly-sur-marne-amo-concertation", "--since", "2020", "--json", data=data_copy)
    assert result.exit_code == 1
    [date] = [item for item in json.loads(result.stdout)["items"] if item["code"] == "reference.date"]
    assert date["ok"] is False and date["detail"] == (f"date 2017\u00a0– 2099 (it ends in 2099, after this year "
                                                      f"({year}), and is not ongoing)")
    assert date["advice"] == ("correct period in neuilly-sur-marne-amo-concertation.toml: a mission not provided yet "
                              "is no reference (the year it ended, or ongoing = true for one under way)")
    built = run("build-bid", "--ids", "neuilly-sur-marne-amo-concertation", "--out", str(tmp_path / "a.docx"),
                data=data_copy)
    assert "it ends in 2099, after this year" in " ".join(built.stderr.split())
    record.write_text(text.replace("start = 2017\n", "start = 2098\nongoing = true\n", 1).replace(
        "end = 2017\n", "end = 2099\n", 1), encoding="utf-8")
    started = run("check", "--ids", "neuilly-sur-marne-amo-concertation", data=data_copy)
    assert started.exit_code == 1 and f"it starts in 2098, after this year ({year})" in " ".join(
        started.stdout.split())
    assert "after this year" not in run("check", "--ids", "est-ensemble-amo-npru", "--since", "2020").stdout


def test_a_rule_on_no_chosen_reference_is_not_said_to_pass(runner: CliRunner) -> None:
    """Nothing inside the window: the client-kind rule is not "✓ every chosen reference has a public client"."""
    result = runner.invoke(app, ["check", "concertation", "--client", "public", "--since", "2025", "--json",
                                 "--data", str(DATA / "missions")])
    assert result.exit_code == 1
    items = {item["code"]: item for item in json.loads(result.stdout)["items"]}
    assert items["window.count"]["status"] == "fail"
    assert (items["clients.kind"]["status"], items["clients.kind"]["detail"]) == ("info", "no reference chosen")


def test_a_shortfall_on_guessed_zeros_says_to_confirm_them(runner: CliRunner) -> None:
    result = runner.invoke(app, ["check", "-c", "concertation:1", "-n", "4", "--json", "--data",
                                 str(DATA / "missions")])
    assert result.exit_code == 1
    count = next(item for item in json.loads(result.stdout)["items"] if item["code"] == "window.count")
    assert count["advice"].startswith("confirm the levels of antony-point-etape-psl, bagneux-point-etape-cloture, "
                                      "est-ensemble-amo-npru, left out on a level 0 their fiches do not give")
