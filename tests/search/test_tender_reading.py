"""What `refcli tender read` finds in a consultation's rules, each value with its sentence, file and page."""

from __future__ import annotations

import datetime
import tomllib
from pathlib import Path

import pytest

from refcli.records.vocabulary import load_vocabulary
from refcli.search.glossary import load_glossary
from refcli.search.query import load_tender, read_tender_text
from refcli.search.tender_reading import Evidence, heading_kind, read_tender, render_draft
from tests.conftest import SHIPPED_MISSIONS
from tests.pdf_maker import text_page, two_column_page, write_pdf
from tests.rc_fixtures import REFERENCES, write_rc_docx, write_rc_pdf, write_rc_text

VOCABULARY = load_vocabulary(SHIPPED_MISSIONS)
GLOSSARY = load_glossary(SHIPPED_MISSIONS)
OBJECT = ("La présente consultation a pour objet une mission d'assistance à maîtrise d'ouvrage pour la concertation "
          "et la maison du projet du NPNRU du quartier Cordon.")


def read(*paths: Path):
    return read_tender(list(paths), VOCABULARY, GLOSSARY)


def evidence(reading, name: str) -> Evidence:
    found = reading.findings[name].evidence
    assert found is not None, reading.findings[name].note
    return found


@pytest.mark.parametrize("make", [write_rc_text, write_rc_pdf, write_rc_docx], ids=["txt", "pdf", "docx"])
def test_every_field_of_an_rc_and_its_evidence(tmp_path: Path, make) -> None:
    suffix = {write_rc_text: ".txt", write_rc_pdf: ".pdf", write_rc_docx: ".docx"}[make]
    path = make(tmp_path / f"rc{suffix}")
    reading = read(path)
    pages = {"txt": (1, 1, 1, 1), ".pdf": (1, 1, 2, 3), ".docx": (1, 1, 1, 1)}.get(suffix, (1, 1, 1, 1))
    values = {name: finding.value for name, finding in reading.findings.items()}
    assert values == {
        "title": "Une mission d'assistance à maîtrise d'ouvrage pour la concertation et la maison du projet du "
                 "NPNRU du quartier Cordon",
        "buyer": "Ville de Saint-Ouen-sur-Seine",
        "date": datetime.date(2027, 1, 15),
        "references": 3,
        "window": {"years": 5},
        "client_kind": "public",
    }
    assert evidence(reading, "title") == Evidence(path.name, pages[0], OBJECT)
    assert evidence(reading, "buyer") == Evidence(path.name, pages[1], "Pouvoir adjudicateur : Ville de "
                                                  "Saint-Ouen-sur-Seine, Hôtel de ville, 93400 Saint-Ouen-sur-Seine.")
    assert evidence(reading, "references") == Evidence(path.name, pages[2], REFERENCES)
    assert evidence(reading, "window") == Evidence(path.name, pages[2], REFERENCES)
    assert evidence(reading, "client_kind") == Evidence(path.name, pages[2], REFERENCES)
    # The deadline for offers, not the earlier date the notice was sent for publication.
    assert evidence(reading, "date") == Evidence(path.name, pages[3], "Date limite de remise des offres : "
                                                 "vendredi 15 janvier 2027 à 12h00.")
    assert reading.findings["date"].note == "the deadline for offers, at 12h00"
    assert [(number, title, found.sentence) for number, title, found in reading.lots] == [
        ("", "lot unique", "Le marché n'est pas alloti.")]
    assert {key: (finding.note, finding.evidence.sentence) for key, finding in reading.competencies.items()} == {
        "gup": ("named as 'Gestion urbaine de proximité'",
                "Il appuiera les conseils citoyens et assurera la gestion urbaine de proximité pendant les chantiers."),
        "concertation": ("named as 'Concertation'", OBJECT),
    }


@pytest.mark.parametrize(("sentence", "references", "window"), [
    ("Le candidat présentera au moins trois références similaires réalisées au cours des trois dernières années.",
     3, {"years": 3}),
    ("Il joindra 4 références de missions comparables sur les 5 dernières années.", 4, {"years": 5}),
    ("Les candidats fourniront trois (3) références de missions réalisées depuis 2021.", 3, {"since": 2021}),
    ("Le dossier comprend des références de moins de 3 ans, au nombre de deux.", 2, {"years": 3}),
    ("Une liste des principales références, de 3 à 5 références, réalisées entre 2020 et 2025.", 5,
     {"since": 2020}),
    ("Une liste des principaux services fournis, indiquant le montant, la date et le destinataire public ou privé, "
     "conformément à l'article 3 de l'arrêté du 22 mars 2019, appuyée de deux références.", 2, {"years": 3}),
    ("Une liste des principaux services effectués au cours des cinq dernières années.", None, {"years": 5}),
])
def test_each_way_of_stating_the_count_and_the_window(tmp_path: Path, sentence: str, references, window) -> None:
    reading = read(write_rc_text(tmp_path / "rc.txt", references=sentence))
    assert reading.findings["references"].value == references
    assert reading.findings["window"].value == window
    assert evidence(reading, "window").sentence == sentence
    if references is not None:
        assert evidence(reading, "references").sentence == sentence
    # "destinataire public ou privé" is the standard wording of every list, not a restriction to public clients.
    assert reading.findings["client_kind"].value is None


