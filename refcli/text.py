"""Text folding shared by records, queries and vocabularies: case, accents, ligatures, apostrophes."""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Return text case-folded and accent-folded, with one kind of apostrophe and single spaces.

    A U+FFFD replacement character (an export that broke an accent) is dropped rather than
    splitting the word: "Ma\ufffdtrise" folds to "matrise", which fuzzy matching takes to "maitrise".
    """
    text = text.translate(_APOSTROPHES).translate(_LIGATURES).replace("\ufffd", "")
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SPACES.sub(" ", stripped).strip()


def slugify(text: str) -> str:
    """Return a record id made of lowercase ASCII words joined by hyphens."""
    words = re.findall(r"[a-z0-9]+", fold(text).replace("'", " "))
    return "-".join(words)
