"""Rank the missions of a library against a Query, and say why each one ranks where it does.

The formula is written down in docs/search.md ("How the score is computed"); the constants below are
its parameters, and tests/search/test_rank.py ties the two. In short, for a mission m:

    strength(t, m) = x / (x + K1),  x = Σ_fields FIELD_WEIGHTS[f] · tf(t, m, f)
                                           / (1 − B[f] + B[f] · length(m, f) / mean length(f))
                     (BM25F, B = LENGTH_NORMALISATION, x / (x + K1) = saturated(x): a term counts more in
                     a title than in a content item, repeats saturate, long fields weigh each word less);
                     the best of the term's ways: its own words, a glossary alternative (× its weight),
                     a typo's correction (× TYPO_WEIGHT)
    text(m)        = Σ_terms idf(t) · strength(t, m) / Σ_terms idf(t)           (0 to 1)
    concepts(m)    = SERVICE_SHARE · service(m) + FIELD_SHARE · field(m)         (0 to 1)
                     service: 1 when m is the same type of service as the tender, SIBLING_CREDIT when
                     it is another intellectual service; field: 1 when m shares the tender's field
    relevance(m)   = TEXT_SHARE · text + (1 − TEXT_SHARE) · concepts      (the tender names concepts)
                   = text                                                 (it names none)
                     × OTHER_FACTOR when m is works or supplies and the tender an intellectual service
    competency(m)  = mean over required competencies of 1 (level ≥ minimum),
                     PARTIAL_CREDIT · level / minimum (below it), 0 (not covered): competency_credit()
    score(m)       = 100 · ((1 − COMPETENCY_SHARE) · relevance + COMPETENCY_SHARE · competency)
                     [COMPETENCY_SHARE only when competencies are asked]
                     · OUT_OF_WINDOW_FACTOR when the mission ended before the window

A term's idf is that of its own words (a glossary alternative neither adds to it nor dilutes it);
when the library never writes them, that of its alternatives that it does. Typo matching (rapidfuzz)
runs only for a query word the library never writes, over the library's words, at a strict,
length-dependent distance: two words the library holds never match each other fuzzily.
"""

from __future__ import annotations

import heapq
import itertools
import math
from itertools import compress, repeat
from operator import mul

from refcli.frozen import frozen
from refcli.records.model import Library, Mission
from refcli.records.provenance import is_unconfirmed
from refcli.search.index import CONCEPT_PREFIX, FIELDS, Posting, SearchIndex, broken_pattern, posting_frequency
from refcli.search.query import Query, QueryTerm
from refcli.search.text import REPLACEMENT

FIELD_WEIGHTS: dict[str, float] = {
    "title": 3.0,          # title and subtitle: what the mission was
    "keywords": 3.0,       # chosen by the firm to be found by
    "mission_type": 2.5,
    "stakes": 1.0,
    "content": 1.0,
    "components": 1.0,     # labels of the components the mission covered
    "site": 0.5,           # city and districts: a place is not a kind of mission
    "client": 0.4,         # the buyer's name in a tender is no reason to rank its other contracts
    "partners": 0.3,
    "team": 0.2,
}
# How much a field's length tempers a word in it (BM25F's b): long texts (stakes, content) more.
LENGTH_NORMALISATION: dict[str, float] = {
    "title": 0.5, "keywords": 0.3, "mission_type": 0.3, "stakes": 0.75, "content": 0.75, "components": 0.3,
    "site": 0.3, "client": 0.3, "partners": 0.3, "team": 0.3,
}
K1 = 1.2  # saturation: a term found once in a title gives x = 3, strength 0.71; in title and keywords, 0.83
TYPO_WEIGHT = 0.7  # a correction of a typo counts this much of the word itself
SCATTERED_WEIGHT = 0.5  # a typed phrase whose words are all in one field, but not side by side
TEXT_SHARE = 0.55
SERVICE_SHARE = 0.6  # of the concepts' share: the type of service weighs more than the field
FIELD_SHARE = 1.0 - SERVICE_SHARE
SIBLING_CREDIT = 0.35  # another intellectual service than the tender's: a secondary reference
OTHER_FACTOR = 0.4  # works, supplies or services that are no intellectual service, for a tender that is one
COMPETENCY_SHARE = 0.3
PARTIAL_CREDIT = 0.5
OUT_OF_WINDOW_FACTOR = 0.5
# Typos: a word of this many letters or more may be corrected by one edit; from TWO_EDITS_LENGTH, two.
TYPO_MIN_LENGTH = 6
# A tender's text is an edited document: a word of it the library lacks is more often a name ("Chêne Pointu")
# than a typo, so only its longer words are corrected.
TEXT_TYPO_MIN_LENGTH = 9
TWO_EDITS_LENGTH = 10

