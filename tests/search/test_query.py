import datetime
from pathlib import Path

import pytest

from refcli.errors import UserError
from refcli.search.query import DEFAULT_LIMIT, Tender, build_query, load_tender, read_tender_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def query(library, glossary, **options):
    options.setdefault("year", 2026)
    return build_query(library.vocabulary, glossary, **options)


def test_keywords_and_phrases_with_their_glossary_alternatives(seed_library, glossary):
    built = query(seed_library, glossary, keywords=["GUP", "maison du projet"])
    gup, maison = built.terms
    assert gup.words == ("gup",) and not gup.is_phrase
    assert "gestion urbaine de proximité" in [alternative.text for alternative in gup.alternatives]
    assert maison.words == ("maison", "projet") and maison.is_phrase
    assert built.limit == DEFAULT_LIMIT and built.since is None and built.competencies == {}


def test_free_text_finds_glossary_phrases_and_drops_boilerplate(seed_library, glossary):
    built = query(seed_library, glossary, text="Le titulaire ouvrira la Maison du projet du quartier.")
    texts = [term.text for term in built.terms]
    assert "Maison du projet" in texts  # as the text writes it
    assert "Maison" in texts and "titulaire" not in texts  # a glossary phrase adds to its words
    assert "quartier" in texts
    kept = query(seed_library, glossary, keywords=["titulaire"])
    assert [term.text for term in kept.terms] == ["titulaire"]


def test_ambiguous_terms_are_left_out_or_taken_literally(seed_library, glossary):
    built = query(seed_library, glossary, keywords=["CA", "TF", "insertion"])
    assert [term.text for term in built.terms] == ["insertion"]
    assert built.terms[0].literal and built.terms[0].alternatives == ()
    assert any("'CA' left out" in note for note in built.notes)
    with pytest.raises(UserError, match=r"^query: nothing to search for.*'CA' left out"):
        query(seed_library, glossary, keywords=["CA"])


def test_competencies_resolve_names_aliases_and_levels(seed_library, glossary):
    built = query(seed_library, glossary, competencies=["gestion urbaine", "Participation des habitants:4", "OPC"])
    assert built.competencies == {"gup": 1, "concertation": 4, "coordination": 1}
    assert built.terms == ()


def test_window_from_since_or_years(seed_library, glossary):
    assert query(seed_library, glossary, keywords=["x"], since=2016).since == 2016
    assert query(seed_library, glossary, keywords=["x"], years=10).since == 2016
    assert query(seed_library, glossary, keywords=["x"], years=3, year=2030).since == 2027


@pytest.mark.parametrize(("options", "message"), [
    ({}, "query: nothing to search for"),
    ({"keywords": ["x"], "competencies": ["concertaion"]},
     "--competency 'concertaion': unknown competency; did you mean 'Concertation'?"),
    ({"keywords": ["x"], "competencies": ["concertation:9"]},
     "--competency 'concertation:9': the level must be a whole number from 1 to 5, got '9'"),
    ({"keywords": ["x"], "limit": -1}, "--limit: must be 1 or more, got -1"),
    ({"keywords": ["x"], "limit": 0}, "--limit: must be 1 or more"),
    ({"keywords": ["x"], "since": 2031}, "--since: the window starts in 2031, in the future (this year is 2026)"),
    ({"keywords": ["x"], "years": 0}, "--years: must be 1 or more, got 0"),
    ({"keywords": ["x"], "years": -2}, "--years: must be 1 or more"),
    ({"keywords": ["x"], "since": 2016, "years": 3}, "--since/--years: give one or the other"),
    ({"keywords": ["x"], "client_kind": "associatif"}, "--client: 'associatif': expected public or private"),
    ({"text_file": Path("/nonexistent/object.txt")}, "--tender-text /nonexistent/object.txt: cannot read the file"),
    ({"text_file": Path("object.odt")}, "--tender-text object.odt: unsupported file type '.odt'; give a .pdf, "
                                        ".docx, .txt or .md file"),
])
def test_bad_options_are_one_line_naming_the_option(seed_library, glossary, options, message):
    with pytest.raises(UserError) as raised:
        query(seed_library, glossary, **options)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_the_example_tender(seed_library, glossary):
    tender = load_tender(EXAMPLES / "tender-concertation.toml")
    assert tender.date == datetime.date(2026, 11, 21)
    assert tender.references == 2 and tender.years == 10 and tender.client_kind == "public"
    assert tender.competencies == {"concertation": 4, "animation partenariale": 2, "conseil": 2}
    assert "Maison du projet" in tender.text  # read from text_file, beside the tender
    built = query(seed_library, glossary, tender=tender, year=2030)
    assert built.limit == 2 and built.since == 2016  # the window counts back from the tender's date
    assert built.competencies == {"concertation": 4, "animation": 2, "conseil": 2}
    assert built.client_kind == "public" and built.tender is tender
    assert built.terms[0].text == "assistance à maîtrise d'ouvrage" and built.terms[0].origin == "tender"


