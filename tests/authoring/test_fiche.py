"""The fiche parser: labels and their variants, amounts, years, programme, site, team, sections."""

from __future__ import annotations

import pytest

from refcli.authoring.fiche import (
    ParseError,
    infer_role,
    parse_amount,
    parse_components,
    parse_fiche,
    parse_items,
    parse_paragraphs,
    parse_programme,
    parse_site,
    parse_team,
    parse_years,
    split_fiche,
    split_list,
)


@pytest.mark.parametrize(("written", "expected"), [
    ("167 millions € TTC", {"value": 167_000_000, "currency": "EUR", "basis": "TTC"}),
    ("157 M€", {"value": 157_000_000, "currency": "EUR"}),
    ("99 685 € HT", {"value": 99_685, "currency": "EUR", "basis": "HT"}),
    ("29 340 € (TF)", {"value": 29_340, "currency": "EUR", "scope": "tranche ferme"}),  # TF: no tax basis
    ("10 000 € HT (tranche ferme)", {"value": 10_000, "currency": "EUR", "basis": "HT", "scope": "tranche ferme"}),
    ("1,5 M€ HT", {"value": 1_500_000, "currency": "EUR", "basis": "HT"}),
    ("12\u202f500 euros TTC", {"value": 12_500, "currency": "EUR", "basis": "TTC"}),
    ("45 000 €", {"value": 45_000, "currency": "EUR"}),
    ("2,5 millions d'euros", {"value": 2_500_000, "currency": "EUR"}),
])
def test_parse_amount(written: str, expected: dict) -> None:
    amount = parse_amount(written)
    assert amount == {**expected, "as_written": written}
    assert isinstance(amount["value"], int)


@pytest.mark.parametrize("written", ["beaucoup", "environ 100 000", "€ 12", "12 000 € HT TTC", "100 000"])
def test_parse_amount_refuses_what_it_cannot_read(written: str) -> None:
    with pytest.raises(ParseError, match="cannot read the amount"):
        parse_amount(written)


@pytest.mark.parametrize(("written", "expected"), [
    ("2012 (8 mois)", {"start": 2012, "end": 2012, "duration_months": 8}),
    ("2012", {"start": 2012, "end": 2012}),
    ("2018 - 2021", {"start": 2018, "end": 2021}),
    ("2018-2021", {"start": 2018, "end": 2021}),
    ("2018 – 2021", {"start": 2018, "end": 2021}),
    ("2019 - en cours", {"start": 2019, "end": 2019, "ongoing": True}),
    ("2016 à 2017 (14 mois)", {"start": 2016, "end": 2017, "duration_months": 14}),
    ("depuis 2021", {"start": 2021, "end": 2021, "ongoing": True}),  # under way since: not a mission of 2021 alone
    ("Depuis 2019 - 2021", {"start": 2019, "end": 2021}),
])
def test_parse_years(written: str, expected: dict) -> None:
    assert parse_years(written) == expected


def test_parse_years_refuses_text() -> None:
    with pytest.raises(ParseError, match="cannot read the years"):
        parse_years("l'an dernier")


def test_parse_programme() -> None:
    assert parse_programme("144 démolitions, 351 constructions, 2102 résidentialisations.") == [
        {"label": "démolitions", "count": 144},
        {"label": "constructions", "count": 351},
        {"label": "résidentialisations", "count": 2102},
    ]
    assert parse_programme("1 200 logements et 3 équipements") == [
        {"label": "logements", "count": 1200}, {"label": "équipements", "count": 3}]
    with pytest.raises(ParseError, match="programme item 'des logements'"):
        parse_programme("des logements")


def test_parse_site_city_and_districts() -> None:
    assert parse_site("Antony, quartier du Noyer Doré") == {"city": "Antony", "districts": ["quartier du Noyer Doré"]}


def test_parse_site_population_and_wrapped_district() -> None:
    assert parse_site("Bagneux (38 495 habitants)\nquartier des Tertres et des Couverons") == {
        "city": "Bagneux", "population": 38495, "districts": ["quartier des Tertres et des Couverons"]}


def test_parse_site_districts_only_and_glued_parenthesis() -> None:
    site = parse_site("ZAC des deux Villes, Quartier Kennedy, Quartier Nouméa(ZUS), Quartier La Parisienne "
                      "et habitat ancien dégradé.")
    assert site == {"districts": ["ZAC des deux Villes", "Quartier Kennedy", "Quartier Nouméa (ZUS)",
                                  "Quartier La Parisienne", "habitat ancien dégradé"]}


def test_parse_team_with_mandataire_keeps_the_firm_whole() -> None:
    team = parse_team("Tracés urbains (mandataire), Perspectives Urbaines et Sociales, SPIRE et Lucie Melas.")
    assert team == {"members": ["Tracés urbains", "Perspectives Urbaines et Sociales", "SPIRE", "Lucie Melas"],
                    "mandataire": "Tracés urbains"}


