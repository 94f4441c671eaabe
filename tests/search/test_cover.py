"""Coverage-aware selection: the greedy cover, its tie rule, and a case where the top N misses a competency."""

from __future__ import annotations

from refcli.search.cover import coverage_matrix, select_covering, uncovered_competencies
from refcli.search.glossary import load_glossary
from refcli.search.index import build_index
from refcli.search.query import build_query
from refcli.search.rank import rank_missions
from tests.conftest import ROOT, record_text


def _library(write_library):
    # Two strong concertation missions and a weaker one that alone covers the financial engineering.
    return write_library({
        "alpha": record_text("alpha", "Concertation des habitants", keywords=("concertation",),
                             components="concertation = 5"),
        "beta": record_text("beta", "Concertation et maison du projet", keywords=("concertation",),
                            components="concertation = 4"),
        "gamma": record_text("gamma", "Montage financier", components="finance = 4\nconcertation = 1"),
        "delta": record_text("delta", "Etude sans lien", components="etudes = 3"),
    })


def _query(library, limit=2):
    return build_query(library.vocabulary, load_glossary(path=ROOT / "data" / "glossary.toml"),
                       keywords=["concertation"], competencies=["concertation:3", "finance:3"], limit=limit)


def test_top_n_misses_a_competency_that_the_cover_finds(write_library):
    library = _library(write_library)
    index = build_index(library)
    query = _query(library)
    top = rank_missions(library, index, query)
    assert [match.id for match in top] == ["alpha", "beta"]
    assert uncovered_competencies(top, query.competencies) == ["finance"]

    candidates = rank_missions(library, index, _query(library, limit=10))
    chosen = select_covering(candidates, query.competencies, 2)
    assert [match.id for match in chosen] == ["alpha", "gamma"]
    assert uncovered_competencies(chosen, query.competencies) == []
    assert coverage_matrix(chosen, ["concertation", "finance"]) == {
        "concertation": {"alpha": 5, "gamma": 1}, "finance": {"alpha": 0, "gamma": 4}}


def test_remaining_places_are_filled_by_score_and_ties_go_to_the_higher_score(write_library):
    library = _library(write_library)
    candidates = rank_missions(library, build_index(library), _query(library, limit=10))
    # alpha and beta both cover concertation: alpha, the higher score, is taken for it; beta fills the last place.
    chosen = select_covering(candidates, {"concertation": 3, "finance": 3}, 3)
    assert [match.id for match in chosen] == ["alpha", "beta", "gamma"]
    # Fewer places than competencies: the set stays within the count.
    assert len(select_covering(candidates, {"concertation": 3, "finance": 3}, 1)) == 1


def test_a_competency_no_candidate_covers_is_reported(write_library):
    library = _library(write_library)
    candidates = rank_missions(library, build_index(library), _query(library, limit=10))
    required = {"concertation": 3, "coordination": 2}
    assert uncovered_competencies(candidates, required) == ["coordination"]
    chosen = select_covering(candidates, required, 2)
    assert [match.id for match in chosen] == ["alpha", "beta"]
