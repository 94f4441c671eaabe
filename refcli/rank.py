"""Rank the missions of a library against a Query, and say why each one ranks where it does.

The formula is written down in README.md ("How the score is computed"); the constants below are
its parameters. In short, for a mission m:

    text(m)        = Σ_terms idf(t) · min(Σ_fields weight(f) · strength(t, m, f), TERM_CAP)
                     / Σ_terms idf(t) · TERM_CAP
    competency(m)  = mean over required competencies of 1 (level ≥ minimum),
                     PARTIAL_CREDIT · level / minimum (below it), 0 (not covered)
    score(m)       = 100 · (TEXT_SHARE · text + COMPETENCY_SHARE · competency)   [both asked]
                     · OUT_OF_WINDOW_FACTOR when the mission ended before the window

Words are matched against the index's vocabulary of distinct words (exactly, else fuzzily with
rapidfuzz), then missions are reached through the index's postings: the fuzzy scorer never runs
over a record's text.
"""

from __future__ import annotations

import functools
import gc
import heapq
import math
import operator
import re
from dataclasses import dataclass

from refcli.index import FIELD_WEIGHTS, FIELDS, MASK_WEIGHTS, SearchIndex
from refcli.model import Library, Mission
from refcli.query import Query, QueryTerm
from refcli.text import REPLACEMENT

EXACT_STRENGTH = 1.0
FUZZY_WEIGHT = 0.8  # a fuzzy match counts FUZZY_WEIGHT · (similarity / 100)², always below an exact one
FUZZY_CUTOFF = 84  # rapidfuzz fuzz.ratio, 0-100: below it, two words are different words
EXACT_ONLY_LENGTH = 4  # words this short (acronyms: GUP, PRU, PSL) match exactly only
SCATTERED_PHRASE = 0.5  # a phrase whose words are all in the field, but not side by side
TERM_CAP = 6.0  # the most one term can add for one mission: an exact match in title and keywords
TEXT_SHARE = 0.7
COMPETENCY_SHARE = 0.3
PARTIAL_CREDIT = 0.5
OUT_OF_WINDOW_FACTOR = 0.5
PHRASE_VARIANTS = 3  # the closest variants of each word of a phrase that are tried side by side


@dataclass(frozen=True, slots=True)
class WordMatch:
    """A word of the library's vocabulary that a query word matches."""

    word: str
    similarity: float  # 0-100
    strength: float  # 1.0 for an exact match
    kind: str  # "exact", "fuzzy" or "wildcard" (a U+FFFD standing for a lost letter)


@dataclass(frozen=True, slots=True)
class FieldMatch:
    """One query term matched in one field of a mission: what it found and what it added."""

    term: str  # the query term as written
    via: str | None  # the glossary alternative that matched ("gestion urbaine de proximité"), if any
    field: str
    matched: str  # the record's words that matched, folded
    similarity: float  # 0-100, the weakest word of the match
    kind: str  # "exact", "fuzzy", "wildcard", "phrase" (words side by side) or "scattered"
    points: float  # what it added to the score (0-100 scale)


@dataclass(frozen=True, slots=True)
class CompetencyMatch:
    id: str
    minimum: int
    level: int  # the mission's level, 0 when it did not cover the component
    points: float

    @property
    def covered(self) -> bool:
        return self.level >= self.minimum


@dataclass(frozen=True, slots=True)
class Match:
    mission: Mission
    score: float  # 0-100
    fields: tuple[FieldMatch, ...]  # the explanation, strongest first
    competencies: tuple[CompetencyMatch, ...]
    in_window: bool

    @property
    def id(self) -> str:
        return self.mission.id

    def matched_terms(self) -> tuple[str, ...]:
        """The query terms that matched, each once, strongest first."""
        return tuple(dict.fromkeys(field.term for field in self.fields))


@dataclass(frozen=True, slots=True)
class _Found:
    """How a query term reached a mission: shared by every posting of one word variant."""

    via: str | None
    matched: str
    similarity: float
    kind: str


# One hit of a term in a mission: (strength, mask of fields, how it was found).
_Hit = tuple[float, int, _Found]


def rank_missions(library: Library, index: SearchIndex, query: Query) -> list[Match]:
    """Return the best query.limit missions the query matches, best first (score, then id), explained."""
    # Ranking allocates many small tuples and no cycles: a collection in the middle would walk the
    # whole library for nothing (it doubled the ranking time on 10,000 records).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _rank(library, index, query)
    finally:
        if collecting:
            gc.enable()


