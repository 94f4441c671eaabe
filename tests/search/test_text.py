from hypothesis import given
from hypothesis import strategies as st

from refcli.search.text import STOP_WORDS, fold, slugify, tokens


def test_fold_keeps_its_behaviour():
    assert fold("  Œuvre  À l’ÉTUDE ") == "oeuvre a l'etude"
    assert fold("Ma\ufffdtrise") == "matrise"
    assert slugify("Point d'Étape d'Antony") == "point-d-etape-d-antony"


def test_tokens_strip_elisions_stop_words_and_punctuation():
    assert tokens("La Maison du Projet d'Antony") == ["maison", "projet", "antony"]
    assert tokens("qu'il l’œuvre jusqu'au lorsqu'on") == ["oeuvre"]
    assert tokens("aujourd'hui") == ["aujourd", "hui"]


def test_tokens_split_hyphens_and_slashes_and_keep_digits():
    assert tokens("OPAH-RU / Vère/Pont Féron") == ["opah", "ru", "vere", "pont", "feron"]
    assert tokens("12 NPRU, ANRU 2") == ["12", "npru", "anru", "2"]
    assert tokens("co-construction") == ["co", "construction"]


def test_replacement_character_does_not_break_a_word():
    assert tokens("Ma\ufffdtrise d'ouvrage") == ["matrise", "ouvrage"]
    assert tokens("Ma\ufffdtrise d'ouvrage", keep_replacement=True) == ["ma\ufffdtrise", "ouvrage"]
    assert tokens("assistance \ufffd la") == ["assistance"]


@given(st.text())
def test_tokens_are_folded_words_without_stop_words(text):
    for word in tokens(text):
        assert word and word not in STOP_WORDS
        assert word == fold(word)
        assert "\ufffd" not in word


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_an_ascii_word_folds_as_any_other(text):
    """Tokenising lowers an ASCII word rather than folding it (text._word_tokens): the same words."""
    import re

    from refcli.search.text import ELISIONS

    expected = []
    for raw in re.findall(r"\w+['`]?", text):  # ` is an apostrophe too
        base = raw.rstrip("'`")
        if raw[-1] in "'`" and fold(base) in ELISIONS:
            continue
        expected += [word for word in re.findall("[a-z0-9]+", fold(base)) if word not in STOP_WORDS]
    assert tokens(text) == expected


@given(st.text())
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


def test_stems_join_inflections_and_keep_the_trade_s_words_apart():
    from refcli.search.text import stem

    assert stem("urbain") == stem("urbaine") == stem("urbains")
    assert stem("concertation") == stem("concertations") != stem("concert")  # a music concert is no concertation
    assert stem("communication") != stem("commune")
    assert stem("relogement") != stem("logement") and stem("habitants") != stem("habitat")
    assert stem("commune") == stem("communes") != stem("commun")  # a municipality is not the droit commun
    assert stem("programmation") == stem("programmations") != stem("programme")
    assert stem("habitation") == stem("habitations") != stem("habitants")
