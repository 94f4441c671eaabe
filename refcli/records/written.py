"""Values as the firm's fiches write them, read into a record's: an amount ('167 millions € TTC', '29 340 € (TF)').

`new`, `import` and the prompts read amounts with it, and validation checks an amount's value against the
as_written it keeps.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from refcli.i18n import _

_NUMBER = r"(?P<number>\d{1,3}(?:[ \u00a0\u202f.]\d{3})+|\d+)(?:,(?P<decimals>\d+))?"
_AMOUNT = re.compile(
    r"^" + _NUMBER + r"\s*"
    r"(?P<scale>milliards?|mds?|millions?|m|k|mille)?\s*"
    r"(?P<currency>€|eur|euros?|d'euros|\$|usd|£|gbp|chf)\s*"
    r"(?P<basis>ht|h\.t\.|ttc|t\.t\.c\.)?\s*"
    r"(?P<scope>\(\s*(?:tf|tranche ferme)\s*\)|tf|tranche ferme)?\s*\.?$",
    re.IGNORECASE,
)
_SCALES = {"k": 1000, "mille": 1000, "m": 10**6, "million": 10**6, "millions": 10**6,
           "md": 10**9, "mds": 10**9, "milliard": 10**9, "milliards": 10**9}
_CURRENCIES = {"€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "d'euros": "EUR", "$": "USD",
               "usd": "USD", "£": "GBP", "gbp": "GBP", "chf": "CHF"}
_BASES = {"ht": "HT", "h.t.": "HT", "ttc": "TTC", "t.t.c.": "TTC"}


class ParseError(ValueError):
    """A value the parser cannot read; the message says what was expected."""


def parse_amount(text: str) -> dict[str, Any]:
    """Return {value, currency, basis?, scope?, as_written} for '167 millions € TTC', '157 M€', '29 340 € (TF)'.

    The tax basis (HT, TTC) is kept only when written; "TF" (tranche ferme) is what the amount covers,
    its scope, and says nothing of the tax."""
    written = re.sub(r"[ \t\r\n]+", " ", text).strip()  # keeps the non-breaking spaces as written
    match = _AMOUNT.match(" ".join(written.split()).replace("’", "'"))
    if not match:
        raise ParseError(_("cannot read the amount {written!r}; expected a figure and a currency, "
                         "like '99 685 € HT' or '167 millions € TTC'").format(written=written))
    digits = re.sub(r"[ \u00a0\u202f.]", "", match["number"])
    try:
        value = Decimal(digits + ("." + match["decimals"] if match["decimals"] else ""))
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        raise ParseError(_("cannot read the amount {written!r}").format(written=written)) from None
    scale = match["scale"]
    if scale:
        value *= _SCALES[scale.lower()]
    amount: dict[str, Any] = {
        "value": int(value) if value == value.to_integral_value() else float(value),
        "currency": _CURRENCIES[match["currency"].lower()],
    }
    if match["basis"]:
        amount["basis"] = _BASES[match["basis"].lower()]
    if match["scope"]:
        amount["scope"] = "tranche ferme"
    # A sentence's final period goes; an abbreviation's ("99 685 € H.T.") is the fiche's words, kept.
    abbreviated = re.search(r"\b(?:H\.T|T\.T\.C)\.$", written, re.IGNORECASE)
    amount["as_written"] = written if abbreviated else written.rstrip(".")
    return amount
