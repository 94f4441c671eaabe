"""check_tender: the checklist's items on the shipped library and the example tenders."""

from __future__ import annotations

import datetime

from refcli.search.check import check_tender
from refcli.search.query import build_query, load_tender
from tests.conftest import ROOT

TODAY = datetime.date(2026, 11, 21)


def _check(library, glossary, index, tender_name=None, **options):
    tender = load_tender(ROOT / "examples" / tender_name) if tender_name else None
    query = build_query(library.vocabulary, glossary, tender=tender, year=TODAY.year, **options)
    return check_tender(library, index, query, today=TODAY)


def _items(checklist):
    return {item.name: item for item in checklist.items}


def test_a_tender_the_library_meets_passes(confirmed_library, glossary, confirmed_index):
    checklist = _check(confirmed_library, glossary, confirmed_index, "tender-amo-npru.toml")
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
    # GUP is covered only by references that ended before the window: build-bid would take none of them.
    gup = items["Gestion urbaine de proximité ≥ 2"]
    assert gup.status == "fail" and gup.detail.startswith("covered only outside the window, by henin-carvin")
    assert [match.id for match in checklist.selected] == ["est-ensemble-amo-npru"]  # the one inside the window
    assert items["illustrations"].status == "fail"
    est_ensemble = items["est-ensemble-amo-npru: amount, date, client"]
    assert est_ensemble.detail.startswith("fee 99\u202f685\u00a0€\u00a0HT;") and "basis" not in est_ensemble.advice


def test_a_reference_without_its_own_amount_fails_with_advice(seed_library, glossary, seed_index):
    from refcli.records.browse import find_mission
    from refcli.search.check import check_selection, matches_for

    query = build_query(seed_library.vocabulary, glossary, keywords=["GUP"], year=TODAY.year)
    picked = matches_for([find_mission(seed_library, name) for name in ("antony-point-etape-psl",
                                                                  "henin-carvin-projet-urbain-social")], query)
    items = _items(check_selection(seed_library, query, picked, picked, TODAY))
    antony = items["antony-point-etape-psl: amount, date, client"]
    assert antony.status == "fail" and "only the project's cost" in antony.detail
    assert "add amounts.fee" in antony.advice and "antony-point-etape-psl.toml" in antony.advice
    assert items["henin-carvin-projet-urbain-social: amount, date, client"].advice.startswith(
        "add amounts.fee to henin-carvin-projet-urbain-social.toml; confirm client.kind")


def test_without_a_window_the_legal_default_is_an_information(confirmed_library, glossary, confirmed_index):
    checklist = _check(confirmed_library, glossary, confirmed_index, competencies=["concertation:4"], limit=1)
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
    from refcli.search.index import build_index
    from tests.conftest import record_text

    text = record_text("sans-base", "Concertation", components="concertation = 4")
    text += "\n[amounts.fee]\nvalue = 1000\n"
    library = write_library({"sans-base": text})
    checklist = _check(library, glossary, build_index(library), competencies=["concertation"], limit=1)
    item = _items(checklist)["sans-base: amount, date, client"]
    assert item.status == "fail"
    assert item.advice == ("the fee's tax basis is not stated: add amounts.fee.basis (HT or TTC, as the contract "
                           "says) to sans-base.toml")


def test_the_shipped_records_unconfirmed_values_are_an_item_of_their_own(seed_library, glossary, seed_index):
    checklist = _check(seed_library, glossary, seed_index, "tender-amo-npru.toml")
    items = _items(checklist)
    neuilly = items["neuilly-sur-marne-amo-concertation: values not on the fiche"]
    assert neuilly.status == "fail"  # the tender's competency and client kind rest on guesses
    assert "components.concertation (counted for Concertation ≥ 4)" in neuilly.detail
    assert "relied on: components.concertation (counted for Concertation ≥ 4); left out" in neuilly.detail
    assert "left out of the annex: role, client.kind, client.category, site.city, site.districts" in neuilly.detail
    assert "delete its line in [inferred] in neuilly-sur-marne-amo-concertation.toml" in neuilly.advice
    fee = items["neuilly-sur-marne-amo-concertation: amount, date, client"]
    assert fee.status == "fail" and "tranche ferme, HT ou TTC non précisé" in fee.detail
    assert "the fee's tax basis is not stated" in fee.advice


def test_an_unconfirmed_value_no_rule_relies_on_is_information(confirmed_library, glossary, confirmed_index,
                                                               seed_library, seed_index):
    checklist = _check(seed_library, glossary, seed_index, keywords=["plan stratégique local"], limit=1)
    item = _items(checklist)["antony-point-etape-psl: values not on the fiche"]
    assert item.status == "info" and item.passed
    assert item.detail == "left out of the annex: role, client.kind, client.category, components (every level)"


def _checks(checklist, code):
    return [check for check in checklist.checks() if check.code == code]


