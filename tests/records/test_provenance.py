"""Values not on the fiche ([inferred]): validated, marked by show, left out of the annex, one rule for the role."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import docx
import pytest
from typer.testing import CliRunner

from refcli.authoring.fiche import infer_role
from refcli.cli.commands import app
from refcli.records.browse import reference_json
from refcli.records.load import RawRecord
from refcli.records.provenance import confirmed_mission, describe_unconfirmed
from refcli.records.validate import validate_record
from refcli.records.vocabulary import load_vocabulary
from tests.conftest import MINIMAL_RECORD, ROOT, SHIPPED_MISSIONS, document_text


def mission_of(text: str, tmp_path: Path):
    import tomllib

    result = validate_record(RawRecord(tmp_path / "x.toml", tomllib.loads(text)), load_vocabulary(SHIPPED_MISSIONS),
                             tmp_path)
    assert not isinstance(result, list), [str(problem) for problem in result]
    return result


def test_the_shipped_records_follow_the_importers_rule_for_the_role(shipped_library):
    for mission in shipped_library.missions:
        team = {"members": list(mission.team.members), "mandataire": mission.team.mandataire}
        role, reason = infer_role({key: value for key, value in team.items() if value})
        assert role == mission.role, mission.id
        assert (reason is not None) == ("role" in mission.inferred), mission.id


def test_the_shipped_records_mark_what_their_fiches_do_not_give(shipped_library):
    est_ensemble = shipped_library.get("est-ensemble-amo-npru")
    neuilly = shipped_library.get("neuilly-sur-marne-amo-concertation")
    assert est_ensemble.role == neuilly.role == "titulaire"  # no invented "mandataire"
    assert {"role", "site.city", "client.kind", "client.category"} <= set(est_ensemble.inferred)
    assert {"site.city", "site.districts"} <= set(neuilly.inferred)
    assert "site.city" in shipped_library.get("henin-carvin-projet-urbain-social").inferred
    assert "9 communes" not in est_ensemble.stakes
    for mission in shipped_library.missions:
        assert {f"components.{component}" for component in mission.components} <= set(mission.inferred)
        assert "client.kind" in mission.inferred and "client.category" in mission.inferred


def test_dotted_and_quoted_paths_read_the_same_and_components_resolve_to_ids(tmp_path):
    base = MINIMAL_RECORD.replace("[client]", '[components]\nConcertation = 3\n\n[client]') + '\n[site]\ncity = "X"\n'
    quoted = mission_of(base + '\n[inferred]\n"site.city" = "guessed"\n"components.Concertation" = "lost"\n',
                        tmp_path)
    dotted = mission_of(base + '\n[inferred]\nsite.city = "guessed"\ncomponents.concertation = "lost"\n', tmp_path)
    assert quoted.inferred == dotted.inferred == {"site.city": "guessed", "components.concertation": "lost"}


def test_confirmed_mission_leaves_out_what_is_not_on_the_fiche(tmp_path):
    text = MINIMAL_RECORD.replace("[client]", '[components]\nconcertation = 3\nconseil = 2\n\n[client]')
    text += '\n[amounts.fee]\nvalue = 10\nbasis = "HT"\n\n[amounts.project]\nvalue = 99\n'
    text += '\n[site]\ncity = "X"\ndistricts = ["Y"]\n'
    text += ('\n[inferred]\nrole = "r"\n"client.kind" = "k"\n"components.conseil" = "c"\n"amounts.fee.basis" = "b"\n'
             '"amounts.project.value" = "v"\nsite = "s"\n')
    mission = mission_of(text, tmp_path)
    stated = confirmed_mission(mission)
    assert stated.role is None and stated.client.kind is None and stated.client.name == "Ville d'Exemple"
    assert stated.components == {"concertation": 3}
    assert stated.fee.value == 10 and stated.fee.basis is None  # the basis alone is left out
    assert stated.project_amount is None  # without its value an amount says nothing
    assert stated.site.city is None and stated.site.districts == ()
    assert stated.inferred == {} and mission.role == "titulaire"  # the record itself is unchanged
    assert describe_unconfirmed(list(mission.inferred)) == ("role, client.kind, amounts.fee.basis, "
                                                            "amounts.project.value, site, components (1 level)")


@pytest.mark.parametrize(("inferred", "confirmed"), [
    ("", True), ('"amounts.fee.basis" = "b"', True), ('"amounts.fee.scope" = "s"', True),
    ('"amounts.fee" = "f"', False), ('"amounts.fee.value" = "v"', False), ('amounts = "a"', False),
])
def test_a_fee_whose_basis_alone_is_a_guess_is_a_confirmed_amount(tmp_path, inferred: str, confirmed: bool):
    """What the JSON says of a fee is what the annex states: it prints the amount without a guessed basis."""
    text = MINIMAL_RECORD + '\n[amounts.fee]\nvalue = 10\nbasis = "HT"\nscope = "mission"\n'
    mission = mission_of(text + (f"\n[inferred]\n{inferred}\n" if inferred else ""), tmp_path)
    reference = reference_json(mission, in_window=True)
    assert reference["fee"]["confirmed"] is confirmed
    assert (confirmed_mission(mission).fee is not None) is confirmed
    assert ("amounts.fee.basis" in reference["unconfirmed"]) is ("basis" in inferred)


def test_show_marks_the_values_not_on_the_fiche(library_folder):
    result = CliRunner().invoke(app, ["show", "neuilly-sur-marne-amo-concertation", "--data", str(library_folder)])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("Rôle") and "titulaire [not on the fiche]" in line for line in lines)
    assert any("Concertation [not on the fiche]" in line for line in lines)
    assert not any("Type de mission" in line and "[not on the fiche]" in line for line in lines)
    assert any(line.startswith("components.concertation: la fiche liste les douze composantes sans marque")
               for line in lines)
    shown = CliRunner().invoke(app, ["show", "neuilly-sur-marne-amo-concertation", "--json", "--data",
                                     str(library_folder)])
    mission = json.loads(shown.stdout)["mission"]
    assert mission["inferred"]["site.city"].startswith("la fiche n'a pas de ligne Site")
    assert mission["amounts"]["fee"] == {"value": 29340, "currency": "EUR", "scope": "tranche ferme",
                                         "as_written": "29 340 € (TF)"}


def test_the_cache_keeps_provenance_and_scope(library_folder, cache_dir):
    for _ in range(2):  # the first run writes the cache, the second reads it
        shown = CliRunner().invoke(app, ["show", "neuilly-sur-marne-amo-concertation", "--json", "--data",
                                         str(library_folder)])
        mission = json.loads(shown.stdout)["mission"]
        assert "components.concertation" in mission["inferred"]
        assert mission["amounts"]["fee"]["scope"] == "tranche ferme"


def test_the_readmes_first_command_states_no_value_the_fiches_do_not_give(tmp_path):
    # README: refcli build-bid --tender examples/tender-concertation.toml --out annexe.docx
    result = subprocess.run([sys.executable, "-m", "refcli", "build-bid", "--tender",
                             str(ROOT / "examples" / "tender-concertation.toml"), "--out", "annexe.docx"],
                            cwd=tmp_path, capture_output=True, text=True, check=False,
                            env={"REFCLI_DATA": str(SHIPPED_MISSIONS), "PATH": "/usr/bin:/bin",
                                 "REFCLI_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode == 0, result.stderr
    assert "left out of est-ensemble-amo-npru, not on its fiche ([inferred]): role" in result.stderr
    text = document_text(docx.Document(str(tmp_path / "annexe.docx")))
    for guess in ("Est Ensemble (Seine-Saint-Denis)", "9 communes", "| Rôle |", "mandataire", "— public",
                  "établissement public territorial)", "commune\n", "Fauvettes\n", "■", "□", "Lien avec le marché",
                  "hors taxes sauf mention contraire", "(TF)"):
        assert guess not in text, guess
    assert "29 340 € (tranche ferme, HT ou TTC non précisé)" in text.replace("\u202f", " ").replace("\u00a0", " ")
    assert (tmp_path / "annexe.refcli.toml").is_file()
