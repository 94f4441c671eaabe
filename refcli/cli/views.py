"""Search results for people and scripts: the JSON shape, the table, the explanation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from refcli.annex.formatting import format_years
from refcli.i18n import _, few
from refcli.records.browse import (
    INFERRED_MARK,
    MINIMUM_COLUMN,
    WHOLE_LINES,
    Cell,
    Column,
    Fitted,
    Grid,
    column_widths,
    longest_line,
)
from refcli.records.provenance import is_unconfirmed

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import RenderableType
    from rich.text import Text

    from refcli.records.model import Library
    from refcli.search.check import Checklist
    from refcli.search.query import Query
    from refcli.search.rank import ConceptMatch, FieldMatch, Match


def match_json(rank: int, match: Match, library: Library) -> dict[str, Any]:
    """One result as JSON; the shape is documented in docs/search.md ("JSON output") and kept stable. An
    explanation's `guessed`: its words come only from values not on the fiche, as --explain marks them."""
    from refcli.records.browse import reference_json

    return {
        "rank": rank,
        **reference_json(match.mission, match.in_window, match.score, match.matched_terms()),
        "competencies": [
            {"id": item.id, "minimum": item.minimum, "level": item.level, "covered": item.covered,
             "points": round(item.points, 2), "confirmed": item.confirmed}
            for item in match.competencies
        ],
        "explanation": [
            {"term": item.term, "via": item.via, "field": item.field, "matched": item.matched,
             "similarity": item.similarity, "kind": item.kind, "points": round(item.points, 2),
             "guessed": (_guessed_components(match, [item], library) if item.field == "components"
                         else _guessed_values(match, [item]))}
            for item in match.fields
        ],
        "concepts": [
            {"name": item.name, "kind": item.kind, "credit": round(item.credit, 2), "via": item.via,
             "points": round(item.points, 2)}
            for item in match.concepts
        ],
        "not_an_intellectual_service": match.other,
    }


def search_json(query: Query, matches: list[Match], library: Library) -> dict[str, Any]:
    """The payload of `refcli search --json` (print_json adds version and command)."""
    return {
        "query": query.describe(),
        "results": [match_json(rank, match, library) for rank, match in enumerate(matches, start=1)],
    }


MATCHED_SHOWN = 5


def relative_scores(matches: list[Match]) -> list[int]:
    """Each result's score on the scale people read: the best result of the search is 100 (docs/search.md)."""
    best = max((match.score for match in matches), default=0.0)
    return [round(100 * match.score / best) if best > 0 else 0 for match in matches]


def _distinct(items: list[FieldMatch]) -> list[FieldMatch]:
    """The rows whose words of the fiche no other row holds too: "citoyens" left out beside "conseils citoyens";
    of two rows that matched the same words, the first (the tender's own word, before a glossary alternative)."""
    stems = [set(item.matched.split()) for item in items]
    return [item for number, item in enumerate(items)
            if not any(stems[number] <= other and (stems[number] < other or rank < number)
                       for rank, other in enumerate(stems) if rank != number)]


def _terms_cell(match: Match, query: Query, library: Library) -> str:
    first = {item.term: item for item in reversed(match.fields)}  # each term's strongest row
    kept = {item.term for item in _distinct(sorted(first.values(), key=lambda item: item.via is not None))}
    terms = [term for term in match.matched_terms() if term in kept]
    if not terms:  # reached by what it is, not by the words: say which concept, as --explain does
        shared = _concept_phrases(match, [concept for concept in match.concepts if concept.credit > 0], query, library)
        return "(" + _("; ").join(shared) + ")" if shared else "—"
    return few(terms, MATCHED_SHOWN)


def _competencies_cell(match: Match, library: Library) -> str:
    parts = []
    for item in match.competencies:
        label = library.vocabulary.label(item.id)
        parts.append((f"✓ {label}" if item.covered else f"✗ {label} {item.level}/{item.minimum}") + item.mark())
    return "\n".join(parts) or "—"


def guessed_levels(matches: list[Match], library: Library) -> list[str]:
    """The ids of the results whose score rests on a level not on their fiche: a competency's credit, or words
    matched in the labels of components the fiche does not mark (the index holds a component's label where the
    record gives it a level)."""
    def on_labels(match: Match) -> bool:
        items = [item for item in match.fields if item.field == "components" and item.points >= SHOWN_POINTS]
        return bool(items) and _guessed_components(match, items, library)

    return [match.id for match in matches
            if any(not item.confirmed and item.level for item in match.competencies) or on_labels(match)]