_FIELD_NUMBERS = {name: number for number, name in enumerate(FIELDS)}
_WEIGHTS = tuple(FIELD_WEIGHTS[name] for name in FIELDS)
_NORMS = tuple(LENGTH_NORMALISATION[name] for name in FIELDS)


def saturated(x: float) -> float:
    """A term's strength from its weighted frequency x (BM25's saturation): 0 to 1, each repeat adding less."""
    return x / (x + K1)


def competency_credit(level: int, minimum: int) -> float:
    """What a mission's level of a required competency earns: 1 at the minimum or above, part of it below."""
    return 1.0 if level >= minimum else PARTIAL_CREDIT * level / minimum


@frozen
class FieldMatch:
    """One query term matched in one field of a mission: what it found and what it added."""

    term: str  # the query term as written
    via: str | None  # the glossary alternative that matched ("gestion urbaine de proximité"), if any
    field: str
    matched: str  # the stems that matched ("relog" for relogement, relogements...); for a typo or a broken
    # accent, the words the query was taken for ("concertation" for "concertaiton")
    similarity: float  # 0-100: 100 for the word itself, less for a typo's correction
    kind: str  # "word", "phrase", "scattered", "alternative", "typo" or "broken accent"
    points: float  # what it added to the score (0-100 scale)


@frozen
class CompetencyMatch:
    id: str
    minimum: int
    level: int  # the mission's level, 0 when it did not cover the component
    points: float
    confirmed: bool = True  # False: the level is not on the fiche (its key path is in the record's [inferred])

    @property
    def covered(self) -> bool:
        return self.level >= self.minimum

    def shown(self, label: str) -> str:
        """'✓ Concertation 5/4': covered or not, the level / the minimum; marked when the level is not on the fiche
        ([inferred]): ranked on, never stated as a fact."""
        return f"{'✓' if self.covered else '✗'} {label} {self.level}/{self.minimum}{self.mark()}"

    def mark(self) -> str:
        from refcli.i18n import _
        from refcli.records.browse import INFERRED_MARK

        return "" if self.confirmed else f" {_(INFERRED_MARK)}"


@frozen
class ConceptMatch:
    """A concept the tender names, and whether the mission shares it."""

    name: str
    kind: str  # "service" or "field"
    credit: float  # 0-1: 1 shared in what the mission was, 0.5 in what it did, SIBLING_CREDIT another service
    via: str | None  # the mission's concept when it is another service (the sibling)
    points: float
    shared: tuple[str, ...] = ()  # those of the tender's concepts of this kind the mission has, at its credit


@frozen
class Match:
    mission: Mission
    score: float  # 0-100
    fields: tuple[FieldMatch, ...]  # the explanation, strongest first
    competencies: tuple[CompetencyMatch, ...]
    in_window: bool
    concepts: tuple[ConceptMatch, ...] = ()
    other: str | None = None  # the purchase kind that lowered it ("travaux, fournitures..."), if any

    @property
    def id(self) -> str:
        return self.mission.id

    def matched_terms(self) -> tuple[str, ...]:
        """The query terms that matched, each once, strongest first."""
        return tuple(dict.fromkeys(field.term for field in self.fields))


