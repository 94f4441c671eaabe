"""`refcli tender read` end to end, and the documents `search --tender-text` and `--tender` are given."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from refcli.cli.commands import app
from refcli.search.text import fold
from tests.conftest import SHIPPED_MISSIONS
from tests.pdf_maker import text_page, write_pdf
from tests.rc_fixtures import REFERENCES, write_rc_docx, write_rc_pdf


def run(*arguments: str):
    return CliRunner().invoke(app, [*arguments])


def test_read_an_rc_in_pdf_into_a_tender_file_that_check_and_search_load(tmp_path: Path) -> None:
    rc = write_rc_pdf(tmp_path / "RC.pdf")
    out = tmp_path / "tender.toml"
    result = run("tender", "read", str(rc), "--out", str(out), "--data", str(SHIPPED_MISSIONS))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"wrote {out}: check each value against its quoted sentence",
                                          f"then: refcli check --tender {out}"]
    draft = out.read_text(encoding="utf-8")
    assert f"# RC.pdf, page 2: « {REFERENCES} »\nreferences = 3\n" in draft
    assert "# RC.pdf, page 3: « Date limite de remise des offres : vendredi 15 janvier 2027 à 12h00. »" in draft
    assert "[window]\nyears = 5\n" in draft
    checked = run("check", "--tender", str(out), "--data", str(SHIPPED_MISSIONS))
    assert checked.exit_code in (0, 1), checked.stderr  # it loads: the answer is the library's
    assert str(out) not in checked.stderr  # no error about the tender file
    assert "3 reference(s) inside the window" in checked.stdout
    searched = run("search", "--tender", str(out), "--data", str(SHIPPED_MISSIONS), "--json")
    assert searched.exit_code == 0, searched.stderr
    document = json.loads(searched.stdout)
    assert document["query"]["competencies"] == {"gup": 1, "concertation": 1}
    assert document["query"]["since"] == 2022  # five years back from the deadline's year, 2027


def test_never_overwrites_without_force(tmp_path: Path) -> None:
    rc = write_rc_pdf(tmp_path / "RC.pdf")
    out = tmp_path / "tender.toml"
    out.write_text("# the user's own tender file\n", encoding="utf-8")
    refused = run("tender", "read", str(rc), "--out", str(out))
    assert refused.exit_code == 2
    assert refused.stderr.strip() == f"error: {out}: the file exists; pass --force to overwrite it"
    assert out.read_text(encoding="utf-8") == "# the user's own tender file\n"
    forced = run("tender", "read", str(rc), "--out", str(out), "--force", "--quiet")
    assert forced.exit_code == 0 and forced.stderr == ""
    assert out.read_text(encoding="utf-8").startswith("# Draft tender file, read by `refcli tender read` from "
                                                      "RC.pdf (PDF, 4 page(s)).")


def test_never_writes_over_the_library_s_vocabulary_or_glossary_even_with_force(tmp_path: Path, data_copy) -> None:
    rc = tmp_path / "rc.txt"
    rc.write_text("Objet : concertation des habitants\n", encoding="utf-8")
    for name, what in (("components.toml", "the components vocabulary"), ("glossary.toml", "the glossary")):
        target = data_copy.parent / name
        before = target.read_bytes()
        refused = run("tender", "read", str(rc), "--out", str(target), "--force", "--data", str(data_copy))
        assert refused.exit_code == 2 and target.read_bytes() == before
        assert f"{target}: is {what} ({target}); refcli never writes over one of its inputs" in refused.stderr


def test_without_out_the_draft_is_printed_and_json_carries_the_evidence(tmp_path: Path) -> None:
    rc = write_rc_docx(tmp_path / "RC.docx")
    printed = run("tender", "read", str(rc))
    assert printed.exit_code == 0
    assert printed.stdout.startswith("# Draft tender file, read by `refcli tender read` from RC.docx (Word, 1 "
                                     "page(s)).")
    result = run("tender", "read", str(rc), "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["command"] == "tender read" and document["out"] is None
    assert document["toml"] == printed.stdout
    assert document["fields"]["references"] == {
        "value": 3, "evidence": {"file": "RC.docx", "page": 1, "sentence": REFERENCES}}
    assert document["fields"]["date"]["value"] == "2027-01-15"
    assert document["fields"]["window"]["value"] == {"years": 5}
    assert document["competencies"]["gup"]["label"] == "Gestion urbaine de proximité"
    assert [section["title"] for section in document["text"]["sections"] if section["used"]] == [
        "ARTICLE 2 - OBJET DE LA CONSULTATION", "ARTICLE 3 - CONTENU DE LA MISSION"]


def test_several_files_of_one_consultation(tmp_path: Path) -> None:
    rc = write_rc_pdf(tmp_path / "RC.pdf")
    cctp = tmp_path / "CCTP.txt"
    cctp.write_text("ARTICLE 1 - CONTENU DES PRESTATIONS\n\nLe titulaire conduira l'ingénierie financière du "
                    "projet.\n\nARTICLE 2 - DÉLAIS D'EXÉCUTION\n\nSix mois.\n", encoding="utf-8")
    result = run("tender", "read", str(rc), str(cctp), "--json")
    document = json.loads(result.stdout)
    assert [Path(file["path"]).name for file in document["files"]] == ["RC.pdf", "CCTP.txt"]
    assert document["competencies"]["finance"]["evidence"] == {
        "file": "CCTP.txt", "page": 1, "sentence": "Le titulaire conduira l'ingénierie financière du projet."}
    assert "#   ARTICLE 1 - CONTENU DES PRESTATIONS (CCTP.txt, page 1)" in document["toml"]


def make_bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", b"\x00" * 100)
    data = bytearray(path.read_bytes())
    entry = data.rfind(b"PK\x01\x02")
    data[entry + 24:entry + 28] = (2**32 - 1).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(("make", "message"), [
    (lambda folder: write_pdf(folder / "scan.pdf", [None]), "scan.pdf: no text in this PDF (a scan?): it needs OCR "
                                                           "first"),
    (lambda folder: write_pdf(folder / "locked.pdf", [text_page(["Un texte protégé par un mot de passe."])],
                              encrypted=True), "locked.pdf: the PDF is encrypted (it needs a password)"),
    (lambda folder: write_pdf(folder / "dce.pdf", [text_page(["Une page."])] * 501),
     "dce.pdf: 501 pages; refcli reads at most 300 pages"),
    (lambda folder: make_bomb(folder / "bomb.docx"), "bomb.docx: its text unpacks to 4095 MB (a zip bomb?)"),
    (lambda folder: (folder / "rc.pdf").write_bytes(b"%PDF-1.7 broken") and folder / "rc.pdf",
     "rc.pdf: a damaged PDF"),
])
def test_unreadable_documents_are_one_line_exit_2(tmp_path: Path, make, message: str) -> None:
    path = make(tmp_path)
    for arguments in (["tender", "read", str(path), "--out", str(tmp_path / "tender.toml")],
                      ["search", "--tender-text", str(path), "--data", str(SHIPPED_MISSIONS)]):
        result = run(*arguments)
        assert result.exit_code == 2, result.output
        assert message in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "tender.toml").exists()


def test_tender_on_a_pdf_or_word_file_says_what_it_is(tmp_path: Path) -> None:
    rc = write_rc_pdf(tmp_path / "RC.pdf")
    result = run("search", "--tender", str(rc), "--data", str(SHIPPED_MISSIONS))
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"error: {rc}: this is a PDF, not a tender file (TOML): draft one with "
                                     f"'refcli tender read {rc} --out tender.toml', or search its text with "
                                     "--tender-text")
    word = write_rc_docx(tmp_path / "RC.docx")
    result = run("check", "--tender", str(word), "--data", str(SHIPPED_MISSIONS))
    assert result.exit_code == 2 and "this is a Word document (.docx), not a tender file (TOML)" in result.stderr


def test_tender_text_reads_a_pdf_and_explain_shows_the_sections(tmp_path: Path) -> None:
    rc = write_rc_pdf(tmp_path / "RC.pdf")
    result = run("search", "--tender-text", str(rc), "--data", str(SHIPPED_MISSIONS), "--explain", "-n", "2")
    assert result.exit_code == 0, result.stderr
    assert f"Sections of {rc} (--tender-text):" in result.stdout
    assert ("  searched: ARTICLE 2 - OBJET DE LA CONSULTATION (RC.pdf p. 1); ARTICLE 3 - CONTENU DE LA MISSION "
            "(RC.pdf p. 2)") in result.stdout
    assert "  left out: ARTICLE 1 - IDENTIFICATION DU POUVOIR ADJUDICATEUR (administrative); " in result.stdout
    document = json.loads(run("search", "--tender-text", str(rc), "--data", str(SHIPPED_MISSIONS), "--json").stdout)
    searched = {term["text"] for term in document["query"]["terms"]}
    assert {"maison du projet", "gestion urbaine de proximité", "conseils citoyens", "réunions"} <= searched
    assert not {fold(text) for text in searched} & {"tribunal", "montreuil", "recours", "technique", "valeur",
                                                    "methodologie", "publication", "article", "2", "contenu"}


@pytest.mark.slow
def test_an_rc_that_libreoffice_turned_into_a_pdf(tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (soffice) is needed to make the PDF: apt-get install libreoffice-writer"
    source = write_rc_docx(tmp_path / "RC.docx")
    subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=180)
    result = run("tender", "read", str(tmp_path / "RC.pdf"), "--json")
    assert result.exit_code == 0, result.stderr
    fields = json.loads(result.stdout)["fields"]
    assert {name: field["value"] for name, field in fields.items()} == {
        "title": "Une mission d'assistance à maîtrise d'ouvrage pour la concertation et la maison du projet du "
                 "NPNRU du quartier Cordon",
        "buyer": "Ville de Saint-Ouen-sur-Seine", "date": "2027-01-15", "references": 3, "window": {"years": 5},
        "client_kind": "public"}
    assert fields["references"]["evidence"]["sentence"] == REFERENCES
    assert fields["references"]["evidence"]["page"] == 1



def test_a_read_that_takes_more_than_a_second_shows_a_progress_bar(tmp_path: Path, monkeypatch) -> None:
    import itertools
    import time

    from rich.console import Console

    import refcli.cli.output
    import refcli.search.documents

    monkeypatch.setattr(refcli.cli.output, "stderr_console",
                        lambda: Console(stderr=True, force_terminal=True, soft_wrap=True, highlight=False))
    clock = itertools.count(0, 0.4)  # each page seems to take 0.4 s
    monkeypatch.setattr(time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(refcli.search.documents, "_progress_reporter", None)
    pdf = write_pdf(tmp_path / "CCTP.pdf", [text_page([f"ARTICLE {number} - CONTENU DE LA MISSION",
                                                        "Le titulaire animera des ateliers de concertation."])
                                            for number in range(1, 9)])
    result = run("tender", "read", str(pdf), "--out", str(tmp_path / "tender.toml"))
    assert result.exit_code == 0, result.stderr
    assert "Reading CCTP.pdf" in result.stderr
    quiet = run("tender", "read", str(pdf), "--out", str(tmp_path / "tender.toml"), "--force", "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_tender_on_a_text_file_says_what_it_is(tmp_path: Path) -> None:
    text = tmp_path / "objet.txt"
    text.write_text("Objet du marché : AMO concertation.\n", encoding="utf-8")
    result = run("search", "--tender", str(text), "--data", str(SHIPPED_MISSIONS))
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"error: {text}: this is a text file, not a tender file (TOML): search its "
                                     f"text with --tender-text, or draft a tender file with 'refcli tender read "
                                     f"{text} --out tender.toml'")


def test_a_scanned_page_inside_a_pdf_of_text_is_named_not_passed_over(tmp_path: Path) -> None:
    # An RC of text whose page 2 is a scan (a signed page, an annex): what it says is not read, and refcli says so.
    pdf = write_pdf(tmp_path / "RC.pdf", [
        text_page(["ARTICLE 1 - OBJET DE LA CONSULTATION", "La présente consultation porte sur une mission "
                   "d'AMO concertation.", "ARTICLE 2 - CONTENU DE LA MISSION", "Animation de la maison du projet."]),
        None, None])
    said = "RC.pdf: pages 2, 3 hold an image and no text (scanned?): not read; read them yourself, or run OCR first"
    out = tmp_path / "tender.toml"
    result = run("tender", "read", str(pdf), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert f"warning: {said}" in result.stderr
    assert f"# {said}" in out.read_text(encoding="utf-8")
    document = json.loads(run("tender", "read", str(pdf), "--json").stdout)
    assert [file["image_pages"] for file in document["files"]] == [[2, 3]]
    searched = run("search", "--tender-text", str(pdf), "--data", str(SHIPPED_MISSIONS), "--json")
    assert searched.exit_code == 0, searched.stderr
    assert f"warning: --tender-text {said}" in searched.stderr
    assert f"--tender-text {said}" in " ".join(json.loads(searched.stdout)["query"]["notes"])
    # Pages of text are not named.
    text_only = write_pdf(tmp_path / "text.pdf", [text_page(["La présente consultation porte sur une mission "
                                                             "d'AMO concertation et de GUP."])])
    assert "image" not in run("tender", "read", str(text_only)).stderr
