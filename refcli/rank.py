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
rapidfuzz), then missions are reached through the index's postings and scored: the fuzzy scorer
never runs over a record's text, and only the missions a term reaches are ever looked at. This is
plain Python: numpy would score faster, but importing it costs more than a whole warm search may.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import re
from array import array

from refcli.frozen import frozen
from refcli.index import FIELD_WEIGHTS, FIELDS, Posting, SearchIndex
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
COMPETENCY_SHARE = 1.0 - TEXT_SHARE
PARTIAL_CREDIT = 0.5
OUT_OF_WINDOW_FACTOR = 0.5
PHRASE_VARIANTS = 3  # the closest variants of each word of a phrase that are tried side by side
PHRASE_COMBINATIONS = 27  # at most this many combinations of variants per phrase


@frozen
class WordMatch:
    """A word of the library's vocabulary that a query word matches."""

    word: str
    similarity: float  # 0-100
    strength: float  # 1.0 for an exact match
    kind: str  # "exact", "fuzzy" or "wildcard" (a U+FFFD standing for a lost letter)


@frozen
class FieldMatch:
    """One query term matched in one field of a mission: what it found and what it added."""

    term: str  # the query term as written
    via: str | None  # the glossary alternative that matched ("gestion urbaine de proximité"), if any
    field: str
    matched: str  # the record's words that matched, folded
    similarity: float  # 0-100, the weakest word of the match
    kind: str  # "exact", "fuzzy", "wildcard", "phrase" (words side by side) or "scattered"
    points: float  # what it added to the score (0-100 scale)


@frozen
class CompetencyMatch:
    id: str
    minimum: int
    level: int  # the mission's level, 0 when it did not cover the component
    points: float

    @property
    def covered(self) -> bool:
        return self.level >= self.minimum


@frozen
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


@frozen
class _Hit:
    """A set of missions one query term reached one way: a word variant, a phrase, an alternative."""

    strength: float
    slots: array  # ascending
    masks: array  # for each, the fields matched (bit mask)
    via: str | None
    matched: str
    similarity: float
    kind: str


def rank_missions(library: Library, index: SearchIndex, query: Query) -> list[Match]:
    """Return the best query.limit missions the query matches, best first (score, then id), explained."""
    facts = index.facts
    matcher = _WordMatcher(index)
    _prefetch(query, index, matcher)
    per_term = [_term_hits(term, index, matcher) for term in query.terms]

    totals: dict[int, float] = {}
    idfs = []
    ids = facts.ids
    for hits in per_term:
        points = _term_points(hits, ids)
        idf = _idf(len(facts), len(points))
        idfs.append(idf)
        totals.update({slot: totals.get(slot, 0.0) + idf * value for slot, value in points.items()})
    maximum = sum(idfs) * TERM_CAP
    text_share = (TEXT_SHARE if query.competencies else 1.0) if query.terms else 0.0

    scale = 100.0 * text_share / maximum if maximum else 0.0
    scores = {slot: total * scale for slot, total in totals.items() if total > 0}
    if query.competencies:
        share = 100.0 * (1.0 - text_share) / len(query.competencies)
        credits: dict[int, float] = {}
        for component, minimum in query.competencies.items():
            for slot, level in facts.levels.get(component, {}).items():
                credit = 1.0 if level >= minimum else PARTIAL_CREDIT * level / minimum
                credits[slot] = credits.get(slot, 0.0) + credit
        # Reached by a word, or covering a required component at some level.
        for slot, credit in credits.items():
            if slot in facts:
                scores[slot] = scores.get(slot, 0.0) + credit * share
    if query.client_kind is not None:
        public = query.client_kind == "public"
        scores = {slot: score for slot, score in scores.items() if (slot in facts.public) == public}
    since = query.since
    outside: set[int] = set()
    if since is not None:
        ends, ongoing = facts.ends, facts.ongoing
        outside = {slot for slot in scores if ends[slot] < since and slot not in ongoing}
        for slot in outside:
            scores[slot] *= OUT_OF_WINDOW_FACTOR
    best = _best(scores, ids, query.limit)
    find = _finder(library)
    return [_explain(find(ids[slot]), slot, scores[slot], slot not in outside, query, per_term, idfs, maximum,
                     text_share)
            for slot in best]


