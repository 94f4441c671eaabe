from refcli.index import FIELDS, build_index


def test_words_and_pairs_are_filed_with_their_fields(seed_library, seed_index):
    neuilly = seed_index.mission_ids.index("neuilly-sur-marne-amo-concertation")
    missions, masks = seed_index.postings["concertation"]
    assert list(missions) == sorted(missions)
    mask = int(masks[list(missions).index(neuilly)])
    assert {"title", "keywords", "stakes", "content", "components"} <= set(seed_index.field_names(mask))
    pair_missions, _ = seed_index.pairs["maison projet"]
    assert list(pair_missions) == [neuilly]
    assert "du" not in seed_index.postings and "maison du" not in seed_index.pairs
    assert list(seed_index.terms) == sorted(seed_index.postings)
    assert len(seed_index.mission_ids) == len(seed_library.missions) == len(seed_index.end_years)


def test_pairs_never_span_two_keywords(write_library):
    from tests.conftest import record_text

    library = write_library({"a": record_text("a", "Titre", keywords=("maison", "projet"))})
    index = build_index(library)
    assert "maison projet" not in index.pairs
    assert index.field_names(int(index.postings["maison"][1][0])) == ("keywords",)
    assert FIELDS[0] == "title"