def results_table(query: Query, matches: list[Match], library: Library) -> Fitted:
    """The results as a table that fits the terminal, 80 columns as well as 200: ids whole; when it is narrow,
    the client left out, then the id, title, client and years in one column (the id on a line of its own)."""
    return Fitted(lambda width: _results_table(query, matches, library, width))


def _results_table(query: Query, matches: list[Match], library: Library, width: int) -> Grid:
    title = _("{count} best mission(s)").format(count=len(matches))
    if query.client_kind is not None:
        title += _(", {kind} clients").format(kind=_(query.client_kind))
    if query.since is not None:
        title += _(", window since {year}").format(year=query.since)
    title += _("; score: the best one = 100")
    ids = [match.id for match in matches]
    titles = [match.mission.title for match in matches]
    clients = [match.mission.client.name for match in matches]
    years = [format_years(match.mission.period) + ("" if match.in_window else "\n" + _("out of window"))
             for match in matches]
    terms = [_terms_cell(match, query, library) for match in matches]
    marks = [_competencies_cell(match, library) if query.competencies else "" for match in matches]
    ranks = [str(rank) for rank in range(1, len(matches) + 1)]
    scores = [str(score) for score in relative_scores(matches)]
    fixed = [longest_line(["#", *ranks]), len(_("score")), longest_line(ids), longest_line([_("years"), *years])]
    wants = [longest_line(titles), longest_line(terms)] + ([longest_line(marks)] if query.competencies else [])
    numbers = [Column("#", justify="right"), Column(_("score"), justify="right")]
    for with_client in (True, False):
        widths = column_widths(width, fixed, [*wants, longest_line(clients)] if with_client else wants,
                               [3, 2, 2][:len(wants)] + [2] * with_client,
                               [24, 20, 20][:len(wants)] + [14] * with_client)
        if widths is None:
            continue
        columns = [*numbers, Column("id", style="cyan"), Column(_("title"), widths[0])]
        columns += [Column(_("client"), widths[-1])] if with_client else []
        columns += [Column(_("years")), Column(_("matched"), widths[1])]
        columns += [Column(_("competencies"), widths[2])] if query.competencies else []
        rows: list[tuple[Cell, ...]] = []
        for row in zip(ranks, scores, ids, titles, clients, years, terms, marks, strict=True):
            rank, score, mission_id, mission_title, client, period, matched, covered = row
            cells: list[Cell] = [rank, score, mission_id, mission_title, *([client] if with_client else [])]
            cells += [((period, None if "\n" not in period else "dim", False),), matched]
            rows.append((*cells, *([covered] if query.competencies else [])))
        return Grid(title, columns, rows)
    # Narrow: the id on a line of its own, the title, the client and the years under it, in one column; narrower
    # still (or an id too long beside the ranks), the rank and the score above the id, what matched left out.
    why = [matched + (f"\n{covered}" if covered else "") for matched, covered in zip(terms, marks, strict=True)]
    stacked = [f"{title}\n{client} · {period}" for title, client, period in zip(titles, clients, years, strict=True)]
    widths = column_widths(width, fixed[:2], [max(longest_line(ids), longest_line(stacked)), longest_line(why)],
                           [3, 2], [longest_line(ids), MINIMUM_COLUMN])
    if widths is None:
        columns = [Column(_("mission"), max(width - 4, 1))]
    else:
        columns = [*numbers, Column(_("mission"), widths[0]),
                   Column(_("matched, competencies") if query.competencies else _("matched"), widths[1])]
    rows = []
    for rank, score, match, mission_id, reason in zip(ranks, scores, matches, ids, why, strict=True):
        period = format_years(match.mission.period) + ("" if match.in_window else ", " + _("out of window"))
        lines = ((mission_id, "cyan", True), (match.mission.title, None, False),
                 (f"{match.mission.client.name} · {period}", None if match.in_window else "dim", False))
        if widths is None:
            rows.append((((_("{rank}. score {score}").format(rank=rank, score=score), "bold", False), *lines),))
        else:
            rows.append((rank, score, lines, reason))
    return Grid(title, columns, rows)


# The parts of a fiche as the fiche names them, in its order; the record's fields they hold.
FICHE_PARTS: dict[str, tuple[str, ...]] = {
    "titre": ("title",), "type de mission": ("mission_type",), "mots-clés": ("keywords",),
    "enjeux": ("stakes",), "contenu": ("content",), "composantes": ("components",),
    "acteurs": ("client", "partners", "team"), "site": ("site",),
}
WORDS_SHOWN = 2  # per part of the fiche; --json has them all
CONCEPTS_SHOWN = 2
SEARCHED_SHOWN = 10
SHOWN_POINTS = 0.05  # a row that adds less than this (0.0 as shown) says nothing of why


