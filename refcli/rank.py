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
rapidfuzz), then missions are reached through the index's postings, and scored with numpy over
the whole library at once: the fuzzy scorer never runs over a record's text, and no Python loop
runs over the missions.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from refcli.index import FIELD_WEIGHTS, FIELDS, SearchIndex
from refcli.model import Library, Mission
from refcli.query import Query, QueryTerm
from refcli.text import REPLACEMENT

if TYPE_CHECKING:
    import numpy as np

EXACT_STRENGTH = 1.0
FUZZY_WEIGHT = 0.8  # a fuzzy match counts FUZZY_WEIGHT · (similarity / 100)², always below an exact one
FUZZY_CUTOFF = 84  # rapidfuzz fuzz.ratio, 0-100: below it, two words are different words
EXACT_ONLY_LENGTH = 4  # words this short (acronyms: GUP, PRU, PSL) match exactly only
SCATTERED_PHRASE = 0.5  # a phrase whose words are all in the field, but not side by side
TERM_CAP = 6.0  # the most one term can add for one mission: an exact match in title and keywords
TEXT_SHARE = 0.7
COMPETENCY_SHARE = 1.0 - TEXT_SHARE
PARTIAL_CREDIT = 0.5
OUT_OF_WINDOW_FACTOR = 0.5
PHRASE_VARIANTS = 3  # the closest variants of each word of a phrase that are tried side by side
PHRASE_COMBINATIONS = 27  # at most this many combinations of variants per phrase


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
    """A set of missions one query term reached one way: a word variant, a phrase, an alternative."""

    strength: float
    missions: np.ndarray  # mission numbers, ascending
    masks: np.ndarray  # for each, the fields matched (bit mask)
    via: str | None
    matched: str
    similarity: float
    kind: str


def rank_missions(library: Library, index: SearchIndex, query: Query) -> list[Match]:
    """Return the best query.limit missions the query matches, best first (score, then id), explained."""
    import numpy as np

    count = len(library.missions)
    weights = np.array(list(FIELD_WEIGHTS.values()))
    bits = np.array([1 << bit for bit in range(len(FIELDS))], dtype=np.uint16)
    matcher = _WordMatcher(index)
    per_term = [_term_hits(term, index, matcher) for term in query.terms]

    totals = np.zeros(count)
    idfs = []
    for hits in per_term:
        best = np.zeros((count, len(FIELDS)))  # per mission and field: the strongest hit
        for hit in hits:
            found = (hit.masks[:, None] & bits) != 0
            best[hit.missions] = np.maximum(best[hit.missions], found * hit.strength)
        idf = _idf(count, int(np.count_nonzero(best.any(axis=1))))
        idfs.append(idf)
        totals += idf * np.minimum(best @ weights, TERM_CAP)
    maximum = sum(idfs) * TERM_CAP
    text_share = (TEXT_SHARE if query.competencies else 1.0) if query.terms else 0.0

    score = totals * (100.0 * text_share / maximum) if maximum else np.zeros(count)
    reached = totals > 0
    if query.competencies:
        credit = np.zeros(count)
        for component, minimum in query.competencies.items():
            levels = index.levels[component]
            credit += np.where(levels >= minimum, 1.0, PARTIAL_CREDIT * levels / minimum)
            reached |= levels > 0
        score += credit * (100.0 * (1.0 - text_share) / len(query.competencies))
    if query.client_kind is not None:
        reached &= index.public == (query.client_kind == "public")
    in_window = np.ones(count, dtype=bool)
    if query.since is not None:
        in_window = (index.end_years >= query.since) | index.ongoing
        score = np.where(in_window, score, score * OUT_OF_WINDOW_FACTOR)
    numbers = np.flatnonzero(reached)
    # Ties by id: missions are numbered in id order, so the mission number breaks them.
    order = np.lexsort((numbers, -np.round(score[numbers], 9)))[: query.limit]
    return [_explain(library.missions[number], int(number), float(score[number]), bool(in_window[number]),
                     query, per_term, idfs, maximum, text_share)
            for number in numbers[order]]


