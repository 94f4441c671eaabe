"""Write N realistic mission records (French fiches of the seeds' kind) into a folder, for benchmarks.

    python bench/generate.py 10000 bench/out/lib-10000/missions [--seed 1]

Records are valid against refcli's schema: varied components and levels, years 2005-2026, fees and
project amounts, public and private clients. The same seed writes the same files.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import tomli_w

CITIES = [
    "Antony", "Bagneux", "Neuilly-sur-Marne", "Montreuil", "Bondy", "Pantin", "Bobigny", "Aubervilliers",
    "Saint-Denis", "Sevran", "Clichy-sous-Bois", "Grigny", "Évry-Courcouronnes", "Trappes", "Mantes-la-Jolie",
    "Argenteuil", "Sarcelles", "Garges-lès-Gonesse", "Villiers-le-Bel", "Nanterre", "Gennevilliers",
    "Vénissieux", "Vaulx-en-Velin", "Rillieux-la-Pape", "Bron", "Saint-Fons", "Grenoble", "Échirolles",
    "Marseille", "Nîmes", "Montpellier", "Toulouse", "Bordeaux", "Lormont", "Cenon", "Floirac", "Nantes",
    "Rennes", "Brest", "Le Havre", "Rouen", "Amiens", "Lille", "Roubaix", "Tourcoing", "Hénin-Beaumont",
    "Lens", "Liévin", "Douai", "Valenciennes", "Maubeuge", "Reims", "Metz", "Nancy", "Strasbourg",
    "Mulhouse", "Besançon", "Dijon", "Chalon-sur-Saône", "Saint-Étienne", "Clermont-Ferrand", "Limoges",
    "Poitiers", "Angers", "Le Mans", "Tours", "Orléans", "Creil", "Beauvais", "Meaux", "Melun",
]
DISTRICTS = [
    "quartier des Fauvettes", "quartier du Noyer Doré", "quartier des Tertres", "cité des Courtillières",
    "quartier de la Grande Borne", "quartier du Val Fourré", "quartier des Minguettes", "quartier du Mas du Taureau",
    "quartier de la Duchère", "quartier des Tarterêts", "quartier Kennedy", "quartier de la Plaine",
    "quartier Bellevue", "quartier des Aubiers", "quartier du Grand Parc", "quartier Malakoff",
    "quartier de Maurepont", "quartier du Blosne", "quartier Pontanezen", "quartier des Provinces",
    "quartier du Chemin Vert", "quartier de l'Alma", "quartier de la Bourgogne", "quartier Sainte-Marthe",
    "ZAC des deux Villes", "centre ancien", "faubourg", "quartier de la gare", "cité jardin",
]
CLIENTS_PUBLIC = [
    ("Ville de {city}", "commune"), ("Communauté d'agglomération de {city}", "EPCI (communauté d'agglomération)"),
    ("Métropole de {city}", "EPCI (métropole)"), ("ANRU", "État (établissement public)"),
    ("{city} Habitat", "bailleur social (OPH)"), ("SEM d'aménagement de {city}", "SEM/SPL"),
    ("Établissement public territorial de {city}", "EPT (établissement public territorial)"),
    ("Préfecture de département", "État"),
]
CLIENTS_PRIVATE = [
    ("Groupe immobilier {city} Promotion", "entreprise"), ("Foncière Logement", "entreprise"),
    ("Coopérative d'habitants de {city}", "association"), ("Fondation pour le logement", "fondation"),
    ("Cabinet d'architectes de {city}", "entreprise"),
]
MISSION_TYPES = [
    "Capitalisation", "Montage de projet", "Accompagnement social", "Stratégie et montage de projets",
    "Etude urbaine", "AMO concertation", "Evaluation", "Gestion urbaine de proximité",
    "Assistance à maîtrise d'ouvrage",
    "Coordination", "Programmation", "Conseil stratégique",
]
TITLES = [
    "Point d'étape du PRU de {city}", "Plan stratégique local du {district}",
    "AMO pour la mise en place de la concertation du NPNRU de {city}",
    "Création et animation de la Maison du projet du {district}",
    "Etude de définition du projet urbain et social de {city}",
    "Evaluation du contrat de ville de {city}", "Charte de gestion urbaine de proximité du {district}",
    "Convention de GUSP et diagnostic en marchant à {city}", "OPC urbain du projet de renouvellement urbain de {city}",
    "Plan local d'application de la charte d'insertion (PLACI) de {city}",
    "Etude de peuplement et stratégie de relogement de {city}", "Protocole de préfiguration NPRU de {city}",
    "Montage opérationnel et financier des projets de renouvellement urbain de {city}",
    "Observatoire social et tableau de bord du {district}", "Programmation urbaine du {district}",
    "Accompagnement des conseils citoyens de {city}", "Bilan et clôture de la convention ANRU de {city}",
    "Schéma directeur et plan guide du {district}", "Mission d'assistance à maîtrise d'ouvrage QPV de {city}",
    "Diagnostic urbain et social du {district}", "Etude de programmation des équipements publics de {city}",
]
KEYWORDS = [
    "ANRU", "PNRU", "NPNRU", "NPRU", "PRU", "ORU", "QPV", "ZUS", "GUP", "GUSP", "GSUP", "PSL", "IAE", "PLACI",
    "MOUS", "OPC urbain", "AMO", "point d'étape", "plan stratégique local", "concertation", "maison du projet",
    "participation des habitants", "co-construction", "conseils citoyens", "contrat de ville", "politique de la ville",
    "renouvellement urbain", "rénovation urbaine", "gestion urbaine de proximité", "diagnostic en marchant",
    "clauses d'insertion", "clauses sociales", "relogement", "stratégie de peuplement", "mixité sociale",
    "protocole de préfiguration", "montage financier", "ingénierie financière", "observatoire", "outils de suivi",
    "tableau de bord", "évaluation", "capitalisation", "retour d'expérience", "gouvernance", "animation partenariale",
    "coordination inter-chantiers", "résidentialisation", "reconstitution de l'offre", "habitat ancien dégradé",
    "programme local de l'habitat", "PLH", "PLUi", "étude urbaine", "plan guide", "schéma directeur",
    "comité de pilotage", "développement social urbain", "cohésion sociale", "tranquillité résidentielle",
    "abattement TFPB", "copropriétés dégradées", "OPAH-RU", "centre ancien", "équipements publics",
]
STAKES = [
    "Ville de {population} habitants, {city} bénéficie d'une forte attractivité résidentielle mais le {district} "
    "concentre les difficultés sociales et urbaines.",
    "Le projet de renouvellement urbain engagé dans le cadre du NPNRU vise à transformer durablement le {district}, "
    "en articulant projet urbain et projet social.",
    "La réforme de la politique de la ville a inscrit l'obligation d'associer les habitants à toutes les étapes du "
    "contrat de ville : diagnostic, élaboration, suivi et évaluation.",
    "L'enjeu est de pérenniser les investissements réalisés au titre du PRU et de préparer le retour au droit commun.",
    "La gestion urbaine de proximité doit accompagner les chantiers et garantir la qualité du cadre de vie des "
    "habitants pendant les travaux.",
    "Les clauses d'insertion des marchés de travaux constituent un levier pour l'emploi des habitants des quartiers "
    "prioritaires.",
    "Le relogement des ménages concernés par les démolitions exige un accompagnement social individualisé et un suivi "
    "partagé entre bailleurs.",
    "La stratégie de peuplement à l'échelle intercommunale doit favoriser la mixité sociale et l'équilibre "
    "territorial.",
    "La coordination des nombreux maîtres d'ouvrage et la synthèse opérationnelle des chantiers conditionnent le "
    "respect du calendrier.",
    "Le montage financier des opérations mobilise les subventions de l'ANRU, de la Région et des collectivités.",
    "Dans ce territoire en mutation, la politique de renouvellement urbain constitue un outil majeur pour renouveler "
    "les quartiers en difficulté.",
    "La Maison du projet doit devenir un lieu d'information, de concertation et de co-construction avec les "
    "habitants et les conseils citoyens.",
    "Le diagnostic partagé a mis en évidence l'isolement du quartier, une offre de logement peu adaptée et des "
    "espaces publics peu qualitatifs.",
]
CONTENT = [
    "Réalisation d'entretiens avec les personnes clés identifiées (~{count})",
    "Animation de {small} ateliers thématiques inter-partenariaux",
    "Définition de la stratégie de concertation et de ses modalités de mise en oeuvre",
    "Accompagnement pour l'inauguration de la maison du projet",
    "Diagnostic urbain, social et économique : analyses documentaires, statistiques et cartographie",
    "Diagnostics en marchant avec les habitants et les gestionnaires",
    "Rédaction de la convention de gestion urbaine de proximité et de son plan d'actions",
    "Mise en place d'un observatoire et d'un tableau de bord de suivi partagé",
    "Montage opérationnel et financier du projet et préparation du comité d'engagement",
    "Coordination inter-chantiers et planification des interventions des maîtres d'ouvrage",
    "Suivi des heures d'insertion et accompagnement des entreprises attributaires",
    "Enquêtes sociales auprès de {count} ménages et accompagnement au relogement",
    "Evaluation de l'avancement du projet et identification des points de vigilance",
    "Bilan du PRU et préparation de la sortie de la convention ANRU",
    "Retour d'expérience des bonnes pratiques auprès des partenaires",
    "Restitution élargie des résultats en comité de pilotage",
]
PARTNERS = [
    "Etat (DDT, Préfecture)", "ANRU", "Foncière Logement", "Caisse des Dépôts", "Conseil départemental",
    "Conseil régional", "Bailleurs sociaux", "Action Logement", "conseils citoyens", "associations de quartier",
    "DRIHL", "ANCT", "Pôle emploi", "Mission locale", "PLIE", "SEM d'aménagement", "EPCI",
]
PEOPLE = [
    "Lucie Melas", "Emmanuel Baunard", "Claudia Romero", "Valérie Embize", "Ludovic Quintana", "Chloé Etori",
    "Philippe Basseti", "Marc Dubois", "Sophie Laurent", "Karim Benali", "Julie Moreau", "Thomas Petit",
]
FIRMS = ["Tracés urbains", "Résonance Urbaine", "SPIRE", "FCL", "Atelier Ville & Habitat", "Sémaphores"]
COMPONENTS = ["conseil", "etudes", "animation", "planification", "outils", "coordination", "finance", "gup", "iae",
              "cohesion", "concertation", "capitalisation"]
PROGRAMME = ["démolitions", "constructions", "réhabilitations", "résidentialisations", "logements sociaux",
             "logements en accession", "équipements publics"]
ROLES = ["titulaire", "mandataire", "co-traitant", "sous-traitant"]


def generate_record(number: int, rng: random.Random) -> dict:
    city = rng.choice(CITIES)
    district = rng.choice(DISTRICTS)
    values = {"city": city, "district": district, "population": rng.randrange(8000, 250000),
              "count": rng.randrange(10, 400), "small": rng.randrange(2, 9)}
    start = rng.randrange(2005, 2027)
    end = min(2026, start + rng.choice([0, 0, 0, 1, 1, 2, 3]))
    public = rng.random() < 0.85
    client_name, category = rng.choice(CLIENTS_PUBLIC if public else CLIENTS_PRIVATE)
    role = rng.choice(ROLES)
    members = ["Perspectives Urbaines et Sociales", *rng.sample(PEOPLE, 2)]
    team: dict = {"members": members}
    if role in ("co-traitant", "sous-traitant"):
        team["mandataire"] = rng.choice(FIRMS)
        members.insert(0, team["mandataire"])
    record = {
        "id": f"mission-{number:05d}-{city.casefold().replace(' ', '-').replace(chr(39), '-')}",
        "title": rng.choice(TITLES).format(**values),
        "subtitle": client_name.format(**values),
        "mission_type": rng.choice(MISSION_TYPES),
        "role": role,
        "keywords": rng.sample(KEYWORDS, rng.randrange(4, 12)),
        "stakes": "\n\n".join(sentence.format(**values) for sentence in rng.sample(STAKES, rng.randrange(2, 5))),
        "content": [item.format(**values) for item in rng.sample(CONTENT, rng.randrange(3, 7))],
        "partners": rng.sample(PARTNERS, rng.randrange(2, 7)),
        "certificate": rng.random() < 0.5,
        "client": {"name": client_name.format(**values), "kind": "public" if public else "private",
                   "category": category},
        "period": {"start": start, "end": end, "duration_months": rng.randrange(3, 37)},
        "site": {"city": city, "districts": [district], "population": values["population"]},
        "team": team,
        "amounts": {"fee": {"value": rng.randrange(8, 400) * 500, "currency": "EUR",
                            # HT, or a tranche ferme whose basis is not stated (as on the Neuilly fiche)
                            **({"basis": "HT"} if rng.choice(["HT", "TF"]) == "HT" else {"scope": "tranche ferme"})},
                    "project": {"value": rng.randrange(5, 600) * 1_000_000, "currency": "EUR", "basis": "TTC"}},
        "components": {component: rng.randrange(1, 6) for component in rng.sample(COMPONENTS, rng.randrange(2, 7))},
    }
    if rng.random() < 0.4:  # as on the fiches: "144 démolitions, 351 constructions, ..."; written inline, as by new
        record["programme"] = [{"label": label, "count": rng.randrange(10, 2500)}
                               for label in rng.sample(PROGRAMME, rng.randrange(1, 4))]
    record["id"] = "".join(char for char in record["id"] if char.isascii() and (char.isalnum() or char == "-"))
    record["id"] = "-".join(part for part in record["id"].split("-") if part)
    return record


def generate_library(count: int, folder: Path, seed: int = 1) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        record = generate_record(number, rng)
        (folder / f"{record['id']}.toml").write_text(tomli_w.dumps(record), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="how many records to write")
    parser.add_argument("folder", type=Path, help="the library folder to write them into")
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    generate_library(arguments.count, arguments.folder, arguments.seed)
    print(f"wrote {arguments.count} records into {arguments.folder}")


if __name__ == "__main__":
    main()
