import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from refcli.cli.commands import app

ROOT = Path(__file__).resolve().parents[2]
DATA = str(ROOT / "data" / "missions")
TENDER = str(ROOT / "examples" / "tender-concertation.toml")


def run(*arguments):
    return CliRunner().invoke(app, ["search", *arguments, "--data", DATA])


def search_json(*arguments):
    result = run(*arguments, "--json")
    return result, json.loads(result.stdout) if result.stdout else None


def test_concertation_and_maison_du_projet_rank_neuilly_first():
    result = run("concertation", "maison du projet")
    assert result.exit_code == 0
    # The shipped fiches lost their component squares: a score resting on those levels is said.
    assert result.stderr == ("warning: 2 results are ranked on component levels not on their fiches ([inferred]): "
                             "neuilly-sur-marne-amo-concertation, henin-carvin-projet-urbain-social; 'refcli show "
                             "ID' marks them\n")
    rows = [line.split() for line in result.stdout.splitlines()]
    ranked = [row for row in rows if len(row) > 2 and row[0].isdigit() and row[1].replace(".", "").isdigit()]
    assert ranked[0][0] == "1" and float(ranked[0][1]) > 80 and ranked[0][2].startswith("neuilly-sur")
    assert ranked[1][0] == "2" and ranked[1][2].startswith("henin-carvin")


def test_json_shape_is_stable():
    result, document = search_json("GUP", "-c", "gestion urbaine")
    assert result.exit_code == 0  # stderr names the results ranked on levels the shipped fiches do not give
    assert result.stderr.startswith("warning: 2 results are ranked on component levels not on their fiches")
    assert document["version"] == 1 and document["command"] == "search"
    assert set(document) == {"version", "command", "query", "results"}
    assert set(document["query"]) == {"terms", "concepts", "competencies", "since", "client_kind", "limit", "notes",
                                      "tender"}
    assert document["query"]["competencies"] == {"gup": 1}
    first = document["results"][0]
    assert set(first) == {"rank", "id", "score", "title", "client", "client_kind", "start", "end", "ongoing",
                          "in_window", "matched_terms", "competencies", "explanation", "concepts",
                          "not_an_intellectual_service", "file", "client_kind_confirmed", "fee", "project_amount",
                          "unconfirmed"}
    assert first["rank"] == 1 and first["id"] == "henin-carvin-projet-urbain-social"
    assert first["competencies"] == [{"id": "gup", "minimum": 1, "level": 3, "covered": True, "points": 30.0,
                                      "confirmed": False}]
    assert {"term": "GUP", "via": "gestion urbaine de proximité", "field": "keywords",
            "matched": "gestion urbain proximit", "similarity": 100.0, "kind": "alternative"}.items() <= \
        first["explanation"][0].items()


def test_misspelled_and_accentless_queries_find_what_the_correct_form_finds():
    _, correct = search_json("gestion urbaine de proximité")
    for form in ("gestion urbaine de proximite", "gestion urbaine de proximit\ufffd", "GUP"):
        _, other = search_json(form)
        assert other["results"][0]["id"] == correct["results"][0]["id"] == "henin-carvin-projet-urbain-social"
    _, typo = search_json("concertaiton")
    assert typo["results"][0]["id"] == "neuilly-sur-marne-amo-concertation"


def explanation(result) -> list[str]:
    """The explanation under the table, its wrapped lines joined: one string per result (and the header)."""
    text = result.stdout[result.stdout.index("Searched for:"):]
    return [" ".join(block.split()) for block in re.split(r"\n\s*\n", text.strip())]