def explanation_view(query: Query, matches: list[Match], library: Library) -> RenderableType:
    """For each result, a few lines that say why in the trade's words: the type of mission and the field it
    shares with the tender, the competencies at their levels, its years, which of the tender's words the
    fiche holds and in which part. Every user-visible text is built by one of the _line functions below."""
    from rich.text import Text

    rows: list[tuple[Text, Text]] = [(Text(""), _searched_line(query))] if query.terms else []
    if query.concepts:
        rows.append((Text(""), _named_line(query)))
    for rank, (match, score) in enumerate(zip(matches, relative_scores(matches), strict=True), start=1):
        rows += [(Text(""), Text("")), (Text(""), Text(_headline(rank, match, score, query.since), style="bold"))]
        for line in (_why_line(match, query, library), _competencies_line(match, library),
                     *_words_lines(match, library)):
            if line:
                rows.append((Text("   "), Text(line)))
    return hanging_lines(rows)


def hanging_lines(rows: list[tuple[Text, Text]]) -> RenderableType:
    """Lines of text, each after its indent (a mark, spaces): at the terminal's width, a long one wraps word by
    word under its own text; piped, each stays one line (Fitted's prose)."""
    from rich.console import Group
    from rich.table import Table

    def build(width: int) -> RenderableType:
        if width >= WHOLE_LINES:
            return Group(*(indent + text for indent, text in rows))
        lines = []
        for indent, text in rows:
            line = Table.grid()
            if indent.plain:  # an empty column would still take one cell
                line.add_column(no_wrap=True)
            line.add_column()
            line.add_row(*([indent] if indent.plain else []), text)
            lines.append(line)
        return Group(*lines)

    return Fitted(build, prose=True)


def _searched_line(query: Query) -> Text:
    from rich.text import Text

    shown = ", ".join(term.text for term in query.terms[:SEARCHED_SHOWN])
    more = len(query.terms) - SEARCHED_SHOWN
    line = Text(_("Searched for: "), style="bold")
    line.append(shown + (_(" and {count} more (all in --json)").format(count=more) if more > 0 else ""))
    return line


def _named_line(query: Query) -> Text:
    from rich.text import Text

    services = [concept.name for concept in query.concepts if concept.kind == "service"]
    fields = [concept.name for concept in query.concepts if concept.kind == "field"]
    parts = []
    if services:
        parts.append(_("type of mission: {names}").format(names=few(services, CONCEPTS_SHOWN)))
    if fields:
        parts.append(_("field: {names}").format(names=few(fields, CONCEPTS_SHOWN)))
    others = [concept.name for concept in query.concepts if concept.kind == "other"]
    if others:  # works, supplies: no intellectual service
        parts.append(_("another purchase: {names}").format(names=few(others, CONCEPTS_SHOWN)))
    line = Text(_("Read as: "), style="bold")
    line.append(_("; ").join(parts))
    return line


def _headline(rank: int, match: Match, score: int, since: int | None) -> str:
    years = format_years(match.mission.period)
    if since is None:
        window = ""
    elif match.in_window:
        window = _(" (in the window)")
    else:
        window = _(" (out of the window, since {year}: score halved)").format(year=since)
    other = (_("; not an intellectual service ({what}): its score lowered").format(what=match.other)
             if match.other else "")
    return _("{rank}. {id}: score {score}; {years}{window}{other}").format(rank=rank, id=match.id, score=score,
                                                                          years=years, window=window, other=other)


def _why_line(match: Match, query: Query, library: Library) -> str:
    shown = [concept for concept in match.concepts if concept.points >= SHOWN_POINTS]
    return _("; ").join(_concept_phrases(match, shown, query, library))


def _concept_phrases(match: Match, concepts: list[ConceptMatch], query: Query, library: Library) -> list[str]:
    sources = None
    if any(0 < concept.credit < 1 and not concept.via for concept in concepts):  # found in what it did: where?
        from refcli.search.index import concept_sources

        sources = concept_sources(match.mission, library.vocabulary, query.concept_table)
    return [_concept_phrase(concept, match, sources) for concept in concepts]


