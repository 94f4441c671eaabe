from array import array

from refcli.search.index import FIELDS, build_index, merge_postings, repair_words

CONCERTATION = "concertat"  # its stem (text.STEM_EXCEPTIONS: Snowball's "concert" is also a concert's)


def _fields(posting) -> set[str]:
    return {FIELDS[field] for field in posting}


def test_stems_and_pairs_are_filed_with_their_fields_and_frequencies(seed_library, seed_index):
    slots = {mission_id: slot for slot, mission_id in seed_index.facts.ids.items()}
    neuilly = slots["neuilly-sur-marne-amo-concertation"]
    posting = seed_index.posting(CONCERTATION)
    assert {"title", "keywords", "stakes", "content"} <= _fields(posting)
    for slots_of_field, counts in posting.values():
        assert list(slots_of_field) == sorted(slots_of_field) and len(slots_of_field) == len(counts)
    content_slots, content_counts = posting[FIELDS.index("content")]
    assert content_counts[list(content_slots).index(neuilly)] >= 2  # its content says it more than once
    pair = seed_index.posting("maison projet")
    assert {slot for slots_of_field, _ in pair.values() for slot in slots_of_field} == {neuilly}
    assert seed_index.posting("du") is None and seed_index.posting("maison du") is None
    assert seed_index.words["concertation"] == CONCERTATION and "du" not in seed_index.words
    assert len(seed_index.facts) == len(seed_library.missions)
    antony = seed_library.get("antony-point-etape-psl")
    facts = seed_index.facts.of(slots[antony.id])
    assert facts[:5] == (antony.id, antony.period.end, antony.period.ongoing, antony.client.kind == "public",
                         antony.components)
    assert facts[5][FIELDS.index("title")] == 7  # "Point d'Etape et Plan Stratégique Local d'Antony", "ANRU"


def test_inflections_share_a_stem_and_relogement_is_not_logement(write_library):
    from tests.conftest import record_text

    library = write_library({"a": record_text("a", "Quartiers urbains et relogement"),
                             "b": record_text("b", "Un quartier urbain, des logements")})
    index = build_index(library)
    assert index.frequency("urbain") == 2 and index.frequency("quarti") == 2
    assert index.frequency("relog") == 1 and index.frequency("log") == 1


def test_pairs_never_span_two_keywords(write_library):
    from tests.conftest import record_text

    library = write_library({"a": record_text("a", "Titre", keywords=("maison", "projet"))})
    index = build_index(library)
    assert index.posting("maison projet") is None
    assert _fields(index.posting("maison")) == {"keywords"}
    assert FIELDS[0] == "title"


def test_postings_merge_in_slot_order_and_broken_words_are_repaired():
    def packed(**columns):  # key -> {field: (slots, counts)}, as a worker packs them
        return {key: {field: (array("i", slots).tobytes(), array("H", counts).tobytes())
                      for field, (slots, counts) in fields.items()} for key, fields in columns.items()}

    broken = "ma\ufffdtrise"
    first = packed(maitris={0: ([0], [1])}, ouvrag={0: ([0], [1])}, **{"maitris ouvrag": {0: ([0], [1])}})
    second = packed(**{broken: {0: ([3], [2])}, "ouvrag": {0: ([3], [1]), 4: ([5], [3])},
                       f"{broken} ouvrag": {0: ([3], [1])}})
    words = {"maitrise": "maitris", "ouvrage": "ouvrag"}
    postings, surfaces, repairs = merge_postings([(first, words), (second, {broken: broken, **words})])
    assert repairs == {broken: "maitris"}
    assert postings["maitris"] == {0: (array("i", [0, 3]), array("H", [1, 2]))}
    assert postings["maitris ouvrag"] == {0: (array("i", [0, 3]), array("H", [1, 1]))}
    assert postings["ouvrag"] == {0: (array("i", [0, 3]), array("H", [1, 1])), 4: (array("i", [5]), array("H", [3]))}
    assert not any("\ufffd" in key for key in postings) and broken not in surfaces


def test_the_indexer_files_what_terms_counts(write_library, glossary):
    """Indexer.add (what building uses) and Indexer.terms (what the cache's update takes out) agree."""
    from refcli.search.index import Indexer
    from tests.conftest import record_text

    library = write_library({"a": record_text("a", "Maison du projet et maison du projet", keywords=("concertation",)),
                             "b": record_text("b", "MOUS relogement des ménages")})
    indexer = Indexer(library.vocabulary, glossary.concepts)
    lengths = [indexer.add(slot, mission) for slot, mission in enumerate(library.missions)]
    postings, _, _ = merge_postings([(indexer.packed(), indexer.surfaces)])
    for slot, mission in enumerate(library.missions):
        words, pairs, counted = indexer.terms(mission)
        assert counted == lengths[slot]
        for tables in (words, pairs):
            for field, table in enumerate(tables):
                for key, count in table.items():
                    slots, counts = postings[key][field]
                    assert counts[list(slots).index(slot)] == count
    assert postings["maison projet"][0] == (array("i", [0]), array("H", [2]))


def test_a_broken_word_nothing_fits_stays_apart():
    assert repair_words({"zz\ufffdq": "zz\ufffdq", "maitrise": "maitris"}, {}) == {}


def test_concepts_are_marked_where_the_mission_names_them(write_library, glossary):
    from refcli.search.index import CONCEPT_PREFIX
    from tests.conftest import record_text

    library = write_library({"a": record_text("a", "MOUS relogement des ménages"),
                             "b": record_text("b", "Étude", stakes="Un relogement des ménages à venir.")})
    index = build_index(library, glossary)
    posting = index.posting(CONCEPT_PREFIX + "MOUS et relogement")
    slots, counts = posting[0]
    assert dict(zip(slots, counts, strict=True)) == {0: 2, 1: 1}  # its title: whole; only its stakes: half
