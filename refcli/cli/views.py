"""Search results for people and scripts: the JSON shape, the table, the explanation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from refcli.annex.formatting import format_years
from refcli.i18n import N_, _

if TYPE_CHECKING:
    from rich.console import RenderableType

    from refcli.records.model import Library
    from refcli.search.check import Checklist
    from refcli.search.query import Query
    from refcli.search.rank import Match


def match_json(rank: int, match: Match) -> dict[str, Any]:
    """One result as JSON; the shape is documented in docs/search.md ("JSON output") and kept stable."""
    from refcli.records.browse import reference_json

    return {
        "rank": rank,
        **reference_json(match.mission, match.in_window, match.score, match.matched_terms()),
        "competencies": [
            {"id": item.id, "minimum": item.minimum, "level": item.level, "covered": item.covered,
             "points": round(item.points, 2)}
            for item in match.competencies
        ],
        "explanation": [
            {"term": item.term, "via": item.via, "field": item.field, "matched": item.matched,
             "similarity": item.similarity, "kind": item.kind, "points": round(item.points, 2)}
            for item in match.fields
        ],
        "concepts": [
            {"name": item.name, "kind": item.kind, "credit": round(item.credit, 2), "via": item.via,
             "points": round(item.points, 2)}
            for item in match.concepts
        ],
        "not_an_intellectual_service": match.other,
    }


def search_json(query: Query, matches: list[Match]) -> dict[str, Any]:
    """The payload of `refcli search --json` (print_json adds version and command)."""
    return {
        "query": query.describe(),
        "results": [match_json(rank, match) for rank, match in enumerate(matches, start=1)],
    }


MATCHED_SHOWN = 5


def _terms_cell(match: Match) -> str:
    terms = match.matched_terms()
    if not terms:  # reached by what it is, not by the words: say which concept
        shared = [concept.via or concept.name for concept in match.concepts if concept.credit > 0]
        return _("(same kind: {names})").format(names=", ".join(shared)) if shared else "—"
    cell = ", ".join(terms[:MATCHED_SHOWN])
    more = len(terms) - MATCHED_SHOWN
    return cell + (_(" +{count} more").format(count=more) if more > 0 else "")


def _competencies_cell(match: Match, library: Library) -> str:
    parts = []
    for item in match.competencies:
        label = library.vocabulary.label(item.id)
        parts.append(f"✓ {label}" if item.covered else f"✗ {label} ({item.level}/{item.minimum})")
    return "\n".join(parts) or "—"


def results_table(query: Query, matches: list[Match], library: Library) -> RenderableType:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    title = _("{count} best mission(s)").format(count=len(matches))
    if query.since is not None:
        title += _(", window since {year}").format(year=query.since)
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column(_("score"), justify="right", no_wrap=True)
    table.add_column("id", style="cyan", overflow="fold", min_width=14, ratio=2)
    table.add_column(_("title"), min_width=20, ratio=4)
    table.add_column(_("client"), min_width=10, ratio=2)
    table.add_column(_("years"), no_wrap=True)
    table.add_column(_("matched"), ratio=2)
    if query.competencies:
        table.add_column(_("competencies"), ratio=2)
    for rank, match in enumerate(matches, start=1):
        years = format_years(match.mission.period) + ("" if match.in_window else "\n" + _("out of window"))
        row = [str(rank), f"{match.score:.1f}", match.id, Text(match.mission.title), Text(match.mission.client.name),
               Text(years, style="" if match.in_window else "dim"), Text(_terms_cell(match))]
        if query.competencies:
            row.append(Text(_competencies_cell(match, library)))
        table.add_row(*row)
    return table


def explanation_view(query: Query, matches: list[Match], library: Library) -> RenderableType:
    """For each result, which query term matched which field, how closely, and what it added."""
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    parts: list[Any] = [Text(_("Searched for"), style="bold underline")]
    for term in query.terms:
        line = term.text if term.stems == term.words else _("{term} (as {stems})").format(
            term=term.text, stems=" ".join(term.stems))
        if term.alternatives:
            line += " → " + ", ".join(alt.text for alt in term.alternatives)
        parts.append(Text(line))
    if query.concepts:
        parts.append(Text(_("The tender names"), style="bold underline"))
        for concept in query.concepts:
            kind = {"service": _("type of service"), "field": _("field"), "other": _("purchase")}[concept.kind]
            parts.append(Text(_("{kind}: {name} (from “{evidence}”)").format(kind=kind, name=concept.name,
                                                                           evidence=concept.evidence)))
    for rank, match in enumerate(matches, start=1):
        window = "" if match.in_window else _(" (out of window: score halved)")
        other = _(" (not an intellectual service: {what})").format(what=match.other) if match.other else ""
        parts.append(Text(f"\n{rank}. {match.id}  {match.score:.1f}{window}{other}", style="bold"))
        table = Table(box=box.SIMPLE, show_edge=False, pad_edge=False)
        for column in (N_("term"), N_("field"), N_("matched"), N_("similarity"), N_("kind"), N_("points")):
            table.add_column(_(column), justify="right" if column in ("similarity", "points") else "left")
        for item in match.fields:
            term = item.term if item.via is None else f"{item.term} → {item.via}"
            table.add_row(Text(term), item.field, Text(item.matched), f"{item.similarity:.0f}", item.kind,
                          f"{item.points:.1f}")
        for concept in match.concepts:
            kind = _("type of service") if concept.kind == "service" else _("field")
            if concept.via:
                state = _("another service: {name}").format(name=concept.via)
            else:
                state = (_("shared") if concept.credit >= 1
                         else (_("in its content") if concept.credit else _("not shared")))
            table.add_row(Text(f"{kind}: {concept.name}"), "concept", "", "", state, f"{concept.points:.1f}")
        for item in match.competencies:
            label = library.vocabulary.label(item.id)
            state = _("covered") if item.covered else (_("below minimum") if item.level else _("missing"))
            table.add_row(Text(f"-c {label} ≥ {item.minimum}"), _("components"), _("level {level}").format(
                level=item.level), "",
                          state, f"{item.points:.1f}")
        parts.append(table)
    return Group(*parts)


def coverage_json(matches: list[Match], query: Query, library: Library) -> dict[str, dict[str, int]]:
    """The coverage matrix as JSON: {competency id: {mission id: level}}."""
    from refcli.search.cover import coverage_matrix, matrix_competencies

    rows = matrix_competencies(matches, query.competencies, library.vocabulary.ids())
    return coverage_matrix(matches, rows)


def coverage_view(matches: list[Match], query: Query, library: Library) -> RenderableType:
    """Competencies (rows) by chosen references (columns), each level drawn as squares, ✓/✗ against the minimum."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from refcli.records.browse import level_squares

    top = library.vocabulary.max_level
    table = Table(title=_("Coverage: competencies by reference"), title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column(_("competency"), no_wrap=True)
    for number, match in enumerate(matches, start=1):
        table.add_column(f"{number}. {match.id}", overflow="fold", min_width=top + 2)
    for component, levels in coverage_json(matches, query, library).items():
        minimum = query.competencies.get(component)
        label = library.vocabulary.label(component)
        covered = minimum is not None and any(level >= minimum for level in levels.values())
        mark = "" if minimum is None else (" ✓" if covered else " ✗")
        row = [Text(f"{label}{f' ≥ {minimum}' if minimum else ''}{mark}",
                    style="" if minimum is None else ("green" if covered else "bold red"))]
        for level in levels.values():
            style = "" if minimum is None else ("green" if level >= minimum else "dim")
            row.append(Text(level_squares(level, top) if level else "·", style=style))
        table.add_row(*row)
    return table


def checklist_json(checklist: Checklist, library: Library, ranked: bool = True) -> dict[str, Any]:
    """The payload of `refcli check --json` (print_json adds version and command); ranked: the references were
    chosen by the query (else given by --ids or --from: no score)."""
    from refcli.records.browse import reference_json

    return {
        "passed": checklist.passed,
        "query": checklist.query.describe(),
        "wanted": checklist.wanted,
        "candidates": len(checklist.candidates),
        "selected": [
            {"rank": rank, **reference_json(match.mission, match.in_window, match.score if ranked else None,
                                            match.matched_terms())}
            for rank, match in enumerate(checklist.selected, start=1)
        ],
        "items": [check.as_json() for check in checklist.checks()],
        "coverage": checklist.coverage,
        "uncoverable": list(checklist.uncoverable),
    }


CHECK_MARKS = {"pass": ("✓", "green"), "fail": ("✗", "bold red"), "info": ("i", "cyan")}


def checklist_view(checklist: Checklist) -> RenderableType:
    """One line per item with its mark (✓ pass, ✗ fail, i information), and what to do under each failure."""
    from rich.console import Group
    from rich.text import Text

    lines: list[Any] = []
    for item in checklist.items:
        mark, style = CHECK_MARKS[item.status]
        line = Text()
        line.append(f"{mark} ", style=style)
        line.append(item.name, style="bold")
        line.append(_(": {detail}").format(detail=item.detail))
        lines.append(line)
        if item.advice and item.status != "pass":
            lines.append(Text(f"    → {item.advice}", style="yellow" if item.status == "fail" else "dim"))
    failures = len(checklist.failures)
    verdict = (_("check passed") if not failures else _("check failed: {count} item(s) to fix").format(count=failures))
    lines.append(Text(f"\n{verdict}", style="bold green" if not failures else "bold red"))
    return Group(*lines)