def _concept_phrase(concept: ConceptMatch, match: Match | None = None,
                    sources: dict[str, set[str]] | None = None) -> str:
    names = few(list(concept.shared) or [concept.name], 1)
    if concept.kind == "service" and concept.via:
        return _("another type of mission: {names}").format(names=concept.via)
    if concept.credit >= 1:
        return (_("same type of mission: {names}") if concept.kind == "service" else
                _("same field: {names}")).format(names=names)
    # In what the mission did: its content or stakes, else only its components' labels, maybe levels not on the fiche.
    where = set().union(*(sources.get(name, ()) for name in concept.shared)) if sources and concept.shared else set()
    if where and all(place.startswith("components.") for place in where):
        phrase = (_("the type of mission in its components: {names}") if concept.kind == "service" else
                  _("the field in its components: {names}")).format(names=names)
        if match is not None and all(is_unconfirmed(match.mission, place) for place in where):
            phrase += " " + _(INFERRED_MARK)
        return phrase
    return (_("the type of mission in its content: {names}") if concept.kind == "service" else
            _("the field in its content: {names}")).format(names=names)


def _competencies_line(match: Match, library: Library) -> str:
    """Each required competency: ✓ or ✗, its label, the mission's level / the level asked (as build-bid says it)."""
    parts = [item.shown(library.vocabulary.label(item.id)) for item in match.competencies]
    return _("competencies: {marks}").format(marks=", ".join(parts)) if parts else ""


def _words_lines(match: Match, library: Library) -> list[str]:
    """Which of the tender's words each part of the fiche holds, those that added most first; a word already
    inside a phrase shown for that part ("citoyens" in "conseils citoyens") left out. The components' part is
    marked when its words come only from levels not on the fiche (their key paths in [inferred])."""
    found: dict[str, list[FieldMatch]] = {part: [] for part in FICHE_PARTS}
    part_of = {field: part for part, fields in FICHE_PARTS.items() for field in fields}
    # The tender's own words before a glossary alternative that matched the same words of the fiche.
    for item in sorted(match.fields, key=lambda item: (item.via is not None, -item.points)):
        if item.points >= SHOWN_POINTS:
            found[part_of[item.field]].append(item)
    parts = []
    said: set[str] = set()  # the terms whose alternative or correction was said: not again in the next parts
    for part, items in found.items():
        kept = _distinct(items)
        if kept:
            words = list(dict.fromkeys(_word_phrase(item, item.term not in said) for item in kept[:WORDS_SHOWN]))
            said.update(item.term for item in kept[:WORDS_SHOWN])
            more = len({item.term for item in kept}) - len(words)
            shown = ", ".join(words) + (_(" +{count} more").format(count=more) if more > 0 else "")
            if (_guessed_components(match, kept, library) if FICHE_PARTS[part] == ("components",)
                    else _guessed_values(match, kept)):
                from refcli.records.browse import INFERRED_MARK

                part = f"{part} {_(INFERRED_MARK)}"
            parts.append(_("{part}: {words}").format(part=part, words=shown))
    return [_("; ").join(parts)] if parts else []


def _guessed_components(match: Match, items: list[FieldMatch], library: Library) -> bool:
    """Whether every word the components matched comes from components whose level is not on the fiche: the index
    holds a component's label where the record gives it a level (search/index.py)."""
    from refcli.records.provenance import is_unconfirmed
    from refcli.search.text import stems

    mission = match.mission
    labels = {component: set(stems(library.vocabulary.label(component))) for component in mission.components}
    for item in items:
        matched = item.matched.replace("…", " ")
        words = set(matched.split())  # stems; a typo's or a broken accent's match is the fiche's word as written
        written = set(stems(matched))
        sources = [component for component, label in labels.items() if words <= label or written <= label]
        if not sources or not all(is_unconfirmed(mission, f"components.{component}") for component in sources):
            return False
    return True


def _guessed_values(match: Match, items: list[FieldMatch]) -> bool:
    """Whether every word these items matched comes only from values not on the fiche ([inferred]: a client's
    category, a site's city or districts the importer worked out), none from a value on it."""
    from refcli.records.provenance import is_unconfirmed
    from refcli.search.index import searched_values
    from refcli.search.text import stems

    mission = match.mission
    if not mission.inferred:
        return False
    fields = {item.field for item in items}
    guessed: set[str] = set()
    stated: set[str] = set()
    for path, field, texts in searched_values(mission):
        if field in fields:
            words = {word for text in texts for word in stems(text)}
            (guessed if is_unconfirmed(mission, ".".join(path)) else stated).update(words)
    for item in items:
        words = set(item.matched.replace("…", " ").split()) | set(stems(item.matched.replace("…", " ")))
        if not words & guessed or words & stated:
            return False
    return True