def test_options_override_the_tender(seed_library, glossary):
    tender = Tender(keywords=("concertation",), references=3, years=10, client_kind="public")
    built = query(seed_library, glossary, tender=tender, limit=7, since=2010, client_kind="private")
    assert (built.limit, built.since, built.client_kind) == (7, 2010, "private")


def write(tmp_path, text):
    path = tmp_path / "tender.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "message"), [
    ("title = ", "tender.toml: TOML syntax error"),
    ('titel = "AMO"', "tender.toml: titel: unknown key; did you mean 'title'?"),
    ("keywords = 'concertation'", "tender.toml: keywords: expected a list of non-empty strings"),
    ("references = 0", "tender.toml: references: expected a whole number, 1 or more, got 0"),
    ("date = 'demain'", "tender.toml: date: expected a date like 2026-11-21"),
    ("client_kind = 'associatif'", "tender.toml: client_kind: expected public or private"),
    ("[window]\nyears = 3\nsince = 2020", "tender.toml: window: give since or years, not both"),
    ("[window]\nyear = 3", "tender.toml: window.year: unknown key"),
    ("[competencies]\nconcertation = 'forte'", "tender.toml: competencies.concertation: expected a minimum level"),
    ("[competencies]\nconcertation = 0", "tender.toml: competencies.concertation: expected a minimum level, a whole "
                                        "number of 1 or more (got 0)"),
    ("text_file = 'missing.txt'", "tender.toml: text_file: "),
])
def test_bad_tender_file_is_one_line_naming_the_key(tmp_path, text, message):
    with pytest.raises(UserError) as raised:
        load_tender(write(tmp_path, text))
    assert str(raised.value).startswith(str(tmp_path / message))
    assert "\n" not in str(raised.value)


def test_missing_tender_file(tmp_path):
    with pytest.raises(UserError, match=r"tender.toml: cannot read the tender file"):
        load_tender(tmp_path / "tender.toml")


def test_unknown_competency_in_a_tender_names_file_and_key(tmp_path, seed_library, glossary):
    tender = load_tender(write(tmp_path, "[competencies]\nconcertaion = 3"))
    with pytest.raises(UserError) as raised:
        query(seed_library, glossary, tender=tender)
    assert str(raised.value).startswith(f"{tmp_path / 'tender.toml'}: competencies.concertaion: 'concertaion': "
                                        "unknown competency; did you mean 'Concertation'?")


def test_future_window_in_a_tender(tmp_path, seed_library, glossary):
    tender = load_tender(write(tmp_path, "keywords = ['x']\n[window]\nsince = 2031"))
    with pytest.raises(UserError, match=r"tender.toml: window.since: the window starts in 2031, in the future"):
        query(seed_library, glossary, tender=tender)


def test_tender_text_from_txt_with_broken_bytes_and_docx(tmp_path):
    text_path = tmp_path / "object.txt"
    text_path.write_bytes("Ma\xeetrise d'ouvrage".encode("latin-1"))
    assert read_tender_text(text_path, "--tender-text") == "Ma\ufffdtrise d'ouvrage"
    from docx import Document

    document = Document()
    document.add_paragraph("Objet : AMO concertation")
    document.add_table(rows=1, cols=1).rows[0].cells[0].text = "maison du projet"
    docx_path = tmp_path / "object.docx"
    document.save(str(docx_path))
    assert read_tender_text(docx_path, "--tender-text") == "Objet : AMO concertation\nmaison du projet"
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(UserError, match=r"^--tender-text .*broken.docx: not a readable Word document"):
        read_tender_text(broken, "--tender-text")


def test_a_broken_accent_expands_like_the_correct_form(seed_library, glossary):
    broken = query(seed_library, glossary, keywords=["Ma\ufffdtrise d'ouvrage"]).terms[0]
    correct = query(seed_library, glossary, keywords=["Maîtrise d'ouvrage"]).terms[0]
    assert broken.words == ("ma\ufffdtrise", "ouvrage")
    assert broken.alternatives == correct.alternatives
    assert "maître d'ouvrage" in [alternative.text for alternative in correct.alternatives]


def test_words_found_in_free_text_are_shown_as_written(seed_library, glossary):
    built = query(seed_library, glossary, text="Mission d’assistance à maîtrise d’ouvrage : comités de pilotage,\n"
                                               "réunions publiques (l’évaluation).")
    texts = [term.text for term in built.terms]
    assert "assistance à maîtrise d’ouvrage" in texts and "comités de pilotage" in texts
    assert {"maîtrise", "réunions", "évaluation"} <= set(texts)
    assert not {"maitrise", "comites pilotage", "reunions", "l’évaluation", "evaluation"} & set(texts)
    # What is searched is unchanged: the folded stems.
    assert next(term for term in built.terms if term.text == "maîtrise").stems == ("maitris",)


def test_the_parts_of_a_hyphenated_glossary_member_are_no_words_of_their_own(seed_library, glossary):
    built = query(seed_library, glossary, text="Une démarche de co-construction avec les habitants.")
    texts = [term.text for term in built.terms]
    assert "co-construction" in texts and "construction" not in texts  # not the construction of a building
    assert "habitants" in texts
