"""Check that the library can meet a tender's requirements, before a bid is built.

`check_tender` chooses the references as `build-bid --cover` would (a covering set of the tender's
size, see refcli.search.cover), then checks, item by item:

- the window: informational (PROCUREMENT: the legal default is the last 3 years when the tender says nothing);
- enough references inside the window (those out of it are named, and do not count);
- each required competency covered at its minimum level by at least one chosen reference;
- each chosen reference carrying what the buyer is entitled to ask: amount (the mission fee with its
  basis), date, client and whether it is public or private;
- illustrations: a failure only when the tender sets require_illustrations, else informational.

Each item says what to do about a failure, and carries a stable `code` (CODES) with the ids and numbers it
is about, for scripts (docs/checklists.md). The module is pure: it reads nothing and prints nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from refcli.annex.formatting import format_amount, format_years
from refcli.i18n import _, ngettext
from refcli.records.provenance import confirmed_mission, describe_unconfirmed, is_unconfirmed
from refcli.records.validate import after_this_year
from refcli.search.cover import (
    coverage_matrix,
    covers,
    matrix_competencies,
    rank_candidates,
    select_covering,
    uncovered_competencies,
)

if TYPE_CHECKING:
    from refcli.records.model import Library, Mission
    from refcli.search.index import SearchIndex
    from refcli.search.query import Query
    from refcli.search.rank import Match

LEGAL_WINDOW_YEARS = 3  # arrêté du 22 mars 2019: the main services of the last three years
# What an item checks, for scripts: stable, language-neutral (docs/checklists.md says what each means).
CODES = ("window.start", "window.count", "clients.kind", "competency.level", "reference.amount", "reference.basis",
         "reference.date", "reference.client_kind", "reference.unconfirmed", "reference.illustration")


@dataclass(frozen=True, slots=True)
class CheckItem:
    """One line of the checklist: "pass", "fail" or "info" (an informational item never fails).

    A line that checks several things (a reference's amount, date and client; every reference's illustrations)
    is made of parts, one per code: its own code is "", `checks` gives the parts, the line is their summary.
    """

    code: str
    name: str
    status: str
    detail: str
    advice: str | None = None
    mission: str | None = None  # the reference it is about
    competency: str | None = None  # the competency it is about (an id)
    required: int | None = None
    found: int | float | None = None
    missions: tuple[str, ...] = ()  # the chosen references that meet it
    keys: tuple[str, ...] = ()  # the record keys it is about (amounts.fee, client.kind...)
    parts: tuple[CheckItem, ...] = ()

    @property
    def passed(self) -> bool:
        return self.status != "fail"

    def checks(self) -> tuple[CheckItem, ...]:
        return self.parts if not self.code else (self,)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "ok": self.passed, "status": self.status, "mission": self.mission,
                "competency": self.competency, "required": self.required, "found": self.found,
                "missions": list(self.missions), "keys": list(self.keys),
                "message": f"{self.name}: {self.detail}", "name": self.name, "passed": self.passed,
                "detail": self.detail, "advice": self.advice}


@dataclass(frozen=True, slots=True)
class Checklist:
    query: Query
    wanted: int
    candidates: tuple[Match, ...]  # every mission the query reaches, best first
    selected: tuple[Match, ...]  # the covering set that build-bid --cover would write
    items: tuple[CheckItem, ...]
    coverage: dict[str, dict[str, int]]  # competency id -> {mission id: level}
    uncoverable: tuple[str, ...]  # required competencies no mission the query reaches covers

    @property
    def passed(self) -> bool:
        return all(item.passed for item in self.items)

    @property
    def failures(self) -> tuple[CheckItem, ...]:
        return tuple(item for item in self.items if not item.passed)

    def checks(self) -> tuple[CheckItem, ...]:
        """Every check, one per code (a line's parts in its place): the items of `check --json`."""
        return tuple(check for item in self.items for check in item.checks())


def check_tender(library: Library, index: SearchIndex, query: Query, today: datetime.date | None = None) -> Checklist:
    """Choose a covering set of query.limit references and check the tender's requirements against it."""
    candidates = rank_candidates(library, index, query)
    # As build-bid --cover chooses: among the references inside the window (it takes none outside without
    # --allow-outside-window); those outside it still name what a wider window would bring.
    inside = [match for match in candidates if match.in_window]
    selected = select_covering(inside, query.competencies, query.limit)
    return check_selection(library, query, candidates, selected, today)


def check_selection(library: Library, query: Query, candidates: Sequence[Match], selected: Sequence[Match],
                    today: datetime.date | None = None) -> Checklist:
    """Check chosen references (a covering set, or a hand-picked one: see matches_for) against the tender."""
    today = today or datetime.date.today()
    tender = query.tender
    year = tender.date.year if tender is not None and tender.date is not None else today.year
    candidates, selected = list(candidates), list(selected)
    items = [_window_item(query, selected, today.year), _count_item(library, query, candidates, selected, year)]
    if query.client_kind is not None:
        items.append(_kind_item(query, selected))
    items += [_competency_item(library, query, component, minimum, candidates, selected)
              for component, minimum in query.competencies.items()]
    items += [entitled_item(match.mission, today.year) for match in selected]
    items += [_unconfirmed_item(library, query, match.mission) for match in selected if match.mission.inferred]
    items.append(_illustrations_item(query, selected))
    rows = matrix_competencies(selected, query.competencies, library.vocabulary.ids())
    return Checklist(query, query.limit, tuple(candidates), tuple(selected), tuple(items),
                     coverage_matrix(selected, rows), tuple(uncovered_competencies(candidates, query.competencies)))


def in_window(mission: Mission, since: int | None) -> bool:
    """Whether a mission counts for a window starting in since: ended in or after it, or still under way."""
    return since is None or mission.period.end >= since or mission.period.ongoing


def matches_for(missions: Sequence[Mission], query: Query) -> list[Match]:
    """Hand-picked missions as the matches check_selection takes (no score: they were not ranked)."""
    from refcli.search.rank import Match

    return [Match(mission, 0.0, (), (), in_window(mission, query.since)) for mission in missions]


def _kind_item(query: Query, selected: list[Match]) -> CheckItem:
    wanted = query.client_kind
    word = _("public") if wanted == "public" else _("private")
    other = [match.id for match in selected if match.mission.client.kind != wanted]
    name = _("{word} clients only").format(word=word)
    numbers = {"required": len(selected), "found": len(selected) - len(other),
               "missions": tuple(match.id for match in selected if match.id not in other), "keys": ("client.kind",)}
    if not selected:  # the count's item fails already; "every chosen one" of none would read as a pass
        return CheckItem("clients.kind", name, "info", _("no reference chosen"), **numbers)
    if not other:
        detail = _("every chosen reference has a {word} client").format(word=word)
        guessed = [match.id for match in selected if is_unconfirmed(match.mission, "client.kind")]
        if guessed:  # passed on values the fiches do not give: said here too, not only in their own item
            detail += _(" (not on the fiche: {ids})").format(ids=", ".join(guessed))
        return CheckItem("clients.kind", name, "pass", detail, **numbers)
    return CheckItem("clients.kind", name, "fail", _("not a {word} client: ").format(word=word) + ", ".join(other),
                     _("choose references for {word} clients, as the tender asks").format(word=word), **numbers)


def _file(mission: Mission) -> str:
    return mission.path.name if mission.path is not None else f"{mission.id}.toml"


def _window_item(query: Query, selected: list[Match], this_year: int) -> CheckItem:
    if query.since is None:
        return CheckItem(
            "window.start", _("window"), "info",
            _("no window given: every reference counts; when the tender says nothing, the legal default is the "
              "last {years} years").format(years=LEGAL_WINDOW_YEARS),
            _("give the tender's window (window.years in the tender file, or --years {years})").format(
                years=LEGAL_WINDOW_YEARS),
        )
    detail = _("references that ended in {since} or later, or are ongoing").format(since=query.since)
    # A record gives years, not months: one that ended in the window's first year may be older than the window's
    # years, counted from the tender's date, as a buyer may count them.
    edge = [match.id for match in selected
            if match.mission.period.end == query.since and not match.mission.period.ongoing]
    if edge:
        detail += _("; {ids} ended in {since}, its first year: check the month they ended against the tender's "
                    "rule").format(ids=", ".join(edge), since=query.since)
    stale = ongoing_before([match.mission for match in selected], query.since)
    if stale:
        detail += _("; ") + stale
    return CheckItem("window.start", _("window"), "info", detail, required=query.since)


def ongoing_before(missions: list[Mission], since: int | None) -> str:
    """What to say of the references inside the window only because their records say ongoing, whose last year
    is before the window: a record not updated since would state an ended mission as recent ("" if none)."""
    stale = [f"{mission.id} ({mission.period.end})" for mission in missions
             if since is not None and mission.period.ongoing and mission.period.end < since]
    if not stale:
        return ""
    return ngettext("{ids} is counted as ongoing (period.ongoing), though its last year is before {since}: confirm "
                    "the mission is still under way, or set ongoing = false and the year it ended",
                    "{ids} are counted as ongoing (period.ongoing), though their last years are before {since}: "
                    "confirm each mission is still under way, or set ongoing = false and the year it ended",
                    len(stale)).format(ids=", ".join(stale), since=since)


def confirm_guessed_zeros(library: Library, query: Query, candidates: Sequence[Match]) -> str:
    """What to confirm when too few references are found: the missions inside the window the query did not reach
    that have a level 0 not on their fiche for a competency asked (their squares were lost), which confirming
    may bring in ("" if none)."""
    reached = {match.id for match in candidates}
    left_out = [mission.id for mission in library.missions
                if mission.id not in reached and in_window(mission, query.since)
                and any(mission.components.get(component, 0) == 0
                        and is_unconfirmed(mission, f"components.{component}") for component in query.competencies)]
    return _("confirm the levels of {ids}, left out on a level 0 their fiches do not give ([inferred] "
             "components)").format(ids=", ".join(left_out)) if left_out else ""


def _count_item(library: Library, query: Query, candidates: list[Match], selected: list[Match],
                year: int) -> CheckItem:
    wanted = query.limit
    inside = [match for match in selected if match.in_window]
    # Those chosen by hand outside the window; or, when too few are inside, the best of those outside it.
    outside = ([match for match in selected if not match.in_window]
               or [match for match in candidates if not match.in_window][:max(wanted - len(inside), 0)])
    name = (_("{count} reference(s) inside the window") if query.since is not None else _("{count} reference(s)")
            ).format(count=wanted)
    detail = _("{found} of {wanted} found").format(found=len(inside), wanted=wanted)
    if inside:
        detail += _(": ") + ", ".join(match.id for match in inside)
    if outside:
        detail += _("; out of the window, not counted: ") + ", ".join(
            f"{match.id} ({match.mission.period.end})" for match in outside)
    missing = wanted - len(inside)
    numbers = {"required": wanted, "found": len(inside), "missions": tuple(match.id for match in inside)}
    if missing <= 0:
        return CheckItem("window.count", name, "pass", detail, **numbers)
    detail += _("; {count} missing").format(count=missing)
    advice = []
    older = sorted((match for match in candidates if not match.in_window),
                   key=lambda match: (-match.mission.period.end, match.id))
    if query.since is not None and older:
        needed = older[min(missing, len(older)) - 1]
        years = year - needed.mission.period.end
        advice.append(_("widen the window with --years {years} if the buyer accepts older references").format(
            years=years))
    confirm = confirm_guessed_zeros(library, query, candidates)
    if confirm:
        advice.append(confirm)
    where = _(" ending in {since} or later").format(since=query.since) if query.since is not None else ""
    advice.append(_("add {missing} reference(s){where} matching the tender to the library").format(missing=missing,
                                                                                                   where=where))
    return CheckItem("window.count", name, "fail", detail, _("; or ").join(advice), **numbers)


def _competency_item(library: Library, query: Query, component: str, minimum: int,
                     candidates: list[Match], selected: list[Match]) -> CheckItem:
    label = library.vocabulary.label(component)
    name = f"{label} ≥ {minimum}"
    # Only a reference inside the window covers a competency: build-bid takes none outside it without
    # --allow-outside-window.
    chosen = [match for match in selected if covers(match.mission, component, minimum) and match.in_window]
    numbers = {"competency": component, "required": minimum, "keys": (f"components.{component}",),
               "found": max((match.mission.components.get(component, 0) for match in selected if match.in_window),
                            default=0),
               "missions": tuple(match.id for match in chosen)}
    def guess(mission: Mission) -> bool:  # its level here, a 0 too, is not on its fiche
        return is_unconfirmed(mission, f"components.{component}")

    def level(mission: Mission) -> str:  # "5", or "5, not on the fiche" for a guess
        return str(mission.components.get(component, 0)) + (_(", not on the fiche") if guess(mission) else "")

    if chosen:
        detail = _("covered by ") + ", ".join(f"{match.id} ({level(match.mission)})" for match in chosen)
        return CheckItem("competency.level", name, "pass", detail, **numbers)
    guessed = [match.id for match in selected if match.in_window and guess(match.mission)]
    # A level 0 is a guess too where the grid is (its squares were lost): the reference may cover it after all.
    unsure = _("; the levels of {ids} are not on their fiches: confirm them").format(ids=", ".join(guessed)) \
        if guessed else ""
    # Of the references that cover it, one whose level is confirmed is named first.
    covering = sorted((match for match in candidates if covers(match.mission, component, minimum)),
                      key=lambda match: guess(match.mission))
    others = [match for match in covering if match.in_window]
    outside = [match for match in covering if not match.in_window]
    if outside and not others:
        return CheckItem("competency.level", name, "fail",
                         _("covered only outside the window, by {outside}").format(outside=", ".join(
                             match.id + " (" + _("{year}, level {level}").format(year=match.mission.period.end,
                                                                                level=level(match.mission)) + ")"
                             for match in outside[:3])) + unsure,
                         _("add a reference covering {label} ≥ {minimum} that ended in {since} or later, or widen "
                           "the window if the buyer accepts older references").format(
                               label=label, minimum=minimum, since=query.since), **numbers)
    if others:
        return CheckItem("competency.level", name, "fail",
                         _("covered by {id}, not among the {count} chosen").format(
                             id=f"{others[0].id} ({level(others[0].mission)})", count=len(selected)) + unsure,
                         _("ask for more references with --limit {limit}").format(limit=len(selected) + 1),
                         **numbers)
    best = max(library.missions, key=lambda mission: (mission.components.get(component, 0), not guess(mission),
                                                      mission.id), default=None)
    highest = best.components.get(component, 0) if best is not None else 0
    if highest >= minimum:  # hand-picked references (check --ids, --from): the library has one that covers it
        detail = _("none of the {count} chosen covers {label} at level {minimum} or more; {id} does (level "
                   "{level})").format(count=len(selected), label=label, minimum=minimum, id=best.id,
                                       level=level(best)) + unsure
        return CheckItem("competency.level", name, "fail", detail,
                         _("add {id} to the selection, or another reference covering {label} ≥ {minimum}").format(
                             id=best.id, label=label, minimum=minimum), **numbers)
    detail = _("no reference covers {label} at level {minimum} or more").format(label=label, minimum=minimum)
    if highest:
        detail += _(" (highest: {id}, level {level})").format(id=best.id, level=level(best))
    detail += unsure
    return CheckItem("competency.level", name, "fail", detail,
                     _("add a reference covering {label} ≥ {minimum}, or raise the level in a record whose "
                       "mission did it (components.{component})").format(label=label, minimum=minimum,
                                                                         component=component), **numbers)


def entitled_item(mission: Mission, this_year: int | None = None) -> CheckItem:
    """What the buyer may ask of every reference: amount, date, client public or private, as the annex states them.
    Its date fails when the record says the mission ran after this year: a service not provided yet (or a typo in
    its years) is no reference."""
    file = _file(mission)
    name = _("{id}: amount, date, client").format(id=mission.id)
    stated = confirmed_mission(mission)  # what the annex will print: no unconfirmed value

    def part(code: str, detail: str, advice: str | None = None, **numbers: Any) -> CheckItem:
        return CheckItem(code, name, "fail" if advice else "pass", detail, advice, mission=mission.id, **numbers)

    fee = stated.fee
    parts = []
    if fee is not None:
        amount = _("fee {amount}").format(amount=format_amount(fee))
        parts.append(part("reference.amount", amount, found=fee.value, keys=("amounts.fee",)))
        if fee.basis == "HT":
            basis_advice = None
        elif fee.basis == "TTC":  # stated, but not what the buyer asks for
            basis_advice = _("the buyer asks for the amount excluding tax: give the fee HT in {file} (amounts.fee, "
                             'basis = "HT"), as the contract states it').format(file=file)
        elif mission.fee is None or mission.fee.basis is None:
            basis_advice = _("the fee's tax basis is not stated: add amounts.fee.basis (HT or TTC, as the contract "
                             "says) to {file}").format(file=file)
        else:  # in the record, but in [inferred]
            basis_advice = _("the fee's tax basis is not confirmed: check it, then delete the line of "
                             "amounts.fee.basis in [inferred] in {file}").format(file=file)
        parts.append(part("reference.basis", amount, basis_advice, keys=("amounts.fee.basis",)))
    elif stated.project_amount is not None and mission.fee is None:
        parts.append(part("reference.amount", _("only the project's cost, {amount}").format(
                              amount=format_amount(stated.project_amount)),
                          _("add amounts.fee (the mission's own amount, which the buyer asks for) to {file}").format(
                              file=file), keys=("amounts.fee",)))
    else:
        parts.append(part("reference.amount", _("no amount") if mission.fee is None else _("the fee is not confirmed"),
                          _("add amounts.fee to {file}").format(file=file) if mission.fee is None else
                          _("confirm amounts.fee (delete its line in [inferred]) in {file}").format(file=file),
                          keys=("amounts.fee",)))
    period = mission.period
    this_year = this_year or datetime.date.today().year
    future = after_this_year(period.start, period.end, period.ongoing, this_year)
    parts.append(part("reference.date", _("date {years}").format(years=format_years(period))
                      + (_(" ({why})").format(why=future) if future else ""),
                      _("correct period in {file}: a mission not provided yet is no reference (the year it ended, "
                        "or ongoing = true for one under way)").format(file=file) if future else None,
                      found=period.end, keys=("period",)))
    if stated.client.kind is None:
        parts.append(part("reference.client_kind", _("client {name} (public or private: not confirmed)").format(
                              name=stated.client.name),
                          _("confirm client.kind (public or private, which the buyer asks for) and delete its line in "
                            "[inferred] in {file}").format(file=file), keys=("client.kind",)))
    else:
        word = _("public") if stated.client.kind == "public" else _("private")
        parts.append(part("reference.client_kind", _("client {name} ({kind})").format(name=stated.client.name,
                                                                                      kind=word),
                          keys=("client.kind",)))
    shown = [item for item in parts if item.code != "reference.basis"]  # the amount's text already says its basis
    advice = [item.advice for item in parts if item.advice]
    return CheckItem("", name, "fail" if advice else "pass", _("; ").join(item.detail for item in shown),
                     _("; ").join(advice) or None, mission=mission.id, parts=tuple(parts))


def _unconfirmed_item(library: Library, query: Query, mission: Mission) -> CheckItem:
    """The values of a chosen reference that are not on its fiche: relied on by the tender's rules, or left out."""
    inferred = mission.inferred
    relied = []
    for component, minimum in query.competencies.items():
        path = f"components.{component}"
        if covers(mission, component, minimum) and (path in inferred or "components" in inferred):
            relied.append(_("{path} (counted for {label} ≥ {minimum})").format(
                path=path, label=library.vocabulary.label(component), minimum=minimum))
    # An unconfirmed client.kind fails the item "amount, date, client" (the buyer is entitled to it): not twice.
    left_out = describe_unconfirmed(list(inferred))
    detail = ((_("relied on: ") + _("; ").join(relied) + _("; ")) if relied else "") + _(
        "left out of the annex: {values}").format(values=left_out)
    advice = _("check each value against the fiche or the contract, then delete its line in [inferred] in "
               "{file}; until then the annex leaves it out").format(file=_file(mission))
    return CheckItem("reference.unconfirmed", _("{id}: values not on the fiche").format(id=mission.id),
                     "fail" if relied else "info",
                     detail, advice, mission=mission.id, required=0, found=len(relied),
                     keys=tuple(inferred))


def _illustrations_item(query: Query, selected: list[Match]) -> CheckItem:
    without = [match.mission for match in selected if not match.mission.illustrations]
    detail = _("{count} of {total} chosen reference(s) have one").format(count=len(selected) - len(without),
                                                                         total=len(selected))
    required = query.tender is not None and query.tender.require_illustrations
    parts = tuple(
        CheckItem("reference.illustration", _("illustrations"),
                  ("pass" if match.mission.illustrations else "fail") if required else "info",
                  _("{id}: {count} illustration(s)").format(id=match.id, count=len(match.mission.illustrations)),
                  None if match.mission.illustrations or not required else
                  _("add [[illustrations]] to ") + _file(match.mission),
                  mission=match.id, required=1 if required else None, found=len(match.mission.illustrations),
                  keys=("illustrations",))
        for match in selected)
    if not required:
        return CheckItem("", _("illustrations"), "info", detail + _("; not required (the tender does not set "
                         "require_illustrations = true)"), parts=parts)
    if not without:
        return CheckItem("", _("illustrations"), "pass", detail, parts=parts)
    return CheckItem("", _("illustrations"), "fail", detail,
                     _("add [[illustrations]] to ") + ", ".join(_file(mission) for mission in without), parts=parts)