def _word_phrase(item: FieldMatch, annotated: bool = True) -> str:
    """The word found, as the explanation names it: the tender's, with what the fiche holds when that is another
    word (a glossary alternative, a typo's correction); once said, the fiche's word alone."""
    if not annotated:
        if item.via is not None:
            return item.via
        return item.matched if item.kind in ("typo", "broken accent") else item.term
    if item.via is not None:
        return _("{term} (as “{via}”)").format(term=item.term, via=item.via)
    if item.kind in ("typo", "broken accent"):
        return _("{term} (read as “{matched}”)").format(term=item.term, matched=item.matched)
    if item.kind == "scattered":
        return _("{term} (its words apart)").format(term=item.term)
    return item.term


def coverage_json(matches: list[Match], query: Query, library: Library) -> dict[str, dict[str, int]]:
    """The coverage matrix as JSON: {competency id: {mission id: level}}."""
    from refcli.search.cover import coverage_matrix, matrix_competencies

    rows = matrix_competencies(matches, query.competencies, library.vocabulary.ids())
    return coverage_matrix(matches, rows)


def coverage_guessed(matches: Sequence[Match], coverage: dict[str, dict[str, int]]) -> dict[str, list[str]]:
    """Beside the coverage matrix: {competency id: [the mission ids whose level there, a 0 too, is not on the
    fiche]} (what the matrix draws with a *)."""
    return {component: [match.id for match in matches if is_unconfirmed(match.mission, f"components.{component}")]
            for component in coverage}


def coverage_view(matches: list[Match], query: Query, library: Library) -> RenderableType:
    """Competencies (rows) by chosen references (columns), each level drawn as squares, ✓/✗ against the minimum."""
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from refcli.records.browse import level_squares

    top = library.vocabulary.max_level
    coverage = coverage_json(matches, query, library)
    guesses = coverage_guessed(matches, coverage)
    # Columns numbered, the ids named under the table: a column as wide as an id would not fit 80 columns.
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column(_("competency"))
    for number, _match in enumerate(matches, start=1):
        table.add_column(str(number), no_wrap=True, min_width=top)
    for component, levels in coverage.items():
        minimum = query.competencies.get(component)
        label = library.vocabulary.label(component)
        covered = minimum is not None and any(level >= minimum for level in levels.values())
        mark = "" if minimum is None else (" ✓" if covered else " ✗")
        row = [Text(f"{label}{f' ≥ {minimum}' if minimum else ''}{mark}",
                    style="" if minimum is None else ("green" if covered else "bold red"))]
        for match, level in zip(matches, levels.values(), strict=True):
            style = "" if minimum is None else ("green" if level >= minimum else "dim")
            mark = "*" if match.id in guesses[component] else ""
            row.append(Text(f"{level_squares(level, top) if level else '·'}{mark}", style=style))
        table.add_row(*row)
    legend = [(Text(f"{number}. "), Text(match.id)) for number, match in enumerate(matches, start=1)]
    if any(guesses.values()):
        legend.append((Text("*  "), Text(_("a level not on the fiche ([inferred]): ranked on, left out of the annex"))))
    return Group(hanging_lines([(Text(""), Text(_("Coverage: competencies by reference")))]),
                 Fitted(lambda width: table), hanging_lines(legend))


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
        "coverage_guessed": coverage_guessed(checklist.selected, checklist.coverage),
        "uncoverable": list(checklist.uncoverable),
    }


CHECK_MARKS = {"pass": ("✓", "green"), "fail": ("✗", "bold red"), "info": ("i", "cyan")}


def checklist_view(checklist: Checklist) -> RenderableType:
    """One item a line with its mark (✓ pass, ✗ fail, i information), and what to do under each failure;
    a long item wraps under its own text, word by word, at the terminal's width."""
    from rich.text import Text

    rows: list[tuple[Text, Text]] = []
    for item in checklist.items:
        mark, style = CHECK_MARKS[item.status]
        line = Text()
        line.append(item.name, style="bold")
        line.append(_(": {detail}").format(detail=item.detail))
        rows.append((Text(f"{mark} ", style=style), line))
        if item.advice and item.status != "pass":
            rows.append((Text("    → "), Text(item.advice, style="yellow" if item.status == "fail" else "dim")))
    failures = len(checklist.failures)
    verdict = (_("check passed") if not failures else _("check failed: {count} item(s) to fix").format(count=failures))
    rows += [(Text(""), Text("")), (Text(""), Text(verdict, style="bold green" if not failures else "bold red"))]
    return hanging_lines(rows)