def test_the_arrete_sets_three_years_and_says_so(tmp_path: Path) -> None:
    sentence = ("Une liste des principaux services fournis, conformément à l'article 3 de l'arrêté du 22 mars 2019.")
    reading = read(write_rc_text(tmp_path / "rc.txt", references=sentence))
    assert reading.findings["window"].value == {"years": 3}
    assert "arrêté du 22 mars 2019" in reading.findings["window"].note


@pytest.mark.parametrize("sentence", [
    "Le candidat présentera au moins trois références similaires.",
    "Le candidat présentera trois références ; les références de plus de trois ans seront acceptées.",
    "La liste des renseignements est fixée par l'arrêté du 22 mars 2019 fixant la liste des documents.",
])
def test_a_window_the_text_does_not_state_is_not_guessed(tmp_path: Path, sentence: str) -> None:
    reading = read(write_rc_text(tmp_path / "rc.txt", references=sentence))
    assert reading.findings["window"].value is None
    assert "none is assumed" in reading.findings["window"].note


def test_two_windows_that_disagree_are_left_to_the_user(tmp_path: Path) -> None:
    sentence = ("Trois références des trois dernières années. Pour le lot de maîtrise d'œuvre, des références des "
                "cinq dernières années.")
    reading = read(write_rc_text(tmp_path / "rc.txt", references=sentence))
    assert reading.findings["window"].value is None
    assert reading.findings["window"].note == ("the documents state several windows (years = 3 (rc.txt p. 1); "
                                               "years = 5 (rc.txt p. 1)); choose one")


def test_lots(tmp_path: Path) -> None:
    lots = ("La consultation est décomposée en deux lots.\n\nLot n°1 : Concertation et maison du projet\n\n"
            "Lot 2 - Gestion urbaine de proximité et coordination inter-chantiers")
    reading = read(write_rc_text(tmp_path / "rc.txt", lots=lots))
    assert [(number, title, found.page) for number, title, found in reading.lots] == [
        ("1", "Concertation et maison du projet", 1),
        ("2", "Gestion urbaine de proximité et coordination inter-chantiers", 1)]
    draft = render_draft(reading, VOCABULARY)
    assert "# lots: 2 (a tender file describes one: keep the lot you bid for in title and text)" in draft
    assert "#   lot 1: Concertation et maison du projet — rc.txt, page 1" in draft


def test_lots_in_a_table_of_a_pdf_are_read_row_by_row(tmp_path: Path) -> None:
    # An RC's table of lots: a header row, then a row a lot, its cells side by side (and an amount beside).
    rows = [("Lot", "Désignation", "Montant estimé"), ("1", "Concertation et maison du projet", "80 000 € HT"),
            ("2", "Gestion urbaine et sociale de proximité", "40 000 € HT")]
    runs = [(56, 780, "ARTICLE 1 - OBJET DE LA CONSULTATION", 11),
            (56, 760, "La présente consultation porte sur une mission d'AMO concertation.", 10),
            (56, 740, "Le marché est décomposé en 2 lots :", 10)]
    for number, cells in enumerate(rows):
        runs += [(x, 720 - 15 * number, cell, 10) for x, cell in zip((56, 120, 400), cells, strict=True)]
    runs += [(56, 660, "ARTICLE 2 - CONTENU DE LA MISSION", 11), (56, 640, "Animer la maison du projet.", 10)]
    reading = read(write_pdf(tmp_path / "rc.pdf", [runs]))
    assert [(number, title) for number, title, _evidence in reading.lots] == [
        ("1", "Concertation et maison du projet"), ("2", "Gestion urbaine et sociale de proximité")]
    assert reading.lots_stated[0] == 2
    draft = render_draft(reading, VOCABULARY)
    assert "#   lot 2: Gestion urbaine et sociale de proximité — rc.pdf, page 1" in draft
    assert "the documents say" not in draft  # both read


