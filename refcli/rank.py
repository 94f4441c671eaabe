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

import math
import re
from dataclasses import dataclass

from refcli.index import FIELD_WEIGHTS, FIELDS, SearchIndex
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
class _Hit:
    strength: float
    matched: str
    similarity: float
    kind: str


def rank_missions(library: Library, index: SearchIndex, query: Query) -> list[Match]:
    """Return every mission the query matches, best first: score, then id. The caller applies limit."""
    missions = library.missions
    matcher = _WordMatcher(index)
    per_term = [_term_hits(term, index, matcher) for term in query.terms]
    total = len(missions)
    idfs = [_idf(total, len({mission for mission, _ in hits})) for hits in per_term]
    maximum = sum(idfs) * TERM_CAP
    text_share = (TEXT_SHARE if query.competencies else 1.0) if query.terms else 0.0
    competency_share = 1.0 - text_share

    values: dict[int, float] = {}
    details: dict[int, list[tuple[float, FieldMatch]]] = {}
    for term, hits, idf in zip(query.terms, per_term, idfs, strict=True):
        by_mission: dict[int, list[tuple[int, _Hit, str | None]]] = {}
        for (mission, field), (hit, via) in hits.items():
            by_mission.setdefault(mission, []).append((field, hit, via))
        for mission, found in by_mission.items():
            raw = sum(FIELD_WEIGHTS[FIELDS[field]] * hit.strength for field, hit, _ in found)
            value = idf * min(raw, TERM_CAP)
            values[mission] = values.get(mission, 0.0) + value
            points = 100.0 * text_share * value / maximum
            for field, hit, via in found:
                share = FIELD_WEIGHTS[FIELDS[field]] * hit.strength / raw
                explanation = FieldMatch(term.text, via, FIELDS[field], hit.matched, round(hit.similarity, 1),
                                         hit.kind, points * share)
                details.setdefault(mission, []).append((points * share, explanation))

    matches = []
    for number, mission in enumerate(missions):
        if query.client_kind is not None and mission.client.kind != query.client_kind:
            continue
        text = values.get(number, 0.0) / maximum if maximum else 0.0
        competencies = _competencies(mission, query, competency_share)
        if text <= 0 and not any(competency.level for competency in competencies):
            continue
        in_window = query.since is None or mission.period.end >= query.since or mission.period.ongoing
        factor = 1.0 if in_window else OUT_OF_WINDOW_FACTOR
        score = 100.0 * text_share * text + sum(competency.points for competency in competencies)
        explanation = sorted(details.get(number, []), key=lambda item: (-item[0], item[1].term, item[1].field))
        matches.append(Match(
            mission,
            score * factor,
            tuple(_scaled(field, factor) for _, field in explanation),
            tuple(CompetencyMatch(c.id, c.minimum, c.level, c.points * factor) for c in competencies),
            in_window,
        ))
    matches.sort(key=lambda match: (-round(match.score, 9), match.id))
    return matches


def _scaled(field: FieldMatch, factor: float) -> FieldMatch:
    if factor == 1.0:
        return field
    return FieldMatch(field.term, field.via, field.field, field.matched, field.similarity, field.kind,
                      field.points * factor)


def _idf(total: int, frequency: int) -> float:
    """Inverse document frequency (the BM25 form): a term in few missions weighs more."""
    return math.log(1.0 + (total - frequency + 0.5) / (frequency + 0.5))


def _competencies(mission: Mission, query: Query, share: float) -> list[CompetencyMatch]:
    wanted = query.competencies
    found = []
    for component_id, minimum in wanted.items():
        level = mission.components.get(component_id, 0)
        credit = 1.0 if level >= minimum else PARTIAL_CREDIT * level / minimum
        found.append(CompetencyMatch(component_id, minimum, level, 100.0 * share * credit / len(wanted)))
    return found


def _term_hits(
    term: QueryTerm, index: SearchIndex, matcher: _WordMatcher
) -> dict[tuple[int, int], tuple[_Hit, str | None]]:
    """Return, for each (mission, field) the term or one of its alternatives matched, the best hit."""
    best: dict[tuple[int, int], tuple[_Hit, str | None]] = {}
    ways = [(term.words, 1.0, None)] + [(alt.words, alt.weight, alt.text) for alt in term.alternatives]
    for words, weight, via in ways:
        if not words:
            continue
        hits = _word_hits(words[0], index, matcher) if len(words) == 1 else _phrase_hits(words, index, matcher)
        for key, hit in hits.items():
            weighted = _Hit(hit.strength * weight, hit.matched, hit.similarity, hit.kind)
            current = best.get(key)
            if current is None or weighted.strength > current[0].strength:
                best[key] = (weighted, via)
    return best


def _word_hits(word: str, index: SearchIndex, matcher: _WordMatcher) -> dict[tuple[int, int], _Hit]:
    hits: dict[tuple[int, int], _Hit] = {}
    for found in matcher.match(word):  # strongest first: the first hit of a field is its best
        hit = _Hit(found.strength, found.word, found.similarity, found.kind)
        for posting in index.postings[found.word]:
            hits.setdefault((posting.mission, posting.field), hit)
    return hits


def _phrase_hits(words: tuple[str, ...], index: SearchIndex, matcher: _WordMatcher) -> dict[tuple[int, int], _Hit]:
    """Match a phrase: all its words in one field, side by side (full credit) or scattered."""
    per_word: list[dict[tuple[int, int], list[tuple[WordMatch, tuple[int, ...]]]]] = []
    for word in words:
        places: dict[tuple[int, int], list[tuple[WordMatch, tuple[int, ...]]]] = {}
        for found in matcher.match(word):
            for posting in index.postings[found.word]:
                places.setdefault((posting.mission, posting.field), []).append((found, posting.positions))
        if not places:
            return {}
        per_word.append(places)
    # "ANRU 2" or "OPAH RU" scattered in a text means nothing: short words and numbers must be side by side.
    scattered_allowed = all(len(word) > 2 and not word.isdigit() for word in words)
    candidates = set.intersection(*(set(places) for places in sorted(per_word, key=len)))
    hits = {}
    for key in candidates:
        choices = [places[key] for places in per_word]
        best = [choice[0][0] for choice in choices]  # the strongest variant of each word in this field
        positions = [set().union(*(found_positions for _, found_positions in choice)) for choice in choices]
        adjacent = any(all(start + offset in positions[offset] for offset in range(1, len(words)))
                       for start in positions[0])
        if not adjacent and not scattered_allowed:
            continue
        strength = sum(found.strength for found in best) / len(best)
        hits[key] = _Hit(
            strength * (1.0 if adjacent else SCATTERED_PHRASE),
            " ".join(found.word for found in best),
            min(found.similarity for found in best),
            "phrase" if adjacent else "scattered",
        )
    return hits


class _WordMatcher:
    """Match query words against the index's vocabulary of distinct words, each word once per query."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index
        self.cache: dict[str, list[WordMatch]] = {}

    def match(self, word: str) -> list[WordMatch]:
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
