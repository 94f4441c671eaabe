"""check_tender: the checklist's items on the shipped library and the example tenders."""

from __future__ import annotations

import datetime

from refcli.check import check_tender
from refcli.query import build_query, load_tender
from tests.conftest import ROOT

TODAY = datetime.date(2026, 11, 21)


def _check(library, glossary, index, tender_name=None, **options):
    tender = load_tender(ROOT / "examples" / tender_name) if tender_name else None
    query = build_query(library.vocabulary, glossary, tender=tender, year=TODAY.year, **options)
    return check_tender(library, index, query, today=TODAY)


def _items(checklist):
    return {item.name: item for item in checklist.items}


def test_a_tender_the_library_meets_passes(seed_library, glossary, seed_index):
    checklist = _check(seed_library, glossary, seed_index, "tender-amo-npru.toml")
    assert checklist.passed, [item for item in checklist.items if not item.passed]
    assert [match.id for match in checklist.selected] == ["neuilly-sur-marne-amo-concertation",
                                                         "est-ensemble-amo-npru"]
    assert checklist.coverage == {"concertation": {"neuilly-sur-marne-amo-concertation": 5, "est-ensemble-amo-npru": 0},
                                  "finance": {"neuilly-sur-marne-amo-concertation": 0, "est-ensemble-amo-npru": 5}}
    assert _items(checklist)["illustrations"].status == "info"


def test_missing_references_competency_amounts_and_illustrations_fail_with_advice(seed_library, glossary, seed_index):
    checklist = _check(seed_library, glossary, seed_index, "tender-coordination.toml")
    items = _items(checklist)
    assert not checklist.passed
    count = items["4 reference(s) inside the window"]
    assert count.status == "fail" and "3 missing" in count.detail
    assert "henin-carvin-projet-urbain-social (2013)" in count.detail
    assert "--years 14" in count.advice
    coordination = items["Coordination inter-chantiers ≥ 4"]
    assert coordination.status == "fail"
    assert "highest: est-ensemble-amo-npru, level 3" in coordination.detail
    assert coordination.advice.startswith("add a reference covering Coordination inter-chantiers ≥ 4")
    assert checklist.uncoverable == ("coordination",)
    antony = items["antony-point-etape-psl: amount, date, client"]
    assert antony.status == "fail" and "only the project's cost" in antony.detail
    assert "add amounts.fee" in antony.advice and "antony-point-etape-psl.toml" in antony.advice
    assert items["henin-carvin-projet-urbain-social: amount, date, client"].advice == (
        "add amounts.fee to henin-carvin-projet-urbain-social.toml")
    assert items["illustrations"].status == "fail"
    assert items["est-ensemble-amo-npru: amount, date, client"].status == "pass"


def test_without_a_window_the_legal_default_is_an_information(seed_library, glossary, seed_index):
    checklist = _check(seed_library, glossary, seed_index, competencies=["concertation:4"], limit=1)
    window = _items(checklist)["window"]
    assert window.status == "info" and window.passed
    assert "last 3 years" in window.detail and "--years 3" in window.advice
    assert checklist.passed
    assert _items(checklist)["1 reference(s)"].status == "pass"


def test_more_references_than_the_library_holds_is_a_failed_item(seed_library, glossary, seed_index):
    checklist = _check(seed_library, glossary, seed_index, competencies=["concertation:4"], limit=4)
    count = _items(checklist)["4 reference(s)"]
    assert count.status == "fail" and "2 missing" in count.detail


def test_a_fee_without_basis_is_flagged(write_library, glossary):
    from refcli.index import build_index
    from tests.conftest import record_text

    text = record_text("sans-base", "Concertation", components="concertation = 4")
    text += "\n[amounts.fee]\nvalue = 1000\n"
    library = write_library({"sans-base": text})
    checklist = _check(library, glossary, build_index(library), competencies=["concertation"], limit=1)
    item = _items(checklist)["sans-base: amount, date, client"]
    assert item.status == "fail"
    assert item.advice == "add amounts.fee.basis (HT, TTC or TF, as the contract writes it) to sans-base.toml"