def test_lots_a_sentence_counts_but_none_reads_are_said_not_passed_over(tmp_path: Path) -> None:
    path = tmp_path / "rc.txt"
    path.write_text("ARTICLE 1 - OBJET\n\nLa présente consultation porte sur une mission de concertation.\n\n"
                    "La consultation comporte trois lots.\n\nLot 1 : Concertation.\n\n"
                    "ARTICLE 2 - CONTENU DE LA MISSION\n\nAnimer.\n", encoding="utf-8")
    reading = read(path)
    assert [title for _number, title, _evidence in reading.lots] == ["Concertation"]
    assert "# lots: the documents say 3, rc.txt, page 1: « La consultation comporte trois lots. »; 1 read above: " \
           "find the others in the RC, and keep the lot you bid for in title and text" in render_draft(reading,
                                                                                           VOCABULARY)
    path.write_text(path.read_text(encoding="utf-8").replace("Lot 1 : Concertation.\n\n", ""), encoding="utf-8")
    draft = render_draft(read(path), VOCABULARY)
    assert "# lots: no lot found" not in draft
    assert "# lots: the documents say 3, rc.txt, page 1: « La consultation comporte trois lots. »; their titles were " \
           "not read: find them in the RC" in draft


def test_a_two_column_pdf_with_a_criteria_table_and_running_headers(tmp_path: Path) -> None:
    header, footer = "Communauté d'agglomération Plaine Vallée - RC", "Page {} sur 2"
    left = ["ARTICLE 1 - OBJET DU MARCHÉ", "Le présent marché a pour objet la", "conduite d'une démarche de concer-",
            "tation pour le quartier des Tilleuls.", "Acheteur : Communauté d'agglomé-", "ration Plaine Vallée."]
    right = ["ARTICLE 2 - CONTENU DE LA MISSION", "Le titulaire assurera l'ingénierie", "financière du projet et",
             "l'animation partenariale."]
    first = two_column_page(left, right, header=header, footer=footer.format(1), interleaved=True)
    second = text_page(["ARTICLE 3 - CRITÈRES D'ATTRIBUTION", "", "", "",
                        "ARTICLE 4 - PIÈCES DE LA CANDIDATURE",
                        "Le candidat remettra au moins 3 références de moins de 5 ans."],
                       header=header, footer=footer.format(2))
    for number, (criterion, weight) in enumerate([("Valeur technique", "60 %"), ("Prix", "40 %")]):
        second += [(56, 740 - number * 14, criterion, 10), (400, 740 - number * 14, weight, 10)]
    path = write_pdf(tmp_path / "rc.pdf", [first, second])
    reading = read(path)
    assert reading.findings["title"].value == ("La conduite d'une démarche de concertation pour le quartier des "
                                               "Tilleuls")
    assert evidence(reading, "title") == Evidence("rc.pdf", 1, "Le présent marché a pour objet la conduite d'une "
                                                  "démarche de concertation pour le quartier des Tilleuls.")
    assert reading.findings["buyer"].value == "Communauté d'agglomération Plaine Vallée"
    assert reading.findings["references"].value == 3 and reading.findings["window"].value == {"years": 5}
    assert evidence(reading, "window") == Evidence("rc.pdf", 2, "Le candidat remettra au moins 3 références de "
                                                   "moins de 5 ans.")
    assert list(reading.competencies) == ["animation", "finance", "concertation"]
    selection = reading.selection
    assert [section.title for section in selection.sections if section.used] == [
        "ARTICLE 1 - OBJET DU MARCHÉ", "ARTICLE 2 - CONTENU DE LA MISSION"]
    assert "Valeur technique" not in selection.text and header not in selection.text and "Page" not in selection.text


def test_broken_accents(tmp_path: Path) -> None:
    text = ("ARTICLE 1 - OBJET\n\nLa pr\ufffdsente consultation a pour objet une mission de concertation.\n\n"
            "ARTICLE 2 - CONDITIONS DE PARTICIPATION\n\nMa\ufffdtre d'ouvrage : Ville de Bondy\n\n"
            "Trois r\ufffdf\ufffdrences r\ufffdalis\ufffdes au cours des cinq derni\ufffdres ann\ufffdes.\n\n"
            "ARTICLE 3 - REMISE DES OFFRES\n\nDate limite de r\ufffdception des offres : 3 f\ufffdvrier 2027.\n")
    path = tmp_path / "rc.txt"
    path.write_text(text, encoding="utf-8")
    reading = read(path)
    assert {name: finding.value for name, finding in reading.findings.items()} == {
        "title": "Une mission de concertation", "buyer": "Ville de Bondy", "date": datetime.date(2027, 2, 3),
        "references": 3, "window": {"years": 5}, "client_kind": None}
    assert evidence(reading, "window").sentence == ("Trois r\ufffdf\ufffdrences r\ufffdalis\ufffdes au cours des "
                                                    "cinq derni\ufffdres ann\ufffdes.")


