"""Every validation rule, one bad record each, with the message it must give."""

from __future__ import annotations

from pathlib import Path

import pytest

from refcli.records.library import load_library
from tests.conftest import MINIMAL_RECORD

FULL_RECORD = MINIMAL_RECORD + """
[site]
city = "Exemple"

[amounts.fee]
value = 1000
basis = "HT"

[[programme]]
label = "démolitions"
count = 3

[components]
concertation = 3
"""


def problems_for(folder: Path, text: str | bytes, name: str = "bad.toml") -> list[str]:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    library = load_library(folder)
    return [str(problem) for problem in library.problems if problem.path == str(path)]


def replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_the_minimal_and_full_records_are_valid(empty_library: Path) -> None:
    assert problems_for(empty_library, replace(FULL_RECORD, '"minimal"', '"full"')) == []
    library = load_library(empty_library)
    full = library.get("full")
    assert full is not None and full.components == {"concertation": 3} and full.fee.value == 1000
    assert full.period.end == 2020  # end defaults to start


CASES = [
    ("syntax error", 'title = "unclosed\n', "bad.toml:1:18: TOML syntax error: Illegal character '\\n'"),
    ("unknown key", MINIMAL_RECORD.replace("stakes =", "stake_s = 'x'\nstakes ="),
     "bad.toml: stake_s: unknown key; did you mean 'stakes'?"),
    ("unknown nested key", MINIMAL_RECORD + "clientt = 1\n", "period.clientt: unknown key"),
    ("wrong type", replace(MINIMAL_RECORD, "start = 2020", 'start = "2020"'),
     "period.start: expected a whole number, got a string"),
    ("wrong type list", replace(MINIMAL_RECORD, 'content = ["Un contenu."]', 'content = "Un contenu."'),
     "content: expected a list of strings, got a string"),
    ("missing field", replace(MINIMAL_RECORD, 'title = "Etude urbaine minimale"\n', ""),
     "bad.toml: title: missing required key (a string)"),
    ("missing nested field", replace(MINIMAL_RECORD, 'kind = "public"\n', ""),
     "client.kind: missing required key"),
    ("bad choice", replace(MINIMAL_RECORD, 'kind = "public"', 'kind = "publik"'),
     "client.kind: must be one of public, private (got 'publik'); did you mean 'public'?"),
    ("bad role", replace(MINIMAL_RECORD, '"titulaire"', '"mandatair"'),
     "role: must be one of titulaire, mandataire, co-traitant, sous-traitant"),
    ("bad id", replace(MINIMAL_RECORD, '"minimal"', '"Minimal Record"'),
     "id: must be lowercase letters, digits and single hyphens"),
    ("empty string", replace(MINIMAL_RECORD, '"Un enjeu."', '"  "'), "stakes: must not be empty"),
    ("empty content", replace(MINIMAL_RECORD, '["Un contenu."]', "[]"), "content: must hold at least one item"),
    ("unknown component", MINIMAL_RECORD + "\n[components]\nConcertaion = 2\n",
     "components.Concertaion: unknown mission component; did you mean 'Concertation'?"),
    ("level out of range", MINIMAL_RECORD + "\n[components]\nconcertation = 6\n",
     "components.concertation: level must be from 1 to 5 (got 6)"),
    ("level zero", MINIMAL_RECORD + "\n[components]\ngup = 0\n", "components.gup: level must be from 1 to 5 (got 0)"),
    ("component twice", MINIMAL_RECORD + "\n[components]\ngup = 2\nGUSP = 3\n",
     "components.GUSP: names component 'gup' a second time"),
    ("end before start", replace(MINIMAL_RECORD, "start = 2020", "start = 2020\nend = 2018"),
     "period.end: end year 2018 is before start year 2020"),
    ("year out of range", replace(MINIMAL_RECORD, "start = 2020", "start = 20"),
     "period.start: must be a year between 1950 and 2100"),
    ("year of twenty digits", replace(MINIMAL_RECORD, "start = 2020", "start = 99999999999999999999"),
     "period.start: must be a year between 1950 and 2100 (got 99999999999999999999)"),
    ("year of forty digits below zero", replace(MINIMAL_RECORD, "start = 2020", "start = -" + "9" * 40),
     "period.start: must be a year between 1950 and 2100 (got a number of 40 digits)"),
    ("negative amount", MINIMAL_RECORD + "\n[amounts.fee]\nvalue = -5\n",
     "amounts.fee.value: must not be negative (got -5)"),
    ("negative count", MINIMAL_RECORD + '\n[[programme]]\nlabel = "démolitions"\ncount = -1\n',
     "programme[0].count: must not be negative (got -1)"),
    ("bad basis", MINIMAL_RECORD + '\n[amounts.fee]\nvalue = 5\nbasis = "HTT"\n',
     "amounts.fee.basis: must be HT or TTC, as the fiche states it; leave basis out when the fiche does not say "
     "(got 'HTT')"),
    ("TF as a basis", MINIMAL_RECORD + '\n[amounts.fee]\nvalue = 5\nbasis = "TF"\n',
     'amounts.fee.basis: "TF" is the tranche ferme, what the fee covers, not a tax basis: write scope = '
     '"tranche ferme"'),
    ("bad scope", MINIMAL_RECORD + '\n[amounts.fee]\nvalue = 5\nscope = "tranche"\n',
     "amounts.fee.scope: must be one of mission, tranche ferme (got 'tranche')"),
    ("scope of a project amount", MINIMAL_RECORD + '\n[amounts.project]\nvalue = 5\nscope = "mission"\n',
     "amounts.project.scope: unknown key"),
    ("inferred path naming no key", MINIMAL_RECORD + '\n[site]\ncity = "X"\n\n[inferred]\n"site.cty" = "guessed"\n',
     "inferred.site.cty: names no key of the record ('site.cty'); did you mean 'site.city'?"),
    ("inferred path, dotted", MINIMAL_RECORD + '\n[inferred]\nsite.city = "guessed"\n',
     "inferred.site.city: names no key of the record ('site.city')"),
    ("inferred unmarkable", MINIMAL_RECORD + '\n[inferred]\ntitle = "guessed"\n',
     "inferred.title: 'title' cannot be marked inferred"),
    ("inferred empty reason", MINIMAL_RECORD + '\n[inferred]\nrole = " "\n',
     "inferred.role: give the reason the value is not on the fiche"),
    ("inferred not a table", 'inferred = ["role"]\n' + MINIMAL_RECORD,
     'inferred: expected a table of "key.path" = "why the value is not on the fiche", got a list'),
    ("bad currency", MINIMAL_RECORD + '\n[amounts.fee]\nvalue = 5\ncurrency = "euros"\n',
     "amounts.fee.currency: must be a three-letter ISO code"),
    ("missing illustration", MINIMAL_RECORD + '\n[[illustrations]]\nfile = "plan.png"\ncaption = "Plan"\n',
     "illustrations[0].file: the illustration file 'plan.png' does not exist"),
    ("illustration outside", MINIMAL_RECORD + '\n[[illustrations]]\nfile = "../../etc/passwd"\ncaption = "x"\n',
     "illustrations[0].file: '../../etc/passwd' points outside the library folder"),
    ("illustration absolute", MINIMAL_RECORD + '\n[[illustrations]]\nfile = "/etc/passwd"\ncaption = "x"\n',
     "illustrations[0].file: must be a path relative to the library folder"),
    ("huge text", replace(MINIMAL_RECORD, '"Un enjeu."', '"' + "a" * 20_001 + '"'),
     "stakes: is 20,001 characters long; the limit is 20,000"),
    ("value against as_written", MINIMAL_RECORD + '\n[amounts.fee]\nvalue = 96685\nas_written = "99 685 € HT"\n',
     "amounts.fee.value: 96685 is not the amount of as_written = '99 685 € HT' (99685): correct one of them"),
    ("cents against as_written", MINIMAL_RECORD + '\n[amounts.fee]\nvalue = 99685.456\nas_written = "99 685,46 €"\n',
     "amounts.fee.value: 99685.456 is not the amount of as_written = '99 685,46 €' (99685.46)"),
    ("basis against as_written", MINIMAL_RECORD + '\n[amounts.fee]\nvalue = 5\nbasis = "TTC"\nas_written = "5 € HT"\n',
     "amounts.fee.basis: TTC is not the tax basis of as_written = '5 € HT' (HT)"),
    ("currency against as_written", MINIMAL_RECORD + '\n[amounts.project]\nvalue = 5\nas_written = "5 CHF"\n',
     "amounts.project.currency: EUR is not the currency of as_written = '5 CHF' (CHF)"),
    ("id too long", replace(MINIMAL_RECORD, '"minimal"', '"' + "a" * 201 + '"'),
     "id: is 201 characters long; an id names the record's file: 200 at most"),
    ("control character", replace(MINIMAL_RECORD, '"Un enjeu."', '"Un \\u001b[31menjeu."'),
     "bad.toml: stakes: holds the control character U+001B, which a terminal or Word would act on, not show"),
    ("control character in a list", replace(MINIMAL_RECORD, '["Un contenu."]', '["Un", "con\\ftenu"]'),
     "bad.toml: content[1]: holds the control character U+000C"),
    ("empty file", "", "bad.toml: the file is empty"),
    ("array of tables", '[[mission]]\nid = "a"\ntitle = "b"\n',
     "bad.toml: mission: the record is an array of tables"),
]


