"""Text folding and tokenising shared by records, queries and vocabularies.

Folding: case, accents, ligatures, apostrophes. Tokenising: elisions (l', d', qu'...), hyphens,
slashes and punctuation, French stop words; digits ("12", "2") are kept as words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from itertools import chain

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_SPACES = re.compile(r"\s+")

REPLACEMENT = "\ufffd"
# A raw word: letters, digits and U+FFFD (a lost letter), with the apostrophe that may follow it.
_RAW_WORD = re.compile(r"[\w\ufffd]+['\u2019\u2018\u02bc`\u00b4]?")
# Marks left by NFKD decomposition (accents): removed in C rather than char by char.
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# A folded word is letters and digits; a kept U+FFFD stands for one lost letter inside a word.
_WORD = re.compile(r"[a-z0-9\ufffd]+")
# Elided articles and pronouns before an apostrophe: "l'étude", "d'ouvrage", "qu'il", "jusqu'au".
ELISIONS = frozenset({"l", "d", "j", "n", "s", "c", "m", "t", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu"})

# French function words: they carry no meaning for matching a mission to a tender. Folded forms.
STOP_WORDS = frozenset({
    "a", "afin", "ainsi", "au", "aux", "avec", "ce", "ces", "cet", "cette", "ceux", "dans", "de",
    "des", "du", "elle", "elles", "en", "entre", "est", "et", "etc", "etre", "eux", "il", "ils",
    "la", "le", "les", "leur", "leurs", "lui", "mais", "meme", "ni", "nos", "notre", "nous", "on",
    "ont", "ou", "par", "pas", "pour", "qu", "que", "quel", "quelle", "quelles", "quels", "qui",
    "sa", "sans", "se", "ses", "son", "sont", "sur", "ta", "te", "tes", "ton", "tous", "tout",
    "toute", "toutes", "tres", "un", "une", "vers", "vos", "votre", "vous", "y",
})


def fold(text: str) -> str:
    """Return text case-folded and accent-folded, with one kind of apostrophe and single spaces.

    A U+FFFD replacement character (an export that broke an accent) is dropped rather than
    splitting the word: "Ma\ufffdtrise" folds to "matrise", which fuzzy matching takes to "maitrise".
    """
    return _fold(text).replace(REPLACEMENT, "")


def _fold(text: str) -> str:
    text = text.translate(_APOSTROPHES).translate(_LIGATURES)
    stripped = _COMBINING.sub("", unicodedata.normalize("NFKD", text).casefold())
    return _SPACES.sub(" ", stripped).strip()


def tokens(text: str, keep_replacement: bool = False) -> list[str]:
    """Return the folded words of text, in order, without elisions, punctuation or stop words.

    "La Maison du Projet d'Antony" gives ["maison", "projet", "antony"]; "OPAH-RU" gives
    ["opah", "ru"]. A U+FFFD inside a word is dropped, or kept with keep_replacement (a query does
    that, to match it as one unknown letter).
    """
    cache = _KEPT if keep_replacement else _DROPPED
    if len(cache) > _CACHE_SIZE:
        cache.clear()
    # A raw word never spans white space, so the words of a text are those of its white-space-separated
    # chunks, in order; str.split and the lookups in C (map, chain) cost half of a regex pass over the text.
    chunks = text.split()
    try:
        return list(chain.from_iterable(map(cache.__getitem__, chunks)))  # the usual case: every chunk known
    except KeyError:
        for chunk in chunks:
            if chunk not in cache:
                cache[chunk] = tuple(word for raw in _RAW_WORD.findall(chunk)
                                     for word in _word_tokens(raw, keep_replacement))
        return list(chain.from_iterable(map(cache.__getitem__, chunks)))


def written_tokens(text: str) -> list[tuple[str, int, int]]:
    """Return tokens(text, keep_replacement=True), each word with where text writes it (start, end): so that
    a word found in free text can be shown as written, with its accents and capitals."""
    return [(word, raw.start(), raw.end()) for raw in _RAW_WORD.finditer(text)
            for word in _word_tokens(raw.group(), True)]


# Records repeat the same words: tokenising each distinct chunk ("d'ouvrage", "(ANRU),") once keeps
# indexing fast.
_CACHE_SIZE = 200_000
_DROPPED: dict[str, tuple[str, ...]] = {}
_KEPT: dict[str, tuple[str, ...]] = {}


def _word_tokens(raw: str, keep_replacement: bool) -> tuple[str, ...]:
    elided = raw[-1] in "'\u2019\u2018\u02bc`\u00b4"
    base = raw[:-1] if elided else raw
    # A raw word holds no space nor apostrophe: in ASCII, folding it is lowering it (2 µs saved a new word).
    folded = base.lower() if base.isascii() else _fold(base)
    if not keep_replacement:
        folded = folded.replace(REPLACEMENT, "")
    if elided and folded in ELISIONS:
        return ()
    return tuple(word for word in _WORD.findall(folded) if word not in STOP_WORDS and word != REPLACEMENT)


def slugify(text: str) -> str:
    """Return a record id made of lowercase ASCII words joined by hyphens."""
    words = re.findall(r"[a-z0-9]+", fold(text).replace("'", " "))
    return "-".join(words)


# --- stems: what the index and the query match on ---------------------------------------------------
# Snowball's French stemmer (PyStemmer, in C) makes one term of a word's inflections: urbain, urbaine,
# urbains -> "urbain"; it keeps relogement ("relog") and logement ("log") apart, and habitants
# ("habit") and habitat. A word holding U+FFFD (a broken accent) is kept as it is: the index repairs it
# against the library's own words (refcli.search.index.repair_words), a query matches it as a pattern.
_STEMS: dict[str, str] = {}
_STEMMER = None
# Where Snowball makes one stem of words a bid manager keeps apart: "communication" and "commune" would both
# be "commun", "concertation" and "concert" both "concert".
STEM_EXCEPTIONS = {"communication": "communic", "communications": "communic", "communicant": "communic",
                   "communicante": "communic", "concertation": "concertat", "concertations": "concertat",
                   # the commune (a client) is not the droit commun; programming a site is not a programme;
                   # a habitation (a dwelling) is not its habitants
                   "commune": "commune", "communes": "commune", "programmation": "programmat",
                   "programmations": "programmat", "habitation": "habitation", "habitations": "habitation"}


# The glossary's acronyms, folded: names, not words, kept whole (Snowball would make one stem "mo" of MOA, maîtrise
# d'ouvrage, and MOE, maîtrise d'œuvre, and "plac" of PLACI and place). Set by keep_whole when a glossary is read.
_WHOLE: frozenset[str] = frozenset()


def keep_whole(words: frozenset[str]) -> None:
    """Make stem() keep these folded words as they are (the glossary's acronyms)."""
    global _WHOLE
    if words != _WHOLE:
        _WHOLE = words
        _STEMS.clear()


def stem(word: str) -> str:
    """Return the stem of one folded word (tokens' output); digits, broken words and the glossary's acronyms
    unchanged."""
    found = _STEMS.get(word)
    if found is None:
        global _STEMMER
        if _STEMMER is None:
            import Stemmer

            _STEMMER = Stemmer.Stemmer("french")
        found = STEM_EXCEPTIONS.get(word) or (word if REPLACEMENT in word or word.isdigit() or word in _WHOLE
                                              else _STEMMER.stemWord(word))
        if len(_STEMS) > _CACHE_SIZE:
            _STEMS.clear()
        _STEMS[word] = found
    return found


def stem_all(words: Iterable[str]) -> tuple[str, ...]:
    """The stems of these folded words: looked up in C when every word was stemmed before, the usual case."""
    try:
        return tuple(map(_STEMS.__getitem__, words))
    except KeyError:
        return tuple(map(stem, words))


def stems(text: str) -> list[str]:
    """Return the stems of text's words, in order (tokens, then stem); U+FFFD kept inside a word."""
    return [stem(word) for word in tokens(text, keep_replacement=True)]