def test_what_is_not_found_is_commented_out_with_a_note_and_the_draft_loads(tmp_path: Path) -> None:
    path = tmp_path / "objet.txt"
    path.write_text("Mission de concertation et de gestion urbaine de proximité.\n", encoding="utf-8")
    reading = read(path)
    draft = render_draft(reading, VOCABULARY, tmp_path / "tender.toml")
    assert "# buyer: not found: no sentence names the pouvoir adjudicateur or the acheteur; write it here" in draft
    assert '# buyer = "..."' in draft and "# date = 2027-01-31" in draft
    assert "# window: not found: no sentence states a window" in draft and "# years = 3" in draft
    table = tomllib.loads(draft)
    assert table == {"text": "Mission de concertation et de gestion urbaine de proximité.",
                     "competencies": {"gup": 1, "concertation": 1}}
    target = tmp_path / "tender.toml"
    target.write_text(draft, encoding="utf-8")
    assert load_tender(target).competencies == {"gup": 1, "concertation": 1}


def test_a_full_draft_loads_as_a_tender(tmp_path: Path) -> None:
    reading = read(write_rc_pdf(tmp_path / "rc.pdf"))
    target = tmp_path / "tender.toml"
    target.write_text(render_draft(reading, VOCABULARY, target), encoding="utf-8")
    tender = load_tender(target)
    assert (tender.title, tender.buyer, tender.date, tender.references, tender.years, tender.client_kind) == (
        reading.findings["title"].value, "Ville de Saint-Ouen-sur-Seine", datetime.date(2027, 1, 15), 3, 5, "public")
    assert tender.text.startswith(OBJECT + "\nLe marché n'est pas alloti.\nLe titulaire animera")


def test_only_the_mission_sections_of_an_rc_reach_the_query(tmp_path: Path) -> None:
    text = read_tender_text(write_rc_pdf(tmp_path / "rc.pdf"), "--tender-text")
    assert "Maison du projet" in text and "gestion urbaine de proximité" in text
    for administrative in ("Tribunal", "valeur technique", "remise des offres", "Pouvoir adjudicateur",
                           "références"):
        assert administrative not in text
    # A short object with no section headings is the tender's text whole, as before.
    plain = tmp_path / "objet.txt"
    plain.write_text("Objet : AMO concertation\nmaison du projet\n", encoding="utf-8")
    assert read_tender_text(plain, "--tender-text") == "Objet : AMO concertation maison du projet"


@pytest.mark.parametrize(("heading", "kind"), [
    # How the candidates' offers are made and judged, and how the consultation runs: never the mission.
    ("ARTICLE 6 - CONTENU DE L'OFFRE", "administrative"), ("Contenu des offres", "administrative"),
    ("Contenu de l’offre", "administrative"), ("7.2 Analyse des offres", "administrative"),
    ("Offres anormalement basses", "administrative"), ("Classement des offres", "administrative"),
    ("ARTICLE 4 - DÉROULEMENT DE LA CONSULTATION", "administrative"),
    ("Conditions de la consultation", "administrative"), ("Caractéristiques de la consultation", "administrative"),
    # What the mission is, and the offer of housing or services it works on.
    ("Objet de la consultation", "mission"), ("Déroulement de la mission", "mission"),
    ("Contenu de la mission", "mission"), ("Déroulement des études", "mission"),
    ("Reconstitution de l'offre de logements", "other"), ("Diversification de l'offre d'habitat", "other"),
])
def test_a_heading_on_the_offers_or_the_consultation_s_course_is_administrative(heading: str, kind: str) -> None:
    assert heading_kind(heading) == kind


def test_the_content_of_the_offer_is_not_searched_as_the_mission(tmp_path: Path) -> None:
    path = tmp_path / "rc.txt"
    path.write_text(
        "ARTICLE 1 - OBJET DE LA CONSULTATION\n\nLa présente consultation porte sur une mission d'AMO "
        "concertation et d'animation de la maison du projet.\n\nARTICLE 2 - DÉROULEMENT DE LA CONSULTATION\n\n"
        "Les candidats pourront être auditionnés après une première analyse.\n\n"
        "ARTICLE 3 - CONTENU DE L'OFFRE\n\nUn mémoire technique présentant la méthodologie, l'équipe "
        "et un planning prévisionnel.\n", encoding="utf-8")
    text = read_tender_text(path, "--tender-text")
    assert text == ("La présente consultation porte sur une mission d'AMO concertation et d'animation de la "
                    "maison du projet.")