def _rank(library: Library, index: SearchIndex, query: Query) -> list[Match]:
    missions = library.missions
    matcher = _WordMatcher(index)
    per_term = [_term_hits(term, index, matcher) for term in query.terms]
    idfs = [_idf(len(missions), len(hits)) for hits in per_term]
    maximum = sum(idfs) * TERM_CAP
    text_share = (TEXT_SHARE if query.competencies else 1.0) if query.terms else 0.0

    totals: dict[int, float] = {}
    for hits, idf in zip(per_term, idfs, strict=True):
        for mission, found in hits.items():
            totals[mission] = totals.get(mission, 0.0) + idf * min(_value(found), TERM_CAP)

    candidates = range(len(missions)) if query.competencies else totals
    wanted = list(query.competencies.items())
    competency_unit = 100.0 * (1.0 - text_share) / len(wanted) if wanted else 0.0
    text_unit = 100.0 * text_share / maximum if maximum else 0.0
    scored = []
    for number in candidates:  # the hot loop: kept plain on purpose
        mission = missions[number]
        if query.client_kind is not None and mission.client.kind != query.client_kind:
            continue
        score = totals.get(number, 0.0) * text_unit
        if wanted:
            credit, reached = 0.0, number in totals
            for component, minimum in wanted:
                level = mission.components.get(component, 0)
                if level:
                    reached = True
                    credit += 1.0 if level >= minimum else PARTIAL_CREDIT * level / minimum
            if not reached:
                continue
            score += credit * competency_unit
        if not _in_window(mission, query):
            score *= OUT_OF_WINDOW_FACTOR
        scored.append((-round(score, 9), mission.id, number, score))
    best = heapq.nsmallest(query.limit, scored)
    return [_explain(missions[number], number, score, query, per_term, idfs, maximum, text_share)
            for _, _, number, score in best]


def _in_window(mission: Mission, query: Query) -> bool:
    return query.since is None or mission.period.end >= query.since or mission.period.ongoing


def _competency_points(level: int, minimum: int, text_share: float, count: int) -> float:
    credit = 1.0 if level >= minimum else PARTIAL_CREDIT * level / minimum
    return 100.0 * (1.0 - text_share) * credit / count


def _value(hits: list[_Hit]) -> float:
    """Σ over fields of weight × the strongest hit in that field."""
    if len(hits) == 1:
        return hits[0][0] * MASK_WEIGHTS[hits[0][1]]
    covered = value = 0
    for strength, mask, _ in sorted(hits, key=lambda hit: -hit[0]):
        new = mask & ~covered
        if new:
            value += strength * MASK_WEIGHTS[new]
            covered |= mask
    return value


def _explain(mission: Mission, number: int, score: float, query: Query, per_term: list[dict[int, list[_Hit]]],
             idfs: list[float], maximum: float, text_share: float) -> Match:
    """Build a result with its explanation: each term's best hit in each field, and what it added."""
    in_window = _in_window(mission, query)
    factor = 1.0 if in_window else OUT_OF_WINDOW_FACTOR
    fields: list[FieldMatch] = []
    for term, hits, idf in zip(query.terms, per_term, idfs, strict=True):
        found = hits.get(number)
        if not found:
            continue
        per_field = []
        for bit, name in enumerate(FIELDS):
            best = max((hit for hit in found if hit[1] >> bit & 1), key=lambda hit: hit[0], default=None)
            if best is not None:
                per_field.append((name, FIELD_WEIGHTS[name] * best[0], best[2]))
        raw = sum(contribution for _, contribution, _ in per_field)
        scale = 100.0 * text_share * idf * min(raw, TERM_CAP) / raw / maximum * factor
        for name, contribution, how in per_field:
            fields.append(FieldMatch(term.text, how.via, name, how.matched, round(how.similarity, 1), how.kind,
                                     contribution * scale))
    fields.sort(key=lambda field: (-field.points, field.term, field.field))
    competencies = tuple(
        CompetencyMatch(component, minimum, mission.components.get(component, 0),
                        _competency_points(mission.components.get(component, 0), minimum, text_share,
                                           len(query.competencies)) * factor)
        for component, minimum in query.competencies.items()
    )
    return Match(mission, score, tuple(fields), competencies, in_window)


def _idf(total: int, frequency: int) -> float:
    """Inverse document frequency (the BM25 form): a term in few missions weighs more."""
    return math.log(1.0 + (total - frequency + 0.5) / (frequency + 0.5))


def _term_hits(term: QueryTerm, index: SearchIndex, matcher: _WordMatcher) -> dict[int, list[_Hit]]:
    """Return, for each mission the term or one of its alternatives reached, every hit."""
    hits: dict[int, list[_Hit]] = {}
    ways = [(term.words, 1.0, None)] + [(alt.words, alt.weight, alt.text) for alt in term.alternatives]
    for words, weight, via in ways:
        # The user's own words match fuzzily and, for a phrase, scattered; the glossary's alternatives,
        # spelt as the trade spells them, match exactly and side by side only.
        own = via is None
        if len(words) == 1:
            _word_hits(words[0], weight, via, index, matcher, hits, fuzzy=own)
        elif words:
            _phrase_hits(words, weight, via, index, matcher, hits, own=own)
    return hits


def _word_hits(word: str, weight: float, via: str | None, index: SearchIndex, matcher: _WordMatcher,
               hits: dict[int, list[_Hit]], fuzzy: bool) -> None:
    for variant in matcher.match(word, fuzzy):
        strength = variant.strength * weight
        how = _Found(via, variant.word, variant.similarity, variant.kind)
        for mission, mask in index.postings[variant.word].items():
            found = hits.get(mission)
            if found is None:
                hits[mission] = [(strength, mask, how)]
            else:
                found.append((strength, mask, how))


