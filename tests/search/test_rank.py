import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refcli.search.index import build_index
from refcli.search.query import build_query
from refcli.search.rank import TYPO_WEIGHT, rank_missions
from tests.conftest import record_text

NEUILLY = "neuilly-sur-marne-amo-concertation"
HENIN = "henin-carvin-projet-urbain-social"
ANTONY = "antony-point-etape-psl"
BAGNEUX = "bagneux-point-etape-cloture"
EST_ENSEMBLE = "est-ensemble-amo-npru"


def ranked(library, index, glossary, year=2026, **options):
    query = build_query(library.vocabulary, glossary, year=year, **options)
    return rank_missions(library, index, query)


# The relevance check: each query against the seed library, with the missions that must rank first
# (a set when several are equally right). Typos, acronyms, synonyms, missing and broken accents.
RELEVANCE = [
    (["concertation", "maison du projet"], [], {NEUILLY}),
    (["Concertation", "Maison du Projet"], [], {NEUILLY}),
    (["concertaiton"], [], {NEUILLY}),
    (["maison du projet"], [], {NEUILLY}),
    (["participation des habitants"], [], {NEUILLY}),
    (["co-construction"], [], {NEUILLY}),
    (["Assistance \ufffd ma\ufffdtrise d'ouvrage", "concertation"], [], {NEUILLY}),
    (["GUP"], [], {HENIN}),
    (["GUSP"], [], {HENIN}),
    (["GUP"], ["gestion urbaine"], {HENIN}),
    (["gestion urbaine de proximite"], [], {HENIN}),
    (["gestion urbaine de proximit\ufffd"], [], {HENIN}),
    (["diagnostic en marchant"], [], {HENIN}),
    (["point d'etape"], [], {ANTONY, BAGNEUX}),
    (["point d'\ufffdtape", "PSL"], [], {ANTONY}),
    (["PSL"], [], {ANTONY}),
    (["plan strategique local"], [], {ANTONY}),
    (["strat\ufffdgie de peuplement"], [], {ANTONY}),
    (["cloture de convention"], [], {BAGNEUX}),
    (["NPNRU"], [], {HENIN, EST_ENSEMBLE}),
    (["montage financier"], [], {EST_ENSEMBLE}),
    (["renouvelement urbain"], [], {EST_ENSEMBLE}),
    (["Seine-Saint-Denis"], [], {EST_ENSEMBLE}),
]


@pytest.mark.parametrize(("keywords", "competencies", "first"), RELEVANCE)
def test_relevance(seed_library, seed_index, glossary, keywords, competencies, first):
    matches = ranked(seed_library, seed_index, glossary, keywords=keywords, competencies=competencies)
    assert {match.id for match in matches[: len(first)]} == first


@pytest.mark.parametrize("forms", [
    ["gestion urbaine de proximité", "gestion urbaine de proximite", "GESTION URBAINE DE PROXIMIT\ufffd"],
    ["point d'étape", "point d’etape", "point d'\ufffdtape", "Point d'Etape"],
    ["concertation", "concertaiton", "CONCERTATION", "concertations"],
    ["stratégie de peuplement", "strategie de peuplement", "strat\ufffdgie de peuplement"],
    ["GUP", "GUSP", "GSUP"],
])
def test_misspelled_and_accentless_forms_find_what_the_correct_form_finds(seed_library, seed_index, glossary, forms):
    found = [[match.id for match in ranked(seed_library, seed_index, glossary, keywords=[form])] for form in forms]
    assert found[0] and all(ids[0] == found[0][0] for ids in found)
    assert all(set(ids) <= set(found[0]) | set(ids[:1]) for ids in found)


def test_results_are_explained_and_points_add_up(seed_library, seed_index, glossary):
    matches = ranked(seed_library, seed_index, glossary, keywords=["GUP"], competencies=["gestion urbaine:3"])
    first = matches[0]
    assert first.id == HENIN
    assert any(field.via == "gestion urbaine de proximité" and field.field == "keywords" and field.kind == "alternative"
               for field in first.fields)
    assert first.competencies[0].covered and first.competencies[0].level == 3
    for match in matches:
        total = sum(field.points for field in match.fields) + sum(item.points for item in match.competencies) \
            + sum(item.points for item in match.concepts)
        assert total == pytest.approx(match.score)
        assert 0 < match.score <= 100
    antony = next(match for match in matches if match.id == ANTONY)
    assert not antony.competencies[0].covered and antony.competencies[0].level == 2


def test_ties_are_broken_by_id_and_limit_applies(write_library, seed_library, seed_index, glossary):
    library = write_library({"b": record_text("b", "Point d'étape"), "a": record_text("a", "Point d'étape")})
    matches = ranked(library, build_index(library), glossary, keywords=["point d'etape"])
    assert [match.id for match in matches] == ["a", "b"] and matches[0].score == matches[1].score
    assert len(ranked(seed_library, seed_index, glossary, keywords=["NPNRU"], limit=1)) == 1