def test_an_rc_with_a_table_of_contents_and_values_under_their_labels(tmp_path: Path) -> None:
    path = tmp_path / "rc.txt"
    path.write_text(
        "RÈGLEMENT DE LA CONSULTATION\nMARCHÉ PUBLIC DE PRESTATIONS INTELLECTUELLES\n\n"
        "Date et heure limites de réception des offres\n\n05 juillet 2027 à 12 Heures\n\n"
        "Version Date Rédacteur\n\nV1 06/06/2027 Service marchés\n\n"
        "SOMMAIRE\n\n1 - Objet et étendue de la consultation ........ 3\n\n2 - Conditions ........ 4\n\n"
        "1. OBJET DE LA CONSULTATION\n\n1.1. pouvoir adjudicateur\n\n"
        "Le Maître de l'ouvrage est la personne morale désignée ci-après :\n\nSA HLM Val de Seine Habitat\n\n"
        "Adresse : 4 cours Carnot - 76500 Elbeuf.\n\n1.2. Objet\n\nLa présente consultation concerne une mission "
        "d'accompagnement social des ménages de la résidence des Roses.\n\n1.3 - Décomposition de la consultation\n\n"
        "Le marché ne fait pas l'objet d'un allotissement.\n\n3. PRÉSENTATION DES CANDIDATURES\n\n"
        "Une liste des principaux services effectués au cours des trois dernières années, indiquant le montant, la "
        "date et le destinataire public ou privé.\n", encoding="utf-8")
    reading = read(path)
    assert {name: finding.value for name, finding in reading.findings.items()} == {
        "title": "Une mission d'accompagnement social des ménages de la résidence des Roses",
        "buyer": "SA HLM Val de Seine Habitat", "date": datetime.date(2027, 7, 5), "references": None,
        "window": {"years": 3}, "client_kind": None}
    assert evidence(reading, "buyer").sentence == ("Le Maître de l'ouvrage est la personne morale désignée ci-après "
                                                   ": SA HLM Val de Seine Habitat")
    assert evidence(reading, "date").sentence == ("Date et heure limites de réception des offres 05 juillet 2027 à "
                                                  "12 Heures")
    assert reading.findings["date"].note == "the deadline for offers, at 12h00"
    assert [section.title for section in reading.selection.sections if section.used] == [
        "1. OBJET DE LA CONSULTATION", "1.2. Objet"]
    assert reading.selection.text == ("La présente consultation concerne une mission d'accompagnement social des "
                                      "ménages de la résidence des Roses.")


@pytest.mark.slow
def test_a_two_column_rc_that_libreoffice_laid_out(tmp_path: Path) -> None:
    import shutil
    import subprocess

    from tests.rc_fixtures import TWO_COLUMN_REFERENCES, write_two_column_rc_docx

    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (soffice) is needed to make the PDF: apt-get install libreoffice-writer"
    source = write_two_column_rc_docx(tmp_path / "RC.docx")
    subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=180)
    reading = read(tmp_path / "RC.pdf")
    assert {name: finding.value for name, finding in reading.findings.items()} == {
        "title": "Une mission d'AMO concertation et d'animation de la Maison du projet du NPRU des Bosquets, "
                 "quartier prioritaire de la politique de la ville",
        "buyer": "Ville de Montfermeil", "date": datetime.date(2027, 2, 8), "references": 3, "window": {"years": 3},
        "client_kind": "public"}
    assert evidence(reading, "window") == Evidence("RC.pdf", 2, TWO_COLUMN_REFERENCES)
    assert evidence(reading, "buyer").sentence == "Acheteur : Ville de Montfermeil, 7 place Jean Mermoz, 93370 " \
                                                  "Montfermeil."
    assert [(number, title) for number, title, _evidence in reading.lots] == [
        ("1", "Concertation et maison du projet"), ("2", "Gestion urbaine et sociale de proximité")]
    # Headings that wrapped in their column are whole, and in the order of the columns.
    assert [(section.title, section.used) for section in reading.selection.sections] == [
        ("RÈGLEMENT DE LA CONSULTATION", False), ("ARTICLE 1 - ACHETEUR", False),
        ("ARTICLE 2 - OBJET DE LA CONSULTATION", True), ("ARTICLE 3 - CONTENU DE LA MISSION", True),
        ("ARTICLE 4 - COMPÉTENCES ATTENDUES", True), ("ARTICLE 5 - PIÈCES DE LA CANDIDATURE", False),
        ("ARTICLE 6 - CRITÈRES DE JUGEMENT DES OFFRES", False), ("ARTICLE 7 - VOIES DE RECOURS", False)]
    assert list(reading.competencies) == ["finance", "gup", "concertation"]  # gup: lot 2
    assert "Montfermeil — RC" not in reading.selection.text and "Valeur technique" not in reading.selection.text


