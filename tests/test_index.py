from array import array

from refcli.index import FIELDS, Facts, build_index, memory_index, merge_shares, pack_share


def test_words_and_pairs_are_filed_with_their_fields(seed_library, seed_index):
    slots = {mission_id: slot for slot, mission_id in seed_index.facts.ids.items()}
    neuilly = slots["neuilly-sur-marne-amo-concertation"]
    missions, masks = seed_index.posting("concertation")
    assert list(missions) == sorted(missions)
    mask = masks[list(missions).index(neuilly)]
    assert {"title", "keywords", "stakes", "content", "components"} <= set(seed_index.field_names(mask))
    pair_missions, _ = seed_index.posting("maison projet")
    assert list(pair_missions) == [neuilly]
    assert seed_index.posting("du") is None and seed_index.posting("maison du") is None
    assert not seed_index.has_word("du") and seed_index.has_word("concertation")
    assert seed_index.terms == sorted(seed_index.terms) and all(" " not in word for word in seed_index.terms)
    assert len(seed_index.facts) == len(seed_library.missions)
    antony = seed_library.get("antony-point-etape-psl")
    assert seed_index.facts.of(slots[antony.id]) == (antony.id, antony.period.end, antony.period.ongoing,
                                                   antony.client.kind == "public", antony.components)


def test_pairs_never_span_two_keywords(write_library):
    from tests.conftest import record_text

    library = write_library({"a": record_text("a", "Titre", keywords=("maison", "projet"))})
    index = build_index(library)
    assert index.posting("maison projet") is None
    assert index.field_names(index.posting("maison")[1][0]) == ("keywords",)
    assert FIELDS[0] == "title"


def test_shares_taken_in_order_give_the_whole_postings():
    first = pack_share([(0, ({"a": 1, "b": 2}, {"a b": 1})), (2, ({"a": 4}, {}))])
    second = pack_share([(5, ({"b": 1, "c": 8}, {"b c": 8})), (7, ({"a": 2}, {}))])
    assert first.keys[:first.word_count] == ("a", "b") and first.keys[first.word_count:] == ("a b",)
    merged = merge_shares([first, second])
    assert merged == {"a": (array("i", [0, 2, 7]), array("H", [1, 4, 2])),
                      "b": (array("i", [0, 5]), array("H", [2, 1])), "c": (array("i", [5]), array("H", [8])),
                      "a b": (array("i", [0]), array("H", [1])), "b c": (array("i", [5]), array("H", [8]))}
    index = memory_index(Facts.gather([]), [first, second])
    assert index.terms == ["a", "b", "c"]
    assert {key: index.posting(key) for key in merged} == merged
    assert index.posting("d") is None and index.posting("a c") is None