def test_window_halves_and_flags_older_missions(seed_library, seed_index, glossary):
    everything = {m.id: m for m in ranked(seed_library, seed_index, glossary, keywords=["NPNRU"])}
    recent = {m.id: m for m in ranked(seed_library, seed_index, glossary, keywords=["NPNRU"], since=2016)}
    assert not recent[HENIN].in_window and recent[EST_ENSEMBLE].in_window
    assert recent[HENIN].score == pytest.approx(everything[HENIN].score / 2)
    assert recent[EST_ENSEMBLE].score == pytest.approx(everything[EST_ENSEMBLE].score)
    assert next(iter(recent)) == EST_ENSEMBLE


def test_client_kind_filters(seed_library, seed_index, glossary):
    assert ranked(seed_library, seed_index, glossary, keywords=["concertation"], client_kind="private") == []
    assert ranked(seed_library, seed_index, glossary, keywords=["concertation"], client_kind="public")


def test_competencies_alone_rank_by_coverage(seed_library, seed_index, glossary):
    matches = ranked(seed_library, seed_index, glossary, competencies=["concertation:4"])
    assert [match.id for match in matches] == [NEUILLY, HENIN]
    assert matches[0].score == 100 and matches[1].score == pytest.approx(100 * 0.5 * 2 / 4)


def test_ambiguous_acronyms_match_nothing(seed_library, seed_index, glossary):
    # The Hénin-Carvin client is a "CA", the Neuilly fee a "TF": neither is found through them.
    with_noise = ranked(seed_library, seed_index, glossary, keywords=["CA", "TF", "concertation"])
    alone = ranked(seed_library, seed_index, glossary, keywords=["concertation"])
    assert [(m.id, m.score) for m in with_noise] == [(m.id, m.score) for m in alone]


def test_two_words_of_the_library_never_match_fuzzily_and_a_typo_is_corrected(write_library, glossary):
    library = write_library({
        "exact": record_text("exact", "Diagnostic partagé"),
        "other": record_text("other", "Diagnostik partagé"),
        "psla": record_text("psla", "Accession", keywords=("PSLA",)),
    })
    index = build_index(library)
    assert [match.id for match in ranked(library, index, glossary, keywords=["diagnostic"])] == ["exact"]
    typo = ranked(library, index, glossary, keywords=["diagnostiq"])  # no record writes it
    assert typo[0].fields[0].kind == "typo" and typo[0].fields[0].similarity < 100
    assert typo[0].fields[0].matched in ("diagnostic", "diagnostik")  # what the typo was taken for
    assert typo[0].score == pytest.approx(ranked(library, index, glossary, keywords=[
        typo[0].fields[0].matched])[0].score * TYPO_WEIGHT)
    assert ranked(library, index, glossary, keywords=["PSL"]) == []


@pytest.mark.parametrize("word", ["relogement", "habitants"])
def test_no_mission_is_said_to_match_a_word_it_does_not_hold(seed_library, seed_index, glossary, word):
    """"relogement" is not "logement", "habitants" not "habitat": a word matches its own stem, or a
    glossary alternative; the shipped records never write relogement."""
    from refcli.search.text import stem

    matches = ranked(seed_library, seed_index, glossary, keywords=[word])
    for match in matches:
        for field in match.fields:
            assert field.matched == stem(word) or field.via is not None, field
    if word == "relogement":
        assert matches == []


def test_a_typo_of_a_rare_word_still_finds_its_mission(seed_library, seed_index, glossary):
    matches = ranked(seed_library, seed_index, glossary, keywords=["Neuily"])  # Neuilly-sur-Marne, misspelt
    assert matches and matches[0].id == NEUILLY and matches[0].fields[0].kind == "typo"


def test_inflected_forms_are_one_term(seed_library, seed_index, glossary):
    one = ranked(seed_library, seed_index, glossary, keywords=["urbain"])
    other = ranked(seed_library, seed_index, glossary, keywords=["urbaines"])
    assert [(m.id, round(m.score, 6)) for m in one] == [(m.id, round(m.score, 6)) for m in other]


def test_phrase_side_by_side_beats_scattered_words(write_library, glossary):
    library = write_library({
        "a-scattered": record_text("a-scattered", "Projet urbain et maison de quartier"),
        "b-phrase": record_text("b-phrase", "Maison du projet"),
    })
    matches = ranked(library, build_index(library), glossary, keywords=["maison du projet"])
    assert [match.id for match in matches] == ["b-phrase", "a-scattered"]
    assert [match.fields[0].kind for match in matches] == ["phrase", "scattered"]