class _Way:
    """One way a term reached missions: its own words, an alternative, a correction; per field, per slot, tf."""

    __slots__ = ("weight", "via", "matched", "similarity", "kind", "posting", "own")

    def __init__(self, weight: float, via: str | None, matched: str, similarity: float, kind: str, posting: Posting,
                 own: bool) -> None:
        self.weight, self.via, self.matched, self.similarity = weight, via, matched, similarity
        self.kind, self.posting, self.own = kind, posting, own  # own: the term's own words (its idf)


def rank_missions(library: Library, index: SearchIndex, query: Query) -> list[Match]:
    """Return the best query.limit missions the query matches, best first (score, then id), explained."""
    facts = index.facts
    _prefetch(query, index)
    per_term = [_term_ways(term, index) for term in query.terms]
    norms = _Norms(index)

    strengths: list[dict[int, float]] = []
    idfs: list[float] = []
    for ways in per_term:
        best: dict[int, float] = {}
        for way in ways:
            found = norms.strength(way.posting)
            if not best and way.weight == 1.0:
                best = found
                continue
            for slot, value in found.items():
                value *= way.weight
                if value > best.get(slot, 0.0):
                    best[slot] = value
        strengths.append(best)
        idfs.append(_term_idf(ways, index, len(facts)))
    total_idf = sum(idfs)
    text: dict[int, float] = {}
    if total_idf:
        for best, idf in zip(strengths, idfs, strict=True):
            share = idf / total_idf
            for slot, value in best.items():
                text[slot] = text.get(slot, 0.0) + share * value

    concepts = _Concepts(query, index)
    if concepts.active:
        credits, others, searchable = concepts.credits, concepts.others, facts.ids
        relevance = {slot: (TEXT_SHARE * text.get(slot, 0.0) + (1.0 - TEXT_SHARE) * credits.get(slot, 0.0))
                     * (OTHER_FACTOR if slot in others else 1.0)
                     for slot in text.keys() | concepts.reached() if slot in searchable}
        relevance = {slot: value for slot, value in relevance.items() if value > 0}
    else:
        relevance = {slot: value for slot, value in text.items() if value > 0 and slot in facts}

    competency_share = COMPETENCY_SHARE if query.competencies else 0.0
    if query.terms or concepts.active:
        scores = {slot: 100.0 * (1.0 - competency_share) * value for slot, value in relevance.items()}
    else:
        scores, competency_share = {}, 1.0
    if query.competencies:
        share = 100.0 * competency_share / len(query.competencies)
        for component, minimum in query.competencies.items():
            for slot, level in facts.levels.get(component, {}).items():
                if slot in facts:
                    credit = competency_credit(level, minimum)
                    scores[slot] = scores.get(slot, 0.0) + credit * share
    if query.client_kind is not None:
        public = query.client_kind == "public"
        scores = {slot: score for slot, score in scores.items() if (slot in facts.public) == public}
    outside: set[int] = set()
    if query.since is not None:
        ends, ongoing = facts.ends, facts.ongoing
        outside = {slot for slot in scores if ends[slot] < query.since and slot not in ongoing}
        for slot in outside:
            scores[slot] *= OUT_OF_WINDOW_FACTOR
    best_slots = _best(scores, facts.ids, query.limit)
    missions = _missions(library, [facts.ids[slot] for slot in best_slots])
    explain = _Explainer(query, per_term, idfs, total_idf, norms, concepts, competency_share)
    return [explain(missions[facts.ids[slot]], slot, scores[slot], slot not in outside) for slot in best_slots]


def _best(scores: dict[int, float], ids: dict[int, str], limit: int) -> list[int]:
    """The best limit slots by score (to 9 decimals), ties by id; sorting only those that can be among them."""
    if limit > 0 and len(scores) > 4 * limit:
        threshold = heapq.nlargest(limit, scores.values())[-1] - 1e-9
        scores = {slot: score for slot, score in scores.items() if score >= threshold}
    return sorted(scores, key=lambda slot: (-round(scores[slot], 9), ids[slot]))[:limit]


def _missions(library: Library, ids: list[str]) -> dict[str, Mission]:
    """These missions by id: the library's lazy ones decoded in one read, or its own."""
    find_all = getattr(library.missions, "find_all", None)
    if find_all is not None:
        return find_all(ids)
    return {mission.id: mission for mission in library.missions}