def test_parse_team_firm_followed_by_et() -> None:
    assert parse_team("Perspectives Urbaines et Sociales et Résonance Urbaine")["members"] == [
        "Perspectives Urbaines et Sociales", "Résonance Urbaine"]


def test_parse_team_finds_the_firm_whatever_its_case() -> None:
    team = parse_team("Perspectives urbaines et sociales (mandataire), Résonance Urbaine")
    assert team == {"members": ["Perspectives urbaines et sociales", "Résonance Urbaine"],
                    "mandataire": "Perspectives urbaines et sociales"}
    assert infer_role(team) == ("mandataire", None)


def test_parse_team_other_firm_name() -> None:
    team = parse_team("Ville et Habitat (mandataire), Dupont et Durand", firm="Ville et Habitat")
    assert team == {"members": ["Ville et Habitat", "Dupont", "Durand"], "mandataire": "Ville et Habitat"}


def test_split_list_keeps_parentheses_and_a_final_etc() -> None:
    # "etc." says the list is not whole: kept as its last item, the annex says so too.
    assert split_list("Etat (DRIHL, Préfecture), ANRU, Ville de Rouvroy, etc.") == [
        "Etat (DRIHL, Préfecture)", "ANRU", "Ville de Rouvroy", "etc."]
    assert split_list("ANRU, Ville de Rouvroy, ...") == ["ANRU", "Ville de Rouvroy", "etc."]
    assert split_list("ANRU, ..., Ville") == ["ANRU", "Ville"]
    assert split_list("Etat (DDT, Préfecture), acteurs sociaux du quartier.") == [
        "Etat (DDT, Préfecture)", "acteurs sociaux du quartier"]


def test_paragraphs_keep_bullets_and_join_wrapped_lines() -> None:
    lines = ["First line", "wrapped here.", "", "Second :", "", "- one", "  continued", "▶ two", ""]
    assert parse_paragraphs(lines) == "First line wrapped here.\n\nSecond :\n\n- one continued\n- two"


def test_items_from_every_bullet_style() -> None:
    lines = ["- ▶ first", "▶ second", "- third", "• fourth", "  wrapped", "", "fifth"]
    assert parse_items(lines) == ["first", "second", "third", "fourth wrapped", "fifth"]


def test_components_levels_only_when_the_squares_say_so() -> None:
    assert parse_components(["■ ■ ■ ■ ■\tConseil stratégique", "■ ■ ■ ■ ■\tConcertation"]) is None
    assert parse_components(["- Conseil stratégique"]) is None
    assert parse_components(["■■■□□ Concertation", "□□□□□ Planification", "■■■■■ Capitalisation"]) == {
        "Concertation": 3, "Capitalisation": 5}


@pytest.mark.parametrize("line", [
    "Type de mission : Capitalisation",
    "Type de mission: Capitalisation",
    "**Type de mission :** Capitalisation",
    "**Type de mission** : Capitalisation",
    "TYPE DE MISSION : Capitalisation",
    "Types de missions : Capitalisation",
])
def test_label_variants(line: str) -> None:
    _, fields, _, _ = split_fiche(f"Title\n\n{line}\n")
    assert fields == {"mission_type": ["Capitalisation"]}


@pytest.mark.parametrize(("line", "name"), [
    ("Année: 2012", "years"), ("Années : 2012", "years"), ("Année(s) : 2012", "years"),
    ("Référent(e) : X", "referent"), ("Maître d'ouvrage : ANRU", "client"),
    ("Maitre d’ouvrage : ANRU", "client"), ("Equipe : X", "team"), ("Équipe : X", "team"),
    ("Acteurs : X", "partners"), ("Consultants mobilisés: X", "consultants"),
    ("directeur de mission : X", "director"), ("Référent : X", "referent"), ("Site : X", "site"),
    ("Programme : X", "programme"), ("Montant du projet : X", "project"), ("Coût du projet : X", "project"),
    ("Montant de la mission : X", "fee"), ("Sources : X", "sources"), ("Source : X", "sources"),
    ("Honoraires : X", "fee"), ("Montant des honoraires : X", "fee"), ("Montant des travaux : X", "project"),
])
def test_every_label(line: str, name: str) -> None:
    _, fields, _, _ = split_fiche(f"Title\n{line}\n")
    assert list(fields) == [name]


@pytest.mark.parametrize("heading", ["Enjeux de la mission", "## Enjeux de la mission", "**Enjeux de la mission**",
                                     "Enjeux de la mission :"])
def test_section_headings(heading: str) -> None:
    fiche = parse_fiche(f"Title\n\n{heading}\n\nA paragraph.\n\nType de mission : X\n")
    assert fiche.table["stakes"] == "A paragraph."


def test_empty_labels_are_left_out_and_reported() -> None:
    fiche = parse_fiche("Title\nCoût du projet :\n\nProgramme:\nAnnée: 2017\n")
    assert "amounts" not in fiche.table and "programme" not in fiche.table
    assert fiche.empty == ["Coût du projet", "Programme"]