def test_explain_says_why_in_the_trade_s_words():
    result = run("GUP", "-c", "gestion urbaine", "--explain")
    assert result.exit_code == 0
    assert result.stderr == ("warning: 2 results are ranked on component levels not on their fiches ([inferred]): "
                             "henin-carvin-projet-urbain-social, antony-point-etape-psl; 'refcli show ID' marks them\n")
    header, first, second = explanation(result)
    assert header == "Searched for: GUP Read as: type of mission: gestion urbaine de proximité"
    assert first == ("1. henin-carvin-projet-urbain-social: score 100; 2013 "
                     "same type of mission: gestion urbaine de proximité "
                     "competencies: ✓ Gestion urbaine de proximité 3/1 [not on the fiche] "
                     "mots-clés: GUP (as “gestion urbaine de proximité”); contenu: gestion urbaine de proximité; "
                     "composantes [not on the fiche]: gestion urbaine de proximité")  # the fiche's words, once said
    # Antony's content never names GUP: only its component level does, which is not on its fiche.
    assert second.startswith("2. antony-point-etape-psl: score 69; 2012 (8 mois) "
                             "the type of mission in its components: gestion urbaine de proximité "
                             "[not on the fiche] ")
    # The machine form keeps every row, with its points and the record's field names.
    _, document = search_json("GUP", "-c", "gestion urbaine", "--explain")
    assert {row["field"] for row in document["results"][0]["explanation"]} == {"keywords", "content", "components"}


def test_a_result_reached_by_another_type_of_mission_says_so_not_the_same_kind(seed_library, seed_index, glossary):
    # est-ensemble is reached through a sibling service (plan stratégique local): "another type", in the table's
    # cell as in --explain, never "same kind".
    from refcli.cli.views import _terms_cell
    from refcli.search.query import build_query
    from refcli.search.rank import rank_missions

    query = build_query(seed_library.vocabulary, glossary, keywords=["concertation", "maison du projet"], since=2015,
                        year=2026)
    matches = {match.id: match for match in rank_missions(seed_library, seed_index, query)}
    assert _terms_cell(matches["est-ensemble-amo-npru"], query, seed_library) == (
        "(another type of mission: plan stratégique local et pilotage de projet; same field: participation des "
        "habitants)")
    explained = " ".join(run("concertation", "maison du projet", "--since", "2015", "--explain").stdout.split())
    assert ("2. est-ensemble-amo-npru: score 29; 2018 – 2021 (in the window) another type of mission: plan "
            "stratégique local et pilotage de projet; same field: participation des habitants") in explained


def test_a_query_of_competencies_alone_is_explained_by_them():
    result = run("-c", "concertation:3", "--explain", "-n", "2")
    assert result.exit_code == 0, result.stderr
    assert "Searched for" not in result.stdout
    blocks = [" ".join(block.split()) for block in re.split(r"\n\s*\n", result.stdout.strip())]
    assert blocks[-2:] == [
        "1. neuilly-sur-marne-amo-concertation: score 100; 2017 competencies: ✓ Concertation 5/3 [not on the fiche]",
        "2. henin-carvin-projet-urbain-social: score 33; 2013 competencies: ✗ Concertation 2/3 [not on the fiche]"]


def test_explain_shows_the_tender_s_words_as_written_and_leaves_out_what_adds_nothing():
    result = run("--tender", TENDER, "--explain", "-n", "3")
    assert result.exit_code == 0, result.stderr
    header, *results = explanation(result)
    assert len(results) == 3
    assert "contenu: comités de pilotage, comités techniques" in results[2]  # the tender's text writes them so
    for folded in ("maitrise ouvrage", "comites pilotage", "etablissement", "strategie"):
        assert folded not in result.stdout
    for key in ("stakes", "keywords", "partners", "mission_type", "fuzzy", "scattered", "0.0"):
        assert key not in result.stdout
    first = results[0]
    assert first.startswith("1. neuilly-sur-marne-amo-concertation: score 100; 2017 (in the window)")
    assert "same type of mission: concertation et participation" in first
    assert "competencies: ✓ Concertation 5/4" in first
    assert "mots-clés: " in first and "titre: " in first and "enjeux: " in first
    assert results[2].startswith("3. henin-carvin-projet-urbain-social: score ")
    assert "(out of the window, since 2016: score halved)" in results[2]
    # A few lines a result: the whole explanation of three results, 325 lines before, stays under 45 at 80 columns.
    assert result.stdout[result.stdout.index("Searched for:"):].count("\n") < 45
    _, document = search_json("--tender", TENDER, "-n", "3")
    raw = [item["score"] for item in document["results"]]
    shown = [int(line.split("score ")[1].split(";")[0]) for line in results]
    assert shown == [round(100 * score / raw[0]) for score in raw]  # the best one is 100; JSON keeps the raw score