def _idf(total: int, frequency: int) -> float:
    """Inverse document frequency (the BM25 form): a term in few missions weighs more."""
    return math.log(1.0 + (total - frequency + 0.5) / (frequency + 0.5))


def _term_idf(ways: list[_Way], index: SearchIndex, total: int) -> float:
    """The idf of the term's own words; when the library never writes them, of its rarest way that reached."""
    own = [way for way in ways if way.own and way.kind in ("word", "phrase")]
    chosen = own or ways
    if not chosen:
        return 0.0
    frequency = min(posting_frequency(way.posting) for way in chosen)
    return _idf(max(total, 1), frequency)


class _Norms:
    """BM25F's per-field length normalisation of each mission, computed for the fields a query reads."""

    def __init__(self, index: SearchIndex) -> None:
        self.facts = index.facts
        self.columns: dict[int, dict[int, float]] = {}

    def column(self, field: int) -> dict[int, float]:
        """slot -> FIELD_WEIGHTS[f] / (1 − b + b · length / mean length) for one field."""
        found = self.columns.get(field)
        if found is None:
            weight, b = _WEIGHTS[field], _NORMS[field]
            scale = b / self.facts.average_lengths[field]
            slots, lengths = self.facts.field_lengths(field)
            found = dict(zip(slots, [weight / (1.0 - b + scale * length) for length in lengths], strict=True))
            self.columns[field] = found
        return found

    def weighted(self, posting: Posting) -> dict[int, float]:
        """Per slot, BM25F's x: the term's frequency in each field, weighted and length-normalised; the first
        field in C, the others added. A slot with no lengths (a file left out: a duplicate id) counts 0."""
        x: dict[int, float] = {}
        for field, (slots, counts) in posting.items():
            norms = map(self.column(field).get, slots, repeat(0.0))
            values = zip(slots, map(mul, counts, norms), strict=True)
            if not x:
                x = dict(values)
                continue
            get = x.get
            for slot, value in values:
                x[slot] = get(slot, 0.0) + value
        return x

    def strength(self, posting: Posting) -> dict[int, float]:
        return {slot: saturated(value) for slot, value in self.weighted(posting).items()}


def _prefetch(query: Query, index: SearchIndex) -> None:
    """Ask the index at once for the postings the terms and concepts will read."""
    keys: list[str] = []
    for term in query.terms:
        for stems in [term.stems, *(alternative.words for alternative in term.alternatives)]:
            keys += _keys(stems)
        if term.scattered:
            keys += list(term.stems)
    if query.concepts:  # where the index marked each concept (index.Indexer)
        keys += [CONCEPT_PREFIX + concept.name for concept in query.concept_table]
    index.prefetch(key for key in keys if REPLACEMENT not in key)


def _keys(stems: tuple[str, ...]) -> list[str]:
    if len(stems) == 1:
        return [stems[0]]
    return [f"{left} {right}" for left, right in itertools.pairwise(stems)]


def _phrase(stems: tuple[str, ...], index: SearchIndex) -> Posting | None:
    """The posting of stems side by side: each field holding every pair of the phrase (the least count)."""
    if len(stems) == 1:
        return index.posting(stems[0])
    return _intersect([index.posting(key) for key in _keys(stems)])


def _intersect(postings: list[Posting | None]) -> Posting | None:
    """The slots and fields common to every posting, with the least count of each; None if none."""
    if not postings or any(not posting for posting in postings):
        return None
    result: Posting = {}
    first = postings[0]
    for field, (slots, counts) in first.items():  # type: ignore[union-attr]
        common = dict(zip(slots, counts, strict=True))
        for other in postings[1:]:
            column = other.get(field)  # type: ignore[union-attr]
            if column is None:
                common = {}
                break
            found = dict(zip(*column, strict=True))
            common = {slot: min(count, found[slot]) for slot, count in common.items() if slot in found}
        if common:
            from array import array

            ordered = sorted(common)
            result[field] = (array("i", ordered), array("H", [common[slot] for slot in ordered]))
    return result or None