def test_broken_accents_in_a_pdf(tmp_path: Path) -> None:
    lines = ["ARTICLE 1 - OBJET", "Le pr\ufffdsent march\ufffd a pour objet la concertation du quartier Sablons.",
             "", "ARTICLE 2 - PI\ufffdCES DE LA CANDIDATURE", "Ma\ufffdtre d'ouvrage : Ville de Bondy, 93140 Bondy.",
             "Trois r\ufffdf\ufffdrences des cinq derni\ufffdres ann\ufffdes.",
             "Date limite de r\ufffdception des offres : 3 f\ufffdvrier 2027 \ufffd 12h."]
    reading = read(write_pdf(tmp_path / "rc.pdf", [text_page(lines)]))
    assert {name: finding.value for name, finding in reading.findings.items()} == {
        "title": "La concertation du quartier Sablons", "buyer": "Ville de Bondy", "date": datetime.date(2027, 2, 3),
        "references": 3, "window": {"years": 5}, "client_kind": None}
    assert evidence(reading, "references") == Evidence(
        "rc.pdf", 1, "Trois r\ufffdf\ufffdrences des cinq derni\ufffdres ann\ufffdes.")
    assert evidence(reading, "buyer").sentence == "Ma\ufffdtre d'ouvrage : Ville de Bondy, 93140 Bondy."
    assert reading.findings["date"].note == "the deadline for offers, at 12h00"


def test_numbered_items_and_sub_headings_stay_in_their_section(tmp_path: Path) -> None:
    path = tmp_path / "cctp.txt"
    path.write_text("ARTICLE 1 - CONTENU DE LA MISSION\n\n1. Réalisation d'un diagnostic partagé\n\n"
                    "2. Le titulaire animera trois ateliers de concertation.\n\n2.3 Le quartier des Tilleuls\n\n"
                    "Un quartier de 900 logements.\n\nARTICLE 2 - MODALITÉS DE PAIEMENT\n\nÀ 30 jours.\n",
                    encoding="utf-8")
    selection = read(path).selection
    assert [(section.title, section.used) for section in selection.sections] == [
        ("ARTICLE 1 - CONTENU DE LA MISSION", True), ("ARTICLE 2 - MODALITÉS DE PAIEMENT", False)]
    assert selection.text == ("1. Réalisation d'un diagnostic partagé\nLe titulaire animera trois ateliers de "
                              "concertation.\n2.3 Le quartier des Tilleuls\nUn quartier de 900 logements.")


@pytest.mark.parametrize(("sentence", "window"), [
    ("Les références porteront sur les 36 derniers mois.", {"years": 3}),
    ("Trois références postérieures au 1er janvier 2020.", {"since": 2020}),
    ("Des références datant de moins de cinq ans à la date de remise des offres.", {"years": 5}),
    ("Trois références sur ces trois dernières années.", {"years": 3}),
    # Older ones refused is a window, not older ones accepted.
    ("Les références de plus de trois ans ne seront pas prises en compte.", {"years": 3}),
    ("Trois références de moins de trois ans (les références de plus de trois ans ne seront pas examinées).",
     {"years": 3}),
])
def test_more_ways_of_stating_the_window(tmp_path: Path, sentence: str, window) -> None:
    reading = read(write_rc_text(tmp_path / "rc.txt", references=sentence))
    assert reading.findings["window"].value == window
    assert evidence(reading, "window").sentence == sentence


def test_an_avis_with_its_buyer_under_a_heading_and_its_title_as_intitule(tmp_path: Path) -> None:
    path = tmp_path / "avis.txt"
    path.write_text("SECTION I : IDENTIFICATION DE L'ACHETEUR\n\nEst Ensemble, 100 avenue Gaston Roussel, 93230 "
                    "Romainville.\n\nSECTION II : OBJET\n\nIntitulé du marché : AMO gestion urbaine et sociale de "
                    "proximité des quartiers NPNRU\n\nRemise des offres : 12/03/2027 à 12:00\n", encoding="utf-8")
    reading = read(path)
    assert reading.findings["buyer"].value == "Est Ensemble"
    assert evidence(reading, "buyer").sentence == ("SECTION I : IDENTIFICATION DE L'ACHETEUR : Est Ensemble, 100 "
                                                   "avenue Gaston Roussel, 93230 Romainville.")
    assert reading.findings["title"].value == "AMO gestion urbaine et sociale de proximité des quartiers NPNRU"
    assert reading.findings["date"].value == datetime.date(2027, 3, 12)
    assert reading.findings["date"].note == "the deadline for offers, at 12h00"


