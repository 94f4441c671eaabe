"""Choose the references of an annex: by explicit ids in the order given, or from ranked matches (see cover)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from refcli.annex.render import Selection
from refcli.errors import NegativeAnswer, UserError
from refcli.i18n import _, few
from refcli.records.browse import find_mission
from refcli.records.model import Library, Mission

if TYPE_CHECKING:
    from refcli.annex.selection_record import SelectionRecord
    from refcli.search.index import SearchIndex
    from refcli.search.query import Query
    from refcli.search.rank import Match


def parse_ids(text: str) -> list[str]:
    """Split '--ids a,b, c' into ids, dropping empty items."""
    return [item.strip() for item in text.split(",") if item.strip()]


def select_by_ids(library: Library, ids: Sequence[str]) -> list[Selection]:
    """Return the missions of ids, in that order; an unknown id is an error with a "did you mean"."""
    if not ids:
        raise UserError(_("--ids: no reference selected; give the ids of the missions, separated by commas"))
    seen: set[str] = set()
    selections = []
    for position, mission_id in enumerate(ids, start=1):
        if mission_id in seen:
            raise UserError(_("--ids: {mission_id!r} is listed twice").format(mission_id=mission_id))
        seen.add(mission_id)
        mission = find_mission(library, mission_id)
        selections.append(Selection(mission, _("listed in --ids, position {position}").format(position=position)))
    return selections


REASON_TERMS = 4  # matched terms named in a reason; the rest counted


def selections_from_matches(matches: Sequence[Match], library: Library, covering: bool = False) -> list[Selection]:
    """Turn ranked matches into the annex's selections: a reason for the bid's author, a relevance for the buyer.

    The reason (stderr only) gives the score, the terms matched and the competencies; the relevance,
    printed on the fiche, names only facts: the required competencies the mission covers, never a score.
    """
    selections = []
    best = max((match.score for match in matches), default=0.0)
    for match in matches:
        # On the scale search shows: the best result is 100 (docs/search.md); --json keeps the raw score.
        parts = [_("score {score}").format(score=round(100 * match.score / best) if best > 0 else 0)]
        terms = match.matched_terms()
        if terms:
            shown = ", ".join(terms[:REASON_TERMS])
            more = _(" +{count} more").format(count=len(terms) - REASON_TERMS) if len(terms) > REASON_TERMS else ""
            parts.append(_("matched {terms}").format(terms=shown) + more)
        if match.competencies:
            parts.append(_("competencies") + " " + ", ".join(
                item.shown(library.vocabulary.label(item.id)) for item in match.competencies))
        if not match.in_window:
            parts.append(_("out of window"))
        if covering:  # a reference that covers none was taken by its score, to make up the number
            parts.append(_("chosen for coverage") if any(item.covered for item in match.competencies)
                         else _("chosen by its score: it covers none of the competencies"))
        # Named to the buyer only when the level is confirmed: an inferred level is no fact (see provenance).
        required = {item.id: item.minimum for item in match.competencies}
        relevance = relevance_sentence(confirmed_coverage(match.mission, required, library))
        selections.append(Selection(match.mission, _("; ").join(parts), relevance=relevance))
    return selections


def _window_advice(query: Query, outside: Sequence[Mission], missing: int, year: int) -> str:
    """What would let the bid have enough references: a wider window (if the buyer accepts it), the flag, more."""
    advice = []
    older = sorted(outside, key=lambda mission: (-mission.period.end, mission.id))
    if older and missing > 0:
        needed = older[min(missing, len(older)) - 1]
        advice.append(_("--years {years} if the buyer accepts older references").format(
            years=year - needed.period.end))
    if older:
        advice.append(_("--allow-outside-window to take them anyway (the stderr summary says so)"))
    last = _("add reference(s) ending in {since} or later to the library").format(since=query.since)
    return _("; ").join(advice) + (_("; or ") if advice else "") + last


def _outside_text(missions: Sequence[Mission]) -> str:
    return ", ".join(_("{id} (ended {year})").format(id=mission.id, year=mission.period.end) for mission in missions)


def choose_by_query(library: Library, index: SearchIndex, query: Query, cover: bool, count_asked: bool,
                    allow_outside_window: bool) -> tuple[list[Match], list[Match], list[Match]]:
    """The references a query chooses for an annex, under the tender's rules: the candidates ranked, those
    chosen, and those of them taken from outside the window (with allow_outside_window). No match is a
    UserError; a rule that cannot be met (the client kind, the count inside the window) a NegativeAnswer,
    naming the missions a client kind not on their fiches left out: confirming it may bring them in (a
    guess must not decide silently what the buyer gets)."""
    from dataclasses import replace

    from refcli.search.cover import rank_candidates
    from refcli.search.query import rules_year

    candidates = rank_candidates(library, index, query)
    everyone: list[Match] | None = None  # the ranking of every client kind, when asked for

    def left_out_on_a_guess() -> str:
        nonlocal everyone
        if not query.client_kind:
            return ""
        from refcli.records.provenance import is_unconfirmed

        if everyone is None:
            everyone = rank_candidates(library, index, replace(query, client_kind=None))
        guessed = [match.id for match in everyone
                   if match.mission.client.kind != query.client_kind and is_unconfirmed(match.mission, "client.kind")]
        return _("; left out as not {kind}, on a client kind not on their fiches ([inferred]): {ids}: confirm "
                 "client.kind in their records").format(kind=_(query.client_kind), ids=few(guessed, 5)) \
            if guessed else ""

    if not candidates:
        if query.client_kind:
            everyone = rank_candidates(library, index, replace(query, client_kind=None))
        if everyone:  # none of the client kind asked: exit 1, as the README
            raise NegativeAnswer(_("build-bid: no mission for {kind} clients matches the query: no reference to "
                                   "put in the annex; nothing written").format(kind=_(query.client_kind))
                                 + left_out_on_a_guess(), "clients.kind", required=query.limit, found=0)
        raise UserError(_("build-bid: no mission matches the query: no reference to put in the annex; "
                          "nothing written"))
    try:
        matches, outside = choose_within_rules(candidates, query, cover, count_asked, allow_outside_window,
                                               rules_year(query))
    except NegativeAnswer as shortfall:
        raise NegativeAnswer(str(shortfall) + left_out_on_a_guess(), shortfall.code, shortfall.missions,
                             shortfall.required, shortfall.found) from None
    return candidates, matches, outside


def choose_within_rules(candidates: Sequence[Match], query: Query, cover: bool, count_asked: bool,
                        allow_outside_window: bool, year: int) -> tuple[list[Match], list[Match]]:
    """Choose the bid's references among the candidates inside the tender's window; return them and those
    taken from outside it (only with allow_outside_window).

    The client kind asked is already applied by the ranking. When the number was asked (the tender's
    references, --limit) and fewer candidates qualify, or when none does, nothing may be written:
    NegativeAnswer names the shortfall and what would fix it.
    """
    from refcli.search.cover import choose_matches

    if query.since is None or allow_outside_window:
        matches = choose_matches(candidates, query, cover)
        return matches, [match for match in matches if not match.in_window]
    inside = [match for match in candidates if match.in_window]
    outside = [match.mission for match in candidates if not match.in_window]
    if (count_asked and len(inside) < query.limit) or (not inside and outside):
        missing = query.limit - len(inside) if count_asked else 1
        found = ", ".join(match.id for match in inside) or _("none")
        kind = _(" for {kind} clients").format(kind=_(query.client_kind)) if query.client_kind else ""
        raise NegativeAnswer(
            _("build-bid: {count} reference(s){kind} asked, that ended in {since} or later "
              "(or are ongoing); {qualify} qualify ({found}); outside the window: {outside}; "
              "nothing written. To fix: {advice}").format(
                count=query.limit, kind=kind, since=query.since, qualify=len(inside), found=found,
                outside=_outside_text(outside) or _("none"), advice=_window_advice(query, outside, missing, year)),
            "window.count", [match.id for match in inside], query.limit if count_asked else 1, len(inside))
    return choose_matches(inside, query, cover), []


def _against_rules(missions: Sequence[Mission], since: int | None, kind: str | None) -> tuple[list[str], list[Mission]]:
    """The rules' one reading for references chosen by hand or recorded: the ids of another client kind than
    kind, and the missions that ended before since (neither ongoing)."""
    from refcli.search.check import in_window

    other = [mission.id for mission in missions if kind is not None and mission.client.kind != kind]
    return other, [mission for mission in missions if not in_window(mission, since)]


def check_ids_within_rules(selections: Sequence[Selection], query: Query | None, allow_outside_window: bool,
                           year: int) -> list[Mission]:
    """Refuse hand-picked references the tender's rules exclude (window, client kind); return those taken from
    outside the window with allow_outside_window."""
    if query is None:
        return []
    other, outside = _against_rules([selection.mission for selection in selections], query.since, query.client_kind)
    if other:
        raise NegativeAnswer(_("build-bid: --ids: {kind} clients asked; not one: "
                               "{ids}; nothing written. To fix: leave them out of --ids").format(
                                   kind=_(query.client_kind), ids=", ".join(other)), "clients.kind", other)
    if outside and not allow_outside_window:
        raise NegativeAnswer(
            _("build-bid: --ids: outside the window (ended before {since}): {outside}; "
              "nothing written. To fix: leave them out of --ids, {advice}").format(
                since=query.since, outside=_outside_text(outside),
                advice=_window_advice(query, outside, len(outside), year)),
            "window.outside", [mission.id for mission in outside])
    return outside


def check_recorded_within_rules(selections: Sequence[Selection], record: SelectionRecord) -> list[Mission]:
    """Refuse (exit 1) a rebuild with --use-current whose current versions break the recorded rules: a reference
    now out of the window (unless the record allowed it) or of another client kind; return those out of the
    window it allowed."""
    since, kind = record.options.get("since"), record.options.get("client")
    other, outside = _against_rules([selection.mission for selection in selections], since, kind)
    broken = []
    if other:
        broken.append(_("not {kind} clients: {ids}").format(kind=_(kind), ids=", ".join(other)))
    if outside and not record.options.get("allow_outside_window"):
        broken.append(_("outside the window (ended before {since}): {outside}").format(
            since=since, outside=_outside_text(outside)))
    if broken:
        raise NegativeAnswer(_("{path}: with their current versions, the recorded references break its rules: "
                               "{broken}; nothing written: build the annex again").format(
                                   path=record.path, broken="; ".join(broken)),
                             "selection.rules", [*other, *(mission.id for mission in outside)])
    return outside


def relevance_sentence(labels: Sequence[str]) -> str | None:
    """'Concertation et Conseil stratégique, compétences demandées par le marché.' for the fiche, or None."""
    if not labels:
        return None
    names = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " et " + labels[-1]
    noun = "compétence demandée" if len(labels) == 1 else "compétences demandées"
    return f"{names}, {noun} par le marché."


def confirmed_coverage(mission: Mission, competencies: dict[str, int], library: Library) -> list[str]:
    """The labels of the required competencies the mission covers at their minimum, with a confirmed level."""
    if "components" in mission.inferred:
        return []
    return [library.vocabulary.label(component) for component, minimum in competencies.items()
            if mission.components.get(component, 0) >= minimum and f"components.{component}" not in mission.inferred]


def selections_from_record(record: SelectionRecord, library: Library) -> list[Selection]:
    """The references of a selection record, in its order, each read from its recorded file, with the relevance
    sentence the annex printed."""
    from refcli.annex.selection_record import recorded_competencies, recorded_missions

    competencies = recorded_competencies(record, library.vocabulary)
    missions = recorded_missions(record, library.folder, library.vocabulary)
    return [Selection(mission, _("recorded in {path}, position {number}").format(path=record.path, number=number),
                      relevance=relevance_sentence(confirmed_coverage(mission, competencies, library)))
            for number, mission in enumerate(missions, start=1)]