def _term_ways(term: QueryTerm, index: SearchIndex) -> list[_Way]:
    """Every way the term reached missions: its own words (or their repair, or a typo's correction), a
    typed phrase's words apart in one field, and each glossary alternative."""
    ways: list[_Way] = []
    stems, kind, similarity, shown = _resolve(term, index)
    if stems is not None:
        posting = _phrase(stems, index)
        if posting:
            # A correction shows as the words it was taken for ("concertation" for "concertaiton").
            matched = " ".join(shown) if kind in ("typo", "broken accent") else " ".join(stems)
            ways.append(_Way(TYPO_WEIGHT if kind == "typo" else 1.0, None, matched, similarity, kind, posting, True))
        if term.scattered and all(len(word) > 2 and not word.isdigit() for word in term.words):
            # "ANRU 2" or "OPAH RU" scattered in a text means nothing: short words and numbers stay side by side.
            scattered = _intersect([index.posting(word) for word in stems])
            if scattered:
                ways.append(_Way(SCATTERED_WEIGHT, None, " … ".join(stems), similarity, "scattered", scattered, True))
    for alternative in term.alternatives:
        posting = _phrase(alternative.words, index)
        if posting:
            ways.append(_Way(alternative.weight, alternative.text, " ".join(alternative.words), 100.0, "alternative",
                             posting, False))
    return ways


def _resolve(term: QueryTerm, index: SearchIndex) -> tuple[tuple[str, ...] | None, str, float, list[str]]:
    """The stems the term is searched as: its own; a broken word (U+FFFD) read as the library's word that
    fits; a word the library never writes corrected to the closest one that it does (a typo). And the
    words it was taken for, as the library writes them."""
    stems, shown = list(term.stems), list(term.words)
    kind, similarity = ("phrase" if len(stems) > 1 else "word"), 100.0
    for position, (word, found) in enumerate(zip(term.words, term.stems, strict=True)):
        if REPLACEMENT in word:
            fixed = _repair(word, index)
            if fixed is None:
                return None, kind, similarity, shown
            (stems[position], shown[position]), kind = fixed, "broken accent"
        elif index.posting(found) is None and not term.literal:
            corrected = _typo(word, index) if term.typed or len(word) >= TEXT_TYPO_MIN_LENGTH else None
            if corrected is None:
                if len(stems) == 1:
                    return None, kind, similarity, shown
                continue  # a phrase with a word the library lacks: it reaches nothing
            stems[position], similarity, shown[position] = corrected
            kind = "typo"
    return tuple(stems), kind, similarity, shown


def _repair(word: str, index: SearchIndex) -> tuple[str, str] | None:
    """The stem and the word of the library's word that a broken one fits, the most frequent of them."""
    pattern = broken_pattern(word)
    size = len(word)
    candidates = [surface for surface in index.words if size <= len(surface) <= size + 2 and pattern.fullmatch(surface)]
    if not candidates:
        return None
    best = max(candidates, key=lambda surface: (index.frequency(index.words[surface]), surface))
    return index.words[best], best


def _typo(word: str, index: SearchIndex) -> tuple[str, float, str] | None:
    """The stem of the library's word closest to one it never writes, if within the allowed edits."""
    if len(word) < TYPO_MIN_LENGTH or word.isdigit():
        return None
    from rapidfuzz import fuzz, process
    from rapidfuzz.distance import Levenshtein

    words = index.words
    if word in words:
        return None
    edits = 2 if len(word) >= TWO_EDITS_LENGTH else 1
    found = process.extract(word, list(words), scorer=Levenshtein.distance, processor=None,
                            score_cutoff=edits, limit=20)
    if not found:
        return None
    best = min(found, key=lambda item: (item[1], -index.frequency(words[item[0]]), item[0]))
    return words[best[0]], round(fuzz.ratio(word, best[0], processor=None), 1), best[0]