def test_accents_and_apostrophes_an_export_dropped(tmp_path: Path) -> None:
    path = tmp_path / "rc.txt"
    path.write_text("ARTICLE 1 - OBJET\n\nLe prsent march a pour objet une tude de concertation.\n\n"
                    "ARTICLE 2 - CANDIDATURES\n\nMatre douvrage : Ville de Stains\n\nLe candidat prsentera au moins "
                    "trois rfrences ralises au cours des cinq dernires annes pour des matres douvrage publics."
                    "\n\nARTICLE 3 - REMISE\n\nDate limite de rception des offres : 3 fvrier 2027\n",
                    encoding="utf-8")
    reading = read(path)
    assert {name: finding.value for name, finding in reading.findings.items()} == {
        "title": "Une tude de concertation", "buyer": "Ville de Stains", "date": datetime.date(2027, 2, 3),
        "references": 3, "window": {"years": 5}, "client_kind": "public"}


def test_an_rc_typed_without_styles_still_has_its_sections(tmp_path: Path) -> None:
    """Headings that are plain short lines ("Objet de la consultation") still cut the RC into sections: the
    object is found under its heading, and only the mission's sections reach the query."""
    rc = tmp_path / "rc.txt"
    rc.write_text("\n\n".join([
        "Pouvoir adjudicateur : Ville de Clichy-sous-Bois",
        "Objet de la consultation",
        "Mission d'assistance à maîtrise d'ouvrage pour la concertation et l'animation de la maison du projet.",
        "Contenu de la mission",
        "Le titulaire animera la maison du projet et accompagnera le conseil citoyen.",
        "Pièces à fournir",
        "Une liste des principales prestations effectuées au cours des trois dernières années.",
        "Critères de jugement des offres",
        "Valeur technique 60 %, prix 40 %.",
    ]), encoding="utf-8")
    reading = read(rc)
    assert reading.findings["title"].value.startswith("Mission d'assistance à maîtrise d'ouvrage pour la concertation")
    text = read_tender_text(rc, "--tender-text")
    assert "animera la maison du projet" in text and "Valeur technique" not in text and "prestations" not in text


def _small_rc(path: Path, candidature: str, deadline: str = "Date limite de remise des offres : 15/01/2027 à 12h00.",
              head: str = "ARTICLE 2 - PIÈCES DE LA CANDIDATURE") -> Path:
    path.write_text("ARTICLE 1 - OBJET DE LA CONSULTATION\n\nLa présente consultation a pour objet une mission de "
                    f"concertation pour le NPNRU du quartier Blanqui.\n\n{head}\n\n{candidature}\n\n"
                    f"ARTICLE 3 - REMISE DES OFFRES\n\n{deadline}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("candidature", "field"), [
    ("Le candidat fournira ses références (2020-2025) pour des missions similaires.", "references"),
    ("Capacités techniques et références (20 %) : le candidat présentera ses missions.", "references"),
    ("La personne publique se réserve le droit de vérifier les références fournies par le candidat.", "client_kind"),
    ("Les références auprès de maîtres d'ouvrage publics et privés sont acceptées.", "client_kind"),
    ("Les références seront examinées à partir du 15 février 2099 par la commission.", "window"),
    ("Pour chaque référence, le candidat indiquera le nom du maître d'ouvrage : public ou privé, et l'année.", "buyer"),
])
def test_a_value_the_rc_does_not_state_is_not_read_into_it(tmp_path: Path, candidature: str, field: str) -> None:
    # A span of years or a weighting is no count; the buyer ("la personne publique") or "publics et privés" restrict
    # no client; a date to come is no window; a kind of client is no buyer's name.
    reading = read(_small_rc(tmp_path / "rc.txt", candidature))
    assert reading.findings[field].value is None, reading.findings[field]


def test_a_heading_s_number_is_not_the_count_of_references(tmp_path: Path) -> None:
    path = tmp_path / "rc.md"
    path.write_text("# 1 Objet de la consultation\n\nLa présente consultation a pour objet une mission de "
                    "concertation.\n\n# 2 Références du candidat\n\nLe candidat présentera trois références de "
                    "missions similaires.\n", encoding="utf-8")
    assert read(path).findings["references"].value == 3