def _explain(mission: Mission, number: int, score: float, in_window: bool, query: Query,
             per_term: list[list[_Hit]], idfs: list[float], maximum: float, text_share: float) -> Match:
    """Build a result with its explanation: each term's best hit in each field, and what it added."""
    import numpy as np

    factor = 1.0 if in_window else OUT_OF_WINDOW_FACTOR
    fields: list[FieldMatch] = []
    for term, hits, idf in zip(query.terms, per_term, idfs, strict=True):
        reached = []
        for hit in hits:
            position = int(np.searchsorted(hit.missions, number))
            if position < len(hit.missions) and hit.missions[position] == number:
                reached.append((hit, int(hit.masks[position])))
        per_field = []
        for bit, name in enumerate(FIELDS):
            in_field = [hit for hit, mask in reached if mask >> bit & 1]
            if in_field:
                best = max(in_field, key=lambda hit: hit.strength)
                per_field.append((name, FIELD_WEIGHTS[name] * best.strength, best))
        if not per_field:
            continue
        raw = sum(contribution for _, contribution, _ in per_field)
        scale = 100.0 * text_share * idf * min(raw, TERM_CAP) / raw / maximum * factor
        for name, contribution, hit in per_field:
            fields.append(FieldMatch(term.text, hit.via, name, hit.matched, round(hit.similarity, 1), hit.kind,
                                     contribution * scale))
    fields.sort(key=lambda field: (-field.points, field.term, field.field))
    competencies = []
    for component, minimum in query.competencies.items():
        level = mission.components.get(component, 0)
        credit = 1.0 if level >= minimum else PARTIAL_CREDIT * level / minimum
        points = 100.0 * (1.0 - text_share) * credit / len(query.competencies) * factor
        competencies.append(CompetencyMatch(component, minimum, level, points))
    return Match(mission, score, tuple(fields), tuple(competencies), in_window)


def _idf(total: int, frequency: int) -> float:
    """Inverse document frequency (the BM25 form): a term in few missions weighs more."""
    return math.log(1.0 + (total - frequency + 0.5) / (frequency + 0.5))


def _term_hits(term: QueryTerm, index: SearchIndex, matcher: _WordMatcher) -> list[_Hit]:
    """Return every way the term or one of its alternatives reached missions."""
    hits: list[_Hit] = []
    ways = [(term.words, 1.0, None)] + [(alt.words, alt.weight, alt.text) for alt in term.alternatives]
    for words, weight, via in ways:
        # The user's own words match fuzzily and, for a phrase, scattered too; the glossary's
        # alternatives, spelt as the trade spells them, match exactly and side by side only.
        own = via is None
        variants = [matcher.match(word, fuzzy=own) for word in words]
        if not words or not all(variants):
            continue
        if len(words) == 1:
            for variant in variants[0]:
                missions, masks = index.postings[variant.word]
                hits.append(_Hit(variant.strength * weight, missions, masks, via, variant.word, variant.similarity,
                                 variant.kind))
        else:
            hits += _phrase_hits(words, [found[:PHRASE_VARIANTS] for found in variants], weight, via, index, own)
    return hits


def _phrase_hits(words: tuple[str, ...], variants: list[list[WordMatch]], weight: float, via: str | None,
                 index: SearchIndex, own: bool) -> list[_Hit]:
    """Match a phrase through the index's pairs of words side by side; the user's own, scattered too."""
    hits = []
    combinations = itertools.islice(itertools.product(*variants), PHRASE_COMBINATIONS)
    for combination in combinations:
        keys = [f"{left.word} {right.word}" for left, right in itertools.pairwise(combination)]
        found = _intersect([index.pairs.get(key) for key in keys])
        if found is not None:
            hits.append(_phrase_hit(combination, weight, via, "phrase", *found))
    # "ANRU 2" or "OPAH RU" scattered in a text means nothing: short words and numbers must be side by side.
    if own and all(len(word) > 2 and not word.isdigit() for word in words):
        strongest = [found[0] for found in variants]
        found = _intersect([index.postings[variant.word] for variant in strongest])
        if found is not None:
            hits.append(_phrase_hit(strongest, weight * SCATTERED_PHRASE, via, "scattered", *found))
    return hits


def _intersect(postings: list[tuple[np.ndarray, np.ndarray] | None]) -> tuple[np.ndarray, np.ndarray] | None:
    """Return the missions in every posting, with the fields common to all; None if there are none."""
    import numpy as np

    if any(posting is None for posting in postings):
        return None
    missions, masks = postings[0]
    for other_missions, other_masks in postings[1:]:
        missions, left, right = np.intersect1d(missions, other_missions, assume_unique=True, return_indices=True)
        masks = masks[left] & other_masks[right]
    keep = masks != 0
    return (missions[keep], masks[keep]) if keep.any() else None


def _phrase_hit(found: tuple[WordMatch, ...] | list[WordMatch], weight: float, via: str | None, kind: str,
                missions: np.ndarray, masks: np.ndarray) -> _Hit:
    strength = weight * sum(variant.strength for variant in found) / len(found)
    return _Hit(strength, missions, masks, via, " ".join(variant.word for variant in found),
                min(variant.similarity for variant in found), kind)


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