def _phrase_hits(words: tuple[str, ...], weight: float, via: str | None, index: SearchIndex,
                 matcher: _WordMatcher, hits: dict[int, list[_Hit]], own: bool) -> None:
    """Match a phrase through the index's pairs of words side by side; the user's own, scattered too."""
    variants = [matcher.match(word, fuzzy=own)[:PHRASE_VARIANTS] for word in words]
    if not all(variants):
        return
    # For each pair of neighbouring words: mission -> (fields, left variant, right variant). The
    # strongest variants come first, so the first variant pair found in a mission is its best.
    links: list[dict[int, tuple[int, WordMatch, WordMatch]]] = []
    for left_variants, right_variants in zip(variants, variants[1:], strict=False):
        link: dict[int, tuple[int, WordMatch, WordMatch]] = {}
        for left in left_variants:
            for right in right_variants:
                for mission, mask in index.pairs.get(f"{left.word} {right.word}", {}).items():
                    current = link.get(mission)
                    link[mission] = (mask, left, right) if current is None else (current[0] | mask, *current[1:])
        links.append(link)
    phrase_masks: dict[int, int] = {}
    made: dict[tuple, tuple[float, _Found]] = {}  # one (strength, how) per combination of variants

    def hit(found: list[WordMatch], kind: str, mask: int) -> _Hit:
        key = (kind, *(variant.word for variant in found))
        if key not in made:
            factor = weight if kind == "phrase" else weight * SCATTERED_PHRASE
            made[key] = _phrase_hit(found, factor, via, kind)
        return (made[key][0], mask, made[key][1])

    if all(links):
        for mission in set(links[0]).intersection(*links[1:]):
            chain = [links[step][mission] for step in range(len(links))]
            mask = functools.reduce(operator.and_, (mask for mask, _, _ in chain))
            if not mask:
                continue
            found = [chain[0][1]] + [right for _, _, right in chain]
            phrase_masks[mission] = mask
            _add(hits, mission, hit(found, "phrase", mask))
    # "ANRU 2" or "OPAH RU" scattered in a text means nothing: short words and numbers must be side by side.
    if not own or any(len(word) <= 2 or word.isdigit() for word in words):
        return
    # Scattered words: the strongest variant of each word, in the same field but not side by side.
    strongest = [word_variants[0] for word_variants in variants]
    per_word = [index.postings[variant.word] for variant in strongest]
    for mission in set(per_word[0]).intersection(*per_word[1:]):
        mask = functools.reduce(operator.and_, (places[mission] for places in per_word))
        mask &= ~phrase_masks.get(mission, 0)
        if mask:
            _add(hits, mission, hit(strongest, "scattered", mask))


def _phrase_hit(found: list[WordMatch], weight: float, via: str | None, kind: str) -> tuple[float, _Found]:
    strength = weight * sum(variant.strength for variant in found) / len(found)
    how = _Found(via, " ".join(variant.word for variant in found), min(variant.similarity for variant in found), kind)
    return strength, how


def _add(hits: dict[int, list[_Hit]], mission: int, hit: _Hit) -> None:
    found = hits.get(mission)
    if found is None:
        hits[mission] = [hit]
    else:
        found.append(hit)


class _WordMatcher:
    """Match query words against the index's vocabulary of distinct words, each word once per query."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index
        self.cache: dict[str, list[WordMatch]] = {}

    def match(self, word: str, fuzzy: bool = True) -> list[WordMatch]:
        """Return the vocabulary words word matches, strongest first; exactly only unless fuzzy."""
        if not fuzzy:
            return [WordMatch(word, 100.0, EXACT_STRENGTH, "exact")] if word in self.index.postings else []
        if word not in self.cache:
            self.cache[word] = self._match(word)
        return self.cache[word]

    def _match(self, word: str) -> list[WordMatch]:
        from rapidfuzz import fuzz, process

        terms = self.index.terms
        if REPLACEMENT in word:
            plain = word.replace(REPLACEMENT, "")
            # A replacement character stands for a lost accented letter (up to two once folded: œ -> oe).
            pattern = re.compile(".{0,2}".join(re.escape(part) for part in word.split(REPLACEMENT)))
            found = [WordMatch(term, fuzz.ratio(plain, term, processor=None), EXACT_STRENGTH, "wildcard")
                     for term in terms if pattern.fullmatch(term)]
            return sorted(found, key=lambda match: (-match.similarity, match.word)) or self._match(plain)
        found = []
        if word in self.index.postings:
            found.append(WordMatch(word, 100.0, EXACT_STRENGTH, "exact"))
        if len(word) > EXACT_ONLY_LENGTH:
            for term, similarity, _ in process.extract(word, terms, scorer=fuzz.ratio, processor=None,
                                                       score_cutoff=FUZZY_CUTOFF, limit=None):
                if term != word and len(term) > EXACT_ONLY_LENGTH:
                    strength = FUZZY_WEIGHT * (similarity / 100.0) ** 2
                    found.append(WordMatch(term, similarity, strength, "fuzzy"))
        return sorted(found, key=lambda match: (-match.strength, match.word))
