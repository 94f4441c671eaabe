"""Turn a Mission back into the table the record files hold, in the shipped records' key order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from refcli.records.model import (
    PROJECT_SCOPE,
    Amount,
    Client,
    Illustration,
    Mission,
    Period,
    ProgrammeItem,
    Site,
    Team,
)


def _amount(amount: Amount) -> dict[str, Any]:
    table: dict[str, Any] = {"value": amount.value, "currency": amount.currency}
    if amount.basis:
        table["basis"] = amount.basis
    if amount.scope not in ("mission", PROJECT_SCOPE):  # the default of a fee; a project amount's place says it
        table["scope"] = amount.scope
    if amount.as_written:
        table["as_written"] = amount.as_written
    return table


def _prune(table: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in table.items() if value not in (None, (), [], {}, "")}


def mission_to_table(mission: Mission) -> dict[str, Any]:
    """Return the record as a plain table: what tomli-w writes and what --json prints."""
    period = {"start": mission.period.start, "end": mission.period.end,
              "duration_months": mission.period.duration_months}
    if mission.period.ongoing:
        period["ongoing"] = True
    amounts = {}
    if mission.project_amount:
        amounts["project"] = _amount(mission.project_amount)
    if mission.fee:
        amounts["fee"] = _amount(mission.fee)
    table = {
        "id": mission.id,
        "title": mission.title,
        "subtitle": mission.subtitle,
        "mission_type": mission.mission_type,
        "role": mission.role,
        "keywords": list(mission.keywords),
        "stakes": mission.stakes,
        "content": list(mission.content),
        "partners": list(mission.partners),
        "sources": mission.sources,
        "certificate": mission.certificate,
        "client": _prune({"name": mission.client.name, "kind": mission.client.kind,
                          "category": mission.client.category, "contact": mission.client.contact}),
        "period": _prune(period),
        "site": _prune({"city": mission.site.city, "districts": list(mission.site.districts),
                        "population": mission.site.population, "note": mission.site.note}),
        "team": _prune({"members": list(mission.team.members), "mandataire": mission.team.mandataire,
                        "director": mission.team.director, "referent": mission.team.referent,
                        "consultants": list(mission.team.consultants)}),
        "amounts": amounts,
        "programme": [{"label": item.label, "count": item.count} for item in mission.programme],
        "components": dict(mission.components),
        "illustrations": [_prune({"file": item.file, "caption": item.caption, "credit": item.credit})
                          for item in mission.illustrations],
        "inferred": dict(mission.inferred),
    }
    return _prune(table)


def _amount_from(table: dict[str, Any] | None, scope: str | None = None) -> Amount | None:
    if not table:
        return None
    return Amount(**table, scope=scope) if scope else Amount(**table)


def mission_from_table(table: dict[str, Any], path: Path | None = None) -> Mission:
    """Build the Mission of a record table: one that passed the schema, or one mission_to_table gave
    (the cache stores records so; this is its inverse, exactly)."""
    client, period, site, team = (table.get(key, {}) for key in ("client", "period", "site", "team"))
    amounts = table.get("amounts", {})
    period = {"end": period["start"], **period}  # a mission within one year gives its start only
    return Mission(
        id=table["id"],
        title=table["title"],
        subtitle=table.get("subtitle"),
        mission_type=table["mission_type"],
        role=table["role"],
        client=Client(**client),
        period=Period(**period),
        site=Site(city=site.get("city"), districts=tuple(site.get("districts", ())), population=site.get("population"),
                  note=site.get("note")),
        team=Team(members=tuple(team.get("members", ())), mandataire=team.get("mandataire"),
                  director=team.get("director"), referent=team.get("referent"),
                  consultants=tuple(team.get("consultants", ()))),
        partners=tuple(table.get("partners", ())),
        project_amount=_amount_from(amounts.get("project"), PROJECT_SCOPE),
        fee=_amount_from(amounts.get("fee")),
        programme=tuple(ProgrammeItem(**item) for item in table.get("programme", ())),
        components=table.get("components", {}),
        stakes=table["stakes"],
        content=tuple(table["content"]),
        keywords=tuple(table.get("keywords", ())),
        illustrations=tuple(Illustration(**item) for item in table.get("illustrations", ())),
        sources=table.get("sources"),
        certificate=table.get("certificate"),
        inferred=dict(table.get("inferred", {})),
        path=path,
    )
