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


def test_a_search_without_the_cache_reads_the_same_words_from_the_checked_tables(tmp_path, library_folder):
    """record_fields, record_facts and record_words (no Mission made) agree with mission_fields,
    mission_facts and mission_terms, and RecordWords gives every key the posting a built index gives."""
    import shutil

    from refcli.index import (
        RecordWords,
        mission_facts,
        mission_fields,
        mission_terms,
        record_facts,
        record_fields,
        record_words,
    )
    from refcli.library import load_library
    from refcli.load import read_record
    from refcli.validate import validate_table
    from tests.conftest import MINIMAL_RECORD
    from tests.test_generate import load_generator

    load_generator().generate_library(150, library_folder / "generated", seed=11)
    (library_folder / "minimal.toml").write_text(MINIMAL_RECORD, encoding="utf-8")
    shutil.copy(next(library_folder.glob("*.toml")), library_folder / "zz-duplicate-id.toml")
    library = load_library(library_folder)
    assert len(library.missions) > 150
    index = build_index(library)
    read = RecordWords()
    for mission in library.missions:
        table = validate_table(read_record(mission.path), library.vocabulary, library_folder)
        assert record_fields(table, library.vocabulary) == mission_fields(mission, library.vocabulary)
        assert record_facts(table) == mission_facts(mission)
        words, texts = record_words(record_fields(table, library.vocabulary))
        assert words == mission_terms(mission, library.vocabulary)[0]
        assert len(texts) == len(FIELDS)
        read.add(index_slot(index, mission.id), (words, texts))

    keys = [*index.terms, *{pair for mission in library.missions
                            for pair in mission_terms(mission, library.vocabulary)[1]},
            "maison projet", "projet maison", "concertation concertation", "absent word", "absent", "du"]
    found = read.postings(keys)
    for key in keys:
        posting = index.posting(key)
        expected = ([], []) if posting is None else (list(posting[0]), list(posting[1]))
        assert found[key] == expected, key
    assert read.distinct() == set(index.terms)


def index_slot(index, mission_id: str) -> int:
    return next(slot for slot, found in index.facts.ids.items() if found == mission_id)