def test_the_example_tender_finds_its_two_references_and_an_older_one_with_a_higher_limit():
    result, document = search_json("--tender", TENDER, "-n", "3")
    assert result.exit_code == 0
    results = document["results"]
    assert len(results) == 3 and document["query"]["since"] == 2016
    assert results[0]["id"] == "neuilly-sur-marne-amo-concertation"
    assert [item["in_window"] for item in results] == [True, True, False]


def test_tender_text_file_with_broken_bytes(tmp_path):
    path = tmp_path / "objet.txt"
    path.write_bytes("Assistance \xe0 ma\xeetrise d'ouvrage pour la concertation".encode("latin-1"))
    result, document = search_json("--tender-text", str(path))
    assert result.exit_code == 0
    assert document["results"][0]["id"] == "neuilly-sur-marne-amo-concertation"


def test_nothing_matches_is_exit_1():
    result = run("xylophone")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "error: no mission matches the query\n"
    result, document = search_json("xylophone")
    assert result.exit_code == 1 and result.stderr == "" and document["results"] == []


def test_ambiguous_term_is_a_warning_unless_quiet():
    result = run("CA", "concertation")
    assert result.exit_code == 0
    assert result.stderr.startswith("warning: 'CA' left out: ambiguous")
    assert run("CA", "concertation", "--quiet").stderr == ""


@pytest.mark.parametrize(("arguments", "message"), [
    ((), "error: query: nothing to search for"),
    (("CA",), "error: query: nothing to search for"),
    (("x", "-c", "concertaion"),
     "error: --competency 'concertaion': unknown competency; did you mean 'Concertation'?"),
    (("x", "--limit", "-1"), "error: --limit: must be 1 or more, got -1"),
    (("x", "--since", "2999"), "error: --since: the window starts in 2999, in the future"),
    (("x", "--years", "0"), "error: --years: must be 1 or more, got 0"),
    (("x", "--client", "associatif"), "error: --client: 'associatif': expected public or private"),
    (("--tender", "/nonexistent/tender.toml"), "error: /nonexistent/tender.toml: cannot read the tender file"),
    (("--tender-text", "/nonexistent/objet.docx"), "error: --tender-text /nonexistent/objet.docx: cannot read"),
])
def test_bad_usage_is_one_line_on_stderr_and_exit_2(arguments, message):
    result = run(*arguments)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_invalid_tender_toml_is_exit_2_naming_the_file_and_key(tmp_path):
    path = tmp_path / "tender.toml"
    path.write_text("title = \n", encoding="utf-8")
    result = run("--tender", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"error: {path}: TOML syntax error")
    path.write_text("[competencies]\nconcertation = 9\n", encoding="utf-8")
    result = run("--tender", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}: competencies.concertation: minimum level must be")


def test_search_is_documented():
    assert "| `refcli search" in (ROOT / "README.md").read_text(encoding="utf-8")
    search = (ROOT / "docs" / "search.md").read_text(encoding="utf-8")
    result = CliRunner().invoke(app, ["search", "--help"])
    assert result.exit_code == 0
    for option in ("--text", "--tender-text", "--tender", "--competency", "--since", "--years", "--client",
                   "--limit", "--explain", "--json"):
        assert option in result.stdout
        assert f"`{option}" in search, f"{option} is missing from docs/search.md"


def test_the_explanation_shown_in_the_docs_is_the_real_one():
    page = (ROOT / "docs" / "search.md").read_text(encoding="utf-8")
    block = re.search(r"## Reading the results.*?```console\n\$ refcli search (.*?)\n(.*?)```", page, re.S)
    arguments, shown = shlex.split(block.group(1)), block.group(2).splitlines()
    result = CliRunner(env={"COLUMNS": "80"}).invoke(app, ["search", *arguments, "--data", DATA])
    assert result.exit_code == 0, result.stderr
    real = [line.rstrip() for line in result.stdout.splitlines()]
    for line in shown:
        assert line == "..." or line in real, f"docs/search.md shows {line!r}; the command printed:\n{result.stdout}"