def test_an_amount_agrees_with_as_written_in_every_way_a_fiche_writes_it(empty_library: Path) -> None:
    # A basis the fiche leaves out may come from the contract; words that read as no amount are kept as written.
    for fee in ('value = 167000000\nbasis = "TTC"\nas_written = "167 millions € TTC"',
                'value = 157000000\nas_written = "157 M€"', 'value = 1500000\nas_written = "1,5 M€"',
                'value = 29340\nbasis = "HT"\nscope = "tranche ferme"\nas_written = "29 340 € (TF)"',
                'value = 2000000\nas_written = "environ 2 M€ selon la convention"'):
        record = MINIMAL_RECORD.replace('id = "minimal"', 'id = "bad"') + "\n[amounts.fee]\n" + fee + "\n"
        assert problems_for(empty_library, record) == [], fee


@pytest.mark.parametrize(("text", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_each_rule_reports_the_file_the_key_and_the_reason(empty_library: Path, text: str, expected: str) -> None:
    problems = problems_for(empty_library, text)
    assert problems, "the record should have been rejected"
    assert any(expected in problem for problem in problems), problems
    assert all(problem.startswith(str(empty_library / "bad.toml")) for problem in problems)


def test_a_refused_value_is_said_once_not_again_as_an_inferred_path_naming_no_key(empty_library: Path) -> None:
    record = MINIMAL_RECORD.replace('id = "minimal"', 'id = "bad"') + (
        '\n[amounts.fee]\nvalue = 5\nbasis = "ht hors taxe"\n\n[inferred]\n"amounts.fee.basis" = "not on the fiche"\n')
    problems = problems_for(empty_library, record)
    assert len(problems) == 1 and "amounts.fee.basis: must be HT or TTC" in problems[0], problems
    stray = record.replace('"amounts.fee.basis" = ', '"site.cty" = ')
    assert any("inferred.site.cty: names no key" in problem for problem in problems_for(empty_library, stray))


def test_non_utf8_bytes_are_located(empty_library: Path) -> None:
    problems = problems_for(empty_library, MINIMAL_RECORD.replace("minimal", "latin").encode("latin-1")
                            + b'\nsources = "caf\xe9"\n')
    assert problems == [f"{empty_library / 'bad.toml'}:15: not UTF-8 text (byte 0xe9); save it as UTF-8"]


def test_a_byte_order_mark_is_a_problem(empty_library: Path) -> None:
    problems = problems_for(empty_library, b"\xef\xbb\xbf" + MINIMAL_RECORD.replace("minimal", "bom").encode())
    assert problems == [f"{empty_library / 'bad.toml'}: the file starts with a byte-order mark (BOM); "
                        "save it as UTF-8 without BOM"]


def test_every_problem_of_a_record_is_reported_at_once(empty_library: Path) -> None:
    text = replace(replace(MINIMAL_RECORD, 'kind = "public"', 'kind = "publik"'), "start = 2020", "start = -1")
    problems = problems_for(empty_library, text + "extra = 1\n")
    assert len(problems) == 3, problems


def test_duplicate_ids_across_files_name_both_files(empty_library: Path) -> None:
    (empty_library / "zz-copy.toml").write_text(MINIMAL_RECORD, encoding="utf-8")
    library = load_library(empty_library)
    assert [mission.id for mission in library.missions] == ["minimal"]
    [problem] = library.problems
    assert problem.path == str(empty_library / "zz-copy.toml")
    assert f"duplicate id 'minimal', already used by {empty_library / 'minimal.toml'}" in str(problem)


def test_of_files_with_one_id_the_one_named_after_it_keeps_it(empty_library: Path, cache_dir: Path) -> None:
    # A copy Windows or macOS leaves ("minimal - Copie.toml") sorts before "minimal.toml": its old values
    # would go into the annex while the file the firm edits is left out.
    edited = MINIMAL_RECORD.replace('title = "Etude urbaine minimale"', 'title = "Etude urbaine revue"')
    assert edited != MINIMAL_RECORD
    (empty_library / "minimal.toml").write_text(edited, encoding="utf-8")
    (empty_library / "minimal - Copie.toml").write_text(MINIMAL_RECORD, encoding="utf-8")
    from refcli.search.cache import load_library_cached

    for library in (load_library(empty_library), load_library_cached(empty_library, cache_dir).library,
                    load_library_cached(empty_library, cache_dir).library):  # without the cache, building it, warm
        assert [mission.title for mission in library.missions] == ["Etude urbaine revue"]
        [problem] = library.problems
        assert str(problem) == (f"{empty_library / 'minimal - Copie.toml'}: id: duplicate id 'minimal', already "
                                f"used by {empty_library / 'minimal.toml'}")


def test_a_record_whose_file_name_is_mistyped_is_a_problem_not_left_out_unseen(empty_library: Path,
                                                                               cache_dir: Path) -> None:
    from refcli.search.cache import load_library_cached

    for name in ("upper.TOML", "space.toml "):
        (empty_library / name).write_text(MINIMAL_RECORD.replace('"minimal"', '"other"'), encoding="utf-8")
    (empty_library / "notes.txt").write_text("not a record", encoding="utf-8")
    for library in (load_library(empty_library), load_library_cached(empty_library, cache_dir).library):
        assert [mission.id for mission in library.missions] == ["minimal"]
        assert sorted(map(str, library.problems)) == [
            f"{empty_library / 'space.toml '}: the file name does not end in '.toml' as a record's does: rename it "
            "space.toml",
            f"{empty_library / 'upper.TOML'}: the file name does not end in '.toml' as a record's does: rename it "
            "upper.toml"]


def test_an_illustration_that_is_a_folder_is_not_said_to_be_missing(empty_library: Path) -> None:
    (empty_library / "plan.png").mkdir()
    problems = problems_for(empty_library, MINIMAL_RECORD.replace('"minimal"', '"bad"')
                            + '\n[[illustrations]]\nfile = "plan.png"\ncaption = "Plan"\n')
    assert problems == [f"{empty_library / 'bad.toml'}: illustrations[0].file: 'plan.png' is no regular file "
                        "(a folder, a pipe or a device), so no image"]


def test_an_illustration_inside_the_library_is_accepted(empty_library: Path) -> None:
    (empty_library / "images").mkdir()
    (empty_library / "images" / "plan.png").write_bytes(b"\x89PNG")
    text = replace(MINIMAL_RECORD, '"minimal"', '"illustrated"')
    text += '\n[[illustrations]]\nfile = "images/plan.png"\ncaption = "Plan"\ncredit = "agence"\n'
    assert problems_for(empty_library, text) == []


def test_a_symlink_out_of_the_library_is_refused(empty_library: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"\x89PNG")
    (empty_library / "link.png").symlink_to(outside)
    text = replace(MINIMAL_RECORD, '"minimal"', '"linked"')
    text += '\n[[illustrations]]\nfile = "link.png"\ncaption = "Plan"\n'
    assert any("points outside the library folder" in problem for problem in problems_for(empty_library, text))


def test_validation_never_modifies_a_file(library_folder: Path) -> None:
    bad = library_folder / "bad.toml"
    bad.write_text("title = \n", encoding="utf-8")
    before = {path: path.read_bytes() for path in library_folder.iterdir()}
    load_library(library_folder)
    assert {path: path.read_bytes() for path in library_folder.iterdir()} == before


RICH_RECORD = FULL_RECORD.replace('role = "titulaire"\n', '''role = "titulaire"
subtitle = "Un sous-titre"
partners = ["ANRU", "Ville"]
keywords = ["ANRU", "concertation"]
sources = "Fiche papier"
certificate = true
''').replace("[client]\n", '[client]\ncategory = "commune"\ncontact = "Mme X"\n').replace(
    "[period]\nstart = 2020\n", "[period]\nstart = 2020\nend = 2021\nduration_months = 14\nongoing = false\n").replace(
    '[site]\ncity = "Exemple"\n', '[site]\ncity = "Exemple"\ndistricts = ["Centre"]\npopulation = 1200\nnote = "QPV"\n'
) + """gup = 2

[team]
members = ["FCL", "Perspectives Urbaines"]
mandataire = "FCL"
director = "A. B."
referent = "C. D."
consultants = ["E. F."]

[amounts.project]
value = 1.5e6
currency = "EUR"
basis = "TTC"
as_written = "1,5 M€"

[[illustrations]]
file = "plan.png"
caption = "Plan"
credit = "agence"
"""

# Values a key may wrongly hold: each type, empty and blank, too long, out of range, not finite, near misses.
BAD_VALUES = ["", "  ", "a" * 20_001, "x", "publik", "HTT", "euros", "Minimal Record", -1, 0, 1, 6, 20, 2101,
              1.5, -0.5, float("nan"), float("inf"), True, [], ["a", ""], ["a", 3], [{}], {}, {"unknown": 1},
              {"Concertaion": 2}, {"gup": 2, "GUSP": 3}, {"gup": 0}, {"gup": True}, {"gup": 2.0},
              1201, 10**7 + 1, 2 * 10**9, 10**12 + 1, 1e13, -(10**13), 10**400, ["a"] * 501,
              {f"k{number}": "x" for number in range(501)}]


def _key_paths(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from _key_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index)
            yield from _key_paths(item, (*path, index))


def _variants(table):
    """The table, then one change at a time: each key path given each bad value, deleted, or beside an unknown key."""
    import copy

    yield table
    for path in _key_paths(table):
        for value in [*BAD_VALUES, None]:
            variant = copy.deepcopy(table)
            parent = variant
            for key in path[:-1]:
                parent = parent[key]
            if value is None:
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
            yield variant
        variant = copy.deepcopy(table)
        parent = variant
        for key in path:
            parent = parent[key]
        if isinstance(parent, dict):
            parent["unknown"] = "x"
            yield variant


def test_every_record_the_checker_accepts_round_trips_through_its_table_and_every_change_is_named() -> None:
    """One change at a time to rich and shipped records: the checker either names a problem, with the
    changed key's path, or accepts the table; an accepted table becomes a Mission whose table
    (serialize, read off the same declaration) is checked again into the same Mission."""
    import tomllib

    from refcli.records.load import RawRecord
    from refcli.records.serialize import mission_to_table
    from refcli.records.validate import validate_record
    from refcli.records.vocabulary import load_vocabulary
    from tests.conftest import SHIPPED_MISSIONS

    vocabulary = load_vocabulary(SHIPPED_MISSIONS)
    tables = [tomllib.loads(RICH_RECORD)] + [tomllib.loads(path.read_text(encoding="utf-8"))
                                             for path in sorted(SHIPPED_MISSIONS.glob("*.toml"))]
    accepted = refused = 0
    for table in tables:
        for variant in _variants(table):
            mission = validate_record(RawRecord(Path("x.toml"), variant), vocabulary, None)
            if isinstance(mission, list):
                assert mission and all(problem.path == "x.toml" and problem.key for problem in mission), variant
                refused += 1
                continue
            again = validate_record(RawRecord(Path("x.toml"), mission_to_table(mission)), vocabulary, None)
            assert again == mission, variant
            accepted += 1
    assert accepted > 100 and refused > 1000, (accepted, refused)


def test_every_problem_of_a_record_is_named_in_the_declarations_order(empty_library: Path) -> None:
    text = replace(replace(MINIMAL_RECORD, 'kind = "public"', 'kind = "publik"'), "start = 2020", "start = -1")
    text = replace(text, "[client]", 'keywords = ["a", ""]\n\n[client]')
    assert problems_for(empty_library, text) == [  # in the declaration's order, which is the files'
        f"{empty_library / 'bad.toml'}: keywords[1]: must not be empty",
        f"{empty_library / 'bad.toml'}: client.kind: must be one of public, private (got 'publik'); "
        "did you mean 'public'?",
        f"{empty_library / 'bad.toml'}: period.start: must be a year between 1950 and 2100 (got -1)",
    ]


def test_a_path_of_inferred_is_found_as_the_list_of_every_path_would_find_it() -> None:
    """_check_inferred_paths looks each path up (_holds) rather than listing every path of the record: the
    two agree on every path of the shipped records, on their prefixes and on paths they do not hold."""
    import rtoml

    from refcli.records.validate import _holds, record_paths
    from tests.conftest import SHIPPED_MISSIONS

    for file in sorted(SHIPPED_MISSIONS.glob("*.toml")):
        table = rtoml.loads(file.read_text(encoding="utf-8"))
        table["empty"], table["site"]["none"], table["nested"] = [], {}, {"a": {"b": {"c": {"d": 1}}}}
        present = set(record_paths(table))
        asked = present | {path + suffix for path in present for suffix in (".x", ".value", "")} | {
            "inferred", "inferred.role", "empty", "site.none", "nested.a.b.c", "nested.a.b.c.d", "title.x", ""}
        assert {path for path in asked if _holds(table, path)} == present, file.name
