"""The selection record beside every annex: what it holds, --from rebuilding the same text, check --from and --ids."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import docx
import pytest
from typer.testing import CliRunner

from refcli import __version__
from refcli.annex.selection_record import git_state
from refcli.cli.commands import app
from tests.conftest import ROOT, document_text

TENDER = str(ROOT / "examples" / "tender-concertation.toml")
PASSING = str(ROOT / "examples" / "tender-amo-npru.toml")


def invoke(*arguments):
    return CliRunner().invoke(app, list(arguments))


def text_of(path: Path) -> str:
    return document_text(docx.Document(str(path)))


def test_the_record_names_the_tender_options_references_template_and_version(tmp_path, library_folder):
    out = tmp_path / "annexe.docx"
    result = invoke("build-bid", "--tender", TENDER, "--out", str(out), "--data", str(library_folder), "-q")
    assert result.exit_code == 0, result.stderr
    record = tomllib.loads((tmp_path / "annexe.refcli.toml").read_text(encoding="utf-8"))
    assert record["format"] == 1 and record["refcli"] == __version__ and record["annex"] == "annexe.docx"
    assert record["tender"]["sha256"] == hashlib.sha256(Path(TENDER).read_bytes()).hexdigest()
    assert (tmp_path / record["tender"]["path"]).resolve() == Path(TENDER).resolve()
    assert record["options"]["since"] == 2016 and record["options"]["limit"] == 2
    assert record["options"]["competencies"] == {"concertation": 4, "animation": 2, "conseil": 2}
    assert record["heading"]["buyer"] == "Ville de Montfermeil"
    ids = [reference["id"] for reference in record["references"]]
    assert ids == ["neuilly-sur-marne-amo-concertation", "est-ensemble-amo-npru"]
    first = record["references"][0]
    file = (tmp_path / first["file"]).resolve()
    assert file == (library_folder / "neuilly-sur-marne-amo-concertation.toml").resolve()
    assert first["sha256"] == hashlib.sha256(file.read_bytes()).hexdigest()
    assert "role" in first["left_out"] and "components.concertation" in first["left_out"]
    assert "git_commit" not in first and "git_commit" not in record["library"]  # a temporary folder: no git
    template = ROOT / "templates" / "perspectives-urbaines.docx"
    assert record["template"]["sha256"] == hashlib.sha256(template.read_bytes()).hexdigest()


def test_from_rebuilds_an_annex_with_the_same_text(tmp_path, library_folder):
    first, again = tmp_path / "annexe.docx", tmp_path / "again.docx"
    assert invoke("build-bid", "--tender", TENDER, "--out", str(first), "--data", str(library_folder)).exit_code == 0
    result = invoke("build-bid", "--from", str(tmp_path / "annexe.refcli.toml"), "--out", str(again))
    assert result.exit_code == 0, result.stderr
    assert text_of(again) == text_of(first)
    rebuilt = tomllib.loads((tmp_path / "again.refcli.toml").read_text(encoding="utf-8"))
    assert rebuilt["options"]["from"] == "annexe.refcli.toml"  # relative to the record's folder, as its paths


def test_from_with_confirmed_levels_keeps_the_relevance_sentence(tmp_path, confirmed_missions):
    first, again = tmp_path / "annexe.docx", tmp_path / "again.docx"
    invoke("build-bid", "--tender", TENDER, "--out", str(first), "--data", str(confirmed_missions))
    assert "Lien avec le marché" in text_of(first)
    assert invoke("build-bid", "--from", str(tmp_path / "annexe.refcli.toml"), "--out", str(again)).exit_code == 0
    assert text_of(again) == text_of(first)


def test_a_changed_record_is_named_and_refused_unless_use_current(tmp_path, library_folder):
    first, again = tmp_path / "annexe.docx", tmp_path / "again.docx"
    invoke("build-bid", "--tender", TENDER, "--out", str(first), "--data", str(library_folder))
    record = library_folder / "est-ensemble-amo-npru.toml"
    record.write_text(record.read_text(encoding="utf-8").replace('mission_type = "Stratégie et montage de projets"',
                                                                 'mission_type = "AMO"'), encoding="utf-8")
    refused = invoke("build-bid", "--from", str(tmp_path / "annexe.refcli.toml"), "--out", str(again))
    assert refused.exit_code == 1
    assert f"est-ensemble-amo-npru ({record.resolve()})" in refused.stderr and "--use-current" in refused.stderr
    assert "neuilly" not in refused.stderr and not again.exists()
    used = invoke("build-bid", "--from", str(tmp_path / "annexe.refcli.toml"), "--out", str(again), "--use-current")
    assert used.exit_code == 0, used.stderr
    assert "| Type de mission | AMO" in text_of(again)
    assert text_of(again).replace("| Type de mission | AMO", "| Type de mission | Stratégie et montage de projets") \
        == text_of(first)


def test_check_from_checks_the_submitted_selection(tmp_path, confirmed_missions, library_folder):
    annex = tmp_path / "annexe.docx"
    built = invoke("build-bid", "--tender", PASSING, "--out", str(annex), "--data", str(confirmed_missions))
    assert built.exit_code == 0, built.stderr
    passed = invoke("check", "--from", str(tmp_path / "annexe.refcli.toml"), "--json")
    assert passed.exit_code == 0, passed.stdout
    document = json.loads(passed.stdout)
    assert [item["id"] for item in document["selected"]] == ["neuilly-sur-marne-amo-concertation",
                                                            "est-ensemble-amo-npru"]
    assert document["query"]["since"] == 2016 and document["query"]["client_kind"] == "public"

    shipped = tmp_path / "shipped"
    shipped.mkdir()
    invoke("build-bid", "--tender", PASSING, "--out", str(shipped / "annexe.docx"), "--data", str(library_folder))
    failed = invoke("check", "--from", str(shipped / "annexe.refcli.toml"))
    assert failed.exit_code == 1
    assert "✗ neuilly-sur-marne-amo-concertation: values not on the fiche: relied on: components.concertation" \
        in failed.stdout


def test_check_ids_checks_a_hand_picked_selection(confirmed_missions):
    passed = invoke("check", "--ids", "neuilly-sur-marne-amo-concertation,est-ensemble-amo-npru", "--tender", PASSING,
                    "--data", str(confirmed_missions))
    assert passed.exit_code == 0, passed.stdout
    assert "✓ Concertation ≥ 4: covered by neuilly-sur-marne-amo-concertation (5)" in passed.stdout
    failed = invoke("check", "--ids", "antony-point-etape-psl", "--years", "3", "--json", "--data",
                    str(confirmed_missions))
    assert failed.exit_code == 1
    items = {(item["code"], item["mission"]): item for item in json.loads(failed.stdout)["items"]}
    assert items["window.count", None]["status"] == "fail"
    assert "antony-point-etape-psl (2012)" in items["window.count", None]["detail"]
    assert items["reference.amount", "antony-point-etape-psl"]["status"] == "fail"  # only the project's cost


def test_check_ids_reports_the_unconfirmed_values_as_an_item_in_json(library_folder):
    result = invoke("check", "--ids", "est-ensemble-amo-npru", "--json", "--data", str(library_folder))
    items = {item["name"]: item for item in json.loads(result.stdout)["items"]}
    item = items["est-ensemble-amo-npru: values not on the fiche"]
    assert item["status"] == "info"  # no rule relies on them
    assert item["detail"] == ("left out of the annex: role, client.kind, client.category, site.city, "
                              "components (every level)")


def test_git_state_names_the_commit_and_uncommitted_files(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    folder = tmp_path / "repo"
    folder.mkdir()
    kept, edited = folder / "a.toml", folder / "b.toml"
    kept.write_text("a", encoding="utf-8")
    edited.write_text("b", encoding="utf-8")

    def git(*arguments):
        subprocess.run(["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@t", *arguments],
                       check=True, capture_output=True)

    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "records")
    edited.write_text("changed", encoding="utf-8")
    head, states = git_state(folder, [kept, edited])
    assert head and len(head) == 40
    assert states[kept] == (head, False)
    assert states[edited] == (head, True)


def test_git_state_of_files_named_from_the_current_folder(tmp_path, monkeypatch):
    # build-bid's default library is the relative data/missions: git -C data/missions must not read the
    # files' paths from that folder again (it found no commit, and said every committed file uncommitted).
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    folder = tmp_path / "data" / "missions"
    folder.mkdir(parents=True)
    (folder / "a.toml").write_text("a", encoding="utf-8")
    for arguments in (["init", "-q"], ["add", "."], ["commit", "-qm", "records"]):
        subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", *arguments],
                       check=True, capture_output=True)
    monkeypatch.chdir(tmp_path)
    relative = Path("data/missions")
    head, states = git_state(relative, [relative / "a.toml"])
    assert head and states[relative / "a.toml"] == (head, False)


def test_git_state_without_git_says_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on the PATH
    assert git_state(tmp_path, [tmp_path / "a.toml"]) == (None, {})


def test_from_rebuilds_an_annex_chosen_by_competencies_alone(tmp_path, confirmed_missions):
    first, again = tmp_path / "annexe.docx", tmp_path / "again.docx"
    built = invoke("build-bid", "-c", "concertation:4", "-n", "1", "--out", str(first), "--data",
                   str(confirmed_missions))
    assert built.exit_code == 0, built.stderr
    assert "Coverage: competencies by reference" in built.stderr
    assert "Lien avec le marché\u00a0: Concertation, compétence demandée par le marché." in text_of(first)
    assert invoke("build-bid", "--from", str(tmp_path / "annexe.refcli.toml"), "--out", str(again)).exit_code == 0
    assert text_of(again) == text_of(first)


def test_from_reads_a_moved_library_with_data_and_refuses_other_options(tmp_path, library_folder):
    first, again = tmp_path / "annexe.docx", tmp_path / "again.docx"
    invoke("build-bid", "--tender", TENDER, "--out", str(first), "--data", str(library_folder))
    moved = tmp_path / "moved" / "missions"
    shutil.copytree(library_folder.parent, moved.parent)
    shutil.rmtree(library_folder.parent)
    record = str(tmp_path / "annexe.refcli.toml")
    gone = invoke("build-bid", "--from", record, "--out", str(again))
    assert gone.exit_code == 2 and "no longer exists" in gone.stderr and not again.exists()
    result = invoke("build-bid", "--from", record, "--out", str(again), "--data", str(moved))
    assert result.exit_code == 0, result.stderr
    assert text_of(again) == text_of(first)
    usage = invoke("build-bid", "--from", record, "--out", str(tmp_path / "x.docx"), "--title", "Autre")
    assert usage.exit_code == 2 and "give no --ids, query, window, --title" in usage.stderr


def test_from_builds_from_the_recorded_file_not_the_one_that_holds_the_id_now(tmp_path, confirmed_missions):
    library_folder = confirmed_missions
    # The chosen record was read from neuilly.toml; a file named after the id appears since, with another fee:
    # the library now reads the id from it, the recorded file is unchanged, its hash passes.
    moved = library_folder / "neuilly.toml"
    (library_folder / "neuilly-sur-marne-amo-concertation.toml").rename(moved)
    first, again = tmp_path / "annexe.docx", tmp_path / "again.docx"
    built = invoke("build-bid", "--ids", "neuilly-sur-marne-amo-concertation", "--out", str(first),
                   "--data", str(library_folder), "-q")
    assert built.exit_code == 0, built.stderr
    text = moved.read_text(encoding="utf-8")
    assert "value = 29340" in text
    (library_folder / "neuilly-sur-marne-amo-concertation.toml").write_text(
        text.replace("value = 29340", "value = 99999").replace("29 340", "99 999"), encoding="utf-8")
    result = invoke("build-bid", "--from", str(tmp_path / "annexe.refcli.toml"), "--out", str(again), "-q")
    assert result.exit_code == 0, result.stderr
    assert "29\u202f340" in text_of(again) and "99\u202f999" not in text_of(again)
    assert text_of(again) == text_of(first)
    rebuilt = tomllib.loads((tmp_path / "again.refcli.toml").read_text(encoding="utf-8"))
    assert (tmp_path / rebuilt["references"][0]["file"]).resolve() == moved.resolve()


def test_from_renders_the_bytes_it_checked_not_the_cache_s_copy(tmp_path, confirmed_missions):
    library_folder = confirmed_missions
    # An edit that keeps the size and whose modification time is restored (cp -p, rsync -t, tar x): the cache
    # cannot see it; --from, which checks the file's bytes against the record, renders those bytes.
    record = library_folder / "est-ensemble-amo-npru.toml"
    cache = ["--cache-dir", str(tmp_path / "cache")]
    original = record.read_text(encoding="utf-8")
    stamp = 1_700_000_000 * 10**9  # long ago: not a racy file, whose bytes the cache would check
    edited = original.replace("value = 99685", "value = 88685").replace("99 685", "88 685")
    assert len(edited) == len(original) and edited != original
    record.write_text(edited, encoding="utf-8")
    os.utime(record, ns=(stamp, stamp))
    assert invoke("list", "--data", str(library_folder), *cache).exit_code == 0  # the cache holds the edit
    record.write_text(original, encoding="utf-8")
    os.utime(record, ns=(stamp, stamp))
    first = tmp_path / "annexe.docx"
    assert invoke("build-bid", "--ids", "est-ensemble-amo-npru", "--out", str(first), "--data", str(library_folder),
                  "--no-cache", "-q").exit_code == 0
    again = tmp_path / "again.docx"
    result = invoke("build-bid", "--from", str(tmp_path / "annexe.refcli.toml"), "--out", str(again), "-q", *cache)
    assert result.exit_code == 0, result.stderr
    assert "99\u202f685" in text_of(again) and text_of(again) == text_of(first)


def test_the_record_holds_the_annex_s_hash_and_says_when_the_annex_beside_it_is_another(tmp_path, library_folder):
    annex = tmp_path / "annexe.docx"
    assert invoke("build-bid", "--tender", TENDER, "--out", str(annex), "--data", str(library_folder),
                  "-q").exit_code == 0
    record = tomllib.loads((tmp_path / "annexe.refcli.toml").read_text(encoding="utf-8"))
    assert record["annex_sha256"] == hashlib.sha256(annex.read_bytes()).hexdigest()
    checked = invoke("check", "--from", str(tmp_path / "annexe.refcli.toml"))
    assert "not the annex" not in checked.stderr
    document = docx.Document(str(annex))
    document.add_paragraph("Ajouté dans Word.")
    document.save(str(annex))
    checked = invoke("check", "--from", str(tmp_path / "annexe.refcli.toml"))
    assert (f"warning: {annex}: not the annex {tmp_path / 'annexe.refcli.toml'} was written with (edited since, in "
            "Word or LibreOffice, or written by another build)") in checked.stderr


def test_check_from_needs_no_template(tmp_path, library_folder):
    # check renders no annex: a record whose template was moved away is checked all the same.
    template = tmp_path / "firm.docx"
    shutil.copy(ROOT / "templates" / "perspectives-urbaines.docx", template)
    annex = tmp_path / "annexe.docx"
    assert invoke("build-bid", "--tender", TENDER, "--out", str(annex), "--data", str(library_folder),
                  "--template", str(template), "-q").exit_code == 0
    template.unlink()
    checked = invoke("check", "--from", str(tmp_path / "annexe.refcli.toml"), "--json")
    assert checked.exit_code in (0, 1) and "template" not in checked.stderr, checked.stderr
    assert [item["id"] for item in json.loads(checked.stdout)["selected"]] == [
        "neuilly-sur-marne-amo-concertation", "est-ensemble-amo-npru"]
    rebuilt = invoke("build-bid", "--from", str(tmp_path / "annexe.refcli.toml"), "--out", str(tmp_path / "b.docx"))
    assert rebuilt.exit_code == 2 and "no longer exists; pass --template FILE" in rebuilt.stderr


def test_a_signal_while_the_annex_and_its_record_are_put_in_place_waits_for_both(tmp_path, library_folder,
                                                                                 monkeypatch):
    import signal

    import refcli.write

    real_move = refcli.write._move
    moves = []

    def move(temporary, path, force):
        moves.append(path)
        if len(moves) == 1:  # between the annex's rename and the record's
            os.kill(os.getpid(), signal.SIGTERM)
        real_move(temporary, path, force)

    monkeypatch.setattr(refcli.write, "_move", move)
    annex = tmp_path / "annexe.docx"
    result = invoke("build-bid", "--tender", TENDER, "--out", str(annex), "--data", str(library_folder), "-q")
    assert result.exit_code == 128 + signal.SIGTERM
    assert "interrupted (SIGTERM) while" in result.stderr and "they are complete" in result.stderr
    record = tomllib.loads((tmp_path / "annexe.refcli.toml").read_text(encoding="utf-8"))
    assert record["annex_sha256"] == hashlib.sha256(annex.read_bytes()).hexdigest()
    assert sorted(path.name for path in tmp_path.iterdir() if path.is_file()) == ["annexe.docx", "annexe.refcli.toml"]


def test_use_current_keeps_the_recorded_window_and_client_kind(tmp_path, confirmed_missions):
    annex = tmp_path / "annexe.docx"
    assert invoke("build-bid", "--tender", TENDER, "--out", str(annex), "--data", str(confirmed_missions),
                  "-q").exit_code == 0
    record = confirmed_missions / "neuilly-sur-marne-amo-concertation.toml"
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace("start = 2017", "start = 2010").replace("end = 2017", "end = 2010"),
                      encoding="utf-8")
    again = tmp_path / "again.docx"
    refused = invoke("build-bid", "--from", str(tmp_path / "annexe.refcli.toml"), "--out", str(again),
                     "--use-current", "-q")
    assert refused.exit_code == 1 and not again.exists()
    assert ("with their current versions, the recorded references break its rules: outside the window (ended "
            "before 2016): neuilly-sur-marne-amo-concertation") in " ".join(refused.stderr.split())
    record.write_text(text.replace('kind = "public"', 'kind = "private"'), encoding="utf-8")
    refused = invoke("build-bid", "--from", str(tmp_path / "annexe.refcli.toml"), "--out", str(again),
                     "--use-current", "-q")
    assert refused.exit_code == 1 and "not public clients: neuilly-sur-marne-amo-concertation" in refused.stderr


def test_check_from_applies_the_tender_s_count_and_competencies_to_an_annex_built_with_ids(tmp_path,
                                                                                           confirmed_missions):
    annex = tmp_path / "annexe.docx"
    built = invoke("build-bid", "--ids", "est-ensemble-amo-npru", "--tender", TENDER, "--out", str(annex),
                   "--data", str(confirmed_missions))
    assert built.exit_code == 0 and "the tender asks for 2 reference(s); the annex holds 1" in built.stderr
    checked = invoke("check", "--from", str(tmp_path / "annexe.refcli.toml"), "--json")
    assert checked.exit_code == 1
    items = json.loads(checked.stdout)["items"]
    [count] = [item for item in items if item["code"] == "window.count"]
    assert (count["ok"], count["required"]) == (False, 2)
    levels = {item["competency"]: item["ok"] for item in items if item["code"] == "competency.level"}
    assert levels == {"concertation": False, "animation": True, "conseil": True}  # est-ensemble: no concertation
    assert items == json.loads(invoke("check", "--ids", "est-ensemble-amo-npru", "--tender", TENDER, "--data",
                                      str(confirmed_missions), "--json").stdout)["items"]


def test_the_vocabulary_the_glossary_and_the_illustrations_shown_are_recorded_and_checked(tmp_path,
                                                                                          confirmed_missions):
    # What shaped the annex beside the records: the components' labels and squares, the ranking, the pictures.
    picture = confirmed_missions / "images" / "plan.png"
    picture.parent.mkdir()
    shutil.copy(ROOT / "docs" / "annex-page.png", picture)
    record = confirmed_missions / "neuilly-sur-marne-amo-concertation.toml"
    record.write_text(record.read_text(encoding="utf-8") + '\n[[illustrations]]\nfile = "images/plan.png"\n'
                      'caption = "Plan"\ncredit = "PUS"\n', encoding="utf-8")
    annex = tmp_path / "annexe.docx"
    built = invoke("build-bid", "--ids", "neuilly-sur-marne-amo-concertation", "--out", str(annex),
                   "--data", str(confirmed_missions), "-q")
    assert built.exit_code == 0, built.stderr
    table = tomllib.loads((tmp_path / "annexe.refcli.toml").read_text(encoding="utf-8"))
    [shown] = table["references"][0]["illustrations"]
    assert shown["sha256"] == hashlib.sha256(picture.read_bytes()).hexdigest()
    vocabulary = confirmed_missions.parent / "components.toml"
    assert table["vocabulary"]["sha256"] == hashlib.sha256(vocabulary.read_bytes()).hexdigest()
    assert "sha256" in table["glossary"]
    again = ["build-bid", "--from", str(tmp_path / "annexe.refcli.toml"), "--out", str(tmp_path / "again.docx")]
    picture.write_bytes(picture.read_bytes() + b"\0")
    refused = invoke(*again)
    assert refused.exit_code == 1 and f"an illustration of neuilly-sur-marne-amo-concertation ({picture.resolve()})" \
        in refused.stderr
    shutil.copy(ROOT / "docs" / "annex-page.png", picture)
    vocabulary.write_text(vocabulary.read_text(encoding="utf-8").replace("Conseil stratégique", "Conseil juridique"),
                          encoding="utf-8")
    refused = invoke(*again)
    assert refused.exit_code == 1 and "the components vocabulary (" in refused.stderr
    assert "an illustration" not in refused.stderr


@pytest.mark.parametrize(("edit", "message"), [
    (lambda table: table["heading"].update(date=str(table["heading"]["date"])), None),  # a date made a string
    (lambda table: table["options"].update(since="2016"), "options.since: not what refcli build-bid writes there"),
    (lambda table: table["options"]["competencies"].update(zzz=3), "options.competencies.zzz: not a component of"),
    (lambda table: table["options"].update(client="martian"), "options.client: not what refcli build-bid writes"),
    (lambda table: table["options"].update(limit=-1), "options.limit: not what refcli build-bid writes there"),
    (lambda table: table.update(heading="x"), "heading: expected a table"),
])
def test_a_record_edited_and_resealed_is_refused_in_one_line(tmp_path, library_folder, edit, message):
    """Even with its checksum recomputed (it is no signature): no traceback, the key named."""
    import tomli_w

    from refcli.annex.selection_record import HEADER, _checksum

    annex = tmp_path / "annexe.docx"
    assert invoke("build-bid", "--tender", TENDER, "--out", str(annex), "--data", str(library_folder),
                  "-q").exit_code == 0
    path = tmp_path / "annexe.refcli.toml"
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    checksum = table["checksum"]
    edit(table)
    if message is None:  # not resealed: the checksum tells a date from its string
        table["checksum"] = checksum
        (tmp_path / "edited.refcli.toml").write_text(HEADER + tomli_w.dumps(table), encoding="utf-8")
        refused = invoke("build-bid", "--from", str(tmp_path / "edited.refcli.toml"), "--out", str(tmp_path / "b.docx"))
        assert refused.exit_code == 2 and "checksum: the file was changed after refcli wrote it" in refused.stderr
        return
    table["checksum"] = _checksum(table)
    path.write_text(HEADER + tomli_w.dumps(table), encoding="utf-8")
    for command in ("check", "build-bid"):
        arguments = [command, "--from", str(path)] + (["--out", str(tmp_path / "b.docx")] if command == "build-bid"
                                                      else [])
        refused = invoke(*arguments)
        assert refused.exit_code == 2, (command, refused.stderr, refused.exception)
        [line] = refused.stderr.splitlines()
        assert message in line and "Traceback" not in refused.output


def test_build_bid_ids_names_the_references_kept_on_a_client_kind_not_on_their_fiches(tmp_path, library_folder):
    built = invoke("build-bid", "--ids", "neuilly-sur-marne-amo-concertation,est-ensemble-amo-npru", "--tender", TENDER,
                   "--out", str(tmp_path / "annexe.docx"), "--data", str(library_folder))
    assert built.exit_code == 0, built.stderr
    assert ("2 results are kept on a client kind (public or private) not on their fiches ([inferred]): "
            "neuilly-sur-marne-amo-concertation, est-ensemble-amo-npru") in " ".join(built.stderr.split())


def test_the_documents_the_query_read_are_recorded_with_their_hashes_and_paths_from_the_record(
        tmp_path, library_folder, monkeypatch):
    text = tmp_path / "rc.txt"
    text.write_text("Mission d'AMO concertation et animation de la maison du projet.\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(tmp_path)  # --tender-text given relative to where the command runs, not to out/
    built = invoke("build-bid", "--tender-text", "rc.txt", "--out", str(out / "annexe.docx"), "--data",
                   str(library_folder), "-q")
    assert built.exit_code == 0, built.stderr
    table = tomllib.loads((out / "annexe.refcli.toml").read_text(encoding="utf-8"))
    assert table["texts"] == [{"as": "--tender-text", "path": "../rc.txt",
                               "sha256": hashlib.sha256(text.read_bytes()).hexdigest()}]
    assert table["options"]["tender_text"] == "../rc.txt"
    again = invoke("build-bid", "--from", str(out / "annexe.refcli.toml"), "--out", str(tmp_path / "again.docx"),
                   "--json", "-q")
    assert again.exit_code == 0, again.stderr
    rebuilt = tomllib.loads((tmp_path / "again.refcli.toml").read_text(encoding="utf-8"))
    assert rebuilt["options"]["tender_text"] == "rc.txt" and rebuilt["options"]["from"] == "out/annexe.refcli.toml"
    assert json.loads(again.stdout)["cover"] is False


def test_a_record_written_before_the_annex_s_hash_was_recorded_still_rebuilds(tmp_path, library_folder):
    import tomli_w

    from refcli.annex.selection_record import HEADER, _checksum

    annex = tmp_path / "annexe.docx"
    assert invoke("build-bid", "--tender", TENDER, "--out", str(annex), "--data", str(library_folder),
                  "-q").exit_code == 0
    path = tmp_path / "annexe.refcli.toml"
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    del table["annex_sha256"]
    table["checksum"] = _checksum(table)
    path.write_text(HEADER + tomli_w.dumps(table), encoding="utf-8")
    annex.write_bytes(annex.read_bytes() + b"\0")  # nothing to compare it with: no warning
    rebuilt = invoke("build-bid", "--from", str(path), "--out", str(tmp_path / "again.docx"))
    assert rebuilt.exit_code == 0 and "not the annex" not in rebuilt.stderr, rebuilt.stderr


def test_build_bid_from_says_the_recorded_cover_in_json(tmp_path, library_folder):
    annex = tmp_path / "annexe.docx"
    assert invoke("build-bid", "--tender", TENDER, "--cover", "--out", str(annex), "--data", str(library_folder),
                  "-q").exit_code == 0
    again = invoke("build-bid", "--from", str(tmp_path / "annexe.refcli.toml"), "--out", str(tmp_path / "b.docx"),
                   "--json", "-q")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["cover"] is True


def test_use_current_says_what_it_took_and_is_recorded_only_when_something_changed(tmp_path, library_folder):
    annex = tmp_path / "annexe.docx"
    assert invoke("build-bid", "--tender", TENDER, "--out", str(annex), "--data", str(library_folder),
                  "-q").exit_code == 0
    unchanged = invoke("build-bid", "--from", str(tmp_path / "annexe.refcli.toml"), "--out",
                       str(tmp_path / "a.docx"), "--use-current")
    assert unchanged.exit_code == 0 and "--use-current: the current versions" not in unchanged.stderr
    assert "use_current" not in tomllib.loads((tmp_path / "a.refcli.toml").read_text(encoding="utf-8"))["options"]
    record = library_folder / "est-ensemble-amo-npru.toml"
    record.write_text(record.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    taken = invoke("build-bid", "--from", str(tmp_path / "annexe.refcli.toml"), "--out", str(tmp_path / "b.docx"),
                   "--use-current")
    assert taken.exit_code == 0, taken.stderr
    assert f"--use-current: the current versions of est-ensemble-amo-npru ({record.resolve()})" in taken.stderr
    assert tomllib.loads((tmp_path / "b.refcli.toml").read_text(encoding="utf-8"))["options"]["use_current"] is True


def test_a_record_file_moved_within_the_library_is_found_by_its_bytes(tmp_path, library_folder):
    # Records sorted into a folder by year since the annex was built: the same bytes, another path.
    annex = tmp_path / "annexe.docx"
    assert invoke("build-bid", "--tender", TENDER, "--out", str(annex), "--data", str(library_folder),
                  "-q").exit_code == 0
    (library_folder / "2017").mkdir()
    moved = library_folder / "2017" / "neuilly.toml"
    (library_folder / "neuilly-sur-marne-amo-concertation.toml").rename(moved)
    again = tmp_path / "again.docx"
    rebuilt = invoke("build-bid", "--from", str(tmp_path / "annexe.refcli.toml"), "--out", str(again), "-q")
    assert rebuilt.exit_code == 0, rebuilt.stderr
    assert text_of(again) == text_of(annex)
    record = tomllib.loads((tmp_path / "again.refcli.toml").read_text(encoding="utf-8"))
    assert (tmp_path / record["references"][0]["file"]).resolve() == moved.resolve()
    moved.write_text(moved.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # moved and changed: gone
    refused = invoke("build-bid", "--from", str(tmp_path / "annexe.refcli.toml"), "--out", str(tmp_path / "b.docx"))
    assert refused.exit_code == 2 and "no longer exists" in refused.stderr