def test_the_client_kind_may_be_typed_in_french():
    _, english = search_json("concertation", "--client", "public")
    for word in ("publique", "Public", "PUBLIQUES"):
        _, french = search_json("concertation", "--client", word)
        assert french["results"] == english["results"], word
    result, private = search_json("concertation", "--client", "privé")
    assert result.exit_code == 1 and private["results"] == []  # no private client in the shipped fiches
    assert "expected public or private" in run("concertation", "--client", "privat").stderr


def test_a_score_resting_on_component_labels_not_on_the_fiche_is_flagged_typo_or_not(confirmed_missions):
    # henin's "concertation" is only its components' label, at a level the fiche does not give ([inferred]).
    shipped = [run(word, "--explain") for word in ("concertation", "concertaiton")]
    for result in shipped:
        assert "henin-carvin-projet-urbain-social" in result.stderr  # the warning names it
        block = " ".join(result.stdout.split("henin-carvin-projet-urbain-social: score")[1].split("\n\n")[0].split())
        assert "composantes [not on the fiche]: concerta" in block, result.stdout
    confirmed = CliRunner().invoke(app, ["search", "concertation", "--data", str(confirmed_missions)])
    assert confirmed.exit_code == 0 and confirmed.stderr == ""  # levels on the fiche: nothing to say


def test_words_found_only_in_values_not_on_the_fiche_flag_their_part():
    # henin's EPCI is its client.category, which its fiche does not give; antony's is in its partners, on its fiche.
    explained = run("EPCI", "--explain").stdout
    henin = " ".join(explained.split("henin-carvin-projet-urbain-social: score")[1].split("\n\n")[0].split())
    antony = " ".join(explained.split("antony-point-etape-psl: score")[1].split("\n\n")[0].split())
    assert "acteurs [not on the fiche]: EPCI" in henin
    assert "acteurs: EPCI" in antony
    # neuilly's districts come from its stakes, not from a Site line: the site part is flagged, its stakes are not.
    neuilly = " ".join(run("Fauvettes", "--explain").stdout.split("neuilly-sur-marne-amo-concertation: score")[1]
                       .split("\n\n")[0].split())
    assert "enjeux: Fauvettes; site [not on the fiche]: Fauvettes" in neuilly


def test_the_glossary_s_acronyms_are_names_kept_whole_not_stemmed(data_copy):
    # Snowball makes "mo" of MOA (maîtrise d'ouvrage) and MOE (maîtrise d'œuvre), "plac" of PLACI and "place".
    for name, acronym in (("bagneux-point-etape-cloture", "MOE"), ("antony-point-etape-psl", "MOA")):
        record = data_copy / f"{name}.toml"
        text = record.read_text(encoding="utf-8")
        record.write_text(text.replace("keywords = [\n", f'keywords = [\n    "{acronym}",\n', 1), encoding="utf-8")

    def found(*terms: str) -> list[str]:
        result = CliRunner().invoke(app, ["search", *terms, "--json", "--data", str(data_copy)])
        return [row["id"] for row in json.loads(result.stdout)["results"]] if result.exit_code == 0 else []

    assert found("MOA") == ["antony-point-etape-psl"] and found("moe") == ["bagneux-point-etape-cloture"]
    assert found("PLACI") == []  # no fiche names it; "mise en place" is another word
    assert "neuilly-sur-marne-amo-concertation" in found("place")


def test_a_query_read_as_works_says_so_and_the_title_says_the_client_kind_kept():
    # "maîtrise d'oeuvre" is a works word (no intellectual service): "Read as" names it, never an empty line.
    explained = run("maîtrise d'oeuvre", "concertation", "--explain").stdout
    read_as = " ".join(line for line in explained.splitlines() if line.startswith("Read as:"))
    assert "another purchase: travaux, fournitures et services courants" in read_as
    assert run("concertation", "--client", "privé").exit_code == 1  # the shipped clients are public
    assert run("concertation", "--client", "public").stdout.splitlines()[0].startswith(
        "3 best mission(s), public clients; score")