def test_rarer_terms_weigh_more(write_library, glossary):
    common = "Habitat"
    library = write_library({
        "a": record_text("a", f"{common} peuplement"),
        "b": record_text("b", common),
        "c": record_text("c", common),
    })
    first = ranked(library, build_index(library), glossary, keywords=["habitat", "peuplement"])[0]
    points = {field.term: field.points for field in first.fields}
    assert first.id == "a" and points["peuplement"] > points["habitat"]


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_query_ranks_by_score_then_id_within_0_to_100(seed_library, seed_index, glossary, data):
    plain = sorted(word for word in seed_index.words if glossary.ambiguity(word) is None)  # "ca", "tf" left out
    words = data.draw(st.lists(st.sampled_from(plain), min_size=1, max_size=4))
    limit = data.draw(st.integers(min_value=1, max_value=5))
    matches = ranked(seed_library, seed_index, glossary, keywords=words, limit=limit)
    assert 1 <= len(matches) <= limit
    keys = [(-round(match.score, 9), match.id) for match in matches]
    assert keys == sorted(keys)
    assert all(0 < match.score <= 100 + 1e-9 for match in matches)
    assert matches == ranked(seed_library, seed_index, glossary, keywords=words, limit=limit)


def test_a_broken_accent_finds_the_accented_word(write_library, glossary):
    library = write_library({
        "moa": record_text("moa", "Conduite de la maîtrise d'ouvrage urbaine"),
        "other": record_text("other", "Mission sans rapport"),
    })
    index = build_index(library)
    broken = ranked(library, index, glossary, keywords=["Ma\ufffdtrise d'ouvrage"])
    correct = ranked(library, index, glossary, keywords=["Maîtrise d'ouvrage"])
    assert [match.id for match in broken] == [match.id for match in correct] == ["moa"]
    assert broken[0].score == pytest.approx(correct[0].score)
    assert broken[0].fields[0].matched == "maitrise ouvrage" and broken[0].fields[0].kind == "broken accent"


def test_the_meaning_of_the_score_in_the_docs_follows_the_constants():
    """docs/search.md's table of what a score means, computed from rank.py's constants."""
    import re

    from refcli.search import rank
    from tests.conftest import ROOT

    page = (ROOT / "docs" / "search.md").read_text(encoding="utf-8")
    table = page.split("What the numbers mean")[1].split("\n\n")[1]
    documented = [int(row.rsplit("|", 2)[1]) for row in table.splitlines()[2:]]
    once_in_title = rank.FIELD_WEIGHTS["title"] / (rank.FIELD_WEIGHTS["title"] + rank.K1)  # average length
    text = rank.TEXT_SHARE * once_in_title
    concepts = 1.0 - rank.TEXT_SHARE
    sibling = concepts * (rank.SERVICE_SHARE * rank.SIBLING_CREDIT + rank.FIELD_SHARE)
    expected = [text + concepts, concepts, text + sibling, text, text * rank.OTHER_FACTOR]
    assert documented == [round(100 * value) for value in expected]
    for name in ("K1", "TYPO_WEIGHT", "SCATTERED_WEIGHT", "SIBLING_CREDIT", "OTHER_FACTOR"):
        assert re.search(rf"\b{getattr(rank, name)}\b", page), name


def test_a_tender_of_one_service_ranks_that_service_above_works_in_its_field(write_library, glossary):
    def record(mission_id: str, title: str, mission_type: str) -> str:
        return record_text(mission_id, title).replace('mission_type = "Etude"', f'mission_type = "{mission_type}"')

    library = write_library({
        "a-works": record("a-works", "Travaux de voirie du quartier en renouvellement urbain", "Travaux"),
        "b-mous": record("b-mous", "MOUS relogement des ménages du quartier", "MOUS"),
        "c-study": record("c-study", "Étude urbaine du quartier en renouvellement urbain", "Étude urbaine"),
    })
    matches = ranked(library, build_index(library), glossary,
                     text="Mission de MOUS relogement dans le cadre du renouvellement urbain du quartier")
    assert [match.id for match in matches] == ["b-mous", "c-study", "a-works"]
    assert matches[2].other == "travaux, fournitures et services courants"
    study = {concept.kind: concept for concept in matches[1].concepts}
    assert study["service"].via == "étude urbaine ou de programmation" and study["field"].credit == 1.0


def test_a_name_in_a_tender_s_text_is_no_typo(seed_library, seed_index, glossary):
    """"Pointu" (the Chêne Pointu district) is one edit from "point": typed as a keyword it may be a typo; in a
    tender's text, a word shorter than rank.TEXT_TYPO_MIN_LENGTH the library lacks is left alone."""
    from refcli.search import rank

    assert len("pointu") < rank.TEXT_TYPO_MIN_LENGTH
    matches = ranked(seed_library, seed_index, glossary, text="Quartier du Chêne Pointu")
    assert all(field.kind != "typo" for match in matches for field in match.fields)
    typed = ranked(seed_library, seed_index, glossary, keywords=["pointu"])
    assert typed and typed[0].fields[0].kind == "typo"
