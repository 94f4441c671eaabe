"""The records: one Mission per fiche référence, and the Library they make together."""

from __future__ import annotations

from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from refcli.frozen import frozen

if TYPE_CHECKING:
    from refcli.errors import Problem
    from refcli.records.vocabulary import Vocabulary

ROLES = ("titulaire", "mandataire", "co-traitant", "sous-traitant")
CLIENT_KINDS = ("public", "private")
BASES = ("HT", "TTC")  # the tax basis, when the fiche states it; None: not stated
FEE_SCOPES = ("mission", "tranche ferme")  # what a fee covers: the whole mission, or its tranche ferme
PROJECT_SCOPE = "project"  # amounts.project: the project's total cost, not the firm's fee


@frozen
class Client:
    name: str
    kind: str  # "public" or "private"
    category: str | None = None  # commune, EPCI/EPT, État, bailleur social, SEM/SPL, entreprise...
    contact: str | None = None


@frozen
class Period:
    start: int
    end: int  # equal to start for a mission within one year
    duration_months: int | None = None
    ongoing: bool = False

    def years(self) -> range:
        return range(self.start, self.end + 1)


@frozen
class Site:
    city: str | None = None
    districts: tuple[str, ...] = ()
    population: int | None = None
    note: str | None = None


@frozen
class Team:
    members: tuple[str, ...] = ()  # firms and consultants, as the fiche lists them
    mandataire: str | None = None  # the lead firm of the consortium, when there is one
    director: str | None = None
    referent: str | None = None
    consultants: tuple[str, ...] = ()  # the consultants mobilised


@frozen
class Amount:
    value: float
    currency: str = "EUR"
    basis: str | None = None  # "HT" or "TTC" as the fiche states it; None when it does not say
    as_written: str | None = None
    scope: str = "mission"  # "mission", "tranche ferme" (a fee), or "project" (the project's total cost)


@frozen
class ProgrammeItem:
    label: str
    count: int


@frozen
class Illustration:
    file: str  # relative to the library folder
    caption: str
    credit: str | None = None


@frozen
class Mission:
    id: str
    title: str
    mission_type: str
    role: str
    client: Client
    period: Period
    stakes: str
    content: tuple[str, ...]
    site: Site = field(default_factory=Site)
    subtitle: str | None = None
    team: Team = field(default_factory=Team)
    partners: tuple[str, ...] = ()
    project_amount: Amount | None = None
    fee: Amount | None = None
    programme: tuple[ProgrammeItem, ...] = ()
    components: dict[str, int] = field(default_factory=dict)  # component id -> level
    keywords: tuple[str, ...] = ()
    illustrations: tuple[Illustration, ...] = ()
    sources: str | None = None
    certificate: bool | None = None  # an attestation de bonne exécution exists
    # Key paths ("components.concertation", "client.kind") of values not on the source fiche -> why:
    # refcli.records.provenance leaves them out of what a buyer reads until the firm deletes the line.
    inferred: dict[str, str] = field(default_factory=dict)
    path: Path | None = field(default=None, compare=False)


@frozen
class Library:
    """The valid missions of a data folder, sorted by id, and the problems of the files left out."""

    folder: Path
    missions: tuple[Mission, ...]
    vocabulary: Vocabulary
    problems: tuple[Problem, ...] = ()
    skipped_files: tuple[str, ...] = ()

    def get(self, mission_id: str) -> Mission | None:
        find = getattr(self.missions, "find", None)  # the cache's lazy missions find one without decoding all
        if find is not None:
            return find(mission_id)
        for mission in self.missions:
            if mission.id == mission_id:
                return mission
        return None