class _Concepts:
    """The tender's concepts, and what each mission shares of them: computed at once for every mission the
    index marked (index.Indexer), then read per mission."""

    def __init__(self, query: Query, index: SearchIndex) -> None:
        named = {concept.name for concept in query.concepts}
        table = query.concept_table
        self.services = [concept for concept in table if concept.name in named and concept.kind == "service"
                         and not concept.generic]
        if not self.services:  # a tender that names its service only by how it is bought ("AMO")
            self.services = [concept for concept in table if concept.name in named and concept.kind == "service"]
        self.fields = [concept for concept in table if concept.name in named and concept.kind == "field"]
        self.active = bool(self.services or self.fields)
        self.services_credit: dict[int, float] = {}
        self.siblings: dict[int, str] = {}
        self.fields_credit: dict[int, float] = {}
        self.others: dict[int, str] = {}
        self.credits: dict[int, float] = {}
        if not self.active:
            return

        self.index, self.table = index, table
        self.wholes: dict[str, set[int]] = {}

        def presence(concept) -> dict[int, float]:  # type: ignore[no-untyped-def]
            # Counted 2 where what the mission was names the concept, 1 where only what it did (index.Indexer).
            posting = index.posting(CONCEPT_PREFIX + concept.name) or {}
            return {slot: count / 2 for column in posting.values() for slot, count in zip(*column, strict=True)}

        self.presences: dict[str, dict[int, float]] = {}

        def best(concepts: list) -> dict[int, float]:  # type: ignore[type-arg]
            found: dict[int, float] = {}
            for concept in concepts:
                self.presences[concept.name] = presence(concept)
                for slot, value in self.presences[concept.name].items():
                    if value > found.get(slot, 0.0):
                        found[slot] = value
            return found

        self.services_credit = best(self.services)
        self.fields_credit = best(self.fields)
        siblings: set[int] = set()
        if self.services:
            # Every other intellectual service, and every purchase that is none, as sets built in C.
            siblings = set().union(*(self._whole(concept) for concept in table
                                     if concept.kind == "service" and concept not in self.services))
            siblings -= {slot for slot, value in self.services_credit.items() if value >= SIBLING_CREDIT}
            intellectual = siblings | self.services_credit.keys()
            others = set().union(*(self._whole(concept) for concept in table if concept.kind == "other"))
            self.others = dict.fromkeys(others - intellectual, "")
        self.siblings = dict.fromkeys(siblings, "")
        if self.services and self.fields:
            service_share, field_share = SERVICE_SHARE, FIELD_SHARE
        else:
            service_share, field_share = float(bool(self.services)), float(bool(self.fields))
        services, fields = self.services_credit, self.fields_credit
        self.credits = {slot: service_share * (SIBLING_CREDIT if slot in siblings else services.get(slot, 0.0))
                        + field_share * fields.get(slot, 0.0)
                        for slot in services.keys() | siblings | fields.keys()}

    def _whole(self, concept) -> set[int]:  # type: ignore[no-untyped-def]
        """The missions whose title, keywords or mission type name the concept (counted 2 by the index)."""
        found = self.wholes.get(concept.name)
        if found is None:
            posting = self.index.posting(CONCEPT_PREFIX + concept.name) or {}
            found = set().union(*(compress(slots, map((2).__eq__, counts)) for slots, counts in posting.values()))
            self.wholes[concept.name] = found
        return found

    def _named(self, slot: int, kind: str) -> str:
        """The first concept of this kind (not the tender's) that the mission's title, keywords or type names."""
        for concept in self.table:
            if concept.kind == kind and concept not in self.services and slot in self._whole(concept):
                return concept.name
        return ""

    def reached(self) -> set[int]:
        return set(self.services_credit) | set(self.fields_credit)

    def service(self, slot: int) -> tuple[float, str | None]:
        """The mission's credit for the tender's type of service, and the sibling service it is, if another."""
        if slot in self.siblings:
            return SIBLING_CREDIT, self._named(slot, "service")
        return self.services_credit.get(slot, 0.0), None

    def field(self, slot: int) -> float:
        return self.fields_credit.get(slot, 0.0)

    def shared(self, slot: int, concepts: list, credit: float) -> tuple[str, ...]:  # type: ignore[type-arg]
        """The names of those concepts the mission has at this credit (what it shares of the tender's)."""
        return tuple(concept.name for concept in concepts
                     if credit > 0 and self.presences[concept.name].get(slot, 0.0) == credit)

    def credit(self, slot: int) -> float:
        return self.credits.get(slot, 0.0)

    def other(self, slot: int) -> str | None:
        """The purchase kind ("travaux, fournitures...") that a mission is, when it is no intellectual service."""
        return self._named(slot, "other") if slot in self.others else None


