from pathlib import Path

import pytest

from refcli.errors import UserError
from refcli.search.glossary import find_glossary_file, load_glossary, parse_glossary

WHERE = Path("glossary.toml")


def test_acronyms_expand_both_ways(glossary):
    assert "gestion urbaine de proximité" in glossary.expand("GUP").alternatives
    assert "GUP" in glossary.expand("gestion urbaine de proximite").alternatives
    assert "plan stratégique local" in glossary.expand("psl").alternatives
    assert "NPRU" in glossary.expand("NPNRU").alternatives


def test_synonym_groups_and_typos(glossary):
    assert "participation des habitants" in glossary.expand("Concertation").alternatives
    expansion = glossary.expand("concertaiton")
    assert expansion.key == "concertation"
    assert glossary.expand("xyzzy") is None


def test_a_word_is_no_typo_of_a_compound_that_ends_with_it(glossary):
    # "construction" (works) is not co-construction (concertation): letters before a word make another word.
    assert glossary.expand("construction") is None and glossary.expand("constructions") is None
    assert glossary.expand("co-construction").key == "co construction"
    # A letter left out or changed is a typo, at the end too.
    assert glossary.expand("ateliers participatif").key == "ateliers participatifs"
    assert glossary.expand("concertations").key == "concertation"


def test_ambiguous_terms_are_never_expanded(glossary):
    for term in ("CA", "TF", "CDC", "CE", "CIL"):
        assert glossary.expand(term) is None
        assert glossary.ambiguity(term).match == "none"
    for term in ("insertion", "relogement", "planification"):
        assert glossary.expand(term) is None
        assert glossary.ambiguity(term).match == "literal"


def test_boilerplate_is_folded(glossary):
    assert {"candidat", "marche", "oeuvre"} <= glossary.boilerplate


@pytest.mark.parametrize(("table", "message"), [
    ({"acronym": {}}, "glossary.toml: acronym: unknown key"),
    ({"acronyms": {"GUP": "gestion"}}, "glossary.toml: acronyms.GUP: expected a non-empty list"),
    ({"acronyms": {"": ["vide"]}}, "glossary.toml: acronyms.'': an acronym must hold a letter or a digit"),
    ({"acronyms": {" - ": ["tiret"]}}, "glossary.toml: acronyms.' - ': an acronym must hold a letter or a digit"),
    ({"synonyms": [{"terms": ["seul"]}]}, "glossary.toml: synonyms[0].terms: a synonym group needs at least two"),
    ({"synonyms": [{"words": ["a", "b"]}]}, "glossary.toml: synonyms[0]: expected a table with one key"),
    ({"ambiguous": {"CA": {"match": "some", "senses": ["x"]}}}, "glossary.toml: ambiguous.CA.match: expected"),
    ({"ambiguous": {"CA": {"match": "none", "senses": ["x"]}}, "acronyms": {"CA": ["communauté d'agglomération"]}},
     "glossary.toml: ambiguous.CA: an ambiguous term cannot be in an acronym entry"),
])
def test_bad_glossary_is_one_line_naming_the_key(table, message):
    with pytest.raises(UserError) as raised:
        parse_glossary(table, WHERE)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_unreadable_glossary_names_the_file(tmp_path):
    path = tmp_path / "glossary.toml"
    path.write_text("acronyms = [", encoding="utf-8")
    with pytest.raises(UserError, match=r"glossary.toml: cannot read the glossary"):
        load_glossary(path=path)


def test_the_glossary_beside_the_library_wins(tmp_path):
    (tmp_path / "missions").mkdir()
    (tmp_path / "glossary.toml").write_text('[acronyms]\nXYZ = ["quelque chose"]\n', encoding="utf-8")
    assert find_glossary_file(tmp_path / "missions") == tmp_path / "glossary.toml"
    assert load_glossary(tmp_path / "missions").expand("XYZ").alternatives == ("quelque chose",)
    assert find_glossary_file(tmp_path / "elsewhere" / "missions").name == "glossary.toml"


def test_an_empty_glossary_is_an_error_not_a_search_without_vocabulary(tmp_path) -> None:
    import pytest

    from refcli.errors import UserError
    from refcli.search.glossary import load_glossary

    path = tmp_path / "glossary.toml"
    path.write_text("# saved empty\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"glossary\.toml: the glossary is empty: refcli would search without"):
        load_glossary(path=path)