def test_not_a_fiche() -> None:
    fiche = parse_fiche("Dear all,\nplease find attached the minutes.\n")
    assert fiche.problems and "no recognised label" in fiche.problems[0]


def test_unparseable_amount_names_the_label() -> None:
    fiche = parse_fiche("Title\nMontant de la mission : à définir\n")
    assert fiche.problems == ["Montant de la mission: cannot read the amount 'à définir'; expected a figure and a "
                              "currency, like '99 685 € HT' or '167 millions € TTC'"]


def test_role_inference() -> None:
    assert parse_fiche("T\nEquipe : Perspectives Urbaines et Sociales (mandataire), X\n").table["role"] == "mandataire"
    assert parse_fiche("T\nEquipe : X (mandataire), Perspectives Urbaines et Sociales\n").table["role"] == "co-traitant"
    assert "role" not in parse_fiche("T\nEquipe : X (mandataire), Perspectives Urbaines et Sociales\n").table.get(
        "inferred", {})
    alone = parse_fiche("T\nEquipe : Perspectives Urbaines et Sociales\n")
    assert alone.table["role"] == "titulaire"
    assert alone.table["inferred"]["role"].startswith("the fiche names no mandataire: titulaire")
    others = parse_fiche("T\nEquipe : Perspectives Urbaines et Sociales, Résonance Urbaine\n")
    assert others.table["role"] == "titulaire"
    assert "(the team lists Résonance Urbaine beside the firm)" in others.table["inferred"]["role"]


def test_client_kind_default_is_reported_and_can_be_given() -> None:
    assert parse_fiche("T\nMaître d'ouvrage : X\n").table["client"] == {"name": "X", "kind": "public"}
    given = parse_fiche("T\nMaître d'ouvrage : X\n", client_kind="private")
    assert given.table["client"]["kind"] == "private"
    assert not any("client.kind" in item for item in given.inferred)


def test_the_duration_is_read_into_the_period_and_a_contradiction_is_a_problem() -> None:
    def period(line: str, years: str = "2019 - 2020") -> tuple:
        fiche = parse_fiche(f"T\nMaître d'ouvrage : Ville de Pantin\n{line}\nAnnées : {years}\n")
        return fiche.table.get("period"), fiche.problems, [item for item in fiche.todo if "outside" in item]

    assert period("Durée : 18 mois") == ({"start": 2019, "end": 2020, "duration_months": 18}, [], [])
    assert period("DUREE DE LA MISSION : 2 ans.")[0]["duration_months"] == 24
    assert period("Durée : 9 mois", "2019 (9 mois)")[0]["duration_months"] == 9
    assert period("Durée : 18 mois", "2019 (9 mois)")[1] == [
        "Durée: 18 months, but the years say 9 months: correct the fiche"]
    for unreadable in ("longtemps", "0 mois", "200 ans"):
        assert period(f"Durée : {unreadable}")[1] == [
            f"Durée: cannot read the duration '{unreadable}'; expected '18 mois' or '2 ans'"]


def test_a_label_refcli_does_not_read_ends_the_value_above_it_and_is_reported() -> None:
    # Glued onto the client, "Lot : 2" would reach the annex as part of the maître d'ouvrage's name.
    fiche = parse_fiche("T\nMaître d'ouvrage : Ville de Pantin\nLot : 2\nAnnées : 2019 - 2020\n")
    assert fiche.table["client"]["name"] == "Ville de Pantin"
    assert fiche.table["period"] == {"start": 2019, "end": 2020}
    assert "1 line(s) outside any label left out, starting 'Lot : 2'" in fiche.todo
    wrapped = parse_fiche("T\nSite : Bagneux (38 495 habitants)\nquartier des Tertres\n")  # a value on two lines
    assert wrapped.table["site"]["districts"] == ["quartier des Tertres"]
    twice = parse_fiche("T\nHonoraires : 45 k€\nMontant des honoraires : 38 000 € HT\n")
    assert twice.problems and twice.problems[0].startswith("Honoraires: cannot read the amount '45 k€ 38 000 € HT'")


def test_the_sheet_s_own_heading_is_not_the_mission_s_title() -> None:
    for heading in ("FICHE RÉFÉRENCE", "Fiche référence n° 12", "Références"):
        fiche = parse_fiche(f"{heading}\nÉtude urbaine du centre-ville de Montreuil\nType de mission : Etude\n")
        assert fiche.table["title"] == "Étude urbaine du centre-ville de Montreuil", heading
        assert "subtitle" not in fiche.table


def test_an_abbreviated_basis_keeps_its_period_as_written() -> None:
    fiche = parse_fiche("T\nMontant de la mission : 99 685 € H.T.\n")
    assert fiche.table["amounts"]["fee"] == {"value": 99685, "currency": "EUR", "basis": "HT",
                                             "as_written": "99 685 € H.T."}


def test_stray_lines_are_reported() -> None:
    fiche = parse_fiche("T\nAnnée : 2012\n\nsome text nobody labelled\n")
    assert any("outside any label" in item for item in fiche.todo)