def _best(scores: dict[int, float], ids: dict[int, str], limit: int) -> list[int]:
    """The best limit slots by score (to 9 decimals), ties by id; sorting only those that can be among them."""
    if limit > 0 and len(scores) > 4 * limit:
        # The limit-th best score, less what rounding to 9 decimals can move it: no slot below it can rank.
        threshold = heapq.nlargest(limit, scores.values())[-1] - 1e-9
        scores = {slot: score for slot, score in scores.items() if score >= threshold}
    return sorted(scores, key=lambda slot: (-round(scores[slot], 9), ids[slot]))[:limit]


def _term_points(hits: list[_Hit], searchable: dict[int, str]) -> dict[int, float]:
    """Per mission the term reached: Σ_fields weight · its strongest hit in the field, capped at TERM_CAP."""
    weights = tuple(FIELD_WEIGHTS.values())
    mask_weights: dict[int, float] = {}
    for hit in hits:
        for mask in set(hit.masks):
            mask_weights[mask] = _mask_weight(mask, weights)
    if not hits:
        return {}
    if len(hits) == 1:  # the usual case, in one comprehension: its fields' weights
        (hit,) = hits
        strength = hit.strength
        return {slot: min(strength * mask_weights[mask], TERM_CAP)
                for slot, mask in zip(hit.slots, hit.masks, strict=True) if slot in searchable}
    # Strongest hit first: each field counts the first hit found in it. The strongest, often the term's
    # own word in thousands of missions, in comprehensions; the rest, one mission at a time.
    ordered = sorted(hits, key=lambda hit: -hit.strength)
    first = ordered[0]
    values = {slot: first.strength * mask_weights[mask]
              for slot, mask in zip(first.slots, first.masks, strict=True) if slot in searchable}
    covered = dict(zip(first.slots, first.masks, strict=True))
    for hit in ordered[1:]:
        strength = hit.strength
        for slot, mask in zip(hit.slots, hit.masks, strict=True):
            before = covered.get(slot, 0)
            new = mask & ~before
            if new and slot in searchable:
                if new not in mask_weights:
                    mask_weights[new] = _mask_weight(new, weights)
                values[slot] = values.get(slot, 0.0) + strength * mask_weights[new]
                covered[slot] = before | new
    return {slot: min(value, TERM_CAP) for slot, value in values.items()}


def _mask_weight(mask: int, weights: tuple[float, ...]) -> float:
    return sum(weight for bit, weight in enumerate(weights) if mask >> bit & 1)


def _finder(library: Library):
    """Return a function from mission id to Mission: the library's own (a lazy one decodes one record) or a dict."""
    find = getattr(library.missions, "find", None)
    if find is not None:
        return find
    by_id = {mission.id: mission for mission in library.missions}
    return by_id.__getitem__


def _explain(mission: Mission, slot: int, score: float, in_window: bool, query: Query,
             per_term: list[list[_Hit]], idfs: list[float], maximum: float, text_share: float) -> Match:
    """Build a result with its explanation: each term's best hit in each field, and what it added."""
    factor = 1.0 if in_window else OUT_OF_WINDOW_FACTOR
    fields: list[FieldMatch] = []
    for term, hits, idf in zip(query.terms, per_term, idfs, strict=True):
        reached = []
        for hit in hits:
            position = bisect.bisect_left(hit.slots, slot)
            if position < len(hit.slots) and hit.slots[position] == slot:
                reached.append((hit, hit.masks[position]))
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


def _ways(term: QueryTerm) -> list[tuple[tuple[str, ...], float, str | None]]:
    """The words a term is looked for as: its own, then each glossary alternative's (weight, text)."""
    return [(term.words, 1.0, None)] + [(alt.words, alt.weight, alt.text) for alt in term.alternatives]


