"""refcli import: the five seed fiches round-trip to the shipped records; bad inputs are reported, not half-written."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from refcli.cli.commands import app
from refcli.records.library import load_library
from refcli.records.serialize import mission_to_table
from tests.conftest import SEEDS, SHIPPED

# Which shipped record each seed fiche became by hand.
HAND_RECORDS = {
    "000_5e03a2e007223261.txt": "antony-point-etape-psl",
    "001_06b2f3a5be72f82a.txt": "bagneux-point-etape-cloture",
    "002_1969787204c58539.txt": "henin-carvin-projet-urbain-social",
    "003_b50c46daf8dba9a8.txt": "est-ensemble-amo-npru",
    "004_fcb185de9cc7444c.txt": "neuilly-sur-marne-amo-concertation",
}

# Keys the fiche text does not carry: the hand records inferred or chose them, and say so in [inferred]
# (the reasons differ: compared apart). keywords are editorial, population is taken from Antony's stakes.
EVERYWHERE = {"id", "keywords", "components", "client.category", "inferred"}
NOT_ON_THE_FICHE = {
    "antony-point-etape-psl": {"site.population"},  # population taken from the stakes
    "bagneux-point-etape-cloture": set(),
    "henin-carvin-projet-urbain-social": {"site.city"},  # the Site line names districts only
    "est-ensemble-amo-npru": {"site.city"},  # no Site line
    "neuilly-sur-marne-amo-concertation": {"site.city", "site.districts"},  # no Site line
}

# The hand records correct three words the PDF extraction broke; the importer keeps the text as written.
CORRECTIONS = {
    "bagneux-point-etape-cloture": [("stakes", "aujourd'hui ;achever", "aujourd'hui : achever")],
    "est-ensemble-amo-npru": [("stakes", "rassemblant ! communes", "rassemblant des communes"),
                              ("stakes", "au seir de", "au sein de")],
}


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _import(runner, files: list[Path], out: Path, *options: str):
    return runner.invoke(app, ["import", *map(str, files), "--out", str(out), *options])


def test_round_trip_agrees_with_the_shipped_records(runner, seeds, tmp_path: Path) -> None:
    out = tmp_path / "imported"
    result = _import(runner, seeds, out)
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 5
    assert "5 imported, 0 skipped, of 5 file(s)" in result.stderr

    imported = {Path(m.path).name: m for m in load_library(out).missions}
    hand = {m.id: m for m in load_library(SHIPPED).missions}
    assert len(imported) == 5
    for record in imported.values():
        origin = record.path.read_text(encoding="utf-8").splitlines()[0]
        seed = origin.removeprefix("# Imported by 'refcli import' from ").rstrip(".")
        expected_record = hand[HAND_RECORDS[seed]]
        got = _flatten(mission_to_table(record))
        expected = _flatten(mission_to_table(expected_record))
        for key, before, after in CORRECTIONS.get(expected_record.id, []):
            assert before in got[key], f"{seed}: the seed text no longer has {before!r}"
            got[key] = got[key].replace(before, after)
        excluded = EVERYWHERE | NOT_ON_THE_FICHE[expected_record.id]

        def compared(key: str, excluded: set[str] = excluded) -> bool:
            parts = key.split(".")
            return not any(".".join(parts[:length]) in excluded for length in range(1, len(parts) + 1))

        got_keys = {key for key in got if compared(key)}
        expected_keys = {key for key in expected if compared(key)}
        assert got_keys == expected_keys, seed
        for key in sorted(expected_keys):
            assert got[key] == expected[key], f"{seed}: {key}"
        # What the importer infers, the hand record marks too (one rule for the role); and the hand record
        # marks every value it holds that the fiche does not give.
        assert set(record.inferred) <= set(expected_record.inferred), seed
        assert ("role" in record.inferred) == ("role" in expected_record.inferred), seed
        guessed = {key for key in NOT_ON_THE_FICHE[expected_record.id] if key != "site.population"}
        guessed |= {f"components.{component}" for component in expected_record.components}
        guessed |= {"client.kind"} | ({"client.category"} if expected_record.client.category else set())
        assert guessed <= set(expected_record.inferred), seed


def test_the_cli_done_criterion(runner, seeds, tmp_path: Path) -> None:
    out = tmp_path / "x"
    assert _import(runner, seeds, out).exit_code == 0
    result = runner.invoke(app, ["validate", "--data", str(out)])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "5 valid record(s), 0 invalid" in result.stderr


def test_report_says_what_was_empty_and_inferred(runner, seeds, tmp_path: Path) -> None:
    result = _import(runner, [seeds[3]], tmp_path / "out")
    assert result.exit_code == 0
    empty = "empty on the fiche, left out: Coût du projet, Programme, Acteurs, Composantes de la mission"
    assert empty in result.stderr
    assert "role: the fiche names no mandataire (the team lists Philippe Basseti, FCL beside the firm)" in result.stderr
    assert "components: fill state unknown, set levels by hand" in result.stderr
    text = Path(result.stdout.strip()).read_text(encoding="utf-8")
    assert '\n[inferred]\nrole = "the fiche names no mandataire' in text
    assert '"client.kind" = "the fiche does not say it' in text
    assert "[amounts.project]" not in text and "programme = " not in text


def test_json_report(runner, seeds, tmp_path: Path) -> None:
    result = _import(runner, seeds[:2], tmp_path / "out", "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["command"] == "import"
    assert [file["status"] for file in document["files"]] == ["imported", "imported"]
    assert document["files"][0]["id"] == "point-d-etape-et-plan-strategique-local-d-antony"


def test_dry_run_writes_nothing(runner, seeds, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _import(runner, seeds, out, "--dry-run")
    assert result.exit_code == 0
    assert not out.exists()
    assert result.stdout.count("# ==> ") == 5
    assert 'title = "Point d\'Etape de clôture de Bagneux"' in result.stdout
    assert "5 checked, 0 skipped" in result.stderr


def test_never_overwrites_without_force(runner, seeds, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _import(runner, seeds[:1], out).exit_code == 0
    record = next(out.glob("*.toml"))
    record.write_text(record.read_text(encoding="utf-8").replace("Capitalisation", "Edited by hand"), encoding="utf-8")
    again = _import(runner, seeds[:1], out)
    assert again.exit_code == 1
    assert again.stdout == ""
    assert "skipped, nothing written" in again.stderr and "pass --force" in again.stderr
    assert "Edited by hand" in record.read_text(encoding="utf-8")
    forced = _import(runner, seeds[:1], out, "--force")
    assert forced.exit_code == 0
    assert "Edited by hand" not in record.read_text(encoding="utf-8")
    assert sorted(path.name for path in out.iterdir()) == [record.name]


def test_an_id_another_file_uses_is_left_to_it(runner, seeds, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.toml").write_text('id = "point-d-etape-de-cloture-de-bagneux"\n', encoding="utf-8")
    result = _import(runner, [seeds[1]], out, "--force")
    assert result.exit_code == 0, result.stderr
    assert sorted(path.name for path in out.iterdir()) == ["mine.toml", "point-d-etape-de-cloture-de-bagneux-2.toml"]
    assert (out / "mine.toml").read_text(encoding="utf-8") == 'id = "point-d-etape-de-cloture-de-bagneux"\n'
    assert 'id = "point-d-etape-de-cloture-de-bagneux-2"' in (
        out / "point-d-etape-de-cloture-de-bagneux-2.toml").read_text(encoding="utf-8")


def test_namesakes_in_one_run_each_get_a_record(runner, seeds, tmp_path: Path) -> None:
    # Same title, other years (or another lot): two missions, two records; --force replaces neither with the other.
    text = seeds[0].read_text(encoding="utf-8")
    assert "Années : 2012 (8 mois)" in text
    later = tmp_path / "later.txt"
    later.write_text(text.replace("Années : 2012 (8 mois)", "Années : 2019 - 2020"), encoding="utf-8")
    lots = []
    for number in (1, 2):
        lot = tmp_path / f"lot{number}.txt"
        lot.write_text(text.replace("Point d'Etape et Plan Stratégique Local d'Antony",
                                    f"Etude urbaine du quartier Nord - Lot {number}"), encoding="utf-8")
        lots.append(lot)
    for options in ([], ["--force"]):
        out = tmp_path / f"out{len(options)}"
        result = _import(runner, [seeds[0], later, *lots], out, *options)
        assert result.exit_code == 0, result.stderr
        assert "4 imported" in result.stderr
        records = sorted(out.glob("*.toml"))
        assert len(records) == 4
        years = sorted(re.search(r"start = (\d+)", path.read_text(encoding="utf-8"))[1] for path in records)
        assert years == ["2012", "2012", "2012", "2019"]


def test_force_replaces_the_duplicate_s_own_record_never_its_namesake_s(runner, seeds, tmp_path: Path) -> None:
    # The 2019 mission holds the title's id; the 2012 one, imported next, gets "-2". Importing the 2012 fiche again
    # with --force replaces "-2", its own record, and leaves the 2019 mission's record as it was.
    text = seeds[0].read_text(encoding="utf-8")
    later = tmp_path / "later.txt"
    later.write_text(text.replace("Années : 2012 (8 mois)", "Années : 2019 - 2020"), encoding="utf-8")
    out = tmp_path / "out"
    assert _import(runner, [later], out).exit_code == 0
    assert _import(runner, [seeds[0]], out).exit_code == 0
    first, second = sorted(out.glob("*.toml"), key=lambda path: len(path.name))
    assert second.name == first.stem + "-2.toml"
    kept = first.read_text(encoding="utf-8")
    assert "start = 2019" in kept
    second.write_text(second.read_text(encoding="utf-8").replace("Capitalisation", "Edited by hand"), encoding="utf-8")
    forced = _import(runner, [seeds[0]], out, "--force")
    assert forced.exit_code == 0, forced.stderr
    assert sorted(out.glob("*.toml")) == sorted([first, second])
    assert first.read_text(encoding="utf-8") == kept
    replaced = second.read_text(encoding="utf-8")
    assert "Edited by hand" not in replaced and "start = 2012" in replaced
    assert f'id = "{second.stem}"' in replaced


def test_bad_inputs_are_reported_and_the_others_imported(runner, seeds, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    letter = bad / "letter.txt"
    letter.write_text("Bonjour,\nvoici le compte rendu de la réunion.\n", encoding="utf-8")
    corrupt = bad / "corrupt.docx"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip")
    amount = bad / "amount.md"
    amount.write_text(SEEDS.joinpath("000_5e03a2e007223261.txt").read_text(encoding="utf-8")
                      .replace("167 millions € TTC", "à préciser"), encoding="utf-8")
    out = tmp_path / "out"
    result = _import(runner, [letter, seeds[1], corrupt, amount, seeds[2]], out)
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 2
    assert f"{letter}: skipped, nothing written:\n  - no recognised label" in result.stderr
    assert f"{corrupt}: skipped, nothing written:\n  - cannot read: not a readable Word document" in result.stderr
    assert f"{amount}: skipped, nothing written:\n  - Montant du projet: cannot read the amount 'à préciser'" \
        in result.stderr
    assert "2 imported, 3 skipped, of 5 file(s)" in result.stderr
    assert sorted(path.name for path in out.iterdir()) == [
        "etude-de-definition-du-projet-urbain-et-social-du-sud-ouest.toml", "point-d-etape-de-cloture-de-bagneux.toml"]


def test_a_fiche_without_required_fields_is_not_written(runner, tmp_path: Path) -> None:
    fiche = tmp_path / "short.txt"
    fiche.write_text("Une mission\n\nType de mission : Conseil\nAnnées : 2015\n", encoding="utf-8")
    result = _import(runner, [fiche], tmp_path / "out")
    assert result.exit_code == 1
    assert "client.name: missing required key (a string) (no 'Maître d'ouvrage' on the fiche)" in result.stderr
    assert "stakes: missing required key" in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_unsupported_file_type(runner, tmp_path: Path) -> None:
    pdf = tmp_path / "fiche.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    result = _import(runner, [pdf], tmp_path / "out")
    assert result.exit_code == 1
    assert "unsupported file type '.pdf'" in result.stderr


def test_missing_file_is_a_usage_error(runner, tmp_path: Path) -> None:
    result = _import(runner, [tmp_path / "nope.txt"], tmp_path / "out")
    assert result.exit_code == 2
    assert result.stdout == ""


def test_markdown_copy_of_a_seed(runner, tmp_path: Path) -> None:
    fiche = tmp_path / "bagneux.md"
    shutil.copy(SEEDS / "001_06b2f3a5be72f82a.txt", fiche)
    result = _import(runner, [fiche], tmp_path / "out", "--dry-run")
    assert result.exit_code == 0
    assert "population = 38495" in result.stdout


def test_docx_fiche(runner, tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Diagnostic social du quartier des Pins", level=1)
    document.add_paragraph("Ville de Sarcelles")
    document.add_paragraph("Type de mission : Accompagnement social")
    document.add_paragraph("Maître d'ouvrage : Ville de Sarcelles")
    document.add_paragraph("Années : 2019 - en cours")
    document.add_paragraph("Site : Sarcelles (57 000 habitants), quartier des Pins")
    document.add_paragraph("Equipe : Perspectives Urbaines et Sociales (mandataire) et Atelier Dupont")
    document.add_paragraph("Montant de la mission : 45 000 € HT")
    document.add_paragraph("Enjeux de la mission")
    document.add_paragraph("Un quartier en mutation.")
    document.add_paragraph("Contenu de la mission")
    document.add_paragraph("▶ Entretiens")
    document.add_paragraph("▶ Ateliers")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Sources"
    table.rows[0].cells[1].text = "Ville de Sarcelles"
    path = tmp_path / "sarcelles.docx"
    document.save(str(path))
    out = tmp_path / "out"
    result = _import(runner, [path], out)
    assert result.exit_code == 0, result.stderr
    mission = load_library(out).missions[0]
    assert mission.title == "Diagnostic social du quartier des Pins"
    assert mission.role == "mandataire"
    assert mission.period.ongoing and mission.period.start == 2019
    assert mission.site.population == 57000
    assert mission.fee.value == 45000 and mission.fee.basis == "HT"
    assert mission.content == ("Entretiens", "Ateliers")
    assert mission.sources == "Ville de Sarcelles"
    assert mission.id == "diagnostic-social-du-quartier-des-pins-sarcelles"


@pytest.mark.parametrize("count", [5])
def test_no_temporary_files_left(runner, seeds, tmp_path: Path, count: int) -> None:
    out = tmp_path / "out"
    _import(runner, seeds[:count], out)
    assert not [path for path in out.iterdir() if path.name.startswith(".")]


def test_progress_bar_in_a_terminal(runner, seeds, tmp_path: Path, monkeypatch) -> None:
    from rich.console import Console

    import refcli.cli.output

    monkeypatch.setattr(refcli.cli.output, "stderr_console",
                        lambda: Console(stderr=True, force_terminal=True, soft_wrap=True, highlight=False))
    result = _import(runner, seeds, tmp_path / "out")
    assert result.exit_code == 0
    assert "Importing" in result.stderr or "\x1b[" in result.stderr
    assert len(list((tmp_path / "out").glob("*.toml"))) == 5


def test_a_fiche_already_in_the_library_is_skipped_with_the_existing_path(runner, seeds, library_folder) -> None:
    before = sorted(path.name for path in library_folder.iterdir())
    result = _import(runner, seeds, library_folder)
    assert result.exit_code == 1
    assert sorted(path.name for path in library_folder.iterdir()) == before  # no duplicate written
    assert (f"already in the library as {library_folder / 'neuilly-sur-marne-amo-concertation.toml'} "
            "(same title, client and years); pass --force to replace that record with this fiche") in result.stderr
    assert "0 imported, 5 skipped, of 5 file(s)" in result.stderr
    forced = _import(runner, seeds[4:], library_folder, "--force")
    assert forced.exit_code == 0 and "1 imported" in forced.stderr


def test_duplicates_are_found_with_accents_and_case_folded(runner, seeds, library_folder, tmp_path) -> None:
    text = seeds[4].read_text(encoding="utf-8")
    text = text.replace("AMO pour la mise en place de la concertation via la création",
                        "AMO POUR LA MISE EN PLACE DE LA CONCERTATION VIA LA CREATION")
    text = text.replace("Maître d'ouvrage: Ville de Neuilly-sur-Marne", "Maître d'ouvrage: ville de neuilly sur marne")
    shouting = tmp_path / "neuilly.txt"
    shouting.write_text(text, encoding="utf-8")
    assert "already in the library as" in _import(runner, [shouting], library_folder).stderr
    another_year = tmp_path / "neuilly-2019.txt"
    another_year.write_text(text.replace("Année: 2017", "Année: 2019"), encoding="utf-8")
    result = _import(runner, [another_year], library_folder)
    assert result.exit_code == 0 and "1 imported" in result.stderr  # another mission: same title, other years


def test_the_same_fiche_twice_in_one_run_is_imported_once(runner, seeds, tmp_path) -> None:
    copy = tmp_path / "copy.txt"
    shutil.copy(seeds[0], copy)
    result = _import(runner, [seeds[0], copy], tmp_path / "out")
    assert result.exit_code == 1
    assert "1 imported, 1 skipped" in result.stderr and "already in the library as" in result.stderr


def test_an_out_folder_that_cannot_be_made_is_the_command_s_error(runner, seeds, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    result = _import(runner, seeds[:1], blocker / "out")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {blocker / 'out'}: cannot create the folder: ")


def test_import_takes_the_client_kind_in_french(runner, seeds, tmp_path: Path) -> None:
    result = _import(runner, seeds[:1], tmp_path / "out", "--client-kind", "privé")
    assert result.exit_code == 0, result.stderr
    assert [mission.client.kind for mission in load_library(tmp_path / "out").missions] == ["private"]
    refused = _import(runner, seeds[:1], tmp_path / "other", "--client-kind", "mixte")
    assert (refused.exit_code, refused.stderr) == (2, "error: --client-kind: 'mixte': expected public or private\n")
    assert not (tmp_path / "other").exists()


@pytest.mark.parametrize("signal_name", ["Ctrl-C", "SIGTERM"])
def test_an_interrupted_import_says_which_records_it_wrote(runner, seeds, tmp_path: Path, monkeypatch,
                                                            signal_name: str) -> None:
    """Ctrl-C between two fiches, or SIGTERM in the third record's write: the two written are named, whole."""
    import refcli.authoring.author
    import refcli.authoring.fiche
    from refcli.errors import Interrupted

    out = tmp_path / "out"
    ids = [report["id"] for report in json.loads(_import(runner, seeds, tmp_path / "dry", "--dry-run",
                                                         "--json").stdout)["files"]]
    if signal_name == "Ctrl-C":
        read = refcli.authoring.fiche.read_fiche_text
        calls = []

        def reading(path):
            calls.append(path)
            if len(calls) == 3:
                raise KeyboardInterrupt
            return read(path)

        monkeypatch.setattr(refcli.authoring.fiche, "read_fiche_text", reading)
    else:
        write = refcli.authoring.author.write_record_file
        written = []

        def writing(path, text, force=False):
            if len(written) == 2:
                raise Interrupted(f"{path}: interrupted (SIGTERM) while writing it; nothing written, the file is "
                                  "as it was", 143)
            written.append(path)
            write(path, text, force=force)

        monkeypatch.setattr(refcli.authoring.author, "write_record_file", writing)
    result = _import(runner, seeds, out)
    assert result.exit_code == (130 if signal_name == "Ctrl-C" else 143)
    assert sorted(path.stem for path in out.glob("*.toml")) == sorted(ids[:2])
    assert not [path for path in out.iterdir() if path.name.startswith(".")]
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    named = ", ".join(str(out / f"{record_id}.toml") for record_id in ids[:2])
    assert line.endswith(f"; written before it, whole: {named} (2 records); the other fiches were not imported")
    assert line.startswith("error: import: interrupted (Ctrl-C)" if signal_name == "Ctrl-C" else
                           f"error: {out / ids[2]}.toml: interrupted (SIGTERM) while writing")
