"""The contract for scripts: every command's --json output, on the shipped data and the example tenders, against
the JSON Schemas shipped in refcli/cli/schemas; the checklist script of docs/checklists.md run on it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from typer.testing import CliRunner

from refcli.cli.commands import app
from refcli.search.check import CODES
from tests.conftest import ROOT, SEED_IDS, SEEDS

SCHEMAS = ROOT / "refcli" / "cli" / "schemas"
TENDERS = sorted((ROOT / "examples").glob("tender-*.toml"))
SCRIPT = ROOT / "examples" / "checklist.py"


def _schemas() -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(SCHEMAS.glob("*.json"))}


REGISTRY = Registry().with_resources(
    (schema["$id"], Resource.from_contents(schema)) for schema in _schemas().values())


def _validator(command: str) -> Draft202012Validator:
    return Draft202012Validator(_schemas()[command.replace(" ", "-")], registry=REGISTRY)


def _run(arguments: list[str], data: Path, codes: tuple[int, ...] = (0,)) -> dict:
    result = CliRunner().invoke(app, [*arguments, "--json", "--data", str(data)])
    assert result.exit_code in codes, (arguments, result.stderr)
    document = json.loads(result.stdout)
    errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
              for error in _validator(document["command"]).iter_errors(document)]
    assert not errors, (arguments, errors[:5])
    return document


def test_every_schema_is_a_valid_draft_2020_12_schema():
    for name, schema in _schemas().items():
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", name
        Draft202012Validator.check_schema(schema)


def test_every_command_with_json_has_a_schema():
    with_json = set()
    for name, command in typer.main.get_command(app).commands.items():
        for sub_name, sub_command in getattr(command, "commands", {}).items() or [(None, command)]:
            if any("--json" in getattr(parameter, "opts", []) for parameter in sub_command.params):
                with_json.add(f"{name}-{sub_name}" if sub_name else name)
    assert with_json == set(_schemas()) - {"reference", "query", "refusal"}


def test_the_schema_names_every_check_code():
    assert _schemas()["check"]["properties"]["items"]["items"]["properties"]["code"]["enum"] == list(CODES)


def test_validate_list_and_show_on_the_shipped_data(library_folder):
    assert _run(["validate"], library_folder)["valid"] == len(SEED_IDS)
    assert [mission["id"] for mission in _run(["list"], library_folder)["missions"]] == list(SEED_IDS)
    for mission_id in SEED_IDS:
        assert _run(["show", mission_id], library_folder)["mission"]["id"] == mission_id
    (library_folder / "broken.toml").write_text('id = "broken"\ntitle = 3\n', encoding="utf-8")
    document = _run(["validate"], library_folder, codes=(1,))
    assert document["invalid"] == 1 and {problem["key"] for problem in document["problems"]} >= {"title"}


def test_new_and_import_dry_runs(library_folder):
    document = _run(["new", "--dry-run", "--no-input", "--title", "Diagnostic", "--mission-type", "Etude", "--role",
                     "titulaire", "--client", "Ville", "--start", "2020", "--stakes", "Enjeux.", "--content", "Un.",
                     "-c", "concertation=2"], library_folder)
    assert document["dry_run"] is True and "concertation = 2" in document["toml"]
    fiches = [str(path) for path in sorted(SEEDS.glob("*.txt"))]
    document = _run(["import", "--dry-run", *fiches], library_folder, codes=(0, 1))
    assert len(document["files"]) == len(fiches)


def test_tender_read(library_folder):
    document = _run(["tender", "read", str(ROOT / "examples" / "tender-object.txt")], library_folder)
    assert document["fields"]["references"]["value"] == 3 and document["out"] is None


@pytest.mark.parametrize("tender", TENDERS, ids=lambda path: path.name)
def test_search_check_and_build_bid_on_every_example_tender(tender, library_folder, tmp_path):
    search = _run(["search", "--tender", str(tender)], library_folder)
    assert search["results"] and all(isinstance(result["score"], float) for result in search["results"])
    _run(["search", "--tender", str(tender), "--cover"], library_folder)
    check = _run(["check", "--tender", str(tender)], library_folder, codes=(0, 1))
    chosen = {reference["id"] for reference in check["selected"]}
    for item in check["items"]:
        assert item["ok"] == (item["status"] != "fail")
        if item["code"].startswith("reference."):
            assert item["mission"] in chosen, item
        if item["code"] == "competency.level":
            assert item["competency"] in check["query"]["competencies"]
            assert item["ok"] == (item["found"] >= item["required"]), item
    since = check["query"]["since"]
    for reference in check["selected"]:
        assert reference["in_window"] == (since is None or reference["end"] >= since or reference["ongoing"])
    annex = _run(["build-bid", "--tender", str(tender), "--allow-outside-window", "--out",
                  str(tmp_path / "annexe.docx")], library_folder)
    assert {reference["id"] for reference in annex["references"]} <= {result["id"] for result in search["results"]}


def test_hand_picked_references_have_no_score(library_folder, tmp_path):
    check = _run(["check", "--ids", "antony-point-etape-psl", "--years", "3"], library_folder, codes=(1,))
    [reference] = check["selected"]
    assert reference["score"] is None and reference["in_window"] is False
    annex = _run(["build-bid", "--ids", "antony-point-etape-psl", "--out", str(tmp_path / "a.docx")], library_folder)
    assert annex["references"][0]["score"] is None and annex["references"][0]["in_window"] is True
    rebuilt = _run(["check", "--from", str(tmp_path / "a.refcli.toml")], library_folder, codes=(0, 1))
    assert rebuilt["selected"][0]["id"] == "antony-point-etape-psl"


def test_a_reference_says_which_values_are_not_on_the_fiche(library_folder):
    [neuilly] = _run(["search", "maison du projet", "-n", "1"], library_folder)["results"]
    assert neuilly["id"] == "neuilly-sur-marne-amo-concertation"
    assert neuilly["fee"] == {"value": 29340, "currency": "EUR", "basis": None, "scope": "tranche ferme",
                              "confirmed": True}
    assert neuilly["client_kind_confirmed"] is False and "client.kind" in neuilly["unconfirmed"]
    [antony] = _run(["search", "plan stratégique local", "-n", "1"], library_folder)["results"]
    assert antony["fee"] is None and antony["project_amount"]["scope"] == "project"


def test_a_document_missing_a_contract_key_fails_its_schema(library_folder):
    document = _run(["check", "--tender", str(TENDERS[0])], library_folder, codes=(0, 1))
    validator = _validator("check")
    del document["items"][0]["code"]
    assert not validator.is_valid(document)
    document = _run(["check", "--tender", str(TENDERS[0])], library_folder, codes=(0, 1))
    document["items"][0]["code"] = "window.size"
    assert not validator.is_valid(document)
    document = _run(["check", "--tender", str(TENDERS[0])], library_folder, codes=(0, 1))
    del document["selected"][0]["in_window"]
    assert not validator.is_valid(document)


def _checklist(document: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT)], input=json.dumps(document), capture_output=True, text=True,
                          cwd=tmp_path, check=False)


def test_the_checklist_script_blocks_on_codes_and_ids(library_folder, tmp_path):
    failing = _run(["check", "--tender", str(ROOT / "examples" / "tender-coordination.toml")], library_folder,
                   codes=(1,))
    script = _checklist(failing, tmp_path)
    assert script.returncode == 1, script.stderr
    lines = script.stdout.splitlines()
    assert "BLOCK window.count 1/4" in lines
    assert "BLOCK competency.level coordination 3/4" in lines
    assert "BLOCK competency.level gup 0/2" in lines  # covered only outside the window
    assert "BLOCK reference.client_kind est-ensemble-amo-npru" in lines


def test_the_checklist_script_lets_a_met_tender_go(confirmed_missions, tmp_path):
    tender = str(ROOT / "examples" / "tender-amo-npru.toml")
    passing = _run(["check", "--tender", tender], confirmed_missions)
    script = _checklist(passing, tmp_path)
    assert (script.returncode, script.stdout) == (0, "")
    annex = _run(["build-bid", "--tender", tender, "--cover", "--out", str(tmp_path / "annexe.docx")],
                 confirmed_missions)
    assert (_checklist(annex, tmp_path).returncode, _checklist(annex, tmp_path).stdout) == (0, "")


def test_the_checklist_script_names_build_bid_references_out_of_the_window(library_folder, tmp_path):
    annex = _run(["build-bid", "--tender", str(ROOT / "examples" / "tender-coordination.toml"),
                  "--allow-outside-window", "--out", str(tmp_path / "annexe.docx")], library_folder)
    script = _checklist(annex, tmp_path)
    assert script.returncode == 1
    assert "BLOCK out-of-window henin-carvin-projet-urbain-social 2013" in script.stdout.splitlines()


def test_a_refusal_to_write_is_a_document_the_checklist_blocks_on(library_folder, tmp_path):
    # It exited 1 with nothing on stdout: the checklist script then said "not the JSON of refcli" and exited 2.
    tender = str(ROOT / "examples" / "tender-coordination.toml")
    refused = _run(["build-bid", "--tender", tender, "--out", str(tmp_path / "annexe.docx")], library_folder,
                   codes=(1,))
    assert refused["command"] == "build-bid" and not (tmp_path / "annexe.docx").exists()
    assert {key: refused["refused"][key] for key in ("code", "missions", "required", "found")} == {
        "code": "window.count", "missions": ["est-ensemble-amo-npru"], "required": 4, "found": 1}
    script = _checklist(refused, tmp_path)
    assert (script.returncode, script.stdout) == (1, "BLOCK refused window.count est-ensemble-amo-npru 1/4\n")
    picked = _run(["build-bid", "--ids", "antony-point-etape-psl", "--since", "2020", "--out",
                   str(tmp_path / "annexe.docx")], library_folder, codes=(1,))
    assert (picked["refused"]["code"], picked["refused"]["missions"]) == ("window.outside", ["antony-point-etape-psl"])
    written = _run(["build-bid", "--ids", "antony-point-etape-psl", "--out", str(tmp_path / "annexe.docx")],
                   library_folder)
    record = Path(written["selection_record"])
    path = library_folder / "antony-point-etape-psl.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("Antony", "Antony ", 1), encoding="utf-8")
    for command in (["check", "--from", str(record)], ["build-bid", "--from", str(record), "--force"]):
        changed = _run(command, library_folder, codes=(1,))
        assert (changed["command"], changed["refused"]["code"]) == (command[0], "selection.changed")


def test_the_checklist_script_refuses_what_is_not_a_refcli_document(tmp_path):
    script = subprocess.run([sys.executable, str(SCRIPT)], input="not json", capture_output=True, text=True,
                            check=False)
    assert script.returncode == 2 and script.stderr.startswith("checklist: not the JSON of refcli check or build-bid")


def test_template_check_and_adopt(tmp_path):
    from docx import Document

    letterhead = tmp_path / "firm.docx"
    Document().save(letterhead)
    runs = [(["template", "check", str(ROOT / "templates" / "perspectives-urbaines.docx")], 0),
            (["template", "check", str(letterhead)], 1),
            (["template", "adopt", str(letterhead), "--out", str(tmp_path / "firm-refcli.docx")], 0)]
    for arguments, code in runs:
        result = CliRunner().invoke(app, [*arguments, "--json"])
        assert result.exit_code == code, (arguments, result.stderr)
        document = json.loads(result.stdout)
        errors = [error.message for error in _validator(document["command"]).iter_errors(document)]
        assert not errors, (arguments, errors)
    assert document["added"] and not document["kept"]


def test_the_coverage_says_which_levels_are_guesses(library_folder) -> None:
    """The matrix draws a guessed level with a *; its JSON gave bare integers, a guessed 0 as a fact."""
    runner = CliRunner()
    arguments = ["--tender", str(ROOT / "examples" / "tender-concertation.toml"), "--json",
                 "--data", str(library_folder)]
    document = json.loads(runner.invoke(app, ["check", *arguments]).stdout)
    assert document["coverage"]["concertation"]["est-ensemble-amo-npru"] == 0
    assert "est-ensemble-amo-npru" in document["coverage_guessed"]["concertation"]
    est = library_folder / "est-ensemble-amo-npru.toml"
    est.write_text("\n".join(line for line in est.read_text(encoding="utf-8").splitlines()
                             if not line.startswith(("components =", '"components.'))) + "\n", encoding="utf-8")
    document = json.loads(runner.invoke(app, ["check", *arguments]).stdout)
    assert document["coverage_guessed"]["concertation"] == ["neuilly-sur-marne-amo-concertation"]
    searched = json.loads(runner.invoke(app, ["search", "--cover", *arguments]).stdout)
    assert searched["coverage_guessed"].keys() == searched["coverage"].keys()


def test_an_explanation_found_only_in_guessed_levels_says_so(library_folder) -> None:
    """--explain marks "composantes [not on the fiche]"; the JSON entries of the same words carried no flag."""
    runner = CliRunner()

    def components(document: dict, mission_id: str) -> list[bool]:
        result = next(result for result in document["results"] if result["id"] == mission_id)
        return [entry["guessed"] for entry in result["explanation"] if entry["field"] == "components"]

    arguments = ["search", "concertation", "--json", "--data", str(library_folder)]
    document = json.loads(runner.invoke(app, arguments).stdout)
    assert components(document, "henin-carvin-projet-urbain-social") == [True]
    assert not any(entry["guessed"] for result in document["results"] for entry in result["explanation"]
                   if entry["field"] in ("title", "keywords", "stakes", "content"))
    henin = library_folder / "henin-carvin-projet-urbain-social.toml"
    henin.write_text("\n".join(line for line in henin.read_text(encoding="utf-8").splitlines()
                               if not line.startswith(("components =", '"components.'))) + "\n", encoding="utf-8")
    document = json.loads(runner.invoke(app, arguments).stdout)
    assert components(document, "henin-carvin-projet-urbain-social") == [False]