@pytest.mark.parametrize(("deadline", "date"), [
    ("Date limite de remise des offres : se reporter à l'avis d'appel public à la concurrence publié le 12 décembre "
     "2026.", None),
    ("Date limite de remise des offres : 15/01/27 à 12h00.\n\nDate limite d'envoi des questions : 8 janvier 2027.",
     None),
    ("La date limite de remise des offres, initialement fixée au 10 janvier 2027, est reportée au 24 janvier 2027 à "
     "12h00.", datetime.date(2027, 1, 24)),
])
def test_the_deadline_is_the_offers_own_date_never_another_s(tmp_path: Path, deadline: str, date) -> None:
    reading = read(_small_rc(tmp_path / "rc.txt", "Le candidat présentera trois références.", deadline))
    assert reading.findings["date"].value == date


def test_what_the_market_lasts_is_not_its_object(tmp_path: Path) -> None:
    path = tmp_path / "rc.txt"
    path.write_text("ARTICLE 2 - DURÉE DU MARCHÉ\n\nLe présent marché porte sur une durée de 36 mois à compter de la "
                    "notification.\n\nARTICLE 3 - OBJET DU MARCHÉ\n\nObjet du marché : Étude de programmation urbaine "
                    "du quartier des Courtillières.\n", encoding="utf-8")
    assert read(path).findings["title"].value == "Étude de programmation urbaine du quartier des Courtillières"


def test_lots_that_ask_for_different_numbers_of_references_are_left_to_the_user(tmp_path: Path) -> None:
    # The first lot's count written as the tender's would have the annex hold 3 where lot 2 asks for 5.
    reading = read(_small_rc(tmp_path / "rc.txt", "Pour le lot 1, le candidat présentera trois références.\n\n"
                             "Pour le lot 2, le candidat présentera cinq références."))
    found = reading.findings["references"]
    assert found.value is None
    assert found.note.startswith("the documents state several numbers of references (3 (rc.txt p. 1: Pour le lot 1")
    assert found.note.endswith("); choose one")
    same = read(_small_rc(tmp_path / "same.txt", "Le candidat présentera trois références. Les trois références "
                          "seront datées."))
    assert same.findings["references"].value == 3


def test_a_word_rc_s_text_boxes_and_tracked_changes_are_read_once(tmp_path: Path) -> None:
    from docx import Document

    from tests.authoring.test_fiche_docx import _text_box, _tracked

    document = Document()
    document.add_heading("ARTICLE 1 - OBJET DE LA CONSULTATION", level=1)
    anchor = document.add_paragraph("La présente consultation porte sur une mission de concertation.")
    _text_box(anchor, "Date limite de remise des offres : 3 février 2027 à 12h00")
    _tracked(document.add_paragraph("Trois références de moins de "), "cinq ans.", "trois ans.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Acheteur"
    _text_box(table.rows[0].cells[1].paragraphs[0], "Ville de Bondy")
    path = tmp_path / "rc.docx"
    document.save(path)
    reading = read(path)
    assert [paragraph.text for paragraph in reading.documents[0].paragraphs] == [
        "ARTICLE 1 - OBJET DE LA CONSULTATION", "La présente consultation porte sur une mission de concertation.",
        "Date limite de remise des offres : 3 février 2027 à 12h00", "Trois références de moins de cinq ans.",
        "Acheteur  Ville de Bondy"]
    assert reading.findings["date"].value == datetime.date(2027, 2, 3)
    assert reading.findings["window"].value == {"years": 5}


def test_a_long_object_is_the_title_whole_and_a_cut_one_says_so(tmp_path: Path) -> None:
    """The title goes to the annex's cover: the helper's RC lost "Fontaine Mallet" to a cut at 200 characters,
    unsaid. An object up to TITLE_LENGTH is kept whole; a longer one is cut at a word, with a note."""
    from refcli.search.tender_reading import TITLE_LENGTH

    long = ("Objet du marché : Une mission d'assistance à maîtrise d'ouvrage pour la définition et la mise en œuvre "
            "de la stratégie de concertation et de participation des habitants dans le cadre du nouveau programme "
            "national de renouvellement urbain (NPNRU) du quartier de la Fontaine Mallet.")
    path = tmp_path / "rc.txt"
    path.write_text(f"ARTICLE 1 - OBJET\n\n{long}\n", encoding="utf-8")
    found = read(path).findings["title"]
    assert found.value.endswith("du quartier de la Fontaine Mallet") and found.note == ""
    endless = "Objet du marché : Une étude " + "du quartier, de ses habitants et de ses équipements " * 12 + "."
    path.write_text(f"ARTICLE 1 - OBJET\n\n{endless}\n", encoding="utf-8")
    found = read(path).findings["title"]
    assert found.value.endswith("…") and len(found.value) <= TITLE_LENGTH + 1
    assert found.note == f"cut at {TITLE_LENGTH} characters: shorten it to the tender's own object"