class _Explainer:
    """Build a result with its explanation: each term's best way in each field, each concept, and what it added."""

    def __init__(self, query: Query, per_term: list[list[_Way]], idfs: list[float], total_idf: float,
                 norms: _Norms, concepts: _Concepts, competency_share: float) -> None:
        self.query, self.per_term, self.idfs, self.total_idf = query, per_term, idfs, total_idf
        self.norms, self.concepts, self.competency_share = norms, concepts, competency_share

    def __call__(self, mission: Mission, slot: int, score: float, in_window: bool) -> Match:
        query, concepts = self.query, self.concepts
        factor = 1.0 if in_window else OUT_OF_WINDOW_FACTOR
        other = concepts.other(slot) if concepts.active else None
        scale = 100.0 * (1.0 - self.competency_share) * factor * (OTHER_FACTOR if other else 1.0)
        text_scale = scale * (TEXT_SHARE if concepts.active else 1.0)
        fields: list[FieldMatch] = []
        for term, ways, idf in zip(query.terms, self.per_term, self.idfs, strict=True):
            best, best_value, best_parts = None, 0.0, []
            for way in ways:
                parts = []
                for field, (slots, counts) in way.posting.items():
                    position = _position(slots, slot)
                    if position is not None:
                        parts.append((FIELDS[field], counts[position] * self.norms.column(field).get(slot, 0.0)))
                x = sum(part for _, part in parts)
                value = way.weight * saturated(x)
                if value > best_value:
                    best, best_value, best_parts = way, value, parts
            if best is None or not self.total_idf:
                continue
            points = text_scale * idf / self.total_idf * best_value
            parts = best_parts
            weight = sum(part for _, part in parts)
            for name, part in parts:
                fields.append(FieldMatch(term.text, best.via, name, best.matched, best.similarity, best.kind,
                                         points * part / weight))
        fields.sort(key=lambda field: (-field.points, field.term, field.field))
        found: list[ConceptMatch] = []
        if concepts.active:
            concept_scale = scale * (1.0 - TEXT_SHARE)
            service_share = SERVICE_SHARE if concepts.fields else 1.0
            field_share = FIELD_SHARE if concepts.services else 1.0
            if concepts.services:
                credit, sibling = concepts.service(slot)
                names = " / ".join(concept.name for concept in concepts.services)
                found.append(ConceptMatch(names, "service", credit, sibling, concept_scale * service_share * credit,
                                          concepts.shared(slot, concepts.services, credit)))
            if concepts.fields:
                credit = concepts.field(slot)
                names = " / ".join(concept.name for concept in concepts.fields)
                found.append(ConceptMatch(names, "field", credit, None, concept_scale * field_share * credit,
                                          concepts.shared(slot, concepts.fields, credit)))
        competencies = []
        for component, minimum in query.competencies.items():
            level = mission.components.get(component, 0)
            credit = competency_credit(level, minimum)
            points = 100.0 * self.competency_share * credit / len(query.competencies) * factor
            competencies.append(CompetencyMatch(component, minimum, level, points,
                                                not is_unconfirmed(mission, f"components.{component}")))
        return Match(mission, score, tuple(fields), tuple(competencies), in_window, tuple(found), other)


def _position(slots, slot: int) -> int | None:  # type: ignore[no-untyped-def]
    import bisect

    position = bisect.bisect_left(slots, slot)
    return position if position < len(slots) and slots[position] == slot else None