def _prefetch(query: Query, index: SearchIndex, matcher: _WordMatcher) -> None:
    """Ask the index at once for the postings the terms will read: each word's variants, each phrase's pairs."""
    keys = []
    for term in query.terms:
        for words, _, via in _ways(term):
            variants = [matcher.match(word, fuzzy=via is None) for word in words]
            if len(words) == 1:
                keys += [variant.word for variant in variants[0]]
                continue
            # A phrase reads its pairs; the user's own phrase, scattered, its words' strongest variants too.
            keys += [f"{left} {right}" for left, right in itertools.pairwise(words)]
            if via is None:
                keys += [found[0].word for found in variants if found]
    index.prefetch(keys)


def _term_hits(term: QueryTerm, index: SearchIndex, matcher: _WordMatcher) -> list[_Hit]:
    """Return every way the term or one of its alternatives reached missions."""
    hits: list[_Hit] = []
    for words, weight, via in _ways(term):
        # The user's own words match fuzzily and, for a phrase, scattered too; the glossary's
        # alternatives, spelt as the trade spells them, match exactly and side by side only.
        own = via is None
        variants = [matcher.match(word, fuzzy=own) for word in words]
        if not words or not all(variants):
            continue
        if len(words) == 1:
            for variant in variants[0]:
                slots, masks = index.posting(variant.word)  # type: ignore[misc]  # a matched word has one
                hits.append(_Hit(variant.strength * weight, slots, masks, via, variant.word, variant.similarity,
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
        found = _intersect([index.posting(key) for key in keys])
        if found is not None:
            hits.append(_phrase_hit(combination, weight, via, "phrase", *found))
    # "ANRU 2" or "OPAH RU" scattered in a text means nothing: short words and numbers must be side by side.
    if own and all(len(word) > 2 and not word.isdigit() for word in words):
        strongest = [found[0] for found in variants]
        found = _intersect([index.posting(variant.word) for variant in strongest])
        if found is not None:
            hits.append(_phrase_hit(strongest, weight * SCATTERED_PHRASE, via, "scattered", *found))
    return hits


def _intersect(postings: list[Posting | None]) -> Posting | None:
    """Return the missions in every posting, with the fields common to all; None if there are none."""
    if not postings or any(posting is None for posting in postings):
        return None
    common: dict[int, int] = dict(zip(*postings[0], strict=True))  # type: ignore[misc]
    for other in postings[1:]:
        common = {slot: common[slot] & mask for slot, mask in zip(*other, strict=True)  # type: ignore[misc]
                  if slot in common}
    kept = sorted(slot for slot, mask in common.items() if mask)
    if not kept:
        return None
    return array("i", kept), array("H", [common[slot] for slot in kept])


def _phrase_hit(found: tuple[WordMatch, ...] | list[WordMatch], weight: float, via: str | None, kind: str,
                slots: array, masks: array) -> _Hit:
    strength = weight * sum(variant.strength for variant in found) / len(found)
    return _Hit(strength, slots, masks, via, " ".join(variant.word for variant in found),
                min(variant.similarity for variant in found), kind)


class _WordMatcher:
    """Match query words against the index's vocabulary of distinct words, each word once per query."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index
        self.cache: dict[str, list[WordMatch]] = {}

    def match(self, word: str, fuzzy: bool = True) -> list[WordMatch]:
        """Return the vocabulary words word matches, strongest first; exactly only unless fuzzy."""
        if not fuzzy:
            return [WordMatch(word, 100.0, EXACT_STRENGTH, "exact")] if self.index.has_word(word) else []
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
        if self.index.has_word(word):
            found.append(WordMatch(word, 100.0, EXACT_STRENGTH, "exact"))
        if len(word) > EXACT_ONLY_LENGTH:
            for term, similarity, _ in process.extract(word, terms, scorer=fuzz.ratio, processor=None,
                                                       score_cutoff=FUZZY_CUTOFF, limit=None):
                if term != word and len(term) > EXACT_ONLY_LENGTH:
                    strength = FUZZY_WEIGHT * (similarity / 100.0) ** 2
                    found.append(WordMatch(term, similarity, strength, "fuzzy"))
        return sorted(found, key=lambda match: (-match.strength, match.word))