def test_every_check_has_a_stable_code_with_its_ids_and_numbers(seed_library, glossary, seed_index):
    from refcli.search.check import CODES

    checklist = _check(seed_library, glossary, seed_index, "tender-coordination.toml")
    assert {check.code for check in checklist.checks()} == set(CODES)
    [count] = _checks(checklist, "window.count")
    assert (count.passed, count.required, count.found, count.missions) == (False, 4, 1, ("est-ensemble-amo-npru",))
    levels = {check.competency: check for check in _checks(checklist, "competency.level")}
    assert (levels["coordination"].passed, levels["coordination"].required, levels["coordination"].found) == \
        (False, 4, 3)
    assert (levels["gup"].passed, levels["gup"].missions) == (False, ())  # covered only outside the window
    # Hand-picked (check --ids), references outside the window are checked too.
    from refcli.records.browse import find_mission
    from refcli.search.check import check_selection, matches_for

    picked = matches_for([find_mission(seed_library, name) for name in ("est-ensemble-amo-npru",
                                                                        "antony-point-etape-psl")], checklist.query)
    checklist = check_selection(seed_library, checklist.query, picked, picked, TODAY)
    antony = {check.code: check for check in checklist.checks() if check.mission == "antony-point-etape-psl"}
    assert {code: check.status for code, check in antony.items()} == {
        "reference.amount": "fail", "reference.date": "pass", "reference.client_kind": "fail",
        "reference.unconfirmed": "fail", "reference.illustration": "fail"}  # no fee: no basis to check
    assert antony["reference.date"].found == 2012
    assert antony["reference.unconfirmed"].found == 1 and "components.gup" in antony["reference.unconfirmed"].keys
    # The human line is the summary of its parts: the same text as before codes.
    line = _items(checklist)["antony-point-etape-psl: amount, date, client"]
    assert [part.code for part in line.parts] == ["reference.amount", "reference.date", "reference.client_kind"]
    assert line.advice == "; ".join(part.advice for part in line.parts if part.advice)


def test_a_fee_without_basis_fails_only_its_basis(write_library, glossary):
    from refcli.search.index import build_index
    from tests.conftest import record_text

    text = record_text("sans-base", "Concertation", components="concertation = 4") + "\n[amounts.fee]\nvalue = 1000\n"
    library = write_library({"sans-base": text})
    checklist = _check(library, glossary, build_index(library), competencies=["concertation"], limit=1)
    [amount], [basis] = _checks(checklist, "reference.amount"), _checks(checklist, "reference.basis")
    assert (amount.passed, amount.found, amount.mission) == (True, 1000, "sans-base")
    assert not basis.passed and basis.keys == ("amounts.fee.basis",)
    [illustration] = _checks(checklist, "reference.illustration")
    assert illustration.status == "info" and illustration.required is None  # not required by the query


def test_a_fee_stated_ttc_only_fails_its_basis(tmp_path):
    # PROCUREMENT: the buyer asks for each reference's amount excluding tax; a TTC figure is not it.
    from refcli.records.library import load_library
    from refcli.search.check import entitled_item
    from tests.conftest import MINIMAL_RECORD

    for name, basis in (("ttc", "TTC"), ("ht", "HT")):
        (tmp_path / f"{name}.toml").write_text(MINIMAL_RECORD.replace('id = "minimal"', f'id = "{name}"') + (
            f'\n[amounts.fee]\nvalue = 54000\nbasis = "{basis}"\n'), encoding="utf-8")
    library = load_library(tmp_path)
    assert not library.problems, library.problems
    basis = {mission.id: [part for part in entitled_item(mission).parts if part.code == "reference.basis"][0]
             for mission in library.missions}
    assert basis["ht"].passed and basis["ht"].advice is None
    assert not basis["ttc"].passed
    assert basis["ttc"].advice == ('the buyer asks for the amount excluding tax: give the fee HT in ttc.toml '
                                   '(amounts.fee, basis = "HT"), as the contract states it')


def test_a_fee_or_basis_not_on_the_fiche_is_to_confirm_not_to_add(tmp_path):
    # The record has the key: "add amounts.fee" would have the user write it a second time.
    from refcli.records.library import load_library
    from refcli.search.check import entitled_item
    from tests.conftest import MINIMAL_RECORD

    (tmp_path / "fee.toml").write_text(MINIMAL_RECORD.replace('id = "minimal"', 'id = "fee"') + (
        '\n[amounts.fee]\nvalue = 45000\nbasis = "HT"\n\n[amounts.project]\nvalue = 12000000\nbasis = "TTC"\n\n'
        '[inferred]\n"amounts.fee" = "the figure may not be the fee"\n'), encoding="utf-8")
    (tmp_path / "basis.toml").write_text(MINIMAL_RECORD.replace('id = "minimal"', 'id = "basis"') + (
        '\n[amounts.fee]\nvalue = 45000\nbasis = "HT"\n\n[inferred]\n"amounts.fee.basis" = "not on the fiche"\n'),
        encoding="utf-8")
    library = load_library(tmp_path)
    assert not library.problems, library.problems
    advice = {mission.id: entitled_item(mission).advice for mission in library.missions}
    assert advice["fee"] == "confirm amounts.fee (delete its line in [inferred]) in fee.toml"
    assert advice["basis"] == ("the fee's tax basis is not confirmed: check it, then delete the line of "
                               "amounts.fee.basis in [inferred] in basis.toml")
